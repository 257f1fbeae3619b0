// Memento's C kernels, AVX-512 chosen at run time (other CPUs get plain loops, or the caller
// falls back to OpenBLAS): vectorised exp, sigmoid, tanh and GELU; Adam; layer norm; the
// in-place matrix-product kernel and, built on it, attention for one (batch, head) pair;
// the LSTM step's gate math; a transpose; column sums.
//
// exp uses the Cephes single-precision scheme: x = n·ln2 + r with |r| ≤ ln2/2, a degree-6
// polynomial for e^r, and 2^n built in the exponent bits; about 1 ulp. Inputs below −87.3
// give exactly 0 (so a −∞ attention mask stays an exact zero), above 88.7 they saturate
// at e^88.7. tanh(x) = sign(x)·(1 − 2/(e^{2|x|} + 1)) and sigmoid(x) = 1/(1 + e^−x),
// both with absolute error under 1e-7. The AVX-512 version is chosen at run time, else an
// AVX2 one of exp, sigmoid and tanh; other CPUs use the C library.
#include "CBLAS.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f")))
static inline __m512 exp512(__m512 x) {
    const __m512 hi = _mm512_set1_ps(88.7f), lo = _mm512_set1_ps(-87.3f);
    __mmask16 under = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
    x = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 r2 = _mm512_mul_ps(r, r);
    p = _mm512_fmadd_ps(p, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    __m512 y = _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
    return _mm512_mask_blend_ps(under, y, _mm512_setzero_ps());
}

__attribute__((target("avx512f")))
static void vexp512(const float *x, float *y, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, exp512(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, exp512(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

__attribute__((target("avx512f")))
static inline __m512 sigmoid512(__m512 x) {
    __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), x));
    return _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

__attribute__((target("avx512f")))
static void vsigmoid512(const float *x, float *y, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, sigmoid512(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, sigmoid512(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

__attribute__((target("avx512f")))
static inline __m512 tanh512(__m512 x) {
    const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32((int)0x80000000));
    __m512 ax = _mm512_castsi512_ps(_mm512_andnot_si512(_mm512_castps_si512(sign), _mm512_castps_si512(x)));
    __m512 e = exp512(_mm512_add_ps(ax, ax));
    __m512 t = _mm512_sub_ps(_mm512_set1_ps(1.0f),
                             _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(t),
                                               _mm512_and_si512(_mm512_castps_si512(x), _mm512_castps_si512(sign))));
}

__attribute__((target("avx512f")))
static void vtanh512(const float *x, float *y, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, tanh512(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, tanh512(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

// GELU with the exact Gaussian CDF: gelu(x) = x·Φ(x) = ½x(1 + erf(x/√2)), erf by
// Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), whose factor e^{−x²/2} is also the
// Gaussian density in the derivative gelu'(x) = Φ(x) + x·φ(x).
__attribute__((target("avx512f")))
static inline void gelu_parts512(__m512 x, __m512 *cdf, __m512 *pdf) {
    const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32((int)0x80000000));
    __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f));        // x/√2
    __m512 az = _mm512_castsi512_ps(_mm512_andnot_si512(_mm512_castps_si512(sign), _mm512_castps_si512(z)));
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(az, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.0f)));
    __m512 poly = _mm512_set1_ps(1.061405429f);
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-1.453152027f));
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(1.421413741f));
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-0.284496736f));
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(0.254829592f));
    poly = _mm512_mul_ps(poly, t);
    __m512 g = exp512(_mm512_mul_ps(_mm512_mul_ps(z, z), _mm512_set1_ps(-1.0f)));   // e^{−x²/2}
    __m512 erfAbs = _mm512_fnmadd_ps(poly, g, _mm512_set1_ps(1.0f));
    __m512 erf = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(erfAbs),
                                                      _mm512_and_si512(_mm512_castps_si512(z), _mm512_castps_si512(sign))));
    *cdf = _mm512_mul_ps(_mm512_set1_ps(0.5f), _mm512_add_ps(_mm512_set1_ps(1.0f), erf));
    *pdf = _mm512_mul_ps(g, _mm512_set1_ps(0.3989422804014327f));
}

__attribute__((target("avx512f")))
static void vgelu512(const float *x, float *y, long n) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i), cdf, pdf;
        gelu_parts512(v, &cdf, &pdf);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(v, cdf));
    }
}

__attribute__((target("avx512f")))
static void vgelu_backward512(const float *x, const float *dy, float *dx, long n) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i), cdf, pdf;
        gelu_parts512(v, &cdf, &pdf);
        __m512 d = _mm512_fmadd_ps(v, pdf, cdf);
        _mm512_mask_storeu_ps(dx + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, dy + i), d));
    }
}
#endif

static int use_avx512(void) {
    static int cached = -1;
    if (cached < 0) cached = memento_cpu_has_avx512();
    return cached;
}

// The same exp, sigmoid and tanh with 256-bit vectors, for CPUs with AVX2 and FMA but not
// AVX-512 (most laptops; AMD before Zen 4; MEMENTO_AVX512=0): the C library's scalar
// functions made an LSTM's gates several times slower there. A tail shorter than a vector
// goes through a zero-padded copy, so every element gets the same arithmetic.
#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static inline __m256 exp256(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.7f), lo = _mm256_set1_ps(-87.3f);
    __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 r2 = _mm256_mul_ps(r, r);
    p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    return _mm256_andnot_ps(under, y);
}

__attribute__((target("avx2,fma")))
static inline __m256 sigmoid256(__m256 x) {
    __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

__attribute__((target("avx2,fma")))
static inline __m256 tanh256(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 ax = _mm256_andnot_ps(sign, x);
    __m256 e = exp256(_mm256_add_ps(ax, ax));
    __m256 t = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
    return _mm256_or_ps(t, _mm256_and_ps(x, sign));
}

#define VMAP256(NAME, F)                                                                  \
    __attribute__((target("avx2,fma"))) static void NAME(const float *x, float *y, long n) { \
        long i = 0;                                                                       \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i)));    \
        if (i < n) {                                                                      \
            float buf[8] = {0};                                                           \
            for (long j = i; j < n; j++) buf[j - i] = x[j];                               \
            _mm256_storeu_ps(buf, F(_mm256_loadu_ps(buf)));                               \
            for (long j = i; j < n; j++) y[j] = buf[j - i];                               \
        }                                                                                 \
    }
VMAP256(vexp256, exp256)
VMAP256(vsigmoid256, sigmoid256)
VMAP256(vtanh256, tanh256)
#endif

static int use_avx2(void) {
    static int cached = -1;
#if defined(__x86_64__)
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
#else
    cached = 0;
#endif
    return cached;
}

void memento_vexp(const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (use_avx512()) { vexp512(x, y, n); return; }
    if (use_avx2()) { vexp256(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] = expf(x[i]);
}

void memento_vsigmoid(const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (use_avx512()) { vsigmoid512(x, y, n); return; }
    if (use_avx2()) { vsigmoid256(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

void memento_vtanh(const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (use_avx512()) { vtanh512(x, y, n); return; }
    if (use_avx2()) { vtanh256(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

void memento_vgelu(const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (use_avx512()) { vgelu512(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

void memento_vgelu_backward(const float *x, const float *dy, float *dx, long n) {
#if defined(__x86_64__)
    if (use_avx512()) { vgelu_backward512(x, dy, dx, n); return; }
#endif
    for (long i = 0; i < n; i++) {
        float cdf = 0.5f * (1.0f + erff(x[i] * 0.70710678118654752f));
        float pdf = expf(-0.5f * x[i] * x[i]) * 0.3989422804014327f;
        dx[i] = dy[i] * (cdf + x[i] * pdf);
    }
}

// One Adam / AdamW update of n parameters (Kingma & Ba 2015; Loshchilov & Hutter 2019):
//   w ← w·shrink;  d = g + wd·w;  m ← β₁m + (1−β₁)d;  v ← β₂v + (1−β₂)d²;
//   w ← w − stepSize·m / (√v·invRootC2 + ε)
// shrink = 1 − lr·λ is AdamW's decoupled decay (1 for Adam), wd Adam's coupled L2 term.
#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void adam512(float *w, const float *g, float *m, float *v, long n, float b1, float b2,
                    float stepSize, float invRootC2, float eps, float shrink, float wd) {
    const __m512 vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2);
    const __m512 c1 = _mm512_set1_ps(1 - b1), c2 = _mm512_set1_ps(1 - b2);
    const __m512 vs = _mm512_set1_ps(stepSize), vr = _mm512_set1_ps(invRootC2), ve = _mm512_set1_ps(eps);
    const __m512 vsh = _mm512_set1_ps(shrink), vwd = _mm512_set1_ps(wd);
    for (long i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 wi = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, w + i), vsh);
        __m512 d = _mm512_fmadd_ps(vwd, wi, _mm512_maskz_loadu_ps(k, g + i));
        __m512 mi = _mm512_fmadd_ps(vb1, _mm512_maskz_loadu_ps(k, m + i), _mm512_mul_ps(c1, d));
        __m512 vi = _mm512_fmadd_ps(vb2, _mm512_maskz_loadu_ps(k, v + i), _mm512_mul_ps(c2, _mm512_mul_ps(d, d)));
        __m512 denom = _mm512_fmadd_ps(_mm512_sqrt_ps(vi), vr, ve);
        wi = _mm512_sub_ps(wi, _mm512_div_ps(_mm512_mul_ps(vs, mi), denom));
        _mm512_mask_storeu_ps(m + i, k, mi);
        _mm512_mask_storeu_ps(v + i, k, vi);
        _mm512_mask_storeu_ps(w + i, k, wi);
    }
}
#endif

void memento_adam_update(float *w, const float *g, float *m, float *v, long n, float b1, float b2,
                         float stepSize, float invRootC2, float eps, float shrink, float wd) {
#if defined(__x86_64__)
    if (use_avx512()) { adam512(w, g, m, v, n, b1, b2, stepSize, invRootC2, eps, shrink, wd); return; }
#endif
    for (long i = 0; i < n; i++) {
        float wi = w[i] * shrink;
        float d = g[i] + wd * wi;
        m[i] = b1 * m[i] + (1 - b1) * d;
        v[i] = b2 * v[i] + (1 - b2) * d * d;
        w[i] = wi - stepSize * m[i] / (sqrtf(v[i]) * invRootC2 + eps);
    }
}

// Layer normalisation over rows of length d (Ba et al. 2016): forward writes y, x̂ and
// 1/σ per row; backward the input gradient and *adds* into dγ and dβ. Vectorised over d.
#if defined(__x86_64__)
__attribute__((target("avx512f")))
static float hsum512(__m512 v) { return _mm512_reduce_add_ps(v); }

__attribute__((target("avx512f")))
static void layernorm_forward512(const float *x, const float *gamma, const float *beta, float *y, float *xhat,
                                 float *rstd, long rows, long d, float eps) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * d;
        __m512 acc = _mm512_setzero_ps();
        for (long j = 0; j < d; j += 16) {
            __mmask16 k = d - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (d - j)) - 1);
            acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(k, row + j));
        }
        float mean = hsum512(acc) / (float)d;
        __m512 vm = _mm512_set1_ps(mean);
        acc = _mm512_setzero_ps();
        for (long j = 0; j < d; j += 16) {
            __mmask16 k = d - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (d - j)) - 1);
            __m512 c = _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, row + j), vm);
            acc = _mm512_fmadd_ps(c, c, acc);
        }
        float s = 1.0f / sqrtf(hsum512(acc) / (float)d + eps);
        rstd[r] = s;
        __m512 vs = _mm512_set1_ps(s);
        for (long j = 0; j < d; j += 16) {
            __mmask16 k = d - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (d - j)) - 1);
            __m512 h = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, row + j), vm), vs);
            _mm512_mask_storeu_ps(xhat + r * d + j, k, h);
            __m512 out = _mm512_fmadd_ps(h, _mm512_maskz_loadu_ps(k, gamma + j), _mm512_maskz_loadu_ps(k, beta + j));
            _mm512_mask_storeu_ps(y + r * d + j, k, out);
        }
    }
}

__attribute__((target("avx512f")))
static void layernorm_backward512(const float *dy, const float *xhat, const float *rstd, const float *gamma,
                                  float *dx, float *dgamma, float *dbeta, long rows, long d) {
    for (long r = 0; r < rows; r++) {
        const float *g = dy + r * d, *h = xhat + r * d;
        __m512 sd = _mm512_setzero_ps(), sdh = _mm512_setzero_ps();
        for (long j = 0; j < d; j += 16) {
            __mmask16 k = d - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (d - j)) - 1);
            __m512 vg = _mm512_maskz_loadu_ps(k, g + j), vh = _mm512_maskz_loadu_ps(k, h + j);
            __m512 dh = _mm512_mul_ps(vg, _mm512_maskz_loadu_ps(k, gamma + j));
            sd = _mm512_add_ps(sd, dh);
            sdh = _mm512_fmadd_ps(dh, vh, sdh);
            if (dgamma) {
                _mm512_mask_storeu_ps(dgamma + j, k, _mm512_fmadd_ps(vg, vh, _mm512_maskz_loadu_ps(k, dgamma + j)));
                _mm512_mask_storeu_ps(dbeta + j, k, _mm512_add_ps(vg, _mm512_maskz_loadu_ps(k, dbeta + j)));
            }
        }
        __m512 meanD = _mm512_set1_ps(hsum512(sd) / (float)d), meanDH = _mm512_set1_ps(hsum512(sdh) / (float)d);
        __m512 vs = _mm512_set1_ps(rstd[r]);
        for (long j = 0; j < d; j += 16) {
            __mmask16 k = d - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (d - j)) - 1);
            __m512 vh = _mm512_maskz_loadu_ps(k, h + j);
            __m512 dh = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, g + j), _mm512_maskz_loadu_ps(k, gamma + j));
            __m512 v = _mm512_sub_ps(_mm512_sub_ps(dh, meanD), _mm512_mul_ps(vh, meanDH));
            _mm512_mask_storeu_ps(dx + r * d + j, k, _mm512_mul_ps(vs, v));
        }
    }
}
#endif

void memento_layernorm_forward(const float *x, const float *gamma, const float *beta, float *y, float *xhat,
                               float *rstd, long rows, long d, float eps) {
#if defined(__x86_64__)
    if (use_avx512()) { layernorm_forward512(x, gamma, beta, y, xhat, rstd, rows, d, eps); return; }
#endif
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * d;
        float mean = 0, var = 0;
        for (long j = 0; j < d; j++) mean += row[j];
        mean /= (float)d;
        for (long j = 0; j < d; j++) { float c = row[j] - mean; var += c * c; }
        float s = 1.0f / sqrtf(var / (float)d + eps);
        rstd[r] = s;
        for (long j = 0; j < d; j++) {
            float h = (row[j] - mean) * s;
            xhat[r * d + j] = h;
            y[r * d + j] = h * gamma[j] + beta[j];
        }
    }
}

void memento_layernorm_backward(const float *dy, const float *xhat, const float *rstd, const float *gamma,
                                float *dx, float *dgamma, float *dbeta, long rows, long d) {
#if defined(__x86_64__)
    if (use_avx512()) { layernorm_backward512(dy, xhat, rstd, gamma, dx, dgamma, dbeta, rows, d); return; }
#endif
    for (long r = 0; r < rows; r++) {
        float meanD = 0, meanDH = 0;
        for (long j = 0; j < d; j++) {
            float g = dy[r * d + j], h = xhat[r * d + j], dh = g * gamma[j];
            meanD += dh; meanDH += dh * h;
            if (dgamma) { dgamma[j] += g * h; dbeta[j] += g; }
        }
        meanD /= (float)d; meanDH /= (float)d;
        for (long j = 0; j < d; j++) {
            float dh = dy[r * d + j] * gamma[j];
            dx[r * d + j] = rstd[r] * (dh - meanD - xhat[r * d + j] * meanDH);
        }
    }
}

// The parameter half of the backward on its own, for the columns [j0, j0 + width): dγ += Σ
// dy⊙x̂ and dβ += Σ dy over the rows, each column summed row after row with the same
// operations as above, so that splitting the columns between threads changes no bit.
#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void layernorm_param_grads512(const float *dy, const float *xhat, long rows, long d, long j0, long width,
                                     float *dgamma, float *dbeta) {
    for (long j = j0; j < j0 + width; j += 64) {
        __mmask16 k[4];
        __m512 ag[4], ab[4];
        for (int q = 0; q < 4; q++) {
            long left = j0 + width - (j + 16 * q);
            k[q] = left >= 16 ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
            ag[q] = _mm512_maskz_loadu_ps(k[q], dgamma + j + 16 * q);
            ab[q] = _mm512_maskz_loadu_ps(k[q], dbeta + j + 16 * q);
        }
        for (long r = 0; r < rows; r++) {
            const float *g = dy + r * d + j, *h = xhat + r * d + j;
            for (int q = 0; q < 4; q++) {
                __m512 vg = _mm512_maskz_loadu_ps(k[q], g + 16 * q), vh = _mm512_maskz_loadu_ps(k[q], h + 16 * q);
                ag[q] = _mm512_fmadd_ps(vg, vh, ag[q]);
                ab[q] = _mm512_add_ps(vg, ab[q]);
            }
        }
        for (int q = 0; q < 4; q++) {
            _mm512_mask_storeu_ps(dgamma + j + 16 * q, k[q], ag[q]);
            _mm512_mask_storeu_ps(dbeta + j + 16 * q, k[q], ab[q]);
        }
    }
}
#endif

void memento_layernorm_param_grads(const float *dy, const float *xhat, long rows, long d, long j0, long width,
                                   float *dgamma, float *dbeta) {
#if defined(__x86_64__)
    if (use_avx512()) { layernorm_param_grads512(dy, xhat, rows, d, j0, width, dgamma, dbeta); return; }
#endif
    for (long r = 0; r < rows; r++) {
        for (long j = j0; j < j0 + width; j++) {
            float g = dy[r * d + j], h = xhat[r * d + j];
            dgamma[j] += g * h; dbeta[j] += g;
        }
    }
}

// A matrix product C = β·C + bias + A·B (row-major, B is k × n) that keeps B where it is
// instead of copying it into a packed layout on every call as a BLAS does. It was written
// for the recurrent step, where B is the same weight matrix at every step and A has only a
// few rows (one per sequence), so that copy costs more than the product; it turned out to
// beat OpenBLAS on the larger products of our models too, whenever a 64-column panel of B
// (k rows) stays in L1/L2 while all rows of A pass over it (see BLAS.swift). Register
// blocking: R ≤ 4 rows of C × Q ≤ 4 vectors of 16 columns (up to 16 accumulators); masked
// loads handle the column edges, a last panel narrower than 64 columns uses only the
// vectors it needs, and the rows left over after the blocks of 4 form one block of 1–3
// rows, so B is read once per block. It runs at the FMA peak of one core for 4 rows (measured:
// 115 GFLOPS on a core of the machine it was written on, 284 on an AMD family-26 core).
#if defined(__x86_64__)
__attribute__((target("avx512f"), always_inline))
static inline void gemm_block512(const int TA, const int R, const int Q, long i, long j, const __mmask16 mk[4], long k,
                                 const float *a, long lda, const float *b, long ldb, float beta, const float *bias, float *c,
                                 long ldc) {
    __m512 acc[4][4];
    for (int q = 0; q < Q; q++) {
        __m512 init = bias ? _mm512_maskz_loadu_ps(mk[q], bias + j + 16 * q) : _mm512_setzero_ps();
        for (int r = 0; r < R; r++) acc[r][q] = init;
    }
    for (long p = 0; p < k; p++) {
        const float *brow = b + p * ldb;  // b points at column j of B (or of its packed panel)
        __m512 bv[4];
        for (int q = 0; q < Q; q++) bv[q] = _mm512_maskz_loadu_ps(mk[q], brow + 16 * q);
        for (int r = 0; r < R; r++) {
            // A's element (i + r, p): row i + r of A, or (TA) column i + r of A stored k × m,
            // where the R elements of one p are next to each other.
            __m512 av = _mm512_set1_ps(TA ? a[p * lda + i + r] : a[(i + r) * lda + p]);
            for (int q = 0; q < Q; q++) acc[r][q] = _mm512_fmadd_ps(av, bv[q], acc[r][q]);
        }
    }
    for (int r = 0; r < R; r++) {
        float *crow = c + (i + r) * ldc + j;
        for (int q = 0; q < Q; q++) {
            __m512 v = acc[r][q];
            if (beta != 0) v = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mk[q], crow + 16 * q), v);
            _mm512_mask_storeu_ps(crow + 16 * q, mk[q], v);
        }
    }
}

// The R × (16·Q) blocks, R ≤ 4 rows and Q ≤ 4 vectors of columns, each compiled on its own.
#define GEMM_BLOCK_Q(TA, R)                                                                                      \
    __attribute__((target("avx512f"))) static void gemm_rows##TA##R(int Q, long i, long j, const __mmask16 mk[4],     \
                                                                     long k, const float *a, long lda, const float *b, \
                                                                     long ldb, float beta, const float *bias, float *c, \
                                                                     long ldc) {                                       \
        switch (Q) {                                                                                             \
        case 1: gemm_block512(TA, R, 1, i, j, mk, k, a, lda, b, ldb, beta, bias, c, ldc); break;                 \
        case 2: gemm_block512(TA, R, 2, i, j, mk, k, a, lda, b, ldb, beta, bias, c, ldc); break;                 \
        case 3: gemm_block512(TA, R, 3, i, j, mk, k, a, lda, b, ldb, beta, bias, c, ldc); break;                 \
        default: gemm_block512(TA, R, 4, i, j, mk, k, a, lda, b, ldb, beta, bias, c, ldc); break;                \
        }                                                                                                        \
    }
GEMM_BLOCK_Q(0, 1)
GEMM_BLOCK_Q(0, 2)
GEMM_BLOCK_Q(0, 3)
GEMM_BLOCK_Q(0, 4)
GEMM_BLOCK_Q(1, 1)
GEMM_BLOCK_Q(1, 2)
GEMM_BLOCK_Q(1, 3)
GEMM_BLOCK_Q(1, 4)

// Runs all rows of C over the 64-column panels of B. When `pack` is given (room for k × 64
// floats, 64-byte aligned), each panel is first copied into it as k contiguous rows of 256
// bytes: the kernel then reads whole aligned cache lines in order, where B's own rows may
// straddle lines and, with a row stride of a multiple of 4 KiB, map to the same few L1 sets
// (a 1024-column B kept only 12 of its panel's rows in a 12-way L1). Packing changes no
// result: the same products are summed in the same order.
#define GEMM_DRIVER(NAME, TA)                                                                                   \
    __attribute__((target("avx512f"))) static void NAME(long m, long n, long k, const float *a, long lda, const float *b, \
                                                        long ldb, float beta, const float *bias, float *c, long ldc,      \
                                                        float *pack) {                                                    \
        for (long j = 0; j < n; j += 64) {                                                                       \
            __mmask16 mk[4];                                                                                     \
            for (int q = 0; q < 4; q++) {                                                                        \
                long left = n - j - 16 * q;                                                                      \
                mk[q] = left >= 16 ? (__mmask16)0xFFFF : (left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1)); \
            }                                                                                                    \
            /* Only the vectors that hold columns of C: a panel of 16 columns costs a quarter of 64. */         \
            int Q = n - j >= 64 ? 4 : (int)((n - j + 15) / 16);                                                  \
            const float *bp = b + j;                                                                             \
            long ldp = ldb;                                                                                      \
            if (pack) {                                                                                          \
                for (long p = 0; p < k; p++)                                                                     \
                    for (int q = 0; q < Q; q++)                                                                  \
                        _mm512_store_ps(pack + p * 64 + 16 * q, _mm512_maskz_loadu_ps(mk[q], b + p * ldb + j + 16 * q)); \
                bp = pack;                                                                                       \
                ldp = 64;                                                                                        \
            }                                                                                                    \
            long i = 0;                                                                                          \
            for (; i + 4 <= m; i += 4) gemm_rows##TA##4(Q, i, j, mk, k, a, lda, bp, ldp, beta, bias, c, ldc);   \
            switch (m - i) {                                                                                     \
            case 3: gemm_rows##TA##3(Q, i, j, mk, k, a, lda, bp, ldp, beta, bias, c, ldc); break;               \
            case 2: gemm_rows##TA##2(Q, i, j, mk, k, a, lda, bp, ldp, beta, bias, c, ldc); break;               \
            case 1: gemm_rows##TA##1(Q, i, j, mk, k, a, lda, bp, ldp, beta, bias, c, ldc); break;               \
            default: break;                                                                                      \
            }                                                                                                    \
        }                                                                                                        \
    }
GEMM_DRIVER(gemm_nn_small512, 0)
GEMM_DRIVER(gemm_tn512, 1)
#endif

int memento_gemm_nn(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                    float beta, const float *bias, float *c, long ldc) {
#if defined(__x86_64__)
    if (use_avx512()) { gemm_nn_small512(m, n, k, a, lda, b, ldb, beta, bias, c, ldc, NULL); return 1; }
#endif
    return 0;
}

int memento_gemm_tn(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                    float beta, float *c, long ldc) {
#if defined(__x86_64__)
    if (use_avx512()) { gemm_tn512(m, n, k, a, lda, b, ldb, beta, NULL, c, ldc, NULL); return 1; }
#endif
    return 0;
}

int memento_gemm_nn_packed(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                           float beta, const float *bias, float *c, long ldc, float *pack) {
#if defined(__x86_64__)
    if (use_avx512()) { gemm_nn_small512(m, n, k, a, lda, b, ldb, beta, bias, c, ldc, pack); return 1; }
#endif
    return 0;
}

int memento_gemm_tn_packed(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                           float beta, float *c, long ldc, float *pack) {
#if defined(__x86_64__)
    if (use_avx512()) { gemm_tn512(m, n, k, a, lda, b, ldb, beta, NULL, c, ldc, pack); return 1; }
#endif
    return 0;
}

// One LSTM step of one sequence (the gate math after the products), fused so that a step
// makes one pass over its 4H pre-activations instead of six. In place on a = [i f g o]:
//   i, f, o = σ(·);  g = tanh(·);  c' = f⊙c + i⊙g;  h' = o⊙tanh(c')
// with tanh(c') kept for the backward pass. Products and sums are separate instructions in
// the order written (no contraction to FMAs), so the results are bit-identical to applying
// memento_vsigmoid / memento_vtanh and the element-wise loops one after another.
#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void lstm_forward_step512(float *a, const float *cPrev, float *c, float *tc, float *h, long H) {
    for (long j = 0; j < H; j += 16) {
        __mmask16 k = H - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (H - j)) - 1);
        __m512 i = sigmoid512(_mm512_maskz_loadu_ps(k, a + j));
        __m512 f = sigmoid512(_mm512_maskz_loadu_ps(k, a + H + j));
        __m512 g = tanh512(_mm512_maskz_loadu_ps(k, a + 2 * H + j));
        __m512 o = sigmoid512(_mm512_maskz_loadu_ps(k, a + 3 * H + j));
        _mm512_mask_storeu_ps(a + j, k, i);
        _mm512_mask_storeu_ps(a + H + j, k, f);
        _mm512_mask_storeu_ps(a + 2 * H + j, k, g);
        _mm512_mask_storeu_ps(a + 3 * H + j, k, o);
        __m512 cn = _mm512_add_ps(_mm512_mul_ps(f, _mm512_maskz_loadu_ps(k, cPrev + j)), _mm512_mul_ps(i, g));
        __m512 t = tanh512(cn);
        _mm512_mask_storeu_ps(c + j, k, cn);
        _mm512_mask_storeu_ps(tc + j, k, t);
        _mm512_mask_storeu_ps(h + j, k, _mm512_mul_ps(o, t));
    }
}

// Its backward: from dL/dh' (dh, plus gOut when the step's output had a gradient) and
// dL/dc' (dc, updated in place to dL/dc), the pre-activation gradients da = [di df dg do]:
//   dC = dc + dh·o·(1 − tanh²c');  di = dC·g·i(1 − i);  df = dC·c·f(1 − f);
//   dg = dC·i(1 − g²);  do = dh·tanh c'·o(1 − o);  dc ← dC·f
__attribute__((target("avx512f")))
static void lstm_backward_step512(const float *a, const float *tc, const float *cPrev, const float *gOut,
                                  const float *dh, float *dc, float *da, long H) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long j = 0; j < H; j += 16) {
        __mmask16 k = H - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (H - j)) - 1);
        __m512 i = _mm512_maskz_loadu_ps(k, a + j), f = _mm512_maskz_loadu_ps(k, a + H + j);
        __m512 g = _mm512_maskz_loadu_ps(k, a + 2 * H + j), o = _mm512_maskz_loadu_ps(k, a + 3 * H + j);
        __m512 t = _mm512_maskz_loadu_ps(k, tc + j);
        __m512 dH = _mm512_maskz_loadu_ps(k, dh + j);
        if (gOut) dH = _mm512_add_ps(dH, _mm512_maskz_loadu_ps(k, gOut + j));
        __m512 dC = _mm512_add_ps(_mm512_maskz_loadu_ps(k, dc + j),
                                  _mm512_mul_ps(_mm512_mul_ps(dH, o), _mm512_sub_ps(one, _mm512_mul_ps(t, t))));
        _mm512_mask_storeu_ps(da + j, k, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dC, g), i), _mm512_sub_ps(one, i)));
        _mm512_mask_storeu_ps(da + H + j, k,
                              _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dC, _mm512_maskz_loadu_ps(k, cPrev + j)), f),
                                            _mm512_sub_ps(one, f)));
        _mm512_mask_storeu_ps(da + 2 * H + j, k, _mm512_mul_ps(_mm512_mul_ps(dC, i), _mm512_sub_ps(one, _mm512_mul_ps(g, g))));
        _mm512_mask_storeu_ps(da + 3 * H + j, k, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dH, t), o), _mm512_sub_ps(one, o)));
        _mm512_mask_storeu_ps(dc + j, k, _mm512_mul_ps(dC, f));
    }
}
#endif

void memento_lstm_forward_step(float *a, const float *cPrev, float *c, float *tc, float *h, long H) {
#if defined(__x86_64__)
    if (use_avx512()) { lstm_forward_step512(a, cPrev, c, tc, h, H); return; }
#endif
    memento_vsigmoid(a, a, 2 * H);
    memento_vtanh(a + 2 * H, a + 2 * H, H);
    memento_vsigmoid(a + 3 * H, a + 3 * H, H);
    for (long j = 0; j < H; j++) {
        float fc = a[H + j] * cPrev[j];
        float ig = a[j] * a[2 * H + j];
        c[j] = fc + ig;
    }
    memento_vtanh(c, tc, H);
    for (long j = 0; j < H; j++) { float o = a[3 * H + j]; h[j] = o * tc[j]; }
}

void memento_lstm_backward_step(const float *a, const float *tc, const float *cPrev, const float *gOut,
                                const float *dh, float *dc, float *da, long H) {
#if defined(__x86_64__)
    if (use_avx512()) { lstm_backward_step512(a, tc, cPrev, gOut, dh, dc, da, H); return; }
#endif
    for (long j = 0; j < H; j++) {
        float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j], t = tc[j];
        float dH = gOut ? dh[j] + gOut[j] : dh[j];
        float dho = dH * o, t2 = t * t, one_t2 = 1.0f - t2, back = dho * one_t2;
        float dC = dc[j] + back;
        float x0 = dC * g, x1 = x0 * i; da[j] = x1 * (1.0f - i);
        float y0 = dC * cPrev[j], y1 = y0 * f; da[H + j] = y1 * (1.0f - f);
        float g2 = g * g, z0 = dC * i; da[2 * H + j] = z0 * (1.0f - g2);
        float w0 = dH * t, w1 = w0 * o; da[3 * H + j] = w1 * (1.0f - o);
        dc[j] = dC * f;
    }
}

// dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols: an out-of-place transpose. The
// AVX-512 version gathers 16 rows of one source column and stores them as one contiguous
// run of the destination row, instead of 16 scattered scalar stores.
#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void transpose512(const float *src, long rows, long cols, long lds, float *dst, long ldd) {
    const __m512i offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                               _mm512_set1_epi32((int)lds));
    for (long r = 0; r < rows; r += 16) {
        __mmask16 k = rows - r >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (rows - r)) - 1);
        const float *block = src + r * lds;
        for (long c = 0; c < cols; c++) {
            __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), k, offsets, block + c, 4);
            _mm512_mask_storeu_ps(dst + c * ldd + r, k, v);
        }
    }
}
#endif

void memento_transpose(const float *src, long rows, long cols, long lds, float *dst, long ldd) {
#if defined(__x86_64__)
    // 15·lds must fit the gather's 32-bit offsets.
    if (use_avx512() && lds < (1L << 27)) { transpose512(src, rows, cols, lds, dst, ldd); return; }
#endif
    for (long r = 0; r < rows; r++)
        for (long c = 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
}

// out[j] = Σ_r p[r·ld + j] for j < cols, summing the rows in order (so the result is the
// same as the plain loop's): a bias gradient over all the rows of a batch.
#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void column_sums512(const float *p, long rows, long cols, long ld, float *out) {
    for (long j = 0; j < cols; j += 64) {
        __mmask16 mk[4];
        for (int q = 0; q < 4; q++) {
            long left = cols - j - 16 * q;
            mk[q] = left >= 16 ? (__mmask16)0xFFFF : (left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1));
        }
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (long r = 0; r < rows; r++) {
            const float *row = p + r * ld + j;
            for (int q = 0; q < 4; q++) acc[q] = _mm512_add_ps(acc[q], _mm512_maskz_loadu_ps(mk[q], row + 16 * q));
        }
        for (int q = 0; q < 4; q++) _mm512_mask_storeu_ps(out + j + 16 * q, mk[q], acc[q]);
    }
}
#endif

void memento_column_sums(const float *p, long rows, long cols, long ld, float *out) {
#if defined(__x86_64__)
    if (use_avx512()) { column_sums512(p, rows, cols, ld, out); return; }
#endif
    for (long j = 0; j < cols; j++) out[j] = 0;
    for (long r = 0; r < rows; r++)
        for (long j = 0; j < cols; j++) out[j] += p[r * ld + j];
}

// Self-attention for one (batch, head) pair, forward and backward, with the products done
// by the in-place kernel above. With a causal mask, row i only attends to keys 0…i, so each
// block of 4 rows stops its products at the block's last key (and the transposed products
// of the backward pass start at the block's first row): about half the multiply-adds of
// the full T × T products. Masked weights are exact zeros, as e^−∞ is.
#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void softmax_row512(float *row, long n, long T, float scale, const float *keep) {
    // row[0..<n] are the scores (unscaled), row[n..<T] are masked; keep[j] == 0 masks key j.
    const __m512 ninf = _mm512_set1_ps(-INFINITY), vs = _mm512_set1_ps(scale);
    __m512 mx = ninf;
    for (long j = 0; j < n; j += 16) {
        __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        __m512 x = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), vs);
        if (keep) {
            __mmask16 pad = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, keep + j), _mm512_setzero_ps(), _CMP_EQ_OQ);
            x = _mm512_mask_blend_ps(pad, x, ninf);
        }
        _mm512_mask_storeu_ps(row + j, m, x);
        mx = _mm512_mask_max_ps(mx, m, mx, x);
    }
    float top = _mm512_reduce_max_ps(mx);
    if (top == -INFINITY) {  // nothing to attend to: a zero row, not NaN
        for (long j = 0; j < T; j++) row[j] = 0;
        return;
    }
    __m512 sum = _mm512_setzero_ps(), vtop = _mm512_set1_ps(top);
    for (long j = 0; j < n; j += 16) {
        __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + j), vtop));
        e = _mm512_maskz_mov_ps(m, e);
        _mm512_mask_storeu_ps(row + j, m, e);
        sum = _mm512_add_ps(sum, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
    for (long j = 0; j < n; j += 16) {
        __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        _mm512_mask_storeu_ps(row + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), inv));
    }
    for (long j = n; j < T; j++) row[j] = 0;
}

__attribute__((target("avx512f")))
static void attention_forward512(const float *q, const float *k, const float *v, long ld, long T, long hs, float scale,
                                 int causal, const float *keep, float *p, float *y, long ldy, float *work) {
    float *kt = work;  // Kᵀ [hs, T]
    transpose512(k, T, hs, ld, kt, T);
    for (long i0 = 0; i0 < T; i0 += 4) {  // S = Q·Kᵀ, then each row's softmax
        long rows = T - i0 < 4 ? T - i0 : 4, n = causal ? i0 + rows : T;
        gemm_nn_small512(rows, n, hs, q + i0 * ld, ld, kt, T, 0, NULL, p + i0 * T, T, NULL);
        for (long i = i0; i < i0 + rows; i++) softmax_row512(p + i * T, causal ? i + 1 : T, T, scale, keep);
    }
    for (long i0 = 0; i0 < T; i0 += 4) {  // Y = P·V
        long rows = T - i0 < 4 ? T - i0 : 4, n = causal ? i0 + rows : T;
        gemm_nn_small512(rows, hs, n, p + i0 * T, T, v, ld, 0, NULL, y + i0 * ldy, ldy, NULL);
    }
}

__attribute__((target("avx512f")))
static void attention_backward512(const float *q, const float *k, const float *v, long ld, const float *p, const float *dy,
                                  long ldy, long T, long hs, float scale, int causal, float *dq, float *dk, float *dv,
                                  float *work) {
    float *vt = work, *ds = vt + hs * T, *tr = ds + T * T;  // Vᵀ [hs, T]; dP then dS [T, T]; a transpose [T, T]
    // dV = Pᵀ·dY (row j of Pᵀ is zero before key j when causal)
    transpose512(p, T, T, T, tr, T);
    for (long j0 = 0; j0 < T; j0 += 4) {
        long rows = T - j0 < 4 ? T - j0 : 4, lo = causal ? j0 : 0;
        gemm_nn_small512(rows, hs, T - lo, tr + j0 * T + lo, T, dy + lo * ldy, ldy, 0, NULL, dv + j0 * ld, ld, NULL);
    }
    // dP = dY·Vᵀ, then dS = P ⊙ (dP − Σ_j dP⊙P) · scale, zero where P is masked by causality
    transpose512(v, T, hs, ld, vt, T);
    const __m512 vs = _mm512_set1_ps(scale);
    for (long i0 = 0; i0 < T; i0 += 4) {
        long rows = T - i0 < 4 ? T - i0 : 4, n = causal ? i0 + rows : T;
        gemm_nn_small512(rows, n, hs, dy + i0 * ldy, ldy, vt, T, 0, NULL, ds + i0 * T, T, NULL);
        for (long i = i0; i < i0 + rows; i++) {
            float *row = ds + i * T;
            const float *prow = p + i * T;
            long m = causal ? i + 1 : T;
            __m512 dot = _mm512_setzero_ps();
            for (long j = 0; j < m; j += 16) {
                __mmask16 mk = m - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (m - j)) - 1);
                dot = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, row + j), _mm512_maskz_loadu_ps(mk, prow + j), dot);
            }
            __m512 d = _mm512_set1_ps(_mm512_reduce_add_ps(dot));
            for (long j = 0; j < m; j += 16) {
                __mmask16 mk = m - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (m - j)) - 1);
                __m512 r = _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(mk, prow + j),
                                                       _mm512_sub_ps(_mm512_maskz_loadu_ps(mk, row + j), d)), vs);
                _mm512_mask_storeu_ps(row + j, mk, r);
            }
            for (long j = m; j < T; j++) row[j] = 0;
        }
    }
    // dQ = dS·K
    for (long i0 = 0; i0 < T; i0 += 4) {
        long rows = T - i0 < 4 ? T - i0 : 4, n = causal ? i0 + rows : T;
        gemm_nn_small512(rows, hs, n, ds + i0 * T, T, k, ld, 0, NULL, dq + i0 * ld, ld, NULL);
    }
    // dK = dSᵀ·Q
    transpose512(ds, T, T, T, tr, T);
    for (long j0 = 0; j0 < T; j0 += 4) {
        long rows = T - j0 < 4 ? T - j0 : 4, lo = causal ? j0 : 0;
        gemm_nn_small512(rows, hs, T - lo, tr + j0 * T + lo, T, q + lo * ld, ld, 0, NULL, dk + j0 * ld, ld, NULL);
    }
}
#endif

int memento_attention_forward(const float *q, const float *k, const float *v, long ld, long T, long hs, float scale,
                              int causal, const float *keep, float *p, float *y, long ldy, float *work) {
#if defined(__x86_64__)
    if (!use_avx512() || ld >= (1L << 27) || T >= (1L << 27)) return 0;
    attention_forward512(q, k, v, ld, T, hs, scale, causal, keep, p, y, ldy, work);
    return 1;
#else
    return 0;
#endif
}

int memento_attention_backward(const float *q, const float *k, const float *v, long ld, const float *p, const float *dy,
                               long ldy, long T, long hs, float scale, int causal, float *dq, float *dk, float *dv,
                               float *work) {
#if defined(__x86_64__)
    if (!use_avx512() || ld >= (1L << 27) || ldy >= (1L << 27) || T >= (1L << 27)) return 0;
    attention_backward512(q, k, v, ld, p, dy, ldy, T, hs, scale, causal, dq, dk, dv, work);
    return 1;
#else
    return 0;
#endif
}
