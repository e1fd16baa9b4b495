// Hook points with TransformerLens names: caching activations, replacing them, freezing them
// (detach) and reading gradients at them.
import Tensor

/// What a forward pass does at its hook points: functions to call, activations to cache.
///
/// A hook function receives the activation and the full hook name and returns a replacement
/// tensor (same shape) or nil to keep the activation. Hooks run in the order they were added.
/// Activations that match `cacheFilter` are stored in `cache` after the hooks ran; with
/// `retainGrad`, a cached activation is made a gradient-tracking node (a leaf when nothing upstream
/// requires grad), so that after `backward` its `grad()` is the gradient at that hook.
public final class HookContext {
    /// A hook function: activation and hook name in, replacement (or nil) out.
    public typealias Function = (Tensor, String) throws -> Tensor?

    private var named: [String: [Function]] = [:]
    private var filtered: [(filter: (String) -> Bool, fn: Function)] = []
    /// Which activations to cache (nil: none).
    public var cacheFilter: ((String) -> Bool)?
    /// Whether cached activations keep gradients (see the type's documentation).
    public var retainGrad = false
    /// Activations stored during the last forward pass, by full hook name.
    public private(set) var cache: [String: Tensor] = [:]

    /// Creates an empty context.
    public init() {}

    /// Adds `fn` at the hook named `name`.
    public func add(_ name: String, _ fn: @escaping Function) { named[name, default: []].append(fn) }

    /// Adds `fn` at every hook whose name satisfies `filter`.
    public func add(where filter: @escaping (String) -> Bool, _ fn: @escaping Function) { filtered.append((filter, fn)) }

    /// Replaces the activation at `name` with `value`, detached from the graph (a frozen value).
    public func freeze(_ name: String, to value: Tensor) {
        add(name) { _, _ in try value.detach() }
    }

    /// Detaches the activation at `name` from the graph: gradients do not flow through it.
    public func detach(_ name: String) {
        add(name) { x, _ in try x.detach() }
    }

    /// Whether anything happens at hook `name`.
    public func wants(_ name: String) -> Bool {
        if named[name] != nil || cacheFilter?(name) == true { return true }
        return filtered.contains { $0.filter(name) }
    }

    /// True when the context has any hook functions or a cache filter.
    public var isActive: Bool { !named.isEmpty || !filtered.isEmpty || cacheFilter != nil }

    /// Forgets cached activations.
    public func clearCache() { cache.removeAll() }

    /// Runs the hooks for `name` on `x` and caches the result if asked to.
    /// - Throws: whatever a hook function throws, or `ModelError` when a replacement's shape differs.
    public func apply(_ name: String, _ x: Tensor) throws -> Tensor {
        var x = x
        if let fns = named[name] {
            for fn in fns { x = try replace(x, with: fn(x, name), name: name) }
        }
        for f in filtered where f.filter(name) { x = try replace(x, with: f.fn(x, name), name: name) }
        if cacheFilter?(name) == true {
            if retainGrad {
                if x.requiresGrad {
                    try x.retainGrad()
                } else {
                    x = try x.detach().requiresGrad(true)
                }
            }
            cache[name] = x
        }
        return x
    }

    private func replace(_ x: Tensor, with r: Tensor?, name: String) throws -> Tensor {
        guard let r else { return x }
        guard r.shape == x.shape else {
            throw ModelError("hook \(name): the replacement has shape \(r.shape), the activation has \(x.shape)")
        }
        return r
    }
}

extension HookContext? {
    /// Applies the hooks at `blocks.<layer>.<suffix>` (or `<suffix>` when layer is nil).
    @inline(__always)
    func at(_ layer: Int?, _ suffix: String, _ x: Tensor) throws -> Tensor {
        guard let ctx = self else { return x }
        return try ctx.apply(layer.map { "blocks.\($0).\(suffix)" } ?? suffix, x)
    }

    /// Whether anything happens at `blocks.<layer>.<suffix>`.
    func wants(_ layer: Int?, _ suffix: String) -> Bool {
        guard let ctx = self else { return false }
        return ctx.wants(layer.map { "blocks.\($0).\(suffix)" } ?? suffix)
    }
}
