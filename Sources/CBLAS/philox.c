// Philox4x32-10 blocks in bulk (Salmon et al., SC 2011), the generator of TensorCore's RNG:
// block n is a pure function of (key, counter n), so a run of blocks can be computed in any
// order, sixteen at a time in AVX-512 lanes, and still be exactly the blocks the scalar
// generator (RNG.swift) would have produced one by one. Dropout draws one 64-bit number per
// element; the scalar generator made its masks a large part of a Transformer's step.
//
// And the comparison that turns pairs of 32-bit outputs into Bernoulli draws: a draw is
// true when the 53-bit uniform (x >> 11)·2⁻⁵³ of x = lo | hi << 32 is below p, that is when
// the integer x >> 11 is below ⌈p·2⁵³⌉ — the same test, exact, without floating point.
#include "CBLAS.h"
#include <stdint.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static void philox_scalar(uint32_t key0, uint32_t key1, uint64_t block, uint64_t stream, uint32_t out[4]) {
    uint32_t c0 = (uint32_t)block, c1 = (uint32_t)(block >> 32), c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);
    uint32_t k0 = key0, k1 = key1;
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0, hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

#if defined(__x86_64__)
// The high 32 bits of the 16 products a·m (m a constant in every lane): the even lanes'
// products come from vpmuludq directly, the odd lanes' from the lanes shifted down.
__attribute__((target("avx512f"), always_inline))
static inline __m512i mulhi512(__m512i a, __m512i m) {
    __m512i even = _mm512_srli_epi64(_mm512_mul_epu32(a, m), 32);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    return _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, odd);
}

// 16 consecutive blocks from `block` on; out receives them in order (4 words each).
__attribute__((target("avx512f")))
static void philox16(uint32_t key0, uint32_t key1, uint64_t block, uint64_t stream, uint32_t *out) {
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    // The low counter word of each lane, and its carry into the high word.
    __m512i lo = _mm512_add_epi32(_mm512_set1_epi32((int)(uint32_t)block), lanes);
    __mmask16 carry = _mm512_cmplt_epu32_mask(lo, _mm512_set1_epi32((int)(uint32_t)block));
    __m512i c0 = lo;
    __m512i c1 = _mm512_mask_add_epi32(_mm512_set1_epi32((int)(uint32_t)(block >> 32)), carry,
                                       _mm512_set1_epi32((int)(uint32_t)(block >> 32)), _mm512_set1_epi32(1));
    __m512i c2 = _mm512_set1_epi32((int)(uint32_t)stream), c3 = _mm512_set1_epi32((int)(uint32_t)(stream >> 32));
    const __m512i m0 = _mm512_set1_epi32((int)PHILOX_M0), m1 = _mm512_set1_epi32((int)PHILOX_M1);
    uint32_t k0 = key0, k1 = key1;
    for (int round = 0; round < 10; round++) {
        __m512i hi0 = mulhi512(c0, m0), lo0 = _mm512_mullo_epi32(c0, m0);
        __m512i hi1 = mulhi512(c2, m1), lo1 = _mm512_mullo_epi32(c2, m1);
        c0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32((int)k0));
        c1 = lo1;
        c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32((int)k1));
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    // Interleave the four words of each lane: (c0 c1 c2 c3) of block 0, then of block 1, …
    __m512i a01lo = _mm512_unpacklo_epi32(c0, c1), a01hi = _mm512_unpackhi_epi32(c0, c1);
    __m512i a23lo = _mm512_unpacklo_epi32(c2, c3), a23hi = _mm512_unpackhi_epi32(c2, c3);
    // Within each 128-bit lane group g (blocks 4g..4g+3): a01lo = c0[4g] c1[4g] c0[4g+1] c1[4g+1], …
    __m512i b0 = _mm512_unpacklo_epi64(a01lo, a23lo);  // block 4g
    __m512i b1 = _mm512_unpackhi_epi64(a01lo, a23lo);  // block 4g+1
    __m512i b2 = _mm512_unpacklo_epi64(a01hi, a23hi);  // block 4g+2
    __m512i b3 = _mm512_unpackhi_epi64(a01hi, a23hi);  // block 4g+3
    uint32_t t0[16], t1[16], t2[16], t3[16];
    _mm512_storeu_si512(t0, b0);
    _mm512_storeu_si512(t1, b1);
    _mm512_storeu_si512(t2, b2);
    _mm512_storeu_si512(t3, b3);
    for (int g = 0; g < 4; g++) {
        uint32_t *o = out + 16 * g;
        for (int w = 0; w < 4; w++) {
            o[w] = t0[4 * g + w];
            o[4 + w] = t1[4 * g + w];
            o[8 + w] = t2[4 * g + w];
            o[12 + w] = t3[4 * g + w];
        }
    }
}

#endif

void memento_philox_blocks(uint32_t key0, uint32_t key1, uint64_t block, uint64_t stream, long count, uint32_t *out) {
    long i = 0;
#if defined(__x86_64__)
    if (memento_cpu_has_avx512())
        for (; i + 16 <= count; i += 16) philox16(key0, key1, block + (uint64_t)i, stream, out + 4 * i);
#endif
    for (; i < count; i++) philox_scalar(key0, key1, block + (uint64_t)i, stream, out + 4 * i);
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static long bernoulli512(const uint32_t *bits, long n, uint64_t threshold, float value, float *out) {
    const __m512i t = _mm512_set1_epi64((long long)threshold);
    const __m512 v = _mm512_set1_ps(value);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i a = _mm512_srli_epi64(_mm512_loadu_si512(bits + 2 * i), 11);
        __m512i b = _mm512_srli_epi64(_mm512_loadu_si512(bits + 2 * i + 16), 11);
        __mmask16 keep = (__mmask16)(_mm512_cmplt_epu64_mask(a, t) | ((unsigned)_mm512_cmplt_epu64_mask(b, t) << 8));
        _mm512_storeu_ps(out + i, _mm512_maskz_mov_ps(keep, v));
    }
    return i;
}
#endif

void memento_bernoulli_from_bits(const uint32_t *bits, long n, uint64_t threshold, float value, float *out) {
    long i = 0;
#if defined(__x86_64__)
    if (memento_cpu_has_avx512()) i = bernoulli512(bits, n, threshold, value, out);
#endif
    for (; i < n; i++) {
        uint64_t x = (uint64_t)bits[2 * i] | ((uint64_t)bits[2 * i + 1] << 32);
        out[i] = (x >> 11) < threshold ? value : 0.0f;
    }
}

void memento_bernoulli_philox(uint32_t key0, uint32_t key1, uint64_t stream, uint64_t block, long offset, long n,
                              uint64_t threshold, float value, float *out) {
    enum { ELEMENTS = 1024 };
    uint32_t words[2 * ELEMENTS + 8];
    for (long done = 0; done < n;) {
        long m = n - done < ELEMENTS ? n - done : ELEMENTS;
        long position = offset + 2 * done;  // in words, from the start of `block`
        long skip = position & 3, blocks = (skip + 2 * m + 3) / 4;
        memento_philox_blocks(key0, key1, block + (uint64_t)(position >> 2), stream, blocks, words);
        memento_bernoulli_from_bits(words + skip, m, threshold, value, out + done);
        done += m;
    }
}
