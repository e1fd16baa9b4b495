// Learning-rate schedules: linear warmup, then constant, linear or cosine decay to a floor.
import Foundation

/// A learning-rate schedule with HF transformers' formulas (`get_cosine_with_min_lr_schedule_with_warmup`,
/// `get_linear_schedule_with_warmup`, `get_constant_schedule_with_warmup`), for 0-based optimizer steps.
///
/// During warmup (step < w) the rate is `peak · step / max(1, w)` — so step 0 runs at 0 when
/// w > 0, as in HF. After it, with progress p = (step − w) / max(1, total − w) clamped to [0, 1] and
/// r = minLR / peak:
/// - cosine: `peak · (½(1 + cos(π p)) · (1 − r) + r)` (cosine decay from peak to minLR);
/// - linear: `peak · (max(0, (total − step) / max(1, total − w)) · (1 − r) + r)` (HF's when minLR = 0);
/// - constant: `peak`.
///
/// HF's cosine rises again past `total`; here progress is clamped, so the rate stays at minLR.
public struct LRSchedule: Sendable, Equatable {
    /// The decay after warmup.
    public enum Shape: String, Sendable, CaseIterable {
        /// Constant at the peak rate.
        case constant
        /// Linear decay from the peak to `minLR` at `totalSteps`.
        case linear
        /// Half-cosine decay from the peak to `minLR` at `totalSteps`.
        case cosine
    }

    /// The decay after warmup.
    public var shape: Shape
    /// The peak learning rate (reached at the end of warmup).
    public var peak: Double
    /// The floor the decay ends at.
    public var minLR: Double
    /// Steps of linear warmup from 0.
    public var warmupSteps: Int
    /// The step at which the decay reaches `minLR` (the length of training).
    public var totalSteps: Int

    /// Creates a schedule.
    public init(shape: Shape = .cosine, peak: Double, minLR: Double = 0, warmupSteps: Int = 0, totalSteps: Int) {
        self.shape = shape
        self.peak = peak
        self.minLR = minLR
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// Checks the values.
    /// - Throws: `TrainingError` of kind `option` naming the bad value.
    public func validate() throws {
        guard peak >= 0, peak.isFinite else { throw TrainingError(.option, "lr must be a non-negative number, got \(peak)") }
        guard minLR >= 0, minLR <= peak else { throw TrainingError(.option, "min_lr must be in [0, lr = \(peak)], got \(minLR)") }
        guard warmupSteps >= 0 else { throw TrainingError(.option, "warmup_steps must be non-negative, got \(warmupSteps)") }
        guard totalSteps > 0 else { throw TrainingError(.option, "steps must be positive, got \(totalSteps)") }
    }

    /// The learning rate of the 0-based optimizer step `step`.
    public func lr(at step: Int) -> Double { peak * factor(at: step) }

    /// The multiplier of the peak rate at `step` (HF's `lr_lambda`).
    public func factor(at step: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(Swift.max(1, warmupSteps)) }
        let r = peak > 0 ? minLR / peak : 0
        switch shape {
        case .constant:
            return 1
        case .linear:
            let f = Swift.max(0, Double(totalSteps - step) / Double(Swift.max(1, totalSteps - warmupSteps)))
            return f * (1 - r) + r
        case .cosine:
            let progress = Swift.min(1, Double(step - warmupSteps) / Double(Swift.max(1, totalSteps - warmupSteps)))
            let f = 0.5 * (1.0 + Foundation.cos(Double.pi * 0.5 * 2.0 * progress))
            return Swift.max(0, f * (1 - r) + r)
        }
    }
}
