// The Discern torch backend: a C++ shim over ATen behind the plain C ABI of discern_torch.h.
//
// Every entry point is noexcept and either runs its body through `guard`, which turns any C++
// exception into an error string "<kind>\t<message>", or cannot throw (make_api checks the
// noexcept); nothing throws across the ABI.
#include "discern_torch.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/api/include/torch/version.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/variable.h>

#include <atomic>
#include <cmath>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <string>
#include <vector>

#define DT_EXPORT extern "C" __attribute__((visibility("default")))

// c10::OutOfMemoryError and c10::LinAlgError are in libtorch 1.13's c10/util/Exception.h (as are
// IndexError, ValueError, TypeError, NotImplementedError and EnforceFiniteError, which are older).
#define DT_C10_HAS_OOM_AND_LINALG_ERRORS \
    (TORCH_VERSION_MAJOR > 1 || (TORCH_VERSION_MAJOR == 1 && TORCH_VERSION_MINOR >= 13))

// cpu_cache.cpp: the caching allocator for large CPU tensors; returns its limit in bytes (0: off).
size_t dt_install_cpu_cache() noexcept;

struct dt_tensor {
    at::Tensor t;
};
struct dt_generator {
    at::Generator g;
};

namespace {

std::atomic<int64_t> g_live{0};

// Heap copy of a string for the caller (freed with err_free); throws std::bad_alloc when out of
// memory, so call it only inside `guard`.
char *dup_cstr(const std::string &s) {
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (!p) throw std::bad_alloc();
    std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
}

bool contains(const char *s, const char *needle) noexcept { return std::strstr(s, needle) != nullptr; }

template <class... N> bool any_of(const char *s, N... needles) noexcept { return (contains(s, needles) || ...); }

// Classifies a message by its text, for exceptions whose type says nothing (a plain c10::Error
// from TORCH_CHECK, a std::exception). Only distinctive phrases count: the bare word "type" is
// not one ("size of the input type", "layout type", "device type" are no dtype errors).
const char *classify(const char *m) noexcept {
    if (any_of(m, "CUDA", "cuda", "device")) return "device";
    if (any_of(m, "out of range", "out of bounds", "out of DATA bounds")) return "index";
    if (any_of(m, "shape", "size of tensor", "must match the size", "cannot be multiplied", "dimension",
               "Dimension", "numel", "invalid for input of size", "broadcast", "expand", "sizes",
               "size mismatch", "D tensor"))
        return "shape";
    if (any_of(m, "dtype", "Dtype", "scalar type", "ScalarType", "result type", "can't be cast",
               "not implemented for '", "bool tensor"))
        return "dtype";
    if (any_of(m, "`nan`", "non-finite")) return "value";
    if (any_of(m, "grad", "backward", "graph")) return "autograd";
    return "backend";
}

// A c10::NotImplementedError is a kernel missing for a dtype (AT_DISPATCH: `"addmm_impl_cpu_" not
// implemented for 'Half'`, also on CUDA, so this comes before the device words), for a device
// (the dispatcher: "Could not run 'aten::…' with arguments from the 'CUDA' backend"), or else
// something the backend does not do.
const char *classify_not_implemented(const char *m) noexcept {
    if (contains(m, "not implemented for '")) return "dtype";
    if (any_of(m, "CUDA", "cuda", "device")) return "device";
    return "backend";
}

// Returned when the error string itself cannot be allocated; err_free leaves it alone.
char g_oom_error[] = "oom\tout of memory (while reporting an error)";

// The error string "<kind>\t<message>"; allocates with malloc and throws nothing.
char *fail(const char *kind, const char *msg) noexcept {
    size_t k = std::strlen(kind), n = std::strlen(msg);
    char *p = static_cast<char *>(std::malloc(k + 1 + n + 1));
    if (!p) return g_oom_error;
    std::memcpy(p, kind, k);
    p[k] = '\t';
    std::memcpy(p + k + 1, msg, n + 1);
    return p;
}

// Runs an entry point's body and turns every C++ exception into an error string (STYLE rule 1).
// The exception's type decides the kind where it says something; the message text only
// classifies a plain c10::Error or std::exception. Nothing in the handlers can throw.
template <class F> dt_err guard(F &&f) noexcept {
    try {
        f();
        return nullptr;
#if DT_C10_HAS_OOM_AND_LINALG_ERRORS
    } catch (const c10::OutOfMemoryError &e) {
        return fail("oom", e.what_without_backtrace());
#endif
    } catch (const c10::IndexError &e) {
        return fail("index", e.what_without_backtrace());
    } catch (const c10::TypeError &e) {
        return fail("dtype", e.what_without_backtrace());
    } catch (const c10::ValueError &e) {
        return fail("value", e.what_without_backtrace());
    } catch (const c10::NotImplementedError &e) {
        return fail(classify_not_implemented(e.what_without_backtrace()), e.what_without_backtrace());
#if DT_C10_HAS_OOM_AND_LINALG_ERRORS
    } catch (const c10::LinAlgError &e) {
        return fail("value", e.what_without_backtrace()); // a singular or ill-conditioned input
#endif
    } catch (const c10::EnforceFiniteError &e) {
        return fail("value", e.what_without_backtrace());
    } catch (const c10::Error &e) {
        return fail(classify(e.what_without_backtrace()), e.what_without_backtrace());
    } catch (const std::bad_alloc &) {
        return fail("oom", "out of memory");
    } catch (const std::out_of_range &e) {
        return fail("index", e.what());
    } catch (const std::exception &e) {
        return fail(classify(e.what()), e.what());
    } catch (...) {
        return fail("backend", "unknown C++ exception");
    }
}

dt_tensor *wrap(at::Tensor t) {
    auto *h = new dt_tensor{std::move(t)};
    g_live.fetch_add(1, std::memory_order_relaxed);
    return h;
}

at::ScalarType to_scalar(int32_t d) {
    switch (d) {
    case DT_FLOAT32: return at::kFloat;
    case DT_FLOAT16: return at::kHalf;
    case DT_BFLOAT16: return at::kBFloat16;
    case DT_FLOAT64: return at::kDouble;
    case DT_INT64: return at::kLong;
    case DT_INT32: return at::kInt;
    case DT_BOOL: return at::kBool;
    case DT_UINT8: return at::kByte;
    }
    throw c10::TypeError({__func__, __FILE__, static_cast<uint32_t>(__LINE__)},
                         "unknown dtype code " + std::to_string(d));
}

int32_t from_scalar(at::ScalarType s) {
    switch (s) {
    case at::kFloat: return DT_FLOAT32;
    case at::kHalf: return DT_FLOAT16;
    case at::kBFloat16: return DT_BFLOAT16;
    case at::kDouble: return DT_FLOAT64;
    case at::kLong: return DT_INT64;
    case at::kInt: return DT_INT32;
    case at::kBool: return DT_BOOL;
    case at::kByte: return DT_UINT8;
    default: return -1;
    }
}

c10::Device to_device(int32_t type, int32_t index) {
    if (type == DT_CPU) return c10::Device(c10::kCPU);
    if (type == DT_CUDA) {
        TORCH_CHECK(at::hasCUDA(), "CUDA device requested but this torch backend has no CUDA (",
                    "rebuild it with Scripts/build-torch-backend.sh --torch-dir <a CUDA PyTorch>)");
        int64_t n = at::detail::getCUDAHooks().getNumGPUs();
        TORCH_CHECK(index < n, "CUDA device ", index, " requested but only ", n, " device(s) present");
        return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
    }
    TORCH_CHECK(false, "unknown device type code ", type);
}

at::TensorOptions options(int32_t dtype, int32_t dev_type, int32_t dev_index) {
    return at::TensorOptions().dtype(to_scalar(dtype)).device(to_device(dev_type, dev_index));
}

std::vector<int64_t> vec(const int64_t *p, int32_t n) {
    TORCH_CHECK_VALUE(n >= 0, "negative length ", n);
    return std::vector<int64_t>(p, p + n);
}

// OpenBLAS thread control, looked up at run time: a PyTorch build may use MKL instead.
using blas_set_fn = void (*)(int);
using blas_get_fn = int (*)(void);
blas_set_fn blas_set() { return reinterpret_cast<blas_set_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")); }
blas_get_fn blas_get() { return reinterpret_cast<blas_get_fn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads")); }

#ifndef DT_BUILD_TAG
#define DT_BUILD_TAG "swiftpm"
#endif
#define DT_STR2(x) #x
#define DT_STR(x) DT_STR2(x)

#if defined(__clang__)
#define DT_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define DT_COMPILER "g++ " __VERSION__
#else
#define DT_COMPILER "unknown"
#endif

dt_err build_info(const char **out) noexcept {
    // A throwing initialiser leaves the static uninitialised; the next call tries again.
    return guard([&] {
        static const std::string info = [] {
            std::string s = "{\"abi\":" DT_STR(DT_ABI_VERSION) ",\"libtorch\":\"" TORCH_VERSION "\",\"compiler\":\"";
            for (char c : std::string(DT_COMPILER)) {
                if (c == '"' || c == '\\') s += '\\';
                s += c;
            }
            s += "\",\"cuda\":";
            s += at::hasCUDA() ? "true" : "false";
            s += ",\"cpu_cache_mib\":" + std::to_string(dt_install_cpu_cache() >> 20);
            s += ",\"build\":\"" DT_BUILD_TAG "\"}";
            return s;
        }();
        *out = info.c_str();
    });
}

at::Tensor unary_op(int32_t op, const at::Tensor &a) {
    switch (op) {
    case DT_U_NEG: return at::neg(a);
    case DT_U_EXP: return at::exp(a);
    case DT_U_LOG: return at::log(a);
    case DT_U_TANH: return at::tanh(a);
    case DT_U_SQRT: return at::sqrt(a);
    case DT_U_RSQRT: return at::rsqrt(a);
    case DT_U_RELU: return at::relu(a);
    case DT_U_GELU: return at::gelu(a, "none");
    case DT_U_GELU_TANH: return at::gelu(a, "tanh");
    case DT_U_SILU: return at::silu(a);
    case DT_U_SIGMOID: return at::sigmoid(a);
    case DT_U_ABS: return at::abs(a);
    case DT_U_SIN: return at::sin(a);
    case DT_U_COS: return at::cos(a);
    case DT_U_LOGICAL_NOT: return at::logical_not(a);
    case DT_U_CLONE: return a.clone();
    case DT_U_DETACH: return a.detach();
    case DT_U_CONTIGUOUS: return a.contiguous();
    case DT_U_RECIPROCAL: return at::reciprocal(a);
    case DT_U_SIGN: return at::sign(a);
    case DT_U_FLOOR: return at::floor(a);
    case DT_U_SQUARE: return at::square(a);
    case DT_U_LOG1P: return at::log1p(a);
    case DT_U_ISNAN: return at::isnan(a);
    }
    TORCH_CHECK(false, "unknown unary op code ", op);
}

at::Tensor binary_op(int32_t op, const at::Tensor &a, const at::Tensor &b) {
    switch (op) {
    case DT_B_ADD: return at::add(a, b);
    case DT_B_SUB: return at::sub(a, b);
    case DT_B_MUL: return at::mul(a, b);
    case DT_B_DIV: return at::div(a, b);
    case DT_B_POW: return at::pow(a, b);
    case DT_B_MATMUL: return at::matmul(a, b);
    case DT_B_BMM: return at::bmm(a, b);
    case DT_B_MAXIMUM: return at::maximum(a, b);
    case DT_B_MINIMUM: return at::minimum(a, b);
    case DT_B_EQ: return at::eq(a, b);
    case DT_B_NE: return at::ne(a, b);
    case DT_B_LT: return at::lt(a, b);
    case DT_B_LE: return at::le(a, b);
    case DT_B_GT: return at::gt(a, b);
    case DT_B_GE: return at::ge(a, b);
    case DT_B_LOGICAL_AND: return at::logical_and(a, b);
    case DT_B_LOGICAL_OR: return at::logical_or(a, b);
    }
    TORCH_CHECK(false, "unknown binary op code ", op);
}

at::Tensor scalar_op(int32_t op, const at::Tensor &a, double s) {
    // Integral scalars keep integer tensors integral (as in PyTorch with a Python int).
    at::Scalar sc = (s == static_cast<double>(static_cast<int64_t>(s)) && !at::isFloatingType(a.scalar_type()))
                        ? at::Scalar(static_cast<int64_t>(s))
                        : at::Scalar(s);
    switch (op) {
    case DT_S_ADD: return at::add(a, sc);
    case DT_S_SUB: return at::sub(a, sc);
    case DT_S_MUL: return at::mul(a, sc);
    case DT_S_DIV: return at::div(a, sc);
    case DT_S_POW: return at::pow(a, sc);
    case DT_S_RSUB: return at::rsub(a, sc);
    case DT_S_RDIV: return at::mul(at::reciprocal(a), sc);
    case DT_S_RPOW: return at::pow(sc, a);
    case DT_S_EQ: return at::eq(a, sc);
    case DT_S_NE: return at::ne(a, sc);
    case DT_S_LT: return at::lt(a, sc);
    case DT_S_LE: return at::le(a, sc);
    case DT_S_GT: return at::gt(a, sc);
    case DT_S_GE: return at::ge(a, sc);
    case DT_S_CLAMP_MIN: return at::clamp_min(a, sc);
    case DT_S_CLAMP_MAX: return at::clamp_max(a, sc);
    }
    TORCH_CHECK(false, "unknown scalar op code ", op);
}

// ---------------------------------------------------------------------------------------------
// Entry points (static; reached only through the table).

void err_free(char *s) noexcept {
    if (s != g_oom_error) std::free(s);
}

dt_err show_config(char **out) noexcept {
    return guard([&] { *out = dup_cstr(at::show_config()); });
}

dt_err set_num_threads(int32_t n) noexcept {
    return guard([&] {
        TORCH_CHECK_VALUE(n >= 1, "thread count must be at least 1, got ", n);
        at::set_num_threads(n);
        if (auto f = blas_set()) f(n);
    });
}
dt_err get_num_threads(int32_t *out) noexcept {
    return guard([&] { *out = static_cast<int32_t>(at::get_num_threads()); });
}
// dlsym and OpenBLAS are C: nothing here throws.
int32_t blas_num_threads() noexcept {
    auto f = blas_get();
    return f ? f() : -1;
}
dt_err cuda_device_count(int32_t *out) noexcept {
    return guard([&] { *out = at::hasCUDA() ? static_cast<int32_t>(at::detail::getCUDAHooks().getNumGPUs()) : 0; });
}
int64_t live_tensors() noexcept { return g_live.load(); }
// Grad mode is a thread-local flag; libtorch itself reads and sets it from noexcept destructors
// (c10::AutoGradMode), so these two cannot throw.
int32_t grad_enabled() noexcept { return at::GradMode::is_enabled() ? 1 : 0; }
void set_grad_enabled(int32_t on) noexcept { at::GradMode::set_enabled(on != 0); }
dt_err manual_seed(uint64_t seed) noexcept {
    return guard([&] {
        auto gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(seed);
    });
}

// Destructors do not throw (at::Tensor's releases a reference; a from_blob deleter is C).
void tensor_free(dt_tensor *t) noexcept {
    if (!t) return;
    g_live.fetch_sub(1, std::memory_order_relaxed);
    delete t;
}

dt_err from_data(const void *data, int32_t dtype, const int64_t *shape, int32_t ndim, dt_tensor **out) noexcept {
    return guard([&] {
        auto sz = vec(shape, ndim);
        auto opts = at::TensorOptions().dtype(to_scalar(dtype));
        int64_t n = 1;
        for (auto s : sz) {
            TORCH_CHECK(s >= 0, "negative size ", s, " in shape ", sz);
            n *= s;
        }
        auto t = at::empty(sz, opts);
        if (n > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(n) * t.element_size());
        *out = wrap(std::move(t));
    });
}

dt_err from_blob(void *data, int32_t dtype, const int64_t *shape, int32_t ndim, dt_deleter deleter,
                 void *context, dt_tensor **out) noexcept {
    return guard([&] {
        auto sz = vec(shape, ndim);
        auto opts = at::TensorOptions().dtype(to_scalar(dtype));
        auto t = at::from_blob(
            data, sz, [deleter, context](void *) { if (deleter) deleter(context); }, opts);
        *out = wrap(std::move(t));
    });
}

dt_err full(const int64_t *shape, int32_t ndim, double value, int32_t dtype, int32_t dt, int32_t di,
            dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(at::full(vec(shape, ndim), value, options(dtype, dt, di))); });
}

dt_err arange(double start, double end, double step, int32_t dtype, int32_t dt, int32_t di, dt_tensor **out) noexcept {
    return guard([&] {
        TORCH_CHECK_VALUE(step != 0, "arange: step must be nonzero");
        *out = wrap(at::arange(start, end, step, options(dtype, dt, di)));
    });
}

dt_err random_(int32_t kind, const int64_t *shape, int32_t ndim, int32_t dtype, int32_t dt, int32_t di,
               dt_generator *gen, dt_tensor **out) noexcept {
    return guard([&] {
        auto sz = vec(shape, ndim);
        auto opts = options(dtype, dt, di);
        TORCH_CHECK_TYPE(at::isFloatingType(opts.dtype().toScalarType()),
                         "random tensors need a floating dtype, got ", opts.dtype());
        c10::optional<at::Generator> g;
        if (gen) g = gen->g;
        if (kind == 0) *out = wrap(at::rand(sz, g, opts));
        else *out = wrap(at::randn(sz, g, opts));
    });
}

dt_err generator_new(uint64_t seed, int32_t dt, int32_t di, dt_generator **out) noexcept {
    return guard([&] {
        auto dev = to_device(dt, di);
        at::Generator g;
        if (dev.is_cpu()) {
            g = at::make_generator<at::CPUGeneratorImpl>(seed);
        } else {
            // Context::defaultGenerator exists in libtorch 1.x and 2.x (the CUDA hook's name changed).
            g = at::globalContext().defaultGenerator(dev).clone();
            g.set_current_seed(seed);
        }
        *out = new dt_generator{std::move(g)};
    });
}
void generator_free(dt_generator *g) noexcept { delete g; }

// Metadata. Each accessor can throw: a bad dim is a c10::IndexError, and a tensor with custom
// sizes, strides or device (nested, sparse, undefined) or without storage throws from the
// TensorImpl, so all go through `guard`.
dt_err ndim(const dt_tensor *t, int32_t *out) noexcept {
    return guard([&] { *out = static_cast<int32_t>(t->t.dim()); });
}
dt_err size(const dt_tensor *t, int64_t d, int64_t *out) noexcept {
    return guard([&] { *out = t->t.size(d); });
}
dt_err stride(const dt_tensor *t, int64_t d, int64_t *out) noexcept {
    return guard([&] { *out = t->t.stride(d); });
}
dt_err numel(const dt_tensor *t, int64_t *out) noexcept {
    return guard([&] { *out = t->t.numel(); });
}
dt_err dtype(const dt_tensor *t, int32_t *out) noexcept {
    return guard([&] { *out = from_scalar(t->t.scalar_type()); });
}
dt_err device(const dt_tensor *t, int32_t *type, int32_t *index) noexcept {
    return guard([&] {
        auto d = t->t.device();
        *type = d.is_cuda() ? DT_CUDA : DT_CPU;
        *index = d.has_index() ? d.index() : -1;
    });
}
dt_err requires_grad(const dt_tensor *t, int32_t *out) noexcept {
    return guard([&] { *out = t->t.requires_grad() ? 1 : 0; });
}
dt_err is_leaf(const dt_tensor *t, int32_t *out) noexcept {
    return guard([&] { *out = t->t.is_leaf() ? 1 : 0; });
}
dt_err same_storage(const dt_tensor *a, const dt_tensor *b, int32_t *out) noexcept {
    return guard([&] { *out = a->t.defined() && b->t.defined() && a->t.is_alias_of(b->t) ? 1 : 0; });
}

dt_err copy_out(const dt_tensor *t, int32_t dtype, void *buf, int64_t nbytes) noexcept {
    return guard([&] {
        auto c = t->t.detach().to(at::kCPU, to_scalar(dtype)).contiguous();
        int64_t need = c.numel() * static_cast<int64_t>(c.element_size());
        TORCH_CHECK(need == nbytes, "copy_out: buffer has ", nbytes, " bytes, tensor needs ", need);
        if (need > 0) std::memcpy(buf, c.data_ptr(), static_cast<size_t>(need));
    });
}
dt_err item(const dt_tensor *t, double *out) noexcept {
    return guard([&] {
        TORCH_CHECK(t->t.numel() == 1, "item: tensor with ", t->t.numel(),
                    " elements cannot be converted to a number (shape ", t->t.sizes(), ")");
        *out = t->t.item().toDouble();
    });
}
dt_err item_int64(const dt_tensor *t, int64_t *out) noexcept {
    return guard([&] {
        TORCH_CHECK(t->t.numel() == 1, "item: tensor with ", t->t.numel(),
                    " elements cannot be converted to a number (shape ", t->t.sizes(), ")");
        *out = t->t.item().toLong();
    });
}

dt_err unary(int32_t op, const dt_tensor *a, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(unary_op(op, a->t)); });
}
dt_err binary(int32_t op, const dt_tensor *a, const dt_tensor *b, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(binary_op(op, a->t, b->t)); });
}
dt_err scalar(int32_t op, const dt_tensor *a, double s, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(scalar_op(op, a->t, s)); });
}
dt_err reduce(int32_t op, const dt_tensor *a, const int64_t *dims, int32_t nd, int32_t keepdim, dt_tensor **out) noexcept {
    return guard([&] {
        auto d = vec(dims, nd);
        const auto &t = a->t;
        bool all = nd == 0;
        switch (op) {
        case DT_R_SUM: *out = wrap(all ? (keepdim ? t.sum(at::IntArrayRef{}, true) : t.sum()) : t.sum(d, keepdim != 0)); return;
        case DT_R_MEAN: *out = wrap(all ? (keepdim ? t.mean(at::IntArrayRef{}, true) : t.mean()) : t.mean(d, keepdim != 0)); return;
        case DT_R_AMAX: *out = wrap(at::amax(t, d, keepdim != 0)); return;
        case DT_R_AMIN: *out = wrap(at::amin(t, d, keepdim != 0)); return;
        case DT_R_PROD:
            TORCH_CHECK_VALUE(nd <= 1, "prod reduces over at most one dim, got ", nd);
            *out = wrap(all ? t.prod() : t.prod(d[0], keepdim != 0));
            return;
        }
        TORCH_CHECK(false, "unknown reduction code ", op);
    });
}
dt_err reduce_indices(int32_t which, const dt_tensor *a, int64_t dim, int32_t keepdim, dt_tensor **v, dt_tensor **i) noexcept {
    return guard([&] {
        auto r = which == 0 ? at::max(a->t, dim, keepdim != 0) : at::min(a->t, dim, keepdim != 0);
        *v = wrap(std::get<0>(r));
        *i = wrap(std::get<1>(r));
    });
}
dt_err arg_reduce(int32_t which, const dt_tensor *a, int32_t has_dim, int64_t dim, int32_t keepdim, dt_tensor **out) noexcept {
    return guard([&] {
        c10::optional<int64_t> d;
        if (has_dim) d = dim;
        *out = wrap(which == 0 ? at::argmax(a->t, d, keepdim != 0) : at::argmin(a->t, d, keepdim != 0));
    });
}
dt_err softmax(int32_t log, const dt_tensor *a, int64_t dim, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(log ? at::log_softmax(a->t, dim) : at::softmax(a->t, dim)); });
}
dt_err layer_norm(const dt_tensor *a, const int64_t *ns, int32_t n, const dt_tensor *w, const dt_tensor *b,
                  double eps, dt_tensor **out) noexcept {
    return guard([&] {
        c10::optional<at::Tensor> wt, bt;
        if (w) wt = w->t;
        if (b) bt = b->t;
        *out = wrap(at::layer_norm(a->t, vec(ns, n), wt, bt, eps));
    });
}
dt_err embedding(const dt_tensor *w, const dt_tensor *idx, dt_tensor **out) noexcept {
    return guard([&] {
        TORCH_CHECK(w->t.dim() == 2, "embedding: weight must be 2-D [vocab, dim], got shape ", w->t.sizes());
        TORCH_CHECK_TYPE(idx->t.scalar_type() == at::kLong || idx->t.scalar_type() == at::kInt,
                         "embedding: indices must be int64 or int32, got ", idx->t.scalar_type());
        *out = wrap(at::embedding(w->t, idx->t));
    });
}
dt_err reshape(int32_t view, const dt_tensor *a, const int64_t *shape, int32_t n, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(view ? a->t.view(vec(shape, n)) : a->t.reshape(vec(shape, n))); });
}
dt_err permute(const dt_tensor *a, const int64_t *dims, int32_t n, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(a->t.permute(vec(dims, n))); });
}
dt_err transpose(const dt_tensor *a, int64_t d0, int64_t d1, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(a->t.transpose(d0, d1)); });
}
dt_err expand(const dt_tensor *a, const int64_t *shape, int32_t n, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(a->t.expand(vec(shape, n))); });
}
dt_err squeeze(const dt_tensor *a, int32_t has_dim, int64_t dim, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(has_dim ? a->t.squeeze(dim) : a->t.squeeze()); });
}
dt_err unsqueeze(const dt_tensor *a, int64_t dim, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(a->t.unsqueeze(dim)); });
}
dt_err narrow(const dt_tensor *a, int64_t dim, int64_t start, int64_t length, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(a->t.narrow(dim, start, length)); });
}
dt_err slice(const dt_tensor *a, int64_t dim, int64_t start, int64_t end, int64_t step, dt_tensor **out) noexcept {
    return guard([&] {
        TORCH_CHECK_VALUE(step > 0, "slice: step must be positive, got ", step);
        *out = wrap(a->t.slice(dim, start, end, step));
    });
}
dt_err select(const dt_tensor *a, int64_t dim, int64_t index, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(a->t.select(dim, index)); });
}
dt_err index_select(const dt_tensor *a, int64_t dim, const dt_tensor *idx, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(at::index_select(a->t, dim, idx->t)); });
}
dt_err gather(const dt_tensor *a, int64_t dim, const dt_tensor *idx, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(at::gather(a->t, dim, idx->t)); });
}
dt_err scatter_add(const dt_tensor *a, int64_t dim, const dt_tensor *idx, const dt_tensor *src, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(at::scatter_add(a->t, dim, idx->t, src->t)); });
}
dt_err cat(const dt_tensor *const *ts, int32_t n, int64_t dim, int32_t stack, dt_tensor **out) noexcept {
    return guard([&] {
        TORCH_CHECK_VALUE(n > 0, stack ? "stack" : "cat", ": expected a non-empty list of tensors");
        std::vector<at::Tensor> v;
        v.reserve(n);
        for (int32_t i = 0; i < n; ++i) v.push_back(ts[i]->t);
        *out = wrap(stack ? at::stack(v, dim) : at::cat(v, dim));
    });
}
dt_err split(const dt_tensor *a, int64_t size, int64_t dim, int32_t chunk, dt_tensor ***outs, int32_t *count) noexcept {
    return guard([&] {
        TORCH_CHECK_VALUE(size > 0, chunk ? "chunk: number of chunks" : "split: split size", " must be positive, got ", size);
        auto parts = chunk ? a->t.chunk(size, dim) : a->t.split(size, dim);
        auto arr = static_cast<dt_tensor **>(std::malloc(sizeof(dt_tensor *) * std::max<size_t>(parts.size(), 1)));
        if (!arr) throw std::bad_alloc();
        size_t i = 0;
        try {
            for (; i < parts.size(); ++i) arr[i] = wrap(parts[i]);
        } catch (...) {
            while (i > 0) tensor_free(arr[--i]);
            std::free(arr);
            throw;
        }
        *outs = arr;
        *count = static_cast<int32_t>(parts.size());
    });
}
dt_err masked_fill(const dt_tensor *a, const dt_tensor *mask, double value, dt_tensor **out) noexcept {
    return guard([&] {
        TORCH_CHECK_TYPE(mask->t.scalar_type() == at::kBool, "masked_fill: mask must be bool, got ", mask->t.scalar_type());
        *out = wrap(a->t.masked_fill(mask->t, value));
    });
}
dt_err where(const dt_tensor *c, const dt_tensor *a, const dt_tensor *b, dt_tensor **out) noexcept {
    return guard([&] {
        TORCH_CHECK_TYPE(c->t.scalar_type() == at::kBool, "where: condition must be bool, got ", c->t.scalar_type());
        *out = wrap(at::where(c->t, a->t, b->t));
    });
}
dt_err triangle(int32_t upper, const dt_tensor *a, int64_t diagonal, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(upper ? at::triu(a->t, diagonal) : at::tril(a->t, diagonal)); });
}
dt_err topk(const dt_tensor *a, int64_t k, int64_t dim, int32_t largest, int32_t sorted, dt_tensor **v, dt_tensor **i) noexcept {
    return guard([&] {
        auto r = at::topk(a->t, k, dim, largest != 0, sorted != 0);
        *v = wrap(std::get<0>(r));
        *i = wrap(std::get<1>(r));
    });
}
dt_err sort(const dt_tensor *a, int64_t dim, int32_t descending, int32_t stable, dt_tensor **v, dt_tensor **i) noexcept {
    return guard([&] {
        auto r = at::sort(a->t, c10::optional<bool>(stable != 0), dim, descending != 0);
        *v = wrap(std::get<0>(r));
        *i = wrap(std::get<1>(r));
    });
}
dt_err cumsum(const dt_tensor *a, int64_t dim, dt_tensor **out) noexcept {
    return guard([&] { *out = wrap(at::cumsum(a->t, dim)); });
}
dt_err multinomial(const dt_tensor *probs, int64_t n, int32_t replacement, dt_generator *gen, dt_tensor **out) noexcept {
    return guard([&] {
        c10::optional<at::Generator> g;
        if (gen) g = gen->g;
        *out = wrap(at::multinomial(probs->t, n, replacement != 0, g));
    });
}
dt_err to(const dt_tensor *a, int32_t dtype, int32_t dt, int32_t di, dt_tensor **out) noexcept {
    return guard([&] {
        auto st = dtype < 0 ? a->t.scalar_type() : to_scalar(dtype);
        *out = wrap(a->t.to(to_device(dt, di), st));
    });
}
dt_err inplace(int32_t op, dt_tensor *a, const dt_tensor *b) noexcept {
    return guard([&] {
        switch (op) {
        case DT_I_ADD: a->t.add_(b->t); return;
        case DT_I_MUL: a->t.mul_(b->t); return;
        case DT_I_COPY: a->t.copy_(b->t); return;
        case DT_I_SUB: a->t.sub_(b->t); return;
        case DT_I_DIV: a->t.div_(b->t); return;
        }
        TORCH_CHECK(false, "unknown in-place op code ", op);
    });
}
dt_err inplace_scalar(int32_t op, dt_tensor *a, double s) noexcept {
    return guard([&] {
        switch (op) {
        case DT_IS_ADD: a->t.add_(s); return;
        case DT_IS_MUL: a->t.mul_(s); return;
        case DT_IS_FILL: a->t.fill_(s); return;
        case DT_IS_ZERO: a->t.zero_(); return;
        }
        TORCH_CHECK(false, "unknown in-place scalar op code ", op);
    });
}

dt_err set_requires_grad(dt_tensor *t, int32_t on) noexcept {
    return guard([&] { t->t.set_requires_grad(on != 0); });
}
dt_err backward(const dt_tensor *t, const dt_tensor *g, int32_t retain, int32_t create) noexcept {
    return guard([&] {
        TORCH_CHECK(t->t.requires_grad(), "backward: tensor does not require grad and has no grad_fn ",
                    "(set requires_grad on an input before computing it)");
        if (!g) TORCH_CHECK(t->t.numel() == 1, "backward: gradient can be implicit only for a scalar output, got shape ",
                            t->t.sizes(), "; pass a gradient");
        at::Tensor grad = g ? g->t : at::Tensor();
        c10::optional<bool> keep;
        if (retain) keep = true;
        t->t.backward(grad, keep, create != 0);
    });
}
dt_err grad(const dt_tensor *t, dt_tensor **out) noexcept {
    return guard([&] {
        auto g = t->t.grad();
        *out = g.defined() ? wrap(g) : nullptr;
    });
}
dt_err set_grad(dt_tensor *t, const dt_tensor *g) noexcept {
    return guard([&] { t->t.mutable_grad() = g ? g->t : at::Tensor(); });
}
dt_err retain_grad(dt_tensor *t) noexcept {
    return guard([&] {
        TORCH_CHECK(t->t.requires_grad(), "retain_grad: tensor does not require grad");
        t->t.retain_grad();
    });
}
dt_err autograd_grad(const dt_tensor *const *outs, int32_t no, const dt_tensor *const *ins, int32_t ni,
                     const dt_tensor *const *gouts, int32_t retain, int32_t create, int32_t allow_unused,
                     dt_tensor **results) noexcept {
    return guard([&] {
        std::vector<at::Tensor> o, i, go;
        for (int32_t k = 0; k < no; ++k) o.push_back(outs[k]->t);
        for (int32_t k = 0; k < ni; ++k) i.push_back(ins[k]->t);
        for (int32_t k = 0; k < no; ++k) {
            if (gouts && gouts[k]) go.push_back(gouts[k]->t);
            else {
                TORCH_CHECK(o[k].numel() == 1, "grad: grad_outputs[", k, "] is needed for a non-scalar output of shape ",
                            o[k].sizes());
                go.push_back(at::ones_like(o[k]));
            }
        }
        c10::optional<bool> keep;
        if (retain) keep = true;
        auto r = torch::autograd::grad(o, i, go, keep, create != 0, allow_unused != 0);
        for (int32_t k = 0; k < ni; ++k) results[k] = r[k].defined() ? wrap(r[k]) : nullptr;
    });
}

dt_err bench_add_loop(int64_t n, double *seconds) noexcept {
    return guard([&] {
        auto a = at::ones({1});
        auto b = at::ones({1});
        auto t0 = std::chrono::steady_clock::now();
        for (int64_t k = 0; k < n; ++k) {
            auto c = new dt_tensor{a + b}; // same allocation pattern as a call through the ABI
            delete c;
        }
        auto t1 = std::chrono::steady_clock::now();
        *seconds = std::chrono::duration<double>(t1 - t0).count();
    });
}

dt_err linear(const dt_tensor *x, const dt_tensor *w, const dt_tensor *b, dt_tensor **out) noexcept {
    return guard([&] {
        *out = wrap(b ? at::linear(x->t, w->t, b->t) : at::linear(x->t, w->t));
    });
}

// One AdamW step over contiguous arrays, with the float operations of PyTorch's single-tensor
// rule in its order (scalars rounded to T first, as ATen does).
template <class T>
void adamw_loop(T *p, const T *g, T *m, T *v, int64_t n, double lr, double beta1, double beta2, double eps,
                double wd, int64_t step) {
    const T decay = static_cast<T>(1 - lr * wd);
    const T b1 = static_cast<T>(beta1), a1 = static_cast<T>(1 - beta1);
    const T b2 = static_cast<T>(beta2), a2 = static_cast<T>(1 - beta2);
    const double bc1 = 1 - std::pow(beta1, static_cast<double>(step));
    const double bc2 = 1 - std::pow(beta2, static_cast<double>(step));
    const T neg_step = static_cast<T>(-(lr / bc1));
    const T bc2_sqrt = static_cast<T>(std::sqrt(bc2));
    const T e = static_cast<T>(eps);
    const bool decays = wd != 0;
    at::parallel_for(0, n, 16384, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            T pi = decays ? p[i] * decay : p[i];
            const T gi = g[i];
            const T mi = m[i] * b1 + a1 * gi;
            const T vi = v[i] * b2 + a2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            const T denom = std::sqrt(vi) / bc2_sqrt + e;
            p[i] = pi + neg_step * mi / denom;
        }
    });
}

dt_err adamw_step(dt_tensor *param, const dt_tensor *grad, dt_tensor *exp_avg, dt_tensor *exp_avg_sq, double lr,
                  double beta1, double beta2, double eps, double weight_decay, int64_t step) noexcept {
    return guard([&] {
        auto &p = param->t;
        auto &m = exp_avg->t;
        auto &v = exp_avg_sq->t;
        TORCH_CHECK(p.device().is_cpu(), "adamw_step: only CPU tensors are supported, got ", p.device());
        TORCH_CHECK_TYPE(p.scalar_type() == at::kFloat || p.scalar_type() == at::kDouble,
                         "adamw_step: parameters must be float32 or float64, got ", p.scalar_type());
        for (const at::Tensor *t : {static_cast<const at::Tensor *>(&m), static_cast<const at::Tensor *>(&v), &grad->t}) {
            TORCH_CHECK(t->sizes() == p.sizes(), "adamw_step: shape ", t->sizes(), " does not match the parameter's ", p.sizes());
            TORCH_CHECK_TYPE(t->scalar_type() == p.scalar_type(), "adamw_step: dtype ", t->scalar_type(),
                             " does not match the parameter's ", p.scalar_type());
        }
        TORCH_CHECK(p.is_contiguous() && m.is_contiguous() && v.is_contiguous(),
                    "adamw_step: parameter and moments must be contiguous");
        TORCH_CHECK_VALUE(step >= 1, "adamw_step: step must be at least 1, got ", step);
        at::NoGradGuard no_grad;
        auto g = grad->t.detach().contiguous();
        if (p.scalar_type() == at::kFloat) {
            adamw_loop<float>(p.data_ptr<float>(), g.data_ptr<float>(), m.data_ptr<float>(), v.data_ptr<float>(), p.numel(),
                              lr, beta1, beta2, eps, weight_decay, step);
        } else {
            adamw_loop<double>(p.data_ptr<double>(), g.data_ptr<double>(), m.data_ptr<double>(), v.data_ptr<double>(),
                               p.numel(), lr, beta1, beta2, eps, weight_decay, step);
        }
        // Writes through raw pointers: tell autograd the tensors changed.
        p.unsafeGetTensorImpl()->bump_version();
        m.unsafeGetTensorImpl()->bump_version();
        v.unsafeGetTensorImpl()->bump_version();
    });
}

dt_err svd(const dt_tensor *a, dt_tensor **u, dt_tensor **s, dt_tensor **vh) noexcept {
    return guard([&] {
        TORCH_CHECK(a->t.dim() >= 2, "svd: expected a matrix or a batch of matrices, got shape ", a->t.sizes());
        TORCH_CHECK_TYPE(at::isFloatingType(a->t.scalar_type()), "svd: expected a floating dtype, got ", a->t.scalar_type());
        if (u == nullptr || vh == nullptr) {
            *s = wrap(at::linalg_svdvals(a->t));
            return;
        }
        auto r = at::linalg_svd(a->t, false);
        *u = wrap(std::get<0>(r));
        *s = wrap(std::get<1>(r));
        *vh = wrap(std::get<2>(r));
    });
}

// Every function in the table is noexcept (checked here at compile time): each either runs its
// body through `guard` or cannot throw. A noexcept function that throws after all terminates
// the process with a message instead of unwinding into C and Swift frames.
template <class T> struct is_nothrow_fn : std::false_type {};
template <class R, class... A> struct is_nothrow_fn<R (*)(A...) noexcept> : std::true_type {};
#define DT_SET(field, fn)                                                                               \
    static_assert(is_nothrow_fn<decltype(&fn)>::value, #fn ": entry points must be noexcept (STYLE rule 1)"); \
    a.field = fn

dt_api make_api() {
    dt_api a{};
    a.abi_version = DT_ABI_VERSION;
    a.struct_size = sizeof(dt_api);
    DT_SET(build_info, build_info);
    DT_SET(show_config, show_config);
    DT_SET(err_free, err_free);
    DT_SET(set_num_threads, set_num_threads);
    DT_SET(get_num_threads, get_num_threads);
    DT_SET(blas_num_threads, blas_num_threads);
    DT_SET(cuda_device_count, cuda_device_count);
    DT_SET(live_tensors, live_tensors);
    DT_SET(grad_enabled, grad_enabled);
    DT_SET(set_grad_enabled, set_grad_enabled);
    DT_SET(manual_seed, manual_seed);
    DT_SET(tensor_free, tensor_free);
    DT_SET(from_data, from_data);
    DT_SET(from_blob, from_blob);
    DT_SET(full, full);
    DT_SET(arange, arange);
    DT_SET(random, random_);
    DT_SET(generator_new, generator_new);
    DT_SET(generator_free, generator_free);
    DT_SET(ndim, ndim);
    DT_SET(size, size);
    DT_SET(stride, stride);
    DT_SET(numel, numel);
    DT_SET(dtype, dtype);
    DT_SET(device, device);
    DT_SET(requires_grad, requires_grad);
    DT_SET(is_leaf, is_leaf);
    DT_SET(same_storage, same_storage);
    DT_SET(copy_out, copy_out);
    DT_SET(item, item);
    DT_SET(item_int64, item_int64);
    DT_SET(unary, unary);
    DT_SET(binary, binary);
    DT_SET(scalar, scalar);
    DT_SET(reduce, reduce);
    DT_SET(reduce_indices, reduce_indices);
    DT_SET(arg_reduce, arg_reduce);
    DT_SET(softmax, softmax);
    DT_SET(layer_norm, layer_norm);
    DT_SET(embedding, embedding);
    DT_SET(reshape, reshape);
    DT_SET(permute, permute);
    DT_SET(transpose, transpose);
    DT_SET(expand, expand);
    DT_SET(squeeze, squeeze);
    DT_SET(unsqueeze, unsqueeze);
    DT_SET(narrow, narrow);
    DT_SET(slice, slice);
    DT_SET(select, select);
    DT_SET(index_select, index_select);
    DT_SET(gather, gather);
    DT_SET(scatter_add, scatter_add);
    DT_SET(cat, cat);
    DT_SET(split, split);
    DT_SET(masked_fill, masked_fill);
    DT_SET(where, where);
    DT_SET(triangle, triangle);
    DT_SET(topk, topk);
    DT_SET(sort, sort);
    DT_SET(cumsum, cumsum);
    DT_SET(multinomial, multinomial);
    DT_SET(to, to);
    DT_SET(inplace, inplace);
    DT_SET(inplace_scalar, inplace_scalar);
    DT_SET(set_requires_grad, set_requires_grad);
    DT_SET(backward, backward);
    DT_SET(grad, grad);
    DT_SET(set_grad, set_grad);
    DT_SET(retain_grad, retain_grad);
    DT_SET(autograd_grad, autograd_grad);
    DT_SET(bench_add_loop, bench_add_loop);
    DT_SET(linear, linear);
    DT_SET(adamw_step, adamw_step);
    DT_SET(svd, svd);
    return a;
}

} // namespace

DT_EXPORT int32_t discern_torch_abi_version(void) noexcept { return DT_ABI_VERSION; }

// make_api only stores function pointers and dt_install_cpu_cache is noexcept.
DT_EXPORT const dt_api *discern_torch_api(void) noexcept {
    dt_install_cpu_cache();
    static const dt_api api = make_api();
    return &api;
}
