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
#endif
