// The on-disk layout shared by every resumable training run: checkpoint directories written
// atomically and found again after a crash.
import Foundation
import JSON
import Tensor

#if canImport(Glibc)
import Glibc
#endif

/// Checkpoint directories `checkpoint-NNNNNNNN` (the step) holding `state.safetensors` (tensors) and
/// `trainer_state.json` (everything else). A checkpoint is written under a temporary name, flushed
/// and renamed into place, so a crash (even `kill -9`) leaves either the complete checkpoint or
/// none; `latest` finds the newest complete one.
package enum CheckpointDirectory {
    /// The path of checkpoint `step` under `dir`.
    package static func path(_ dir: String, step: Int) -> String { dir + "/" + String(format: "checkpoint-%08d", step) }

    /// The newest complete checkpoint under `dir`, or nil.
    package static func latest(in dir: String) -> (path: String, step: Int)? {
        let items = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var best: (String, Int)?
        for f in items where f.hasPrefix("checkpoint-") {
            guard let n = Int(f.dropFirst("checkpoint-".count)),
                  FileManager.default.fileExists(atPath: dir + "/" + f + "/trainer_state.json") else { continue }
            if best == nil || n > best!.1 { best = (dir + "/" + f, n) }
        }
        return best
    }

    /// Writes checkpoint `step` atomically (`tensors` with header metadata `format`/`step`, and
    /// `state` as JSON) and removes all but the newest `keep` and leftovers of interrupted writes.
    /// - Throws: `TrainingError` of kind `checkpoint` on I/O failure.
    package static func write(dir: String, step: Int, tensors: [String: Tensor], tensorFormat: String, state: JSONObject,
                              keep: Int) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw TrainingError(.checkpoint, "cannot create checkpoint directory \(dir): \(error.localizedDescription)")
        }
        let final = path(dir, step: step)
        let tmp = dir + "/.tmp-" + (final as NSString).lastPathComponent + "-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        do {
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: false)
            try SafeTensors.write(tensors, metadata: ["format": tensorFormat, "step": String(step)], to: tmp + "/state.safetensors")
            try Data(JSONValue.object(state).rendered).write(to: URL(fileURLWithPath: tmp + "/trainer_state.json"))
            for f in ["state.safetensors", "trainer_state.json"] { try sync(tmp + "/" + f) }
            try sync(tmp)
            if fm.fileExists(atPath: final) {
                let old = tmp + "-old"
                try fm.moveItem(atPath: final, toPath: old)
                try fm.moveItem(atPath: tmp, toPath: final)
                try? fm.removeItem(atPath: old)
            } else {
                try fm.moveItem(atPath: tmp, toPath: final)
            }
            try sync(dir)
        } catch let e as TrainingError {
            try? fm.removeItem(atPath: tmp)
            throw e
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw TrainingError(.checkpoint, "cannot write checkpoint \(final): \(error)")
        }
        // Keep the newest `keep` checkpoints; drop leftovers of interrupted writes.
        let items = (try? fm.contentsOfDirectory(atPath: dir)) ?? []
        let steps = items.compactMap { f -> Int? in
            guard f.hasPrefix("checkpoint-"), fm.fileExists(atPath: dir + "/" + f + "/trainer_state.json") else { return nil }
            return Int(f.dropFirst("checkpoint-".count))
        }.sorted()
        for s in steps.dropLast(keep) { try? fm.removeItem(atPath: path(dir, step: s)) }
        for f in items where f.hasPrefix(".tmp-checkpoint-") && !f.hasSuffix("-\(getpid())") { try? fm.removeItem(atPath: dir + "/" + f) }
    }

    /// Reads the checkpoint at `path`: its JSON state (and the state file's path, for messages) and its
    /// tensors (memory-mapped).
    /// - Throws: `TrainingError` of kind `checkpoint` for a missing or malformed file.
    package static func read(_ path: String) throws -> (state: JSONObject, statePath: String, tensors: SafeTensorsFile) {
        let statePath = path + "/trainer_state.json"
        guard let data = FileManager.default.contents(atPath: statePath), let v = try? JSONValue.parse(data),
              let o = v.objectValue else {
            throw TrainingError(.checkpoint, "\(statePath) is missing or not a JSON object")
        }
        do {
            return (o, statePath, try SafeTensorsFile(path: path + "/state.safetensors"))
        } catch {
            throw TrainingError(.checkpoint, "\(path)/state.safetensors: \(error)")
        }
    }

    /// Flushes a file or directory to disk.
    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TrainingError(.checkpoint, "cannot open \(path) to flush it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw TrainingError(.checkpoint, "cannot flush \(path): \(String(cString: strerror(errno)))") }
    }
}
