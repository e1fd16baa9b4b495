// Checkpoints of a training run: written atomically, found again after a crash.
import Foundation
import JSON
import Tensor

#if canImport(Glibc)
import Glibc
#endif

/// The resumable state of a training run after a whole optimizer step.
struct TrainingState {
    /// Optimizer steps completed.
    var step = 0
    /// Examples consumed (the position in the data order; epoch = position / examples).
    var position = 0
    /// Real tokens processed.
    var tokensSeen = 0
    /// Seconds spent training, over every run.
    var elapsed = 0.0
    /// Training loss of each completed step.
    var losses: [Double] = []
    /// (step, held-out loss) of each evaluation.
    var evalLosses: [(step: Int, loss: Double)] = []
}

/// Reading and writing checkpoint directories.
///
/// A checkpoint is a directory `checkpoint-NNNNNNNN` (the step) under the run's checkpoint
/// directory, holding `state.safetensors` (the trainable tensors as `param/<name>` and AdamW's
/// moments as `exp_avg/<name>`, `exp_avg_sq/<name>`) and `trainer_state.json` (step, data
/// position, per-parameter AdamW step counts, the data-order seed, loss history and the
/// configuration hash). It is written under a temporary name, flushed to disk, and renamed into
/// place, so a crash (even `kill -9`) leaves either the complete checkpoint or none; a rerun takes
/// the newest complete one. The data order needs no generator state: it is a pure function of the
/// seed and the position (see `DataOrder`), and training draws no other random numbers.
enum TrainingCheckpoint {
    static let format = 1

    /// The path of checkpoint `step` under `dir`.
    static func path(_ dir: String, step: Int) -> String { dir + "/" + String(format: "checkpoint-%08d", step) }

    /// The newest complete checkpoint under `dir`, or nil.
    static func latest(in dir: String) -> (path: String, step: Int)? {
        let items = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var best: (String, Int)?
        for f in items where f.hasPrefix("checkpoint-") {
            guard let n = Int(f.dropFirst("checkpoint-".count)),
                  FileManager.default.fileExists(atPath: dir + "/" + f + "/trainer_state.json") else { continue }
            if best == nil || n > best!.1 { best = (dir + "/" + f, n) }
        }
        return best
    }

    /// Writes a checkpoint atomically and removes all but the newest `keep`.
    /// - Throws: `TrainingError` of kind `checkpoint` on I/O failure.
    static func write(dir: String, state: TrainingState, configHash: String, seed: UInt64, tensors: [String: Tensor],
                      adamSteps: [String: Int], summary: JSONObject, keep: Int) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw TrainingError(.checkpoint, "cannot create checkpoint directory \(dir): \(error.localizedDescription)")
        }
        let final = path(dir, step: state.step)
        let tmp = dir + "/.tmp-" + (final as NSString).lastPathComponent + "-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        do {
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: false)
            try SafeTensors.write(tensors, metadata: ["format": "discern-training", "step": String(state.step)],
                                  to: tmp + "/state.safetensors")
            var o = JSONObject()
            o["format"] = .int(format)
            o["step"] = .int(state.step)
            o["position"] = .int(state.position)
            o["tokens_seen"] = .int(state.tokensSeen)
            o["elapsed_seconds"] = .double(state.elapsed)
            o["config_hash"] = .string(configHash)
            o["rng"] = .object(JSONObject([("kind", .string("splitmix64-fisher-yates-per-epoch")),
                                           ("seed", .string(String(seed)))]))
            o["adam_steps"] = .object(JSONObject(adamSteps.keys.sorted().map { ($0, .int(adamSteps[$0]!)) }))
            o["losses"] = .array(state.losses.map { .double($0) })
            o["eval_losses"] = .array(state.evalLosses.map { .array([.int($0.step), .double($0.loss)]) })
            o["config"] = .object(summary)
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
        // Keep the newest `keep` checkpoints; drop leftovers of interrupted writes.
        let items = (try? fm.contentsOfDirectory(atPath: dir)) ?? []
        let steps = items.compactMap { f -> Int? in
            guard f.hasPrefix("checkpoint-"), fm.fileExists(atPath: dir + "/" + f + "/trainer_state.json") else { return nil }
            return Int(f.dropFirst("checkpoint-".count))
        }.sorted()
        for s in steps.dropLast(keep) { try? fm.removeItem(atPath: path(dir, step: s)) }
        for f in items where f.hasPrefix(".tmp-checkpoint-") && !f.hasSuffix("-\(getpid())") { try? fm.removeItem(atPath: dir + "/" + f) }
    }

    /// Flushes a file or directory to disk.
    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TrainingError(.checkpoint, "cannot open \(path) to flush it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw TrainingError(.checkpoint, "cannot flush \(path): \(String(cString: strerror(errno)))") }
    }

    /// A checkpoint read back.
    struct Loaded {
        let path: String
        let state: TrainingState
        let configHash: String
        let adamSteps: [String: Int]
        let tensors: SafeTensorsFile
    }

    /// Reads the checkpoint at `path`.
    /// - Throws: `TrainingError` of kind `checkpoint` for a missing or malformed file.
    static func read(_ path: String) throws -> Loaded {
        let statePath = path + "/trainer_state.json"
        guard let data = FileManager.default.contents(atPath: statePath), let v = try? JSONValue.parse(data),
              let o = v.objectValue else {
            throw TrainingError(.checkpoint, "\(statePath) is missing or not a JSON object")
        }
        func int(_ k: String) throws -> Int {
            guard let n = o[k]?.intValue else { throw TrainingError(.checkpoint, "\(statePath): no integer \"\(k)\"") }
            return n
        }
        guard try int("format") == format else {
            throw TrainingError(.checkpoint, "\(statePath): format \(o["format"]?.intValue ?? -1) is not \(format)")
        }
        guard let hash = o["config_hash"]?.stringValue else { throw TrainingError(.checkpoint, "\(statePath): no \"config_hash\"") }
        var st = TrainingState()
        st.step = try int("step")
        st.position = try int("position")
        st.tokensSeen = try int("tokens_seen")
        st.elapsed = o["elapsed_seconds"]?.doubleValue ?? 0
        st.losses = (o["losses"]?.arrayValue ?? []).compactMap(\.doubleValue)
        st.evalLosses = (o["eval_losses"]?.arrayValue ?? []).compactMap { e in
            guard let a = e.arrayValue, a.count == 2, let s = a[0].intValue, let l = a[1].doubleValue else { return nil }
            return (s, l)
        }
        var steps: [String: Int] = [:]
        for (k, v) in o["adam_steps"]?.objectValue?.pairs ?? [] { steps[k] = v.intValue }
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(path: path + "/state.safetensors")
        } catch {
            throw TrainingError(.checkpoint, "\(path)/state.safetensors: \(error)")
        }
        return Loaded(path: path, state: st, configHash: hash, adamSteps: steps, tensors: file)
    }
}
