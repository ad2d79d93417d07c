// CBLAS from OpenBLAS (Debian's libopenblas-dev); the only C interop of the numeric layers.
#ifndef MRCNN_COPENBLAS_SHIM_H
#define MRCNN_COPENBLAS_SHIM_H
#include <cblas.h>
#include <malloc.h>
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

/// glibc: keep large freed blocks in the heap (no mmap/munmap per feature map, no page faults on reuse).
static inline void mrcnn_keep_large_allocations(void) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}
#endif
