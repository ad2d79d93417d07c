// oneDNN's C API for the Tensor module, the same to Swift for oneDNN 2.x (Debian's libdnnl-dev 2.6: op descriptors,
// memory descriptors as structs) and 3.x (PyPI's onednn-devel-cpu-gomp 3.2: *_primitive_desc_create, memory
// descriptors as opaque handles): memory descriptors are `mrcnn_md` handles the caller destroys, primitive
// descriptors come from one function per primitive kind. Cast macros (DNNL_MEMORY_ALLOCATE) do not import into
// Swift; the inline functions below stand in for them.
#ifndef MRCNN_CDNNL_SHIM_H
#define MRCNN_CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if DNNL_VERSION_MAJOR >= 3
typedef dnnl_memory_desc_t mrcnn_md_impl;
#define MRCNN_MD(m) ((dnnl_memory_desc_t)(m))
#else
typedef dnnl_memory_desc_t *mrcnn_md_impl;
#define MRCNN_MD(m) ((const dnnl_memory_desc_t *)(m))
#endif

/// A memory descriptor owned by the caller (release with mrcnn_md_destroy); NULL when oneDNN refused it.
typedef void *mrcnn_md;

/// "2.6.3" / "3.2.0": the oneDNN this process runs.
static inline const char *mrcnn_dnnl_version(void) {
    static char text[32];
    const dnnl_version_t *v = dnnl_version();
    snprintf(text, sizeof text, "%d.%d.%d", v->major, v->minor, v->patch);
    return text;
}

static inline mrcnn_md mrcnn_md_tag(int ndims, const int64_t *dims, dnnl_data_type_t type, dnnl_format_tag_t tag) {
#if DNNL_VERSION_MAJOR >= 3
    dnnl_memory_desc_t md = NULL;
    return dnnl_memory_desc_create_with_tag(&md, ndims, dims, type, tag) == dnnl_success ? (mrcnn_md)md : NULL;
#else
    dnnl_memory_desc_t *md = (dnnl_memory_desc_t *)calloc(1, sizeof *md);
    if (dnnl_memory_desc_init_by_tag(md, ndims, dims, type, tag) == dnnl_success) return md;
    free(md);
    return NULL;
#endif
}

static inline mrcnn_md mrcnn_md_strides(int ndims, const int64_t *dims, dnnl_data_type_t type, const int64_t *strides) {
#if DNNL_VERSION_MAJOR >= 3
    dnnl_memory_desc_t md = NULL;
    return dnnl_memory_desc_create_with_strides(&md, ndims, dims, type, strides) == dnnl_success ? (mrcnn_md)md : NULL;
#else
    dnnl_memory_desc_t *md = (dnnl_memory_desc_t *)calloc(1, sizeof *md);
    if (dnnl_memory_desc_init_by_strides(md, ndims, dims, type, strides) == dnnl_success) return md;
    free(md);
    return NULL;
#endif
}

/// A copy of a descriptor oneDNN returned (a query result).
static inline mrcnn_md mrcnn_md_clone(const void *md) {
#if DNNL_VERSION_MAJOR >= 3
    dnnl_memory_desc_t out = NULL;
    return dnnl_memory_desc_clone(&out, (const_dnnl_memory_desc_t)md) == dnnl_success ? (mrcnn_md)out : NULL;
#else
    dnnl_memory_desc_t *out = (dnnl_memory_desc_t *)malloc(sizeof *out);
    memcpy(out, md, sizeof *out);
    return out;
#endif
}

static inline void mrcnn_md_destroy(mrcnn_md md) {
#if DNNL_VERSION_MAJOR >= 3
    dnnl_memory_desc_destroy((dnnl_memory_desc_t)md);
#else
    free(md);
#endif
}

static inline int mrcnn_md_equal(mrcnn_md a, mrcnn_md b) { return dnnl_memory_desc_equal(MRCNN_MD(a), MRCNN_MD(b)); }
static inline size_t mrcnn_md_size(mrcnn_md md) { return dnnl_memory_desc_get_size(MRCNN_MD(md)); }

static inline int mrcnn_md_ndims(mrcnn_md md) {
#if DNNL_VERSION_MAJOR >= 3
    int n = 0;
    dnnl_memory_desc_query(MRCNN_MD(md), dnnl_query_ndims_s32, &n);
    return n;
#else
    return ((const dnnl_memory_desc_t *)md)->ndims;
#endif
}

/// Writes the descriptor's dimensions (ndims values) to `out`.
static inline void mrcnn_md_dims(mrcnn_md md, int64_t *out) {
#if DNNL_VERSION_MAJOR >= 3
    const dnnl_dims_t *dims = NULL;
    dnnl_memory_desc_query(MRCNN_MD(md), dnnl_query_dims, &dims);
    memcpy(out, *dims, sizeof(int64_t) * mrcnn_md_ndims(md));
#else
    memcpy(out, ((const dnnl_memory_desc_t *)md)->dims, sizeof(int64_t) * mrcnn_md_ndims(md));
#endif
}

static inline dnnl_data_type_t mrcnn_md_data_type(mrcnn_md md) {
#if DNNL_VERSION_MAJOR >= 3
    dnnl_data_type_t t = dnnl_data_type_undef;
    dnnl_memory_desc_query(MRCNN_MD(md), dnnl_query_data_type, &t);
    return t;
#else
    return ((const dnnl_memory_desc_t *)md)->data_type;
#endif
}

/// Post-ops: a sum onto the destination's previous contents multiplied by `sum_scale` (read as `sum_type`, a type of
/// the destination's size, unless that is dnnl_data_type_undef), then ReLU, each when asked for.
static inline dnnl_primitive_attr_t mrcnn_attr_sum(int sum, float sum_scale, dnnl_data_type_t sum_type, int relu) {
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_attr_create(&attr);
    dnnl_post_ops_create(&ops);
#if DNNL_VERSION_MAJOR >= 3
    if (sum) dnnl_post_ops_append_sum(ops, sum_scale, 0, sum_type);
    if (relu) dnnl_post_ops_append_eltwise(ops, dnnl_eltwise_relu, 0.f, 0.f);
#else
    if (sum) dnnl_post_ops_append_sum_v2(ops, sum_scale, sum_type);
    if (relu) dnnl_post_ops_append_eltwise(ops, 1.f, dnnl_eltwise_relu, 0.f, 0.f);
#endif
    dnnl_primitive_attr_set_post_ops(attr, ops);
    dnnl_post_ops_destroy(ops);
    return attr;
}

/// Post-ops: a sum onto the destination's previous contents (scale 1), then ReLU, each when asked for.
static inline dnnl_primitive_attr_t mrcnn_attr(int sum, int relu) { return mrcnn_attr_sum(sum, 1.f, dnnl_data_type_undef, relu); }

/// 1 when this process's oneDNN is 3.x (scales given at execution, bias added after them), 0 for 2.x.
static inline int mrcnn_dnnl_v3(void) { return DNNL_VERSION_MAJOR >= 3; }

/// Attributes of an int8 convolution (s32 accumulation) with `mrcnn_attr`'s post-ops. oneDNN 2.x: `combined` holds
/// one output scale per output channel (src scale × weight scale), applied after the bias is added. oneDNN 3.x: a
/// common source scale and per-output-channel weight scales passed at execution (`combined` unused), the bias added
/// after them; with `dst_scaled` (an int8 destination) also a common destination scale, by which the result is
/// divided before it is rounded (2.x: already divided into `combined`). The sum post-op adds `sum_scale` × the stored
/// value (as `sum_type`) before the ReLU: 2.x after the output scales, so for an int8 residual of step r summed into
/// an int8 destination of step d, r / d; 3.x before the destination scale divides everything, so r.
static inline dnnl_primitive_attr_t mrcnn_attr_int8(int sum, float sum_scale, dnnl_data_type_t sum_type, int relu,
                                                    int dst_scaled, int64_t count, const float *combined) {
    dnnl_primitive_attr_t attr = mrcnn_attr_sum(sum, sum_scale, sum_type, relu);
#if DNNL_VERSION_MAJOR >= 3
    (void)count; (void)combined;
    dnnl_primitive_attr_set_scales_mask(attr, DNNL_ARG_SRC, 0);
    dnnl_primitive_attr_set_scales_mask(attr, DNNL_ARG_WEIGHTS, 1);
    if (dst_scaled) dnnl_primitive_attr_set_scales_mask(attr, DNNL_ARG_DST, 0);
#else
    (void)dst_scaled;
    dnnl_primitive_attr_set_output_scales(attr, count, 1 << 1, combined);
#endif
    return attr;
}

/// A reorder that scales: dst = saturate(round(src / scale)) with `divide` (quantizing; round to nearest even), else
/// dst = saturate(round(src × scale)) (an int8 map's integers → its values). oneDNN 3.x takes `scale` at execution
/// (DNNL_ARG_ATTR_SCALES | DNNL_ARG_DST when dividing, | DNNL_ARG_SRC when multiplying).
static inline dnnl_status_t mrcnn_scaled_reorder_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, mrcnn_md src,
                                                    mrcnn_md dst, float scale, int divide) {
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_attr_create(&attr);
#if DNNL_VERSION_MAJOR >= 3
    (void)scale;
    dnnl_primitive_attr_set_scales_mask(attr, divide ? DNNL_ARG_DST : DNNL_ARG_SRC, 0);
#else
    const float factor = divide ? 1.f / scale : scale;
    dnnl_primitive_attr_set_output_scales(attr, 1, 0, &factor);
#endif
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(pd, MRCNN_MD(src), engine, MRCNN_MD(dst), engine, attr);
    dnnl_primitive_attr_destroy(attr);
    return s;
}

/// The argument id of the runtime scales of `arg` (oneDNN 3.x).
static inline int mrcnn_scales_arg(int arg) {
#if DNNL_VERSION_MAJOR >= 3
    return DNNL_ARG_ATTR_SCALES | arg;
#else
    return arg;
#endif
}

/// A convolution (or, with `deconv`, a transposed convolution) for inference; `bias` may be NULL.
static inline dnnl_status_t mrcnn_conv_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, int deconv, mrcnn_md src,
                                          mrcnn_md weights, mrcnn_md bias, mrcnn_md dst, const int64_t *strides,
                                          const int64_t *padding, const_dnnl_primitive_attr_t attr) {
#if DNNL_VERSION_MAJOR >= 3
    const int64_t dilation[2] = {0, 0};
    if (deconv)
        return dnnl_deconvolution_forward_primitive_desc_create(pd, engine, dnnl_forward_inference,
            dnnl_deconvolution_direct, MRCNN_MD(src), MRCNN_MD(weights), bias ? MRCNN_MD(bias) : NULL, MRCNN_MD(dst),
            strides, dilation, padding, padding, attr);
    return dnnl_convolution_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, dnnl_convolution_direct,
        MRCNN_MD(src), MRCNN_MD(weights), bias ? MRCNN_MD(bias) : NULL, MRCNN_MD(dst), strides, dilation, padding,
        padding, attr);
#else
    dnnl_convolution_desc_t desc;   // dnnl_deconvolution_desc_t is the same struct
    dnnl_status_t s = deconv
        ? dnnl_deconvolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_deconvolution_direct, MRCNN_MD(src),
              MRCNN_MD(weights), bias ? MRCNN_MD(bias) : NULL, MRCNN_MD(dst), strides, padding, padding)
        : dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct, MRCNN_MD(src),
              MRCNN_MD(weights), bias ? MRCNN_MD(bias) : NULL, MRCNN_MD(dst), strides, padding, padding);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
#endif
}

/// A fully connected layer for inference.
static inline dnnl_status_t mrcnn_inner_product_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, mrcnn_md src,
                                                   mrcnn_md weights, mrcnn_md bias, mrcnn_md dst,
                                                   const_dnnl_primitive_attr_t attr) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_inner_product_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, MRCNN_MD(src),
        MRCNN_MD(weights), MRCNN_MD(bias), MRCNN_MD(dst), attr);
#else
    dnnl_inner_product_desc_t desc;
    dnnl_status_t s = dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, MRCNN_MD(src),
        MRCNN_MD(weights), MRCNN_MD(bias), MRCNN_MD(dst));
    return s != dnnl_success ? s : dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
#endif
}

/// A (batched) matrix product, no bias.
static inline dnnl_status_t mrcnn_matmul_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, mrcnn_md src,
                                            mrcnn_md weights, mrcnn_md dst) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_matmul_primitive_desc_create(pd, engine, MRCNN_MD(src), MRCNN_MD(weights), NULL, MRCNN_MD(dst), NULL);
#else
    dnnl_matmul_desc_t desc;
    dnnl_status_t s = dnnl_matmul_desc_init(&desc, MRCNN_MD(src), MRCNN_MD(weights), NULL, MRCNN_MD(dst));
    return s != dnnl_success ? s : dnnl_primitive_desc_create(pd, &desc, NULL, engine, NULL);
#endif
}

/// Max pooling (padding counts as −∞).
static inline dnnl_status_t mrcnn_max_pool_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, mrcnn_md src,
                                              mrcnn_md dst, const int64_t *strides, const int64_t *kernel,
                                              const int64_t *padding) {
#if DNNL_VERSION_MAJOR >= 3
    const int64_t dilation[2] = {0, 0};
    return dnnl_pooling_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, dnnl_pooling_max,
        MRCNN_MD(src), MRCNN_MD(dst), strides, kernel, dilation, padding, padding, NULL);
#else
    dnnl_pooling_desc_t desc;
    dnnl_status_t s = dnnl_pooling_forward_desc_init(&desc, dnnl_forward_inference, dnnl_pooling_max, MRCNN_MD(src),
        MRCNN_MD(dst), strides, kernel, padding, padding);
    return s != dnnl_success ? s : dnnl_primitive_desc_create(pd, &desc, NULL, engine, NULL);
#endif
}

/// Nearest-neighbour resampling to the destination's size.
static inline dnnl_status_t mrcnn_nearest_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, mrcnn_md src, mrcnn_md dst) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_resampling_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, dnnl_resampling_nearest,
        NULL, MRCNN_MD(src), MRCNN_MD(dst), NULL);
#else
    dnnl_resampling_desc_t desc;
    dnnl_status_t s = dnnl_resampling_forward_desc_init(&desc, dnnl_forward_inference, dnnl_resampling_nearest, NULL,
        MRCNN_MD(src), MRCNN_MD(dst));
    return s != dnnl_success ? s : dnnl_primitive_desc_create(pd, &desc, NULL, engine, NULL);
#endif
}

static inline dnnl_status_t mrcnn_reorder_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, mrcnn_md src, mrcnn_md dst) {
    return dnnl_reorder_primitive_desc_create(pd, MRCNN_MD(src), engine, MRCNN_MD(dst), engine, NULL);
}

/// The descriptor of `what` (dnnl_query_src_md, …) of a primitive descriptor, as a new handle.
static inline mrcnn_md mrcnn_pd_md(const_dnnl_primitive_desc_t pd, dnnl_query_t what) {
    return mrcnn_md_clone(dnnl_primitive_desc_query_md(pd, what, 0));
}

/// A memory object over `handle` (NULL: oneDNN allocates and owns the buffer).
static inline dnnl_status_t mrcnn_memory(dnnl_memory_t *memory, mrcnn_md md, dnnl_engine_t engine, void *handle) {
    return dnnl_memory_create(memory, MRCNN_MD(md), engine, handle ? handle : DNNL_MEMORY_ALLOCATE);
}

/// oneDNN's most capable ISA on this CPU (respecting DNNL_MAX_CPU_ISA), by its oneDNN name.
static inline const char *mrcnn_effective_isa(void) {
    switch (dnnl_get_effective_cpu_isa()) {
#if DNNL_VERSION_MAJOR >= 3
    case dnnl_cpu_isa_avx512_core_amx_fp16: return "avx512_core_amx_fp16";
    case dnnl_cpu_isa_avx512_core_fp16: return "avx512_core_fp16";
    case dnnl_cpu_isa_avx2_vnni_2: return "avx2_vnni_2";
#endif
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_sse41: return "sse41";
    default: return "other";
    }
}

/// OpenMP's omp_set_num_threads / omp_get_max_threads, looked up in the process (oneDNN's libgomp) so that no
/// OpenMP development package is needed; -1 / no-op when the process has no OpenMP runtime.
static inline int mrcnn_omp_set_num_threads(int n) {
    void (*f)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (!f) return -1;
    f(n);
    return 0;
}
static inline int mrcnn_omp_get_max_threads(void) {
    int (*f)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_max_threads");
    return f ? f() : -1;
}

/// One member's share of a team run: its index, the team size and the caller's context.
typedef void (*mrcnn_team_body)(void *context, int thread, int threads);
struct mrcnn_team_call {
    mrcnn_team_body body;
    void *context;
    int (*thread_num)(void);
    int (*num_threads)(void);
};
static inline void mrcnn_team_member(void *p) {
    struct mrcnn_team_call *call = (struct mrcnn_team_call *)p;
    call->body(call->context, call->thread_num(), call->num_threads());
}

/// Runs `body` once on each of up to `threads` members of libgomp's team for the calling thread (the OpenMP threads
/// oneDNN's kernels run on; the caller is member 0) and returns 1 when all are done; returns 0 without running
/// anything when the process has no libgomp (GOMP_parallel is libgomp's entry point for `#pragma omp parallel`).
static inline int mrcnn_omp_team(int threads, mrcnn_team_body body, void *context) {
    static void (*parallel)(void (*)(void *), void *, unsigned, unsigned);
    static int (*thread_num)(void), (*num_threads)(void);
    static int looked_up;
    if (!looked_up) {
        parallel = (void (*)(void (*)(void *), void *, unsigned, unsigned))dlsym(RTLD_DEFAULT, "GOMP_parallel");
        thread_num = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_thread_num");
        num_threads = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_num_threads");
        looked_up = 1;
    }
    if (!parallel || !thread_num || !num_threads) return 0;
    struct mrcnn_team_call call = { body, context, thread_num, num_threads };
    parallel(mrcnn_team_member, &call, (unsigned)threads, 0);
    return 1;
}
#endif
