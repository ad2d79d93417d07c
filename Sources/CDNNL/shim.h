// oneDNN's C API (Debian's libdnnl-dev 2.6, JIT kernels per ISA) for the Tensor module's oneDNN backend.
// Cast macros do not import into Swift; the inline functions below stand in for them.
#ifndef MRCNN_CDNNL_SHIM_H
#define MRCNN_CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <stddef.h>

/// DNNL_MEMORY_ALLOCATE: let the library allocate a memory object's buffer.
static inline void *mrcnn_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
/// DNNL_MEMORY_NONE: a memory object without a buffer (set one later).
static inline void *mrcnn_dnnl_memory_none(void) { return DNNL_MEMORY_NONE; }

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
