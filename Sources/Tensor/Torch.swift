import CTorchABI

#if canImport(Glibc)
import Glibc
#endif

/// Process-wide access to the torch backend: loading, build information, threads, grad mode.
///
/// The backend (libCTorch.so) is opened on first use. It is looked for, in order, at
/// `$DISCERN_TORCH_BACKEND` (a file, or a directory holding libCTorch.so), next to the image
/// that contains this module (the `discern` executable or the Lua module), and next to the
/// running executable.
public enum Torch {
    struct Loaded {
        let api: dt_api
        let path: String
    }

    static let state: Result<Loaded, TorchError> = load()

    /// The function table; throws when the backend could not be loaded.
    @inline(__always) static func api() throws -> dt_api {
        switch state {
        case .success(let l): return l.api
        case .failure(let e): throw e
        }
    }

    /// Loads the backend if needed.
    /// - Throws: `TorchError` of kind `backend` naming the paths tried, or the ABI mismatch.
    public static func ensureLoaded() throws { _ = try api() }

    /// The file the backend was loaded from, or nil when loading failed.
    public static var backendPath: String? { try? state.get().path }

    /// The places searched for the backend, in order.
    public static func candidatePaths() -> [String] {
        var out: [String] = []
        if let env = getenv("DISCERN_TORCH_BACKEND").map({ String(cString: $0) }), !env.isEmpty {
            out.append(isDirectory(env) ? env + "/libCTorch.so" : env)
            return out
        }
        var buf = [CChar](repeating: 0, count: 4096)
        if dt_self_path(&buf, buf.count) != 0 {
            out.append(directory(of: absolute(cString(buf))) + "/libCTorch.so")
        }
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 {
            buf[n] = 0
            let p = directory(of: cString(buf)) + "/libCTorch.so"
            if !out.contains(p) { out.append(p) }
        }
        return out
    }

    static func load() -> Result<Loaded, TorchError> {
        // ATen's OpenMP pool and OpenBLAS's pthread pool alternate on the same cores; by default
        // both spin-wait after each parallel region, and on a small machine each pool's spinning
        // threads starve the other (measured: a 2-thread GPT-2 decoding step 4-10× slower than
        // 1 thread). Let idle threads sleep instead. Both libraries read these variables when they
        // are loaded, which is below; a value the user set is kept.
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0)
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0)
        let candidates = candidatePaths()
        var errbuf = [CChar](repeating: 0, count: 2048)
        for path in candidates where access(path, F_OK) == 0 {
            guard let api = dt_load(path, &errbuf, errbuf.count) else {
                return .failure(TorchError(.backend, cString(errbuf)))
            }
            let loaded = Loaded(api: api.pointee, path: absolute(path))
            // One thread count for ATen and OpenBLAS: $DISCERN_NUM_THREADS, else every core.
            let env = getenv("DISCERN_NUM_THREADS").flatMap { Int32(String(cString: $0)) }
            let n = env ?? Int32(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            // A failure here keeps libtorch's default thread count; setNumThreads reports one.
            if let err = loaded.api.set_num_threads(Swift.max(1, n)) { loaded.api.err_free(err) }
            return .success(loaded)
        }
        return .failure(TorchError(.backend, """
            torch backend libCTorch.so not found (looked at \(candidates.joined(separator: ", "))); \
            build it with `swift build` or Scripts/build-torch-backend.sh and put it next to the \
            discern binary, or set DISCERN_TORCH_BACKEND to its path
            """))
    }

    /// The backend's build description as JSON (ABI, libtorch version, compiler, CUDA, build kind).
    public static func buildInfo() throws -> String {
        var out: UnsafePointer<CChar>?
        try check(try api().build_info(&out))
        return out.map { String(cString: $0) } ?? "{}"
    }

    /// libtorch's own configuration summary (`at::show_config()`).
    public static func showConfig() throws -> String {
        let a = try api()
        var out: UnsafeMutablePointer<CChar>?
        try check(a.show_config(&out))
        defer { a.err_free(out) }
        return out.map { String(cString: $0) } ?? ""
    }

    /// Sets the intra-op thread count of ATen and of OpenBLAS (which Debian's libtorch uses for matmul).
    public static func setNumThreads(_ n: Int) throws {
        guard n >= 1 else { throw TorchError(.value, "thread count must be at least 1, got \(n)") }
        try check(try api().set_num_threads(Int32(clamping: n)))
    }

    /// ATen's intra-op thread count.
    public static func numThreads() throws -> Int {
        var n: Int32 = 0
        try check(try api().get_num_threads(&n))
        return Int(n)
    }

    /// OpenBLAS's thread count, or nil when the backend's BLAS is not OpenBLAS.
    public static func blasThreads() throws -> Int? {
        let n = try api().blas_num_threads()
        return n < 0 ? nil : Int(n)
    }

    /// The number of CUDA devices the backend can use (0 for a CPU-only build).
    /// - Throws: `TorchError` when the CUDA runtime fails to initialise.
    public static func cudaDeviceCount() throws -> Int {
        var n: Int32 = 0
        try check(try api().cuda_device_count(&n))
        return Int(n)
    }

    /// The number of tensor handles the backend has handed out and not yet freed.
    public static func liveTensors() throws -> Int { Int(try api().live_tensors()) }

    /// Seeds the backend's global CPU generator (used where no explicit generator is given).
    public static func manualSeed(_ seed: UInt64) throws { try check(try api().manual_seed(seed)) }

    /// Whether autograd records operations on this thread.
    public static func isGradEnabled() throws -> Bool { try api().grad_enabled() != 0 }

    /// Runs `body` with autograd recording switched off (restored afterwards, also on throw).
    public static func noGrad<T>(_ body: () throws -> T) throws -> T {
        try withGradEnabled(false, body)
    }

    /// Runs `body` with autograd recording switched on or off (restored afterwards, also on throw).
    public static func withGradEnabled<T>(_ on: Bool, _ body: () throws -> T) throws -> T {
        let a = try api()
        let before = a.grad_enabled()
        a.set_grad_enabled(on ? 1 : 0)
        defer { a.set_grad_enabled(before) }
        return try body()
    }

    private static let heapTuning: Void = {
        // glibc serves allocations above M_MMAP_THRESHOLD (128 KiB, raised dynamically up to 32 MiB)
        // with fresh mmaps and returns heap tops above M_TRIM_THRESHOLD to the kernel; a training
        // step allocates and frees tens of MB of activations and gradients, so both make it
        // fault in and zero the same memory again every step (measured: ~20k page faults per step
        // of the benchmark model, 10-15% of its CPU time). Variables the user set win.
        _ = dt_set_heap_thresholds(getenv("MALLOC_MMAP_THRESHOLD_") == nil ? 32 << 20 : 0,
                                   getenv("MALLOC_TRIM_THRESHOLD_") == nil ? 256 << 20 : 0)
    }()

    /// Keeps tensor-sized allocations (up to 32 MiB) in the heap and up to 256 MiB of freed heap
    /// in the process (glibc `mallopt` M_MMAP_THRESHOLD / M_TRIM_THRESHOLD), so that a training
    /// loop reuses pages instead of mapping and zero-filling them anew each step. Process-wide,
    /// applied once; `MALLOC_MMAP_THRESHOLD_` / `MALLOC_TRIM_THRESHOLD_` set by the user win.
    package static func keepTensorMemoryInHeap() { heapTuning }

    /// Runs `n` tiny adds inside the backend's C++ and returns the wall time in seconds (benchmark reference).
    public static func benchAddLoop(_ n: Int) throws -> Double {
        var s = 0.0
        try check(try api().bench_add_loop(Int64(n), &s))
        return s
    }

    @inline(__always) static func check(_ err: UnsafeMutablePointer<CChar>?) throws {
        if let err {
            let a = try api()
            throw TorchError.take(err, free: { a.err_free($0) })
        }
    }
}

private func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

private func absolute(_ path: String) -> String {
    guard let r = realpath(path, nil) else { return path }
    defer { free(r) }
    return String(cString: r)
}

private func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// Decodes a NUL-terminated C string held in an array.
func cString(_ buf: [CChar]) -> String {
    String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
