// Checkpoints of a training run: written atomically, found again after a crash.
import Foundation
import JSON
import Tensor

/// The resumable state of a training run after a whole optimizer step.
struct TrainingState: TrainingLoopState {
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

/// Reading and writing `Trainer`'s checkpoints (the layout is `CheckpointDirectory`'s).
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
    static func path(_ dir: String, step: Int) -> String { CheckpointDirectory.path(dir, step: step) }

    /// The newest complete checkpoint under `dir`, or nil.
    static func latest(in dir: String) -> (path: String, step: Int)? { CheckpointDirectory.latest(in: dir) }

    /// Writes a checkpoint atomically and removes all but the newest `keep`.
    /// - Throws: `TrainingError` of kind `checkpoint` on I/O failure.
    static func write(dir: String, state: TrainingState, configHash: String, seed: UInt64, tensors: [String: Tensor],
                      adamSteps: [String: Int], summary: JSONObject, keep: Int) throws {
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
        try CheckpointDirectory.write(dir: dir, step: state.step, tensors: tensors, tensorFormat: "discern-training", state: o,
                                      keep: keep)
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
        let (o, statePath, file) = try CheckpointDirectory.read(path)
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
        return Loaded(path: path, state: st, configHash: hash, adamSteps: steps, tensors: file)
    }
}
