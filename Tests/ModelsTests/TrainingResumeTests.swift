import Foundation
import Testing
import Models
import Tensor
import TestSupport

private struct SimulatedCrash: Error {}

@Suite("training checkpoints and resume")
struct TrainingResumeTests {
    static func setup() throws -> (data: TokenDataset, held: TokenDataset, config: TrainingConfig) {
        let all = try TokenDataset.packed(TinyTraining.patternStream(16 * 44, seed: 9), blockSize: 16)
        let (train, held) = try all.split(heldOut: 4, seed: 1)
        var c = TrainingConfig(steps: 10)
        c.batchSize = 3
        c.gradAccumulation = 2
        c.lr = 5e-3
        c.minLR = 5e-4
        c.warmupSteps = 2
        c.weightDecay = 0.1
        c.evalEvery = 4
        c.checkpointEvery = 3
        c.seed = 42
        return (train, held, c)
    }

    /// Run 10 steps; separately run until a crash in step 7 (after the checkpoint of step 6), then a
    /// fresh model and trainer resume from step 6 and finish: weights, losses and evaluations equal
    /// the uninterrupted run bit for bit.
    @Test func resumeAfterACrashEqualsAnUninterruptedRun() throws {
        let (data, held, base) = try Self.setup()
        let root = try Support.tempDir("resume")
        defer { try? FileManager.default.removeItem(at: root) }
        var ca = base
        ca.checkpointDir = root.appendingPathComponent("a").path
        let a = try TinyTraining.model(seed: 5)
        let ra = try Trainer(model: a, data: data, evalData: held, config: ca).run()
        #expect(ra.completed && ra.steps == 10 && ra.resumedFrom == nil)
        #expect(ra.evalLosses.map(\.step) == [4, 8, 10])

        var cb = base
        let dirB = root.appendingPathComponent("b").path
        cb.checkpointDir = dirB
        let t1 = try Trainer(model: try TinyTraining.model(seed: 5), data: data, evalData: held, config: cb)
        t1.onProgress = { p in if p.event == .step && p.step == 7 { throw SimulatedCrash() } }
        #expect(throws: SimulatedCrash.self) { try t1.run() }
        // Leftovers of an interrupted write and an incomplete directory are ignored.
        try FileManager.default.createDirectory(atPath: dirB + "/.tmp-checkpoint-00000009-1", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dirB + "/checkpoint-00000099", withIntermediateDirectories: true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dirB).contains("checkpoint-00000006"))

        let b = try TinyTraining.model(seed: 5)
        let t2 = try Trainer(model: b, data: data, evalData: held, config: cb)
        var resumed: Int?
        var steps: [Int] = []
        t2.onProgress = { p in
            if p.event == .resumed { resumed = p.step }
            if p.event == .step { steps.append(p.step) }
        }
        let rb = try t2.run()
        #expect(resumed == 6 && rb.resumedFrom == 6)
        #expect(steps == [7, 8, 9, 10])
        #expect(rb.losses == ra.losses)
        #expect(rb.evalLosses == ra.evalLosses)
        #expect(rb.tokensSeen == ra.tokensSeen)
        for (name, w) in a.parameters {
            #expect(try Fixture.maxAbsDiff(w, b.parameters[name]!) == 0, "\(name) differs after resuming")
        }
        // The newest two checkpoints are kept (9 and the final 10).
        let kept = try FileManager.default.contentsOfDirectory(atPath: dirB).filter { $0.hasPrefix("checkpoint-0") && $0 != "checkpoint-00000099" }.sorted()
        #expect(kept == ["checkpoint-00000009", "checkpoint-00000010"])

        // Rerunning a finished configuration resumes at the end and trains nothing more.
        let c = try TinyTraining.model(seed: 5)
        let rc = try Trainer(model: c, data: data, evalData: held, config: cb).run()
        #expect(rc.resumedFrom == 10 && rc.steps == 10 && rc.losses == ra.losses)
        #expect(try Fixture.maxAbsDiff(c.parameters["transformer.h.1.mlp.c_fc.weight"]!, a.parameters["transformer.h.1.mlp.c_fc.weight"]!) == 0)

        // A checkpoint of another configuration is refused, naming both hashes.
        var other = cb
        other.lr = 1e-3
        #expect { try Trainer(model: try TinyTraining.model(seed: 5), data: data, evalData: held, config: other).run() }
            throws: { ($0 as? TrainingError)?.kind == .checkpoint && "\($0)".contains("different configuration") }
        // So is one made from a different initial model.
        #expect { try Trainer(model: try TinyTraining.model(seed: 6), data: data, evalData: held, config: cb).run() }
            throws: { ($0 as? TrainingError)?.kind == .checkpoint }
    }

    /// A time limit or the stop hook ends the run with a checkpoint; the next run finishes it, and the
    /// result equals an uninterrupted run.
    @Test func stopHookAndTimeLimitCheckpointAndResume() throws {
        var (data, _, c) = try Self.setup()
        c.steps = 6
        c.evalEvery = nil
        c.checkpointEvery = nil
        let root = try Support.tempDir("stop")
        defer { try? FileManager.default.removeItem(at: root) }
        let a = try TinyTraining.model(seed: 3)
        let ra = try Trainer(model: a, data: data, config: c).run()

        c.checkpointDir = root.path
        c.maxSeconds = 0
        let b = try TinyTraining.model(seed: 3)
        let r1 = try Trainer(model: b, data: data, config: c).run()
        #expect(r1.stopReason == "max_seconds" && r1.steps == 1 && !r1.completed)
        c.maxSeconds = nil
        let t = try Trainer(model: try TinyTraining.model(seed: 3), data: data, config: c)
        t.shouldStop = { $0.step >= 4 }
        let r2 = try t.run()
        #expect(r2.stopReason == "stopped" && r2.steps == 4 && r2.resumedFrom == 1)
        let last = try TinyTraining.model(seed: 3)
        let r3 = try Trainer(model: last, data: data, config: c).run()
        #expect(r3.completed && r3.resumedFrom == 4 && r3.losses == ra.losses)
        for (name, w) in a.parameters { #expect(try Fixture.maxAbsDiff(w, last.parameters[name]!) == 0, "\(name)") }
        let state = try String(contentsOfFile: root.path + "/checkpoint-00000006/trainer_state.json", encoding: .utf8)
        #expect(state.contains("\"config_hash\": \"\(r3.configHash)\"") && state.contains("\"position\": 36"))
    }
}
