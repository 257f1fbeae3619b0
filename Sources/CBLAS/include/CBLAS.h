// The OpenBLAS shim of Memento, and the kernels written in C (vmath.c): the matrix-product
// kernel most products use on AVX-512 CPUs (see BLAS.swift), attention for one (batch,
// head) pair, the LSTM gate math, vectorised exp / sigmoid / tanh / GELU, layer norm, Adam,
// the FMA peak loop for benchmarks; Philox blocks and Bernoulli masks in bulk (philox.c);
// the KV-cached decoder's attention and sampling weights (decode.c).
//
// OpenBLAS picks its compute kernel for the CPU once, when the library is loaded, reading
// the environment variable OPENBLAS_CORETYPE. Version 0.3.21 (Debian 12) does not know
// recent AVX-512 CPUs (AMD Zen 4, for example) and falls back to its Haswell kernels, half
// as fast. A program linked against libopenblas loads it before any of its own code runs,
// so nothing the program does can fix that afterwards. Memento therefore does not link
// OpenBLAS: it loads it with dlopen() on first use, after setting OPENBLAS_CORETYPE=SkylakeX
// when the CPU has AVX-512 (F, BW, DQ, VL) and the user has not chosen a core type already.
// This works however the program is started (swift run, swift test, the built binary).
#ifndef MEMENTO_CBLAS_H
#define MEMENTO_CBLAS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads OpenBLAS once (thread-safe). Returns 1 when it is available, 0 otherwise; in that
/// case memento_blas_error() says why.
int memento_blas_load(void);

/// Why OpenBLAS could not be loaded, or NULL.
const char *memento_blas_error(void);

/// The core type OpenBLAS reports (openblas_get_corename), e.g. "SkylakeX", or "none".
const char *memento_blas_corename(void);

/// The OPENBLAS_CORETYPE value Memento set, or NULL if it left the environment alone.
const char *memento_blas_coretype_set(void);

/// Sets OpenBLAS's own thread count (no-op when not loaded). Memento sets it to 1 at load
/// and parallelises large products itself (see BLAS.swift).
void memento_blas_set_threads(int n);

/// C = alpha * op(A) * op(B) + beta * C, row-major, through cblas_sgemm.
/// Precondition: memento_blas_load() returned 1.
void memento_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb, float beta,
                   float *c, int ldc);

/// A spin-wait hint for the CPU (PAUSE on x86-64): used by the worker pool's busy waits.
void memento_cpu_relax(void);
/// Whether the AVX-512 kernels run: the CPU has AVX-512 (F, BW, DQ, VL) and MEMENTO_AVX512
/// does not turn them off (decided once, at start-up; see cpu.c).
int memento_cpu_has_avx512(void);
/// Whether the hardware has AVX-512 (F, BW, DQ, VL), whatever MEMENTO_AVX512 says.
int memento_cpu_avx512_hardware(void);
/// The decision for a MEMENTO_AVX512 value (NULL, "", "auto", "0"/"off", "1"/"on") on hardware
/// with (1) or without (0) AVX-512: 1 when the AVX-512 kernels run. Writes a message for the
/// user into `message` (empty when there is nothing to say), e.g. when AVX-512 is forced on a
/// CPU without it (the answer is then 0: never an illegal instruction).
int memento_avx512_decide(const char *setting, int hardware, char *message, size_t capacity);
/// Whether these C kernels were compiled with optimisation (a release build; a debug build
/// compiles them at -O0, several times slower, so timing them says nothing about the CPU).
int memento_kernels_optimized(void);
/// Size in bytes of the level-`level` data (or unified) cache of one core, from sysfs, else
/// CPUID; 0 when neither says.
long memento_cpu_cache_size(int level);
/// The CPU's brand string with its family, model and stepping, e.g.
/// "AMD EPYC (family 26, model 2, stepping 1)".
void memento_cpu_model(char *buffer, size_t capacity);

/// Runs `iterations` rounds of a register-resident fused-multiply-add loop on the calling
/// thread (AVX-512 when present, else AVX2+FMA, else scalar) and returns the number of
/// floating point operations it performed. Used to measure the machine's peak.
double memento_fma_peak_kernel(long iterations);

/// y[i] = e^x[i] for i < n (x and y may be the same array). See vmath.c for accuracy.
void memento_vexp(const float *x, float *y, long n);
/// y[i] = 1 / (1 + e^−x[i]).
void memento_vsigmoid(const float *x, float *y, long n);
/// y[i] = tanh(x[i]).
void memento_vtanh(const float *x, float *y, long n);
/// y[i] = GELU(x[i]) with the exact Gaussian CDF (erf to 1.5e-7).
void memento_vgelu(const float *x, float *y, long n);
/// One Adam / AdamW step over n parameters in place (see vmath.c for the formula).
void memento_adam_update(float *w, const float *g, float *m, float *v, long n, float b1, float b2,
                         float stepSize, float invRootC2, float eps, float shrink, float wd);
/// Layer normalisation of `rows` rows of length d: y = x̂·γ + β, with x̂ and 1/σ saved.
void memento_layernorm_forward(const float *x, const float *gamma, const float *beta, float *y, float *xhat,
                               float *rstd, long rows, long d, float eps);
/// Its backward pass: writes dx, adds into dγ and dβ (unless dgamma is NULL).
void memento_layernorm_backward(const float *dy, const float *xhat, const float *rstd, const float *gamma,
                                float *dx, float *dgamma, float *dbeta, long rows, long d);
/// Adds into dγ and dβ of the columns [j0, j0 + width) alone, summing each column over the
/// rows in the same order and with the same operations as memento_layernorm_backward.
void memento_layernorm_param_grads(const float *dy, const float *xhat, long rows, long d, long j0, long width,
                                   float *dgamma, float *dbeta);
/// C = β·C + bias + A·B for row-major A (m × k, row stride lda), B (k × n, ldb), C (ldc),
/// without packing either (see vmath.c); `bias` (a row of n values added to every row of C)
/// may be NULL. Returns 0 when the CPU lacks AVX-512 (the caller then uses OpenBLAS).
int memento_gemm_nn(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                    float beta, const float *bias, float *c, long ldc);
/// C = β·C + Aᵀ·B with A stored k × m (row stride lda): the same kernel reading A's columns
/// (a weight gradient dW = dYᵀ·X without transposing dY). Returns 0 without AVX-512.
int memento_gemm_tn(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                    float beta, float *c, long ldc);
/// memento_gemm_nn and memento_gemm_tn, copying each 64-column panel of B into `pack` (room
/// for k × 64 floats, 64-byte aligned) before the rows of A pass over it (see vmath.c).
int memento_gemm_nn_packed(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                           float beta, const float *bias, float *c, long ldc, float *pack);
int memento_gemm_tn_packed(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                           float beta, float *c, long ldc, float *pack);
/// dx[i] = dy[i] · GELU'(x[i]).
void memento_vgelu_backward(const float *x, const float *dy, float *dx, long n);
/// dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols (an out-of-place transpose).
void memento_transpose(const float *src, long rows, long cols, long lds, float *dst, long ldd);
/// out[j] = Σ_r p[r·ld + j] for j < cols, the rows summed in order (a bias gradient).
void memento_column_sums(const float *p, long rows, long cols, long ld, float *out);
/// One LSTM step's gate math for one sequence, in place on its pre-activations a = [i f g o]
/// (4H): activates the gates, writes c' = f⊙c + i⊙g, tanh(c') and h' = o⊙tanh(c').
void memento_lstm_forward_step(float *a, const float *cPrev, float *c, float *tc, float *h, long H);
/// Its backward for one sequence: the gate gradients da (4H) from dL/dh' (dh, plus gOut if
/// not NULL) and dL/dc' (dc, replaced by dL/dc). `a` holds the activated gates.
void memento_lstm_backward_step(const float *a, const float *tc, const float *cPrev, const float *gOut,
                                const float *dh, float *dc, float *da, long H);

/// Self-attention of one (batch, head) pair, forward: P = softmax(scale·Q·Kᵀ + mask) (T × T,
/// masked weights exactly 0, a row with nothing to attend to all 0) and Y = P·V. Q, K, V
/// have T rows of hs values, `ld` apart; `keep` (T values, 0 = padding) or NULL; Y rows are
/// `ldy` apart; `work` holds hs·T floats. Returns 0 (doing nothing) without AVX-512.
int memento_attention_forward(const float *q, const float *k, const float *v, long ld, long T, long hs, float scale,
                              int causal, const float *keep, float *p, float *y, long ldy, float *work);
/// Its backward: from P and dY (rows `ldy` apart) writes dQ, dK, dV (rows `ld` apart).
/// `work` holds hs·T + 2·T·T floats. Returns 0 (doing nothing) without AVX-512.
int memento_attention_backward(const float *q, const float *k, const float *v, long ld, const float *p, const float *dy,
                               long ldy, long T, long hs, float scale, int causal, float *dq, float *dk, float *dv,
                               float *work);

/// `count` Philox4x32-10 blocks (4 words each) of key (key0, key1) and stream `stream`, for
/// the counters block, block + 1, …: exactly the blocks TensorCore's RNG produces one by one.
void memento_philox_blocks(uint32_t key0, uint32_t key1, uint64_t block, uint64_t stream, long count, uint32_t *out);
/// n Bernoulli draws from 2n words (each pair lo, hi one 64-bit number x): out[i] = value
/// when x >> 11 < threshold, else 0.
void memento_bernoulli_from_bits(const uint32_t *bits, long n, uint64_t threshold, float value, float *out);
/// The same n draws from the generator's own words: those from word `offset` of block
/// `block` on (two words a draw), so that any run of draws can be made on its own.
void memento_bernoulli_philox(uint32_t key0, uint32_t key1, uint64_t stream, uint64_t block, long offset, long n,
                              uint64_t threshold, float value, float *out);
/// Attention of one batch row's n new queries over its KV cache (decode.c): query i, at
/// position first + i, attends to positions 0 … first + i. Query i's heads sit side by side
/// at q + i·ldq (head h at h·hs); the row's keys are transposed per head, element (h, d, t)
/// at kt[(h·hs + d)·cap + t]; its values are position-major, value t at v + t·heads·hs.
/// Writes y + i·ldy (heads side by side); `s` is scratch for first + n floats.
void memento_decode_attention(const float *q, long ldq, const float *kt, const float *v, long cap, long heads, long hs,
                              long first, long n, float scale, float *y, long ldy, float *s);
/// p[j] = e^{(z[j] − max z)/τ} for j < n (p may not alias z); writes max z into `max` and
/// returns Σ p.
float memento_softmax_weights(const float *z, long n, float temperature, float *p, float *max);
#ifdef __cplusplus
}
#endif

#endif
