// See include/CBLAS.h for why OpenBLAS is loaded at run time.
#define _GNU_SOURCE
#include "CBLAS.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// CBLAS enum values (cblas.h): row-major 101, no-trans 111, trans 112.
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                         const float *, int, float, float *, int);
typedef char *(*corename_fn)(void);
typedef void (*set_threads_fn)(int);

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static sgemm_fn p_sgemm = NULL;
static corename_fn p_corename = NULL;
static set_threads_fn p_set_threads = NULL;
static char load_error[512] = {0};
static const char *coretype_set = NULL;

void memento_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

static void do_load(void) {
    const char *user = getenv("OPENBLAS_CORETYPE");
    if (user == NULL || user[0] == 0) {
        if (memento_cpu_has_avx512()) {
            setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
            coretype_set = "SkylakeX";
        } else if (memento_cpu_avx512_hardware()) {
            // MEMENTO_AVX512=0: OpenBLAS's own AVX-512 kernels are off too, so that the
            // switch gives what a CPU without AVX-512 runs.
            setenv("OPENBLAS_CORETYPE", "Haswell", 1);
            coretype_set = "Haswell";
        }
    }
    // Memento runs each product on one OpenBLAS thread and splits large ones itself, so
    // OpenBLAS needs no worker threads (idle ones spin in sched_yield and steal a core).
    if (!getenv("OPENBLAS_NUM_THREADS")) setenv("OPENBLAS_NUM_THREADS", "1", 1);
    const char *names[] = {"libopenblas.so.0", "libopenblas.so", NULL};
    void *handle = NULL;
    for (int i = 0; names[i] && !handle; i++) handle = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
        snprintf(load_error, sizeof load_error,
                 "OpenBLAS could not be loaded (%s); install it with: apt-get install libopenblas-dev",
                 dlerror());
        return;
    }
    p_sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    p_corename = (corename_fn)dlsym(handle, "openblas_get_corename");
    p_set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
    // Memento splits large products across cores itself (OpenBLAS 0.3.21's own threading
    // is slower than one thread for mid-sized products), so each call runs on one thread.
    if (p_set_threads) p_set_threads(1);
    if (!p_sgemm) {
        snprintf(load_error, sizeof load_error, "the loaded OpenBLAS has no cblas_sgemm");
    }
}

int memento_blas_load(void) {
    pthread_once(&load_once, do_load);
    return p_sgemm != NULL;
}

const char *memento_blas_error(void) {
    memento_blas_load();
    return load_error[0] ? load_error : NULL;
}

const char *memento_blas_corename(void) {
    if (!memento_blas_load() || !p_corename) return "none";
    return p_corename();
}

const char *memento_blas_coretype_set(void) {
    memento_blas_load();
    return coretype_set;
}

void memento_blas_set_threads(int n) {
    if (memento_blas_load() && p_set_threads) p_set_threads(n);
}

void memento_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb, float beta,
                   float *c, int ldc) {
    p_sgemm(101, transA ? 112 : 111, transB ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Tensors of a training step are allocated and freed in the same sizes every step. glibc
// serves blocks above its mmap threshold with fresh mmap() calls and returns them with
// munmap(), so every step of a mid-sized model page-faulted its buffers anew (measured:
// 7% of an LSTM training step). Keeping such blocks in the heap makes them reusable.
#include <malloc.h>
__attribute__((constructor))
static void memento_tune_malloc(void) {
    if (getenv("MEMENTO_DEFAULT_MALLOC")) return;
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
}
