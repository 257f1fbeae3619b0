// The kernels of the KV-cached decoder (NeuralNets/Attention/GPTDecoder.swift): attention
// of a batch row's new queries over its cached keys and values, and the softmax weights a
// token is sampled from. Each decoding step of a small model does little arithmetic per row,
// so plain scalar loops here cost as much as all its matrix products together.
//
// The cache keeps each head's keys transposed (dimension-major, positions contiguous), so
// that the scores of 16 positions are one vector of multiply-adds per dimension instead of
// a horizontal sum per position. The AVX-512 versions are chosen at run time (as in
// vmath.c); other CPUs run plain loops that the compiler vectorises across positions or
// dimensions, and memento_vexp's AVX2 or C-library exp.
#include "CBLAS.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static inline __mmask16 tail_mask(long left) {
    return left >= 16 ? (__mmask16)0xFFFF : (left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1));
}

// s[t0 + …] = scale · q·k_t for the NV·16 positions from t0 (those past T masked off), and
// their running maximum: a multiply-add per dimension and vector, even and odd dimensions
// in separate sums so that 2·NV chains of multiply-adds run at once.
__attribute__((target("avx512f"), always_inline))
static inline __m512 scores512(const int NV, const float *qh, const float *kh, long cap, long hs, long t0, long T,
                               float scale, float *s, __m512 mx) {
    __mmask16 mk[4];
    __m512 even[4], odd[4];
    for (int u = 0; u < NV; u++) {
        mk[u] = tail_mask(T - t0 - 16 * u);
        even[u] = _mm512_setzero_ps();
        odd[u] = _mm512_setzero_ps();
    }
    long d = 0;
    for (; d + 2 <= hs; d += 2) {
        const __m512 q0 = _mm512_set1_ps(qh[d]), q1 = _mm512_set1_ps(qh[d + 1]);
        const float *k0 = kh + d * cap + t0, *k1 = k0 + cap;
        for (int u = 0; u < NV; u++) {
            even[u] = _mm512_fmadd_ps(q0, _mm512_maskz_loadu_ps(mk[u], k0 + 16 * u), even[u]);
            odd[u] = _mm512_fmadd_ps(q1, _mm512_maskz_loadu_ps(mk[u], k1 + 16 * u), odd[u]);
        }
    }
    if (d < hs) {
        const __m512 q0 = _mm512_set1_ps(qh[d]);
        const float *k0 = kh + d * cap + t0;
        for (int u = 0; u < NV; u++) even[u] = _mm512_fmadd_ps(q0, _mm512_maskz_loadu_ps(mk[u], k0 + 16 * u), even[u]);
    }
    const __m512 vs = _mm512_set1_ps(scale);
    for (int u = 0; u < NV; u++) {
        __m512 x = _mm512_mul_ps(_mm512_add_ps(even[u], odd[u]), vs);
        _mm512_mask_storeu_ps(s + t0 + 16 * u, mk[u], x);
        mx = _mm512_mask_max_ps(mx, mk[u], mx, x);
    }
    return mx;
}

__attribute__((target("avx512f")))
static void decode_attention512(const float *q, long ldq, const float *kt, const float *v, long cap, long heads,
                                long hs, long first, long n, float scale, float *y, long ldy, float *s) {
    const long C = heads * hs;
    for (long i = 0; i < n; i++) {
        const long T = first + i + 1;
        for (long h = 0; h < heads; h++) {
            const float *qh = q + i * ldq + h * hs, *kh = kt + h * hs * cap, *vh = v + h * hs;
            // s[t] = scale · q·k_t, up to 64 positions at a time.
            __m512 mx = _mm512_set1_ps(-INFINITY);
            for (long t0 = 0; t0 < T; t0 += 64) {
                switch ((T - t0 + 15) / 16) {
                case 1: mx = scores512(1, qh, kh, cap, hs, t0, T, scale, s, mx); break;
                case 2: mx = scores512(2, qh, kh, cap, hs, t0, T, scale, s, mx); break;
                case 3: mx = scores512(3, qh, kh, cap, hs, t0, T, scale, s, mx); break;
                default: mx = scores512(4, qh, kh, cap, hs, t0, T, scale, s, mx); break;
                }
            }
            const __m512 top = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
            for (long t = 0; t < T; t += 16) {
                __mmask16 m = tail_mask(T - t);
                _mm512_mask_storeu_ps(s + t, m, _mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + t), top));
            }
            memento_vexp(s, s, T);
            __m512 sum = _mm512_setzero_ps();
            for (long t = 0; t < T; t += 16) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(tail_mask(T - t), s + t));
            const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
            // y = Σ_t e_t · v_t / Σ_t e_t, 32 dimensions at a time, even and odd positions in
            // separate sums (four independent chains of multiply-adds).
            for (long d0 = 0; d0 < hs; d0 += 32) {
                const __mmask16 m0 = tail_mask(hs - d0), m1 = tail_mask(hs - d0 - 16);
                __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
                long t = 0;
                for (; t + 2 <= T; t += 2) {
                    const float *v0 = vh + t * C + d0, *v1 = v0 + C;
                    const __m512 e0 = _mm512_set1_ps(s[t]), e1 = _mm512_set1_ps(s[t + 1]);
                    a0 = _mm512_fmadd_ps(e0, _mm512_maskz_loadu_ps(m0, v0), a0);
                    a1 = _mm512_fmadd_ps(e0, _mm512_maskz_loadu_ps(m1, v0 + 16), a1);
                    b0 = _mm512_fmadd_ps(e1, _mm512_maskz_loadu_ps(m0, v1), b0);
                    b1 = _mm512_fmadd_ps(e1, _mm512_maskz_loadu_ps(m1, v1 + 16), b1);
                }
                if (t < T) {
                    const float *v0 = vh + t * C + d0;
                    const __m512 e0 = _mm512_set1_ps(s[t]);
                    a0 = _mm512_fmadd_ps(e0, _mm512_maskz_loadu_ps(m0, v0), a0);
                    a1 = _mm512_fmadd_ps(e0, _mm512_maskz_loadu_ps(m1, v0 + 16), a1);
                }
                float *out = y + i * ldy + h * hs + d0;
                _mm512_mask_storeu_ps(out, m0, _mm512_mul_ps(_mm512_add_ps(a0, b0), inv));
                _mm512_mask_storeu_ps(out + 16, m1, _mm512_mul_ps(_mm512_add_ps(a1, b1), inv));
            }
        }
    }
}

__attribute__((target("avx512f")))
static float softmax_weights512(const float *z, long n, float temperature, float *p, float *max) {
    __m512 mx = _mm512_set1_ps(-INFINITY);
    for (long j = 0; j < n; j += 16) {
        __mmask16 m = tail_mask(n - j);
        mx = _mm512_mask_max_ps(mx, m, mx, _mm512_maskz_loadu_ps(m, z + j));
    }
    const float top = _mm512_reduce_max_ps(mx);
    const __m512 vt = _mm512_set1_ps(top), tau = _mm512_set1_ps(temperature);
    for (long j = 0; j < n; j += 16) {
        __mmask16 m = tail_mask(n - j);
        _mm512_mask_storeu_ps(p + j, m, _mm512_div_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, z + j), vt), tau));
    }
    memento_vexp(p, p, n);
    __m512 sum = _mm512_setzero_ps();
    for (long j = 0; j < n; j += 16) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(tail_mask(n - j), p + j));
    *max = top;
    return _mm512_reduce_add_ps(sum);
}
#endif

void memento_decode_attention(const float *q, long ldq, const float *kt, const float *v, long cap, long heads, long hs,
                              long first, long n, float scale, float *y, long ldy, float *s) {
#if defined(__x86_64__)
    if (memento_cpu_has_avx512()) {
        decode_attention512(q, ldq, kt, v, cap, heads, hs, first, n, scale, y, ldy, s);
        return;
    }
#endif
    const long C = heads * hs;
    for (long i = 0; i < n; i++) {
        const long T = first + i + 1;
        for (long h = 0; h < heads; h++) {
            const float *qh = q + i * ldq + h * hs, *kh = kt + h * hs * cap, *vh = v + h * hs;
            for (long t = 0; t < T; t++) s[t] = 0;
            for (long d = 0; d < hs; d++) {
                const float qd = qh[d], *kr = kh + d * cap;
                for (long t = 0; t < T; t++) s[t] += qd * kr[t];
            }
            float top = -INFINITY;
            for (long t = 0; t < T; t++) {
                s[t] *= scale;
                top = s[t] > top ? s[t] : top;
            }
            for (long t = 0; t < T; t++) s[t] -= top;
            memento_vexp(s, s, T);
            float total = 0;
            for (long t = 0; t < T; t++) total += s[t];
            const float inv = 1.0f / total;
            float *out = y + i * ldy + h * hs;
            for (long d = 0; d < hs; d++) out[d] = 0;
            for (long t = 0; t < T; t++) {
                const float e = s[t], *vr = vh + t * C;
                for (long d = 0; d < hs; d++) out[d] += e * vr[d];
            }
            for (long d = 0; d < hs; d++) out[d] *= inv;
        }
    }
}

float memento_softmax_weights(const float *z, long n, float temperature, float *p, float *max) {
#if defined(__x86_64__)
    if (memento_cpu_has_avx512()) return softmax_weights512(z, n, temperature, p, max);
#endif
    float top = -INFINITY;
    for (long j = 0; j < n; j++) top = z[j] > top ? z[j] : top;
    for (long j = 0; j < n; j++) p[j] = (z[j] - top) / temperature;
    memento_vexp(p, p, n);
    float total = 0;
    for (long j = 0; j < n; j++) total += p[j];
    *max = top;
    return total;
}
