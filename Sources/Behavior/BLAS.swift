import Foundation
#if canImport(Glibc)
import Glibc
#endif

// OpenBLAS, opened at first use rather than linked: a linked libopenblas initialises before `main`, before
// Discern sets OPENBLAS_THREAD_TIMEOUT and OMP_WAIT_POLICY (Tensor's Torch.load explains why they matter on
// small machines), and the `discern` executable would carry a BLAS dependency it otherwise gets through the
// torch backend. The process shares one OpenBLAS with the backend (dlopen returns the loaded copy). Without
// OpenBLAS a plain Swift GEMM runs instead (slow, same results up to rounding).

/// Row-major storage (CBLAS_ORDER).
typealias CBLASOrder = Int32
/// Transposition flag (CBLAS_TRANSPOSE).
typealias CBLASTranspose = Int32
let CblasRowMajor: CBLASOrder = 101
let CblasNoTrans: CBLASTranspose = 111
let CblasTrans: CBLASTranspose = 112

private typealias SgemmFn = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                            UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
private typealias GetThreadsFn = @convention(c) () -> Int32
private typealias SetThreadsFn = @convention(c) (Int32) -> Void

private struct OpenBLAS: @unchecked Sendable {
    let sgemm: SgemmFn?
    let getThreads: GetThreadsFn?
    let setThreads: SetThreadsFn?

    static let shared: OpenBLAS = {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0)
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0)
        for name in ["libopenblas.so.0", "libopenblas.so", "libblas.so.3"] {
            guard let h = dlopen(name, RTLD_NOW | RTLD_GLOBAL) else { continue }
            func sym<T>(_ s: String, _: T.Type) -> T? { dlsym(h, s).map { unsafeBitCast($0, to: T.self) } }
            if let g = sym("cblas_sgemm", SgemmFn.self) {
                return OpenBLAS(sgemm: g, getThreads: sym("openblas_get_num_threads", GetThreadsFn.self),
                                setThreads: sym("openblas_set_num_threads", SetThreadsFn.self))
            }
        }
        return OpenBLAS(sgemm: nil, getThreads: nil, setThreads: nil)
    }()
}

/// C ← alpha·op(A)·op(B) + beta·C, row-major (the CBLAS signature).
func cblas_sgemm(_ order: CBLASOrder, _ transA: CBLASTranspose, _ transB: CBLASTranspose, _ m: Int32, _ n: Int32, _ k: Int32,
                 _ alpha: Float, _ a: UnsafePointer<Float>?, _ lda: Int32, _ b: UnsafePointer<Float>?, _ ldb: Int32,
                 _ beta: Float, _ c: UnsafeMutablePointer<Float>?, _ ldc: Int32) {
    if let f = OpenBLAS.shared.sgemm {
        f(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    guard let a, let b, let c else { return }
    let (M, N, K) = (Int(m), Int(n), Int(k))
    for i in 0..<M {
        for j in 0..<N {
            var s: Float = 0
            for p in 0..<K {
                let x = transA == CblasTrans ? a[p * Int(lda) + i] : a[i * Int(lda) + p]
                let y = transB == CblasTrans ? b[j * Int(ldb) + p] : b[p * Int(ldb) + j]
                s += x * y
            }
            c[i * Int(ldc) + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * Int(ldc) + j])
        }
    }
}

/// OpenBLAS's thread count (1 without OpenBLAS).
func openblas_get_num_threads() -> Int32 { OpenBLAS.shared.getThreads?() ?? 1 }

/// Sets OpenBLAS's thread count (no-op without OpenBLAS).
func openblas_set_num_threads(_ n: Int32) { OpenBLAS.shared.setThreads?(n) }
