import Dispatch

/// A value handed to worker threads that the caller guarantees they use without races
/// (disjoint slices of one buffer, read-only data).
struct Unchecked<T>: @unchecked Sendable {
    let value: T
}

/// Runs `body(0) … body(count − 1)` on Dispatch's worker threads and waits for all of them.
///
/// `body` may capture pointers: each call must touch only its own part of any shared buffer.
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    guard count > 1 else {
        if count == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { b in
        let box = Unchecked(value: b)
        DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
    }
}
