// The loop every trainer runs: steps until the configured count, periodic checkpoints, resuming
// from the newest checkpoint, early stops (max_seconds, the stop hook) and timing.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The counters a training loop advances; a trainer's checkpointed state conforms.
package protocol TrainingLoopState {
    /// Optimizer steps completed.
    var step: Int { get set }
    /// Seconds spent in steps, over every run.
    var elapsed: Double { get set }
}

/// Drives a training run for `Trainer` and `TranscoderTrainer`, which supply the step, the
/// checkpoint format and the progress reports.
///
/// The order of events is fixed (resuming equals an uninterrupted run because of it): resume from
/// the newest checkpoint under `checkpointDir` (when `resume`); then per step: the step, the step
/// count, timing, `afterStep` (progress, evaluation); nothing more after the last step; a checkpoint
/// every `checkpointEvery` steps; then `maxSeconds` and the stop hook, either of which writes a
/// checkpoint (unless one was just written) and ends the run. A completed run calls `completed`
/// and then writes a final checkpoint unless it resumed at the final step.
package final class TrainingLoop<State: TrainingLoopState> {
    /// What ends the loop and where checkpoints go.
    package struct Options {
        /// Optimizer steps to reach.
        package var steps: Int
        /// Write a checkpoint every this many steps (nil: only when stopping and at the end).
        package var checkpointEvery: Int?
        /// Stop after this many seconds of the run (checked after each step).
        package var maxSeconds: Double?
        /// Where checkpoints go; nil writes none.
        package var checkpointDir: String?
        /// Continue from the newest checkpoint under `checkpointDir`.
        package var resume: Bool

        /// Creates the options.
        package init(steps: Int, checkpointEvery: Int?, maxSeconds: Double?, checkpointDir: String?, resume: Bool) {
            self.steps = steps
            self.checkpointEvery = checkpointEvery
            self.maxSeconds = maxSeconds
            self.checkpointDir = checkpointDir
            self.resume = resume
        }
    }

    /// Why a run ended, as `TrainingResult.stopReason` spells it.
    package enum StopReason: String {
        case completed
        case maxSeconds = "max_seconds"
        case stopped
    }

    /// The options.
    package let options: Options
    /// The counters (and whatever else the trainer checkpoints).
    package var state: State
    /// When this run started (`now()`).
    package let started: Double
    /// The step of the checkpoint this run resumed from, if it resumed.
    package private(set) var resumedFrom: Int?
    /// Tokens this run's steps reported.
    package private(set) var runTokens = 0
    /// Seconds this run spent in steps.
    package private(set) var runSeconds = 0.0

    /// Starts the clock of a run from `state`.
    package init(state: State, options: Options) {
        self.options = options
        self.state = state
        started = Self.now()
    }

    /// Tokens per second of this run's steps (0 before the first).
    package var tokensPerSecond: Double { runSeconds > 0 ? Double(runTokens) / runSeconds : 0 }

    /// Seconds since the run started.
    package var elapsedInRun: Double { Self.now() - started }

    /// Resumes from the newest checkpoint when the options ask for it and there is one.
    /// - Parameter load: reads the checkpoint at a path into the trainer and returns its state.
    /// - Returns: the checkpoint resumed from, or nil.
    /// - Throws: what `load` throws.
    @discardableResult
    package func resumeIfPossible(_ load: (String) throws -> State) throws -> String? {
        guard let dir = options.checkpointDir, options.resume, let latest = CheckpointDirectory.latest(in: dir) else { return nil }
        state = try load(latest.path)
        resumedFrom = state.step
        return latest.path
    }

    /// Runs steps until `options.steps` are done or an early stop.
    /// - Parameters:
    ///   - step: one optimizer step at `state.step` (not yet incremented); returns the tokens it used.
    ///   - afterStep: called after each step is counted (progress reports, evaluation).
    ///   - checkpoint: writes a checkpoint of `state` (only called with a `checkpointDir`).
    ///   - shouldStop: asked after each step that is not the last; true stops the run.
    ///   - completed: called when every step is done, before the final checkpoint.
    /// - Returns: why the run ended.
    /// - Throws: what the closures throw.
    package func run(step: () throws -> Int, afterStep: () throws -> Void, checkpoint: () throws -> Void,
                     shouldStop: () -> Bool, completed: () throws -> Void = {}) throws -> StopReason {
        let o = options
        func writeCheckpoint() throws { if o.checkpointDir != nil { try checkpoint() } }
        var reason = StopReason.completed
        while state.step < o.steps {
            let t0 = Self.now()
            let tokens = try step()
            state.step += 1
            let dt = Self.now() - t0
            runTokens += tokens
            runSeconds += dt
            state.elapsed += dt
            try afterStep()
            if state.step == o.steps { break }
            if let c = o.checkpointEvery, state.step % c == 0 { try writeCheckpoint() }
            if let m = o.maxSeconds, Self.now() - started >= m {
                reason = .maxSeconds
            } else if shouldStop() {
                reason = .stopped
            }
            if reason != .completed {
                if o.checkpointEvery == nil || state.step % o.checkpointEvery! != 0 { try writeCheckpoint() }
                break
            }
        }
        if reason == .completed {
            try completed()
            if o.checkpointDir != nil, resumedFrom != state.step { try checkpoint() }
        }
        return reason
    }

    /// Seconds on the monotonic clock.
    package static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
