// Checkpoints of a transcoder training run: written atomically, found again after a crash.
import Foundation
import JSON
import Models
import Tensor

/// A transcoder training run's checkpoints, in `CheckpointDirectory`'s layout (as `Trainer`'s).
enum TranscoderCheckpoint {
    static let format = "discern-transcoder-training/1"

    /// The path of checkpoint `step` under `dir`.
    static func path(_ dir: String, step: Int) -> String { CheckpointDirectory.path(dir, step: step) }

    /// The newest complete checkpoint under `dir`, or nil.
    static func latest(in dir: String) -> String? { CheckpointDirectory.latest(in: dir)?.path }

    /// Writes checkpoint `step` atomically and removes all but the newest `keep`.
    /// - Throws: `TrainingError` of kind `checkpoint` on I/O failure.
    static func write(dir: String, step: Int, state: JSONObject, tensors: [String: Tensor], keep: Int) throws {
        var o = state
        o["format"] = .string(format)
        o["step"] = .int(step)
        try CheckpointDirectory.write(dir: dir, step: step, tensors: tensors, tensorFormat: format, state: o, keep: keep)
    }

    /// Reads the checkpoint at `path`: its JSON state and its tensors (memory-mapped).
    /// - Throws: `TrainingError` of kind `checkpoint` for a missing or malformed file.
    static func read(_ path: String) throws -> (state: JSONObject, tensors: SafeTensorsFile) {
        let (o, statePath, file) = try CheckpointDirectory.read(path)
        guard o["format"]?.stringValue == format else {
            throw TrainingError(.checkpoint, "\(statePath) is not a transcoder training checkpoint (format \(o["format"]?.stringValue ?? "none"))")
        }
        return (o, file)
    }
}
