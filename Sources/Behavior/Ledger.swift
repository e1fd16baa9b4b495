import Foundation
import Synchronization

/// What a run (or one of its steps) consumed.
///
/// `generatedTokens` and `prefillTokens` count what the run *used*, whether the samples came from
/// the model or from the store's cache (`cachedSamples` says how many were cached), so a resumed
/// run spends its budget exactly as the uninterrupted run would and reaches the same findings.
/// `forwardPasses` and `seconds` count only work done in this process.
public struct LedgerCounts: Sendable, Equatable, Codable {
    /// Prompts sampled (each counted once per sampling call, whatever n is).
    public var prompts = 0
    /// Completions used.
    public var samples = 0
    /// Completions that came from the store instead of the model.
    public var cachedSamples = 0
    /// Prompt tokens processed before generating (one prompt per sample), and prompt tokens of
    /// forward-only work such as scoring or screening.
    public var prefillTokens = 0
    /// Tokens generated (a final EOS included).
    public var generatedTokens = 0
    /// Forward passes run in this process (a batch counts once).
    public var forwardPasses = 0
    /// Wall time spent, in seconds.
    public var seconds = 0.0

    /// Zero counts.
    public init() {}

    /// Total model compute in tokens: prefill plus generated.
    public var computeTokens: Int { prefillTokens + generatedTokens }

    /// Adds another count field by field.
    public static func += (a: inout LedgerCounts, b: LedgerCounts) {
        a.prompts += b.prompts
        a.samples += b.samples
        a.cachedSamples += b.cachedSamples
        a.prefillTokens += b.prefillTokens
        a.generatedTokens += b.generatedTokens
        a.forwardPasses += b.forwardPasses
        a.seconds += b.seconds
    }
}

/// Limits on what a run may consume; nil means no limit.
public struct Budget: Sendable, Equatable, Codable {
    /// Generated tokens (cached ones included, see `LedgerCounts`).
    public var generatedTokens: Int?
    /// Prefill/forward tokens.
    public var forwardTokens: Int?
    /// Wall time of the steps, in seconds.
    public var seconds: Double?

    /// A budget; every limit must be positive.
    /// - Throws: `BehaviorError` for a limit ≤ 0 or not finite.
    public init(generatedTokens: Int? = nil, forwardTokens: Int? = nil, seconds: Double? = nil) throws {
        if let g = generatedTokens, g <= 0 { throw BehaviorError("budget: generated_tokens must be > 0, got \(g)") }
        if let f = forwardTokens, f <= 0 { throw BehaviorError("budget: forward_tokens must be > 0, got \(f)") }
        if let s = seconds, !(s > 0 && s.isFinite) { throw BehaviorError("budget: seconds must be a positive number, got \(s)") }
        (self.generatedTokens, self.forwardTokens, self.seconds) = (generatedTokens, forwardTokens, seconds)
    }

    /// Which limit `counts` has reached, in words, or nil while within budget.
    public func exceeded(by counts: LedgerCounts) -> String? {
        if let g = generatedTokens, counts.generatedTokens >= g {
            return "generated tokens \(counts.generatedTokens) reached the budget of \(g)"
        }
        if let f = forwardTokens, counts.prefillTokens >= f {
            return "forward tokens \(counts.prefillTokens) reached the budget of \(f)"
        }
        if let s = seconds, counts.seconds >= s {
            return String(format: "wall time %.1f s reached the budget of %.1f s", counts.seconds, s)
        }
        return nil
    }
}

/// The run's budget was reached; work done so far is kept (samples are cached as they are made).
public struct BudgetExceeded: Error, CustomStringConvertible, Sendable {
    /// Which limit was reached.
    public let reason: String
    /// The step that was stopped.
    public let step: String
    /// The message.
    public var description: String { "budget reached in step '\(step)': \(reason)" }
}

/// Counts prompts, tokens, forward passes and wall time per named step of a run, and enforces a
/// budget. Thread-safe.
public final class Ledger: Sendable {
    private struct State {
        var order: [String] = []
        var steps: [String: LedgerCounts] = [:]
    }
    private let state = Mutex(State())
    /// The run's limits.
    public let budget: Budget

    /// An empty ledger with a budget (none by default).
    public init(budget: Budget? = nil) {
        self.budget = budget ?? (try! Budget())
    }

    /// Adds counts to a step (created on first use, steps keep their first-use order).
    public func add(_ step: String, _ counts: LedgerCounts) {
        state.withLock { s in
            if s.steps[step] == nil { s.order.append(step) }
            s.steps[step, default: LedgerCounts()] += counts
        }
    }

    /// The steps in first-use order with their counts.
    public var steps: [(step: String, counts: LedgerCounts)] {
        state.withLock { s in s.order.map { ($0, s.steps[$0]!) } }
    }

    /// The sum over every step.
    public var total: LedgerCounts {
        state.withLock { s in s.steps.values.reduce(into: LedgerCounts()) { $0 += $1 } }
    }

    /// Which limit the run has reached, or nil.
    public func exceeded() -> String? { budget.exceeded(by: total) }

    /// Throws `BudgetExceeded` when a limit is reached.
    public func check(step: String) throws {
        if let reason = exceeded() { throw BudgetExceeded(reason: reason, step: step) }
    }
}
