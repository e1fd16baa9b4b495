#ifndef DISCERN_TORCH_H
#define DISCERN_TORCH_H
/*
 * The plain C ABI between Discern and its torch backend (libCTorch.so).
 *
 * The backend is a C++ shim over libtorch (ATen). Discern never links it: it opens the
 * library at run time (dt_load below), checks the ABI version, and calls through the
 * function table `dt_api`. No C++ type and no C++ exception crosses this boundary.
 *
 * Conventions
 * - Functions returning `dt_err` return NULL on success, or a heap string the caller frees
 *   with `api->err_free`. The string is "<kind>\t<message>" where kind is one of
 *   shape, dtype, device, index, value, oom, autograd, backend. Out-parameters are written
 *   only on success.
 * - Every function that can fail returns `dt_err`; the few that return a plain value or
 *   nothing cannot fail (no C++ exception crosses this boundary).
 * - ABI 4: the metadata accessors (ndim … same_storage), build_info, set_num_threads,
 *   get_num_threads and cuda_device_count return `dt_err` with out-parameters (a bad dim
 *   is an `index` error, not a crash); size and stride take an int64_t dim.
 * - Tensors are opaque handles owned by the caller; free each with `api->tensor_free`.
 * - Dimensions are 0-based and may be negative (counted from the end), as in PyTorch.
 * - Any change to this header that is not a pure addition at the end of `dt_api` bumps
 *   DT_ABI_VERSION.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DT_ABI_VERSION 4

typedef struct dt_tensor dt_tensor;
typedef struct dt_generator dt_generator;
typedef char *dt_err;

/* Element types (values are part of the ABI). */
enum {
    DT_FLOAT32 = 0, DT_FLOAT16 = 1, DT_BFLOAT16 = 2, DT_FLOAT64 = 3,
    DT_INT64 = 4, DT_INT32 = 5, DT_BOOL = 6, DT_UINT8 = 7
};

/* Device types. A device is (type, index); index -1 means "the current one". */
enum { DT_CPU = 0, DT_CUDA = 1 };

/* Unary ops: out = op(a). */
enum {
    DT_U_NEG = 0, DT_U_EXP, DT_U_LOG, DT_U_TANH, DT_U_SQRT, DT_U_RSQRT, DT_U_RELU,
    DT_U_GELU, DT_U_GELU_TANH, DT_U_SILU, DT_U_SIGMOID, DT_U_ABS, DT_U_SIN, DT_U_COS,
    DT_U_LOGICAL_NOT, DT_U_CLONE, DT_U_DETACH, DT_U_CONTIGUOUS, DT_U_RECIPROCAL,
    DT_U_SIGN, DT_U_FLOOR, DT_U_SQUARE, DT_U_LOG1P, DT_U_ISNAN,
    DT_U_COUNT
};

/* Binary ops: out = op(a, b) with broadcasting; matmul/bmm follow torch.matmul/torch.bmm. */
enum {
    DT_B_ADD = 0, DT_B_SUB, DT_B_MUL, DT_B_DIV, DT_B_POW, DT_B_MATMUL, DT_B_BMM,
    DT_B_MAXIMUM, DT_B_MINIMUM, DT_B_EQ, DT_B_NE, DT_B_LT, DT_B_LE, DT_B_GT, DT_B_GE,
    DT_B_LOGICAL_AND, DT_B_LOGICAL_OR,
    DT_B_COUNT
};

/* Tensor-scalar ops: out = op(a, s). The R* variants put the scalar first (s - a, s / a, s ^ a). */
enum {
    DT_S_ADD = 0, DT_S_SUB, DT_S_MUL, DT_S_DIV, DT_S_POW, DT_S_RSUB, DT_S_RDIV, DT_S_RPOW,
    DT_S_EQ, DT_S_NE, DT_S_LT, DT_S_LE, DT_S_GT, DT_S_GE, DT_S_CLAMP_MIN, DT_S_CLAMP_MAX,
    DT_S_COUNT
};

/* Reductions over a list of dims (an empty list reduces over every element). */
enum { DT_R_SUM = 0, DT_R_MEAN, DT_R_AMAX, DT_R_AMIN, DT_R_PROD, DT_R_COUNT };

/* In-place ops on `a` (autograd rules of PyTorch apply). */
enum { DT_I_ADD = 0, DT_I_MUL, DT_I_COPY, DT_I_SUB, DT_I_DIV, DT_I_COUNT };
enum { DT_IS_ADD = 0, DT_IS_MUL, DT_IS_FILL, DT_IS_ZERO, DT_IS_COUNT };

typedef void (*dt_deleter)(void *context);

typedef struct dt_api {
    uint32_t abi_version;
    uint32_t struct_size;

    /* --- backend ---------------------------------------------------------------------- */
    /* *out: a JSON object {"abi":4,"libtorch":"1.13.0","compiler":"…","cuda":false,
       "cpu_cache_mib":…,"build":"swiftpm"}, static (not freed). */
    dt_err (*build_info)(const char **out);
    dt_err (*show_config)(char **out);               /* *out freed with err_free */
    void (*err_free)(char *s);
    dt_err (*set_num_threads)(int32_t n);            /* ATen intra-op and OpenBLAS; n >= 1 */
    dt_err (*get_num_threads)(int32_t *out);
    int32_t (*blas_num_threads)(void);               /* -1 when the BLAS is not OpenBLAS */
    dt_err (*cuda_device_count)(int32_t *out);
    int64_t (*live_tensors)(void);                   /* handles not yet freed */
    int32_t (*grad_enabled)(void);
    void (*set_grad_enabled)(int32_t on);
    dt_err (*manual_seed)(uint64_t seed);

    /* --- creation ---------------------------------------------------------------------- */
    void (*tensor_free)(dt_tensor *t);
    dt_err (*from_data)(const void *data, int32_t dtype, const int64_t *shape, int32_t ndim,
                        dt_tensor **out);                                        /* copies */
    dt_err (*from_blob)(void *data, int32_t dtype, const int64_t *shape, int32_t ndim,
                        dt_deleter deleter, void *context, dt_tensor **out);     /* zero-copy */
    dt_err (*full)(const int64_t *shape, int32_t ndim, double value, int32_t dtype,
                   int32_t device_type, int32_t device_index, dt_tensor **out);
    dt_err (*arange)(double start, double end, double step, int32_t dtype,
                     int32_t device_type, int32_t device_index, dt_tensor **out);
    /* kind 0: uniform [0, 1), kind 1: standard normal. gen may be NULL (global generator). */
    dt_err (*random)(int32_t kind, const int64_t *shape, int32_t ndim, int32_t dtype,
                     int32_t device_type, int32_t device_index, dt_generator *gen, dt_tensor **out);
    dt_err (*generator_new)(uint64_t seed, int32_t device_type, int32_t device_index,
                            dt_generator **out);
    void (*generator_free)(dt_generator *g);

    /* --- metadata and copies out ------------------------------------------------------- */
    dt_err (*ndim)(const dt_tensor *t, int32_t *out);
    /* dim in [-ndim, ndim); any other is an `index` error. */
    dt_err (*size)(const dt_tensor *t, int64_t dim, int64_t *out);
    dt_err (*stride)(const dt_tensor *t, int64_t dim, int64_t *out);
    dt_err (*numel)(const dt_tensor *t, int64_t *out);
    dt_err (*dtype)(const dt_tensor *t, int32_t *out);         /* -1 for a type outside the enum */
    dt_err (*device)(const dt_tensor *t, int32_t *type, int32_t *index);
    dt_err (*requires_grad)(const dt_tensor *t, int32_t *out);
    dt_err (*is_leaf)(const dt_tensor *t, int32_t *out);
    dt_err (*same_storage)(const dt_tensor *a, const dt_tensor *b, int32_t *out); /* 1 when one aliases the other */
    /* Converts to `dtype` on the CPU and copies numel elements into buf (nbytes checked). */
    dt_err (*copy_out)(const dt_tensor *t, int32_t dtype, void *buf, int64_t nbytes);
    dt_err (*item)(const dt_tensor *t, double *out);
    dt_err (*item_int64)(const dt_tensor *t, int64_t *out);

    /* --- ops --------------------------------------------------------------------------- */
    dt_err (*unary)(int32_t op, const dt_tensor *a, dt_tensor **out);
    dt_err (*binary)(int32_t op, const dt_tensor *a, const dt_tensor *b, dt_tensor **out);
    dt_err (*scalar)(int32_t op, const dt_tensor *a, double s, dt_tensor **out);
    dt_err (*reduce)(int32_t op, const dt_tensor *a, const int64_t *dims, int32_t ndims,
                     int32_t keepdim, dt_tensor **out);
    /* max/min along dim with indices (which: 0 max, 1 min). */
    dt_err (*reduce_indices)(int32_t which, const dt_tensor *a, int64_t dim, int32_t keepdim,
                             dt_tensor **values, dt_tensor **indices);
    /* argmax/argmin (which 0/1); has_dim 0 flattens. */
    dt_err (*arg_reduce)(int32_t which, const dt_tensor *a, int32_t has_dim, int64_t dim,
                         int32_t keepdim, dt_tensor **out);
    dt_err (*softmax)(int32_t log, const dt_tensor *a, int64_t dim, dt_tensor **out);
    dt_err (*layer_norm)(const dt_tensor *a, const int64_t *normalized_shape, int32_t n,
                         const dt_tensor *weight, const dt_tensor *bias, double eps,
                         dt_tensor **out);
    dt_err (*embedding)(const dt_tensor *weight, const dt_tensor *indices, dt_tensor **out);
    /* view 1: a view (fails when strides do not allow), 0: reshape (copies when needed). */
    dt_err (*reshape)(int32_t view, const dt_tensor *a, const int64_t *shape, int32_t n,
                      dt_tensor **out);
    dt_err (*permute)(const dt_tensor *a, const int64_t *dims, int32_t n, dt_tensor **out);
    dt_err (*transpose)(const dt_tensor *a, int64_t d0, int64_t d1, dt_tensor **out);
    dt_err (*expand)(const dt_tensor *a, const int64_t *shape, int32_t n, dt_tensor **out);
    dt_err (*squeeze)(const dt_tensor *a, int32_t has_dim, int64_t dim, dt_tensor **out);
    dt_err (*unsqueeze)(const dt_tensor *a, int64_t dim, dt_tensor **out);
    dt_err (*narrow)(const dt_tensor *a, int64_t dim, int64_t start, int64_t length,
                     dt_tensor **out);
    /* Python-style slice a[start:end:step] along dim (end clamps; step > 0). */
    dt_err (*slice)(const dt_tensor *a, int64_t dim, int64_t start, int64_t end, int64_t step,
                    dt_tensor **out);
    dt_err (*select)(const dt_tensor *a, int64_t dim, int64_t index, dt_tensor **out);
    dt_err (*index_select)(const dt_tensor *a, int64_t dim, const dt_tensor *index,
                           dt_tensor **out);
    dt_err (*gather)(const dt_tensor *a, int64_t dim, const dt_tensor *index, dt_tensor **out);
    dt_err (*scatter_add)(const dt_tensor *a, int64_t dim, const dt_tensor *index,
                          const dt_tensor *src, dt_tensor **out);
    /* stack 0: cat along dim; 1: stack along a new dim. */
    dt_err (*cat)(const dt_tensor *const *ts, int32_t n, int64_t dim, int32_t stack,
                  dt_tensor **out);
    /* chunk 0: split into pieces of `size`; 1: into `size` chunks. The result array is
       malloc'ed (free with err_free) and holds *count handles. */
    dt_err (*split)(const dt_tensor *a, int64_t size, int64_t dim, int32_t chunk,
                    dt_tensor ***outs, int32_t *count);
    dt_err (*masked_fill)(const dt_tensor *a, const dt_tensor *mask, double value,
                          dt_tensor **out);
    dt_err (*where)(const dt_tensor *cond, const dt_tensor *a, const dt_tensor *b,
                    dt_tensor **out);
    dt_err (*triangle)(int32_t upper, const dt_tensor *a, int64_t diagonal, dt_tensor **out);
    dt_err (*topk)(const dt_tensor *a, int64_t k, int64_t dim, int32_t largest, int32_t sorted,
                   dt_tensor **values, dt_tensor **indices);
    dt_err (*sort)(const dt_tensor *a, int64_t dim, int32_t descending, int32_t stable,
                   dt_tensor **values, dt_tensor **indices);
    dt_err (*cumsum)(const dt_tensor *a, int64_t dim, dt_tensor **out);
    dt_err (*multinomial)(const dt_tensor *probs, int64_t n, int32_t replacement,
                          dt_generator *gen, dt_tensor **out);
    dt_err (*to)(const dt_tensor *a, int32_t dtype, int32_t device_type, int32_t device_index,
                 dt_tensor **out);                                  /* dtype -1: keep */
    dt_err (*inplace)(int32_t op, dt_tensor *a, const dt_tensor *b);
    dt_err (*inplace_scalar)(int32_t op, dt_tensor *a, double s);

    /* --- autograd ---------------------------------------------------------------------- */
    dt_err (*set_requires_grad)(dt_tensor *t, int32_t on);
    /* grad may be NULL (then t must be a scalar). */
    dt_err (*backward)(const dt_tensor *t, const dt_tensor *grad, int32_t retain_graph,
                       int32_t create_graph);
    dt_err (*grad)(const dt_tensor *t, dt_tensor **out);             /* *out NULL: no grad */
    dt_err (*set_grad)(dt_tensor *t, const dt_tensor *g);            /* g NULL clears */
    dt_err (*retain_grad)(dt_tensor *t);
    /* torch.autograd.grad. grad_outputs may be NULL or hold NULL entries; results[i] is NULL
       for an unused input when allow_unused is set. */
    dt_err (*autograd_grad)(const dt_tensor *const *outputs, int32_t n_outputs,
                            const dt_tensor *const *inputs, int32_t n_inputs,
                            const dt_tensor *const *grad_outputs, int32_t retain_graph,
                            int32_t create_graph, int32_t allow_unused, dt_tensor **results);

    /* --- benchmarks -------------------------------------------------------------------- */
    /* Runs n adds of two 1-element float32 tensors inside C++; *seconds is the wall time. */
    dt_err (*bench_add_loop)(int64_t n, double *seconds);

    /* --- ABI 2: model kernels ------------------------------------------------------------ */
    /* x @ w^T + b (torch.nn.functional.linear); b may be NULL. */
    dt_err (*linear)(const dt_tensor *x, const dt_tensor *w, const dt_tensor *b, dt_tensor **out);

    /* --- ABI 3: training and linear algebra ------------------------------------------------ */
    /* One AdamW update of `param` in place (torch.optim.AdamW's single-tensor rule, amsgrad off):
       param *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
       param -= lr/(1-b1^step) * m / (sqrt(v)/sqrt(1-b2^step) + eps), in one pass. step is the
       parameter's 1-based step count. param, exp_avg and exp_avg_sq are contiguous float32 or
       float64 tensors of one shape and dtype; grad matches them (it is made contiguous). */
    dt_err (*adamw_step)(dt_tensor *param, const dt_tensor *grad, dt_tensor *exp_avg, dt_tensor *exp_avg_sq,
                         double lr, double beta1, double beta2, double eps, double weight_decay, int64_t step);
    /* Thin SVD of a matrix or batch of matrices (torch.linalg.svd, full_matrices=False): singular
       values in descending order. With u and vh NULL only the values are computed
       (torch.linalg.svdvals). */
    dt_err (*svd)(const dt_tensor *a, dt_tensor **u, dt_tensor **s, dt_tensor **vh);
} dt_api;

/* The one symbol a backend exports besides its ABI version (neither throws). */
#ifdef __cplusplus
#define DT_NOEXCEPT noexcept
#else
#define DT_NOEXCEPT
#endif
const dt_api *discern_torch_api(void) DT_NOEXCEPT;
int32_t discern_torch_abi_version(void) DT_NOEXCEPT;

/* Opens the backend at `path`, checks its ABI version and returns its table.
   On failure returns NULL and writes a message to err (NUL-terminated, at most errlen bytes). */
const dt_api *dt_load(const char *path, char *err, size_t errlen);

/* Writes the file path of the shared object (or executable) containing this code. */
int dt_self_path(char *buf, size_t len);

/* Sets glibc malloc's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD (bytes; a value <= 0 leaves that one
   alone). Part of the loader, not of the backend's table. Returns 1 when glibc accepted both. */
int dt_set_heap_thresholds(long mmap_threshold, long trim_threshold);

#ifdef __cplusplus
}
#endif
#endif
