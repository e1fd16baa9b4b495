// Checkpoints of a transcoder training run: written atomically, found again after a crash.
import Foundation
import JSON
import Models
import Tensor

#if canImport(Glibc)
import Glibc
#endif

/// Reading and writing checkpoint directories (the layout of `Trainer`'s checkpoints).
///
/// A checkpoint is a directory `checkpoint-NNNNNNNN` (the step) holding `state.safetensors` (the
/// tensors) and `trainer_state.json` (everything else). It is written under a temporary name,
/// flushed and renamed into place, so a crash (even `kill -9`) leaves either the complete checkpoint
/// or none; a rerun takes the newest complete one.
enum TranscoderCheckpoint {
    static let format = "discern-transcoder-training/1"

    /// The path of checkpoint `step` under `dir`.
    static func path(_ dir: String, step: Int) -> String { dir + "/" + String(format: "checkpoint-%08d", step) }

    /// The newest complete checkpoint under `dir`, or nil.
    static func latest(in dir: String) -> String? {
        let items = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let steps = items.compactMap { f -> Int? in
            guard f.hasPrefix("checkpoint-"), FileManager.default.fileExists(atPath: dir + "/" + f + "/trainer_state.json") else { return nil }
            return Int(f.dropFirst("checkpoint-".count))
        }
        return steps.max().map { path(dir, step: $0) }
    }

    /// Writes checkpoint `step` atomically and removes all but the newest `keep`.
    /// - Throws: `TrainingError` of kind `checkpoint` on I/O failure.
    static func write(dir: String, step: Int, state: JSONObject, tensors: [String: Tensor], keep: Int) throws {
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
            try SafeTensors.write(tensors, metadata: ["format": format, "step": String(step)], to: tmp + "/state.safetensors")
            var o = state
            o["format"] = .string(format)
            o["step"] = .int(step)
            try Data(JSONValue.object(o).rendered).write(to: URL(fileURLWithPath: tmp + "/trainer_state.json"))
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
        let items = (try? fm.contentsOfDirectory(atPath: dir)) ?? []
        let steps = items.compactMap { f -> Int? in
            guard f.hasPrefix("checkpoint-"), fm.fileExists(atPath: dir + "/" + f + "/trainer_state.json") else { return nil }
            return Int(f.dropFirst("checkpoint-".count))
        }.sorted()
        for s in steps.dropLast(keep) { try? fm.removeItem(atPath: path(dir, step: s)) }
        for f in items where f.hasPrefix(".tmp-checkpoint-") && !f.hasSuffix("-\(getpid())") { try? fm.removeItem(atPath: dir + "/" + f) }
    }

    /// Reads the checkpoint at `path`: its JSON state and its tensors (memory-mapped).
    /// - Throws: `TrainingError` of kind `checkpoint` for a missing or malformed file.
    static func read(_ path: String) throws -> (state: JSONObject, tensors: SafeTensorsFile) {
        let statePath = path + "/trainer_state.json"
        guard let data = FileManager.default.contents(atPath: statePath), let v = try? JSONValue.parse(data),
              let o = v.objectValue else {
            throw TrainingError(.checkpoint, "\(statePath) is missing or not a JSON object")
        }
        guard o["format"]?.stringValue == format else {
            throw TrainingError(.checkpoint, "\(statePath) is not a transcoder training checkpoint (format \(o["format"]?.stringValue ?? "none"))")
        }
        do {
            return (o, try SafeTensorsFile(path: path + "/state.safetensors"))
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
