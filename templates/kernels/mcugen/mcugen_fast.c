/*
 * mcugen_fast.c - mcugen's generated-layout int8 kernels. See mcugen_fast.h for the data layout.
 * Written for mcugen; bit-exact with its simulator (TFLM's reference arithmetic).
 */
#include <stddef.h>
#include <string.h>

#include "mcugen_fast.h"
#include "mcugen_simd.h"

/* TFLM's MultiplyByQuantizedMultiplier (gemmlowp double rounding), plus the output offset and
 * the activation clamp, for one accumulator:
 *   SaturatingRoundingDoublingHighMul(x, m) = floor((x*m + 2^30) / 2^31) = SMMULR(2x, m) (its
 *   saturating case needs m = INT32_MIN, which QuantizeMultiplier never produces), with
 *   2x = acc << (left + 1);
 *   RoundingDivideByPOT(h, e) + offset = (2h + 2^e - [h < 0] + offset * 2^(e+1)) >> (e + 1),
 *   one rounding step for every e >= 0.
 * Per channel {multiplier, left + 1, e + 1, 2^e + offset * 2^(e+1)} are precomputed; the
 * generator proves for the layer (the record's check) that nothing overflows:
 * |acc| * 2^(left+1) < 2^31, |2h| < 2^29, e <= 22. */
static inline int8_t requantize(int32_t acc, const mcugen_fast_rq_t *q, int32_t lo, int32_t hi)
{
#if MCUGEN_HAS_DSP
    /* 2 LDRD, LSL, SMMULR, 2 ADD, ASR, then the clamp: 13 instructions with the store */
    int32_t m, l1, rs, rc, h, v;
    __asm__("ldrd   %[m], %[l1], [%[q]]\n\t"
            "ldrd   %[rs], %[rc], [%[q], #8]\n\t"
            "lsl    %[h], %[acc], %[l1]\n\t"
            "smmulr %[h], %[h], %[m]\n\t"
            "add    %[v], %[rc], %[h], lsl #1\n\t"
            "add    %[v], %[v], %[h], asr #31\n\t"
            "asr    %[v], %[v], %[rs]\n\t"
            "cmp    %[v], %[lo]\n\t"
            "it     lt\n\t"
            "movlt  %[v], %[lo]\n\t"
            "cmp    %[v], %[hi]\n\t"
            "it     gt\n\t"
            "movgt  %[v], %[hi]\n\t"
            : [m] "=&r"(m), [l1] "=&r"(l1), [rs] "=&r"(rs), [rc] "=&r"(rc), [h] "=&r"(h),
              [v] "=&r"(v)
            : [acc] "r"(acc), [q] "r"(q), [lo] "r"(lo), [hi] "r"(hi)
            : "cc", "memory");
    return (int8_t)v;
#else
    const int32_t x2 = (int32_t)((uint32_t)acc << q->left1);
    const int32_t h = (int32_t)(((int64_t)x2 * q->multiplier + ((int64_t)1 << 31)) >> 32);
    int32_t v = (h + h + (h >> 31) + q->rc) >> q->rshift;
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
#endif
}

/* ---- convolution and fully connected: one matrix product over rows ------------------------- */

/* 4 int8 inputs as the packed int16 pairs [x0,x2],[x1,x3]: the order SXTB16 splits a weight
 * word into, so one SMLAD multiplies matching pairs; doubled for the fused kernels. */
static inline void widen4(uint32_t x, uint32_t *out, int doubled)
{
    const uint32_t e = mcugen_sxtb16(x), o = mcugen_sxtb16_ror8(x);
    out[0] = doubled ? mcugen_double16(e) : e;
    out[1] = doubled ? mcugen_double16(o) : o;
}

/* `words` words of int8 inputs at src widened (and doubled for the fused kernels) into wide:
 * the two words of each 4 inputs at wide[0], wide[1], then `stride` (2 or 4) words on. Returns
 * the next free place. DSP: LDR, 2 SXTB16 (2 SADD16), STRD per 4 inputs. */
static inline __attribute__((always_inline)) uint32_t *widen_words(const int8_t *src, int32_t words, uint32_t *wide, int32_t stride,
                             int doubled)
{
    if (words <= 0) {
        return wide;
    }
#if MCUGEN_HAS_DSP
    const int8_t *end = src + 4 * words;
    uint32_t x, e, o;
#define WIDEN_LOOP(bytes, DOUBLE)                                                            \
    __asm__ volatile("1:\n\t"                                                               \
                     "ldr    %[x], [%[s]], #4\n\t"                                          \
                     "sxtb16 %[e], %[x]\n\t"                                                \
                     "sxtb16 %[o], %[x], ror #8\n\t"                                        \
                     DOUBLE                                                                  \
                     "cmp    %[s], %[end]\n\t"                                              \
                     "strd   %[e], %[o], [%[d]], #" #bytes "\n\t"                           \
                     "bne    1b\n\t"                                                        \
                     : [s] "+r"(src), [d] "+r"(wide), [x] "=&r"(x), [e] "=&r"(e),            \
                       [o] "=&r"(o)                                                          \
                     : [end] "r"(end)                                                        \
                     : "cc", "memory")
#define WIDEN_DOUBLE "sadd16 %[e], %[e], %[e]\n\tsadd16 %[o], %[o], %[o]\n\t"
    if (doubled) {
        if (stride == 4 && words % 2 == 0 && ((uintptr_t)src & 3u) == 0) {
            /* the fused kernels' rows, two words per LDRD: 13 instructions per 8 inputs */
            uint32_t y;
            __asm__ volatile("1:\n\t"
                             "ldrd   %[x], %[y], [%[s]], #8\n\t"
                             "sxtb16 %[e], %[x]\n\t"
                             "sxtb16 %[o], %[x], ror #8\n\t"
                             "sadd16 %[e], %[e], %[e]\n\t"
                             "sadd16 %[o], %[o], %[o]\n\t"
                             "strd   %[e], %[o], [%[d]], #16\n\t"
                             "sxtb16 %[e], %[y]\n\t"
                             "sxtb16 %[o], %[y], ror #8\n\t"
                             "sadd16 %[e], %[e], %[e]\n\t"
                             "sadd16 %[o], %[o], %[o]\n\t"
                             "cmp    %[s], %[end]\n\t"
                             "strd   %[e], %[o], [%[d]], #16\n\t"
                             "bne    1b\n\t"
                             : [s] "+r"(src), [d] "+r"(wide), [x] "=&r"(x), [y] "=&r"(y),
                               [e] "=&r"(e), [o] "=&r"(o)
                             : [end] "r"(end)
                             : "cc", "memory");
        } else if (stride == 4) {
            WIDEN_LOOP(16, WIDEN_DOUBLE);
        } else {
            WIDEN_LOOP(8, WIDEN_DOUBLE);
        }
    } else if (stride == 4) {
        WIDEN_LOOP(16, "");
    } else {
        WIDEN_LOOP(8, "");
    }
#undef WIDEN_LOOP
#undef WIDEN_DOUBLE
#else
    for (int32_t j = 0; j < words; ++j, wide += stride) {
        widen4(mcugen_read32(src + 4 * j), wide, doubled);
    }
#endif
    return wide;
}

/* fill_row for first layers whose window rows are whole words (kw * c a multiple of 4, dilation
 * 1, c not): per window row either its words widened straight from the image, or (a border) its
 * bytes gathered in `row` first. Kept apart from fill_row so that its loop stays in registers. */
static void fill_spans(const mcugen_fast_conv_t *p, const int8_t *image, int32_t oy, int32_t ox,
                       int8_t *row, uint32_t *wide, int doubled)
{
    const int32_t c = p->in_c, n = p->kw * c, words = n / 4;
    const int32_t x0 = ox * p->stride_w - p->pad_w;
    const int32_t y0 = oy * p->stride_h - p->pad_h;
    const int32_t kx0 = x0 < 0 ? -x0 : 0;
    const int32_t kx1 = x0 + p->kw > p->in_w ? p->in_w - x0 : p->kw;
    const int32_t lo = kx0 * c, hi = kx1 > kx0 ? kx1 * c : lo;
    const int8_t zp = (int8_t)p->input_zero_point;
    const size_t line = (size_t)p->in_w * (size_t)c;
    for (int32_t ky = 0; ky < p->kh; ++ky) {
        const int32_t iy = y0 + ky * p->dil_h;
        if (iy >= 0 && iy < p->in_h && lo == 0 && hi == n) {
            wide = widen_words(image + (size_t)iy * line + (size_t)x0 * (size_t)c, words, wide, 4,
                               doubled);
            continue;
        }
        const int inside = iy >= 0 && iy < p->in_h;
        const int8_t *src = inside ? image + (size_t)iy * line + (size_t)(x0 + kx0) * (size_t)c
                                   : image;
        for (int32_t i = 0; i < n; ++i) {
            row[i] = inside && i >= lo && i < hi ? src[i - lo] : zp;
        }
        wide = widen_words(row, words, wide, 4, doubled);
    }
}

/* Row `pixel` (the K inputs one output reads: the zero point where the window leaves the
 * image, zeros after K), widened into `wide` (k4 / 2 words). `row` is k4 bytes of scratch for
 * rows that cannot be widened in place (channels not a multiple of 4). The two words of each
 * 4 inputs go to wide[0], wide[1], then `stride` words on (4 when two rows are interleaved). */
static void fill_row(const mcugen_fast_conv_t *p, const int8_t *in, int32_t pixel, int8_t *row,
                     uint32_t *wide, int32_t stride, int doubled)
{
    if (p->direct && p->k == p->k4) {
        widen_words(in + (size_t)pixel * (size_t)p->k, p->k4 / 4, wide, stride, doubled);
        return;
    }
    const int32_t c = p->direct ? p->k : p->in_c;
    const int32_t words = (c % 4 == 0) ? c / 4 : 0;   /* taps widened word by word */
    if (!p->direct && !words && p->dil_w == 1 && (p->kw * c) % 4 == 0 && stride == 4) {
        const int32_t per_image = p->out_h * p->out_w;
        const int32_t n = pixel / per_image, rest = pixel % per_image;
        fill_spans(p, in + (size_t)n * (size_t)p->in_h * (size_t)p->in_w * (size_t)c,
                   rest / p->out_w, rest % p->out_w, row, wide, doubled);
        return;
    }
    int8_t *dst = row;
    uint32_t *wdst = wide;
    if (p->direct) {
        const int8_t *src = in + (size_t)pixel * (size_t)p->k;
        for (int32_t i = 0; i < c; ++i) {
            dst[i] = src[i];
        }
        dst += c;
    } else {
        const int32_t per_image = p->out_h * p->out_w;
        const int32_t n = pixel / per_image;
        const int32_t oy = (pixel % per_image) / p->out_w;
        const int32_t ox = pixel % p->out_w;
        const uint32_t zp4 = (uint32_t)(uint8_t)p->input_zero_point * 0x01010101u;
        const int32_t x0 = ox * p->stride_w - p->pad_w;
        /* dilation 1, channels not in words (first layers): a window row is kw * c contiguous
           bytes, of which columns [kx0, kx1) lie inside the image, the rest zero points */
        const int spans = !words && p->dil_w == 1;
        const int32_t kx0 = x0 < 0 ? -x0 : 0;
        const int32_t kx1 = x0 + p->kw > p->in_w ? p->in_w - x0 : p->kw;
        const int8_t zp = (int8_t)p->input_zero_point;
        for (int32_t ky = 0; ky < p->kh; ++ky) {
            const int32_t iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
            if (spans) {
                const int row_inside = iy >= 0 && iy < p->in_h;
                const int32_t lo = row_inside ? kx0 * c : p->kw * c;
                const int32_t hi = row_inside && kx1 > kx0 ? kx1 * c : lo;
                const int8_t *src = row_inside
                    ? in + (((size_t)n * p->in_h + iy) * p->in_w + x0 + kx0) * c : in;
                int32_t i = 0;
                for (; i < lo; ++i) {
                    dst[i] = zp;
                }
                for (; i < hi; ++i) {
                    dst[i] = src[i - lo];
                }
                for (; i < p->kw * c; ++i) {
                    dst[i] = zp;
                }
                dst += p->kw * c;
                continue;
            }
            if (words && p->dil_w == 1 && kx0 == 0 && kx1 == p->kw && iy >= 0 && iy < p->in_h) {
                /* a window row wholly inside: kw * c contiguous bytes */
                wdst = widen_words(in + (((size_t)n * p->in_h + iy) * p->in_w + x0) * c,
                                   p->kw * words, wdst, stride, doubled);
                continue;
            }
            for (int32_t kx = 0; kx < p->kw; ++kx) {
                const int32_t ix = ox * p->stride_w - p->pad_w + kx * p->dil_w;
                const int inside = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
                const int8_t *src = in + (((size_t)n * p->in_h + iy) * p->in_w + ix) * c;
                if (words) {
                    for (int32_t j = 0; j < words; ++j, wdst += stride) {
                        widen4(inside ? mcugen_read32(src + 4 * j) : zp4, wdst, doubled);
                    }
                } else {
                    for (int32_t i = 0; i < c; ++i) {
                        dst[i] = inside ? src[i] : (int8_t)p->input_zero_point;
                    }
                    dst += c;
                }
            }
        }
        if (words) {
            return;                                /* k == k4: nothing after K */
        }
    }
    for (int8_t *end = row + p->k4; dst < end; ++dst) {
        *dst = 0;
    }
    widen_words(row, p->k4 / 4, wide, stride, doubled);
}

#if MCUGEN_HAS_DSP
/* One step of the tiles below: 4 inputs of the row(s) against the weight words of 2 channels. */
#define TILE_2X2_STEP \
    "ldrd   %[wo], %[vo], [%[w]], #8\n\t" \
    "ldrd   %[xe], %[xo], [%[x]], #8\n\t" \
    "sxtb16 %[we], %[wo]\n\t" \
    "sxtb16 %[wo], %[wo], ror #8\n\t" \
    "sxtb16 %[ve], %[vo]\n\t" \
    "sxtb16 %[vo], %[vo], ror #8\n\t" \
    "smlad  %[a00], %[xe], %[we], %[a00]\n\t" \
    "smlad  %[a01], %[xe], %[ve], %[a01]\n\t" \
    "smlad  %[a00], %[xo], %[wo], %[a00]\n\t" \
    "smlad  %[a01], %[xo], %[vo], %[a01]\n\t" \
    "ldrd   %[xe], %[xo], [%[x]], #8\n\t" \
    "smlad  %[a10], %[xe], %[we], %[a10]\n\t" \
    "smlad  %[a11], %[xe], %[ve], %[a11]\n\t" \
    "smlad  %[a10], %[xo], %[wo], %[a10]\n\t" \
    "smlad  %[a11], %[xo], %[vo], %[a11]\n\t"
#define TILE_1X2_STEP \
    "ldrd   %[wo], %[vo], [%[w]], #8\n\t" \
    "ldrd   %[xe], %[xo], [%[x]], #8\n\t" \
    "sxtb16 %[we], %[wo]\n\t" \
    "sxtb16 %[wo], %[wo], ror #8\n\t" \
    "sxtb16 %[ve], %[vo]\n\t" \
    "sxtb16 %[vo], %[vo], ror #8\n\t" \
    "smlad  %[a0], %[xe], %[we], %[a0]\n\t" \
    "smlad  %[a1], %[xe], %[ve], %[a1]\n\t" \
    "smlad  %[a0], %[xo], %[wo], %[a0]\n\t" \
    "smlad  %[a1], %[xo], %[vo], %[a1]\n\t"
#define TILE_1X4_STEP \
    "ldrd   %[xe], %[xo], [%[x]], #8\n\t" \
    "ldrd   %[v0], %[v1], [%[w]], #8\n\t" \
    "sxtb16 %[e], %[v0]\n\t" \
    "sxtb16 %[v0], %[v0], ror #8\n\t" \
    "smlad  %[a0], %[xe], %[e], %[a0]\n\t" \
    "smlad  %[a0], %[xo], %[v0], %[a0]\n\t" \
    "sxtb16 %[e], %[v1]\n\t" \
    "sxtb16 %[v1], %[v1], ror #8\n\t" \
    "smlad  %[a1], %[xe], %[e], %[a1]\n\t" \
    "smlad  %[a1], %[xo], %[v1], %[a1]\n\t" \
    "ldrd   %[v0], %[v1], [%[w]], #8\n\t" \
    "sxtb16 %[e], %[v0]\n\t" \
    "sxtb16 %[v0], %[v0], ror #8\n\t" \
    "smlad  %[a2], %[xe], %[e], %[a2]\n\t" \
    "smlad  %[a2], %[xo], %[v0], %[a2]\n\t" \
    "sxtb16 %[e], %[v1]\n\t" \
    "sxtb16 %[v1], %[v1], ror #8\n\t" \
    "smlad  %[a3], %[xe], %[e], %[a3]\n\t" \
    "smlad  %[a3], %[xo], %[v1], %[a3]\n\t"
#endif

/* acc[0..3] += the 2 x 2 tile (pixels 0/1 x channels c/c+1) over `words` steps of 4 inputs:
 * x holds per step [x0 even, x0 odd, x1 even, x1 odd] (two rows interleaved), w per step the
 * weight words of channel c and c+1. Per step: LDRD of the weights, 4 SXTB16, 2 LDRD of the
 * activations, 8 SMLAD: 15 instructions for 16 MACs; registers: 4 accumulators, 4 widened
 * weights, 2 activations, 2 pointers and the end. */
static inline void tile_2x2(const uint32_t *w, const uint32_t *x, int32_t words, int32_t acc[4])
{
#if MCUGEN_HAS_DSP
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const uint32_t *end = w + 2 * words;
    uint32_t we, wo, ve, vo, xe, xo;
    /* two steps per iteration (one loop test per 32 MACs), an odd step first */
    if (words & 1) {
        __asm__ volatile(
        TILE_2X2_STEP
            : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
              [w] "+r"(w), [x] "+r"(x), [we] "=&r"(we), [wo] "=&r"(wo), [ve] "=&r"(ve),
              [vo] "=&r"(vo), [xe] "=&r"(xe), [xo] "=&r"(xo)
            :
            : "memory");
    }
    if (w != end) {
        __asm__ volatile(
            "1:\n\t"
        TILE_2X2_STEP TILE_2X2_STEP
            "cmp    %[w], %[end]\n\t"
            "bne    1b\n\t"
            : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
              [w] "+r"(w), [x] "+r"(x), [we] "=&r"(we), [wo] "=&r"(wo), [ve] "=&r"(ve),
              [vo] "=&r"(vo), [xe] "=&r"(xe), [xo] "=&r"(xo)
            : [end] "r"(end)
            : "cc", "memory");
    }
    acc[0] = a00, acc[1] = a01, acc[2] = a10, acc[3] = a11;
#else
    for (int32_t j = 0; j < words; ++j, w += 2, x += 4) {
        const uint32_t we = mcugen_sxtb16(w[0]), wo = mcugen_sxtb16_ror8(w[0]);
        const uint32_t ve = mcugen_sxtb16(w[1]), vo = mcugen_sxtb16_ror8(w[1]);
        acc[0] = mcugen_smlad(x[1], wo, mcugen_smlad(x[0], we, acc[0]));
        acc[1] = mcugen_smlad(x[1], vo, mcugen_smlad(x[0], ve, acc[1]));
        acc[2] = mcugen_smlad(x[3], wo, mcugen_smlad(x[2], we, acc[2]));
        acc[3] = mcugen_smlad(x[3], vo, mcugen_smlad(x[2], ve, acc[3]));
    }
#endif
}

/* acc[0..1] += one row x channels c/c+1 (x per step [even, odd]): 10 instructions per 8 MACs,
 * one loop test per 16 MACs. */
static inline void tile_1x2(const uint32_t *w, const uint32_t *x, int32_t words, int32_t acc[2])
{
#if MCUGEN_HAS_DSP
    int32_t a0 = acc[0], a1 = acc[1];
    const uint32_t *end = w + 2 * words;
    uint32_t we, wo, ve, vo, xe, xo;
    /* two steps per iteration, an odd step first */
    if (words & 1) {
        __asm__ volatile(
        TILE_1X2_STEP
            : [a0] "+r"(a0), [a1] "+r"(a1), [w] "+r"(w), [x] "+r"(x), [we] "=&r"(we),
              [wo] "=&r"(wo), [ve] "=&r"(ve), [vo] "=&r"(vo), [xe] "=&r"(xe), [xo] "=&r"(xo)
            :
            : "memory");
    }
    if (w != end) {
        __asm__ volatile(
            "1:\n\t"
        TILE_1X2_STEP TILE_1X2_STEP
            "cmp    %[w], %[end]\n\t"
            "bne    1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [w] "+r"(w), [x] "+r"(x), [we] "=&r"(we),
              [wo] "=&r"(wo), [ve] "=&r"(ve), [vo] "=&r"(vo), [xe] "=&r"(xe), [xo] "=&r"(xo)
            : [end] "r"(end)
            : "cc", "memory");
    }
    acc[0] = a0, acc[1] = a1;
#else
    for (int32_t j = 0; j < words; ++j, w += 2, x += 2) {
        acc[0] = mcugen_smlad(x[1], mcugen_sxtb16_ror8(w[0]), mcugen_smlad(x[0], mcugen_sxtb16(w[0]), acc[0]));
        acc[1] = mcugen_smlad(x[1], mcugen_sxtb16_ror8(w[1]), mcugen_smlad(x[0], mcugen_sxtb16(w[1]), acc[1]));
    }
#endif
}

/* Requantize n accumulators with per-channel constants into int8 (a tight loop of its own, so
 * the constants stay in registers: ~14 instructions per output). */
static void requantize_row(const int32_t *acc, const mcugen_fast_rq_t *q, int32_t n, int8_t *out,
                           int32_t lo, int32_t hi)
{
    for (int32_t c = 0; c < n; ++c) {
        out[c] = requantize(acc[c], q + c, lo, hi);
    }
}

/* acc[0..3] += one row x channels c .. c+3, the weights of the 4 channels interleaved word by
 * word ([j][c .. c+3]): per step one LDRD of activations, 2 LDRD of weights, 8 SXTB16, 8 SMLAD
 * for 16 MACs (batch-1 fully connected layers, where each weight is used once). Registers:
 * 4 accumulators, 2 activations, 2 weights, 1 widened weight, 2 pointers and the end. */
static inline void tile_1x4(const uint32_t *w, const uint32_t *x, int32_t words, int32_t acc[4])
{
#if MCUGEN_HAS_DSP
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const uint32_t *end = w + 4 * words;
    uint32_t xe, xo, v0, v1, e;
    /* two steps per iteration, an odd step first */
    if (words & 1) {
        __asm__ volatile(TILE_1X4_STEP
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w),
              [x] "+r"(x), [xe] "=&r"(xe), [xo] "=&r"(xo), [v0] "=&r"(v0), [v1] "=&r"(v1),
              [e] "=&r"(e)
            :
            : "memory");
    }
    if (w != end) {
        __asm__ volatile("1:\n\t" TILE_1X4_STEP TILE_1X4_STEP
                         "cmp    %[w], %[end]\n\t"
                         "bne    1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w),
              [x] "+r"(x), [xe] "=&r"(xe), [xo] "=&r"(xo), [v0] "=&r"(v0), [v1] "=&r"(v1),
              [e] "=&r"(e)
            : [end] "r"(end)
            : "cc", "memory");
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
#else
    for (int32_t j = 0; j < words; ++j, w += 4, x += 2) {
        for (int32_t k = 0; k < 4; ++k) {
            acc[k] = mcugen_smlad(x[1], mcugen_sxtb16_ror8(w[k]),
                                  mcugen_smlad(x[0], mcugen_sxtb16(w[k]), acc[k]));
        }
    }
#endif
}

/* The accumulators of one or two rows (`two`: x interleaves them per step) for every output
 * channel, into acc[0 .. cout) and acc[cout .. 2 cout). Weights of a channel pair are
 * interleaved word by word ([j][c, c+1]); an odd last channel is on its own ([j]). */
static void rows_x_weights(const mcugen_fast_conv_t *p, const uint32_t *x, int two,
                           int32_t *acc0)
{
    const int32_t words = p->k4 / 4;
    const uint32_t *w = (const uint32_t *)(const void *)p->weights;
    int32_t *acc1 = acc0 + p->cout;
    int32_t c = 0;
    if (!two) {
        /* single-row layers lay their first channels out in quads */
        for (; c < 4 * p->quads; c += 4, w += 4 * words) {
            int32_t acc[4] = {p->bias[c], p->bias[c + 1], p->bias[c + 2], p->bias[c + 3]};
            tile_1x4(w, x, words, acc);
            acc0[c] = acc[0], acc0[c + 1] = acc[1], acc0[c + 2] = acc[2], acc0[c + 3] = acc[3];
        }
    }
    for (; c + 1 < p->cout; c += 2, w += 2 * words) {
        int32_t acc[4] = {p->bias[c], p->bias[c + 1], p->bias[c], p->bias[c + 1]};
        if (two) {
            tile_2x2(w, x, words, acc);
            acc1[c] = acc[2];
            acc1[c + 1] = acc[3];
        } else {
            tile_1x2(w, x, words, acc);
        }
        acc0[c] = acc[0];
        acc0[c + 1] = acc[1];
    }
    if (c < p->cout) {
        const int32_t step = two ? 4 : 2;
        int32_t a0 = p->bias[c], a1 = p->bias[c];
        for (int32_t j = 0; j < words; ++j) {
            const uint32_t we = mcugen_sxtb16(w[j]), wo = mcugen_sxtb16_ror8(w[j]);
            a0 = mcugen_smlad(x[step * j + 1], wo, mcugen_smlad(x[step * j], we, a0));
            a1 = mcugen_smlad(x[step * j + 3 - 2 * !two], wo,
                              mcugen_smlad(x[step * j + 2 - 2 * !two], we, a1));
        }
        acc0[c] = a0;
        acc1[c] = a1;
    }
}

void mcugen_fast_conv_s8(const mcugen_fast_conv_t *p, const int8_t *in, int8_t *out,
                         void *scratch)
{
    /* scratch: rows (1 or 2) x cout accumulators, rows x k4 / 2 words of widened inputs, and
       k4 bytes of gathered row unless rows are read in place (MCUGEN_FAST_CONV_SCRATCH) */
    const int32_t rows = p->pixels > 1 ? 2 : 1;
    int32_t *acc = (int32_t *)scratch;
    uint32_t *wide = (uint32_t *)(acc + rows * p->cout);
    int8_t *row = (int8_t *)(wide + rows * p->k4 / 2);
    int32_t pixel = 0;
    for (; pixel + 1 < p->pixels; pixel += 2) {
        fill_row(p, in, pixel, row, wide, 4, 0);
        fill_row(p, in, pixel + 1, row, wide + 2, 4, 0);
        rows_x_weights(p, wide, 1, acc);
        requantize_row(acc, p->rq, p->cout, out + (size_t)pixel * (size_t)p->cout, p->act_min,
                       p->act_max);
        requantize_row(acc + p->cout, p->rq, p->cout, out + (size_t)(pixel + 1) * (size_t)p->cout,
                       p->act_min, p->act_max);
    }
    if (pixel < p->pixels) {
        fill_row(p, in, pixel, row, wide, 2, 0);
        rows_x_weights(p, wide, 0, acc);
        requantize_row(acc, p->rq, p->cout, out + (size_t)pixel * (size_t)p->cout, p->act_min,
                       p->act_max);
    }
}

/* The fused variant: every pixel pair (an odd last pixel is computed in the pair (P-2, P-1),
 * which writes pixel P-2 twice with the same bytes) through the 2 x 2 tile kernel, then the
 * constant outputs of dead channels. */
void mcugen_fast_conv_fused_s8(const mcugen_fast_conv_fused_t *p, const int8_t *in, int8_t *out,
                               void *scratch)
{
    const mcugen_fast_conv_t *g = &p->geometry;
    uint32_t *wide = (uint32_t *)scratch;         /* MCUGEN_FAST_FUSED_SCRATCH */
    int8_t *row = (int8_t *)(wide + g->k4);
    mcugen_fast_pairs_run_t r = {p->stream, p->stream_end, wide, g->k4 / 4, out, g->act_min,
                                 g->act_max};
    for (int32_t pixel = 0; pixel < g->pixels; pixel += 2) {
        const int32_t p0 = pixel + 1 < g->pixels ? pixel : g->pixels - 2;
        int8_t *o = out + (size_t)p0 * (size_t)g->cout;
        fill_row(g, in, p0, row, wide, 4, 1);
        fill_row(g, in, p0 + 1, row, wide + 2, 4, 1);
        if (p->stream != p->stream_end) {
            r.out = o;
            p->tile(&r);
        }
        for (int32_t d = 0; d < p->dead; ++d) {
            const int32_t c = p->dead_outputs[d] >> 8;
            const int8_t v = (int8_t)(uint8_t)(p->dead_outputs[d] & 0xFF);
            o[c] = v;
            o[g->cout + c] = v;
        }
    }
}

/* ---- depthwise convolution, 4 channels per word --------------------------------------------- */

/* One tap of 4 channels: SXTAB16 adds the input offset while it sign-extends channels 0/2 and
 * (ROR #8) 1/3; w holds the int16 weight pairs [c0,c2],[c1,c3]. */
#define MCUGEN_DW_TAP(x, w, a0, a1, a2, a3)                      \
    do {                                                         \
        const uint32_t xe_ = mcugen_sxtab16(off2, (x));          \
        const uint32_t xo_ = mcugen_sxtab16_ror8(off2, (x));     \
        (a0) = mcugen_smlabb(xe_, (w)[0], (a0));                 \
        (a2) = mcugen_smlatt(xe_, (w)[0], (a2));                 \
        (a1) = mcugen_smlabb(xo_, (w)[1], (a1));                 \
        (a3) = mcugen_smlatt(xo_, (w)[1], (a3));                 \
    } while (0)

/* 3x3: the 9 taps unrolled (8 instructions per tap for 4 channels). tap[t] points at channel
 * group 0 of tap t (row-major); a tap outside the image points at a column of zero points, so
 * (x - zp) * w adds nothing, exactly as the reference skips it. */
static void dw3x3(const mcugen_fast_dw_t *p, const int8_t *const tap[9], int32_t *acc)
{
    const uint32_t off2 = p->input_offset_x2;
    const uint32_t *w = p->weights;
    const int32_t *bias = p->bias;
    for (int32_t c = 0; c < p->channels; c += 4, w += 18, bias += 4, acc += 4) {
        int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
#if MCUGEN_HAS_DSP
        /* per tap: the tap's pointer, the 4 channels, the weight pair, 2 SXTAB16, 4 SMLAxy */
        uint32_t x, xe, w0, w1;
        const int8_t *src;
#define MCUGEN_DW_TAP_ASM(t)                                                                 \
        __asm__("ldr     %[s], [%[tap], #" #t " * 4]\n\t"                                   \
                "ldr     %[x], [%[s], %[c]]\n\t"                                            \
                "ldrd    %[w0], %[w1], [%[w], #" #t " * 8]\n\t"                             \
                "sxtab16 %[xe], %[off], %[x]\n\t"                                           \
                "sxtab16 %[x], %[off], %[x], ror #8\n\t"                                    \
                "smlabb  %[a0], %[xe], %[w0], %[a0]\n\t"                                    \
                "smlatt  %[a2], %[xe], %[w0], %[a2]\n\t"                                    \
                "smlabb  %[a1], %[x], %[w1], %[a1]\n\t"                                     \
                "smlatt  %[a3], %[x], %[w1], %[a3]\n\t"                                     \
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [s] "=&r"(src),   \
                  [x] "=&r"(x), [xe] "=&r"(xe), [w0] "=&r"(w0), [w1] "=&r"(w1)               \
                : [tap] "r"(tap), [c] "r"(c), [w] "r"(w), [off] "r"(off2)                    \
                : "memory")
        MCUGEN_DW_TAP_ASM(0); MCUGEN_DW_TAP_ASM(1); MCUGEN_DW_TAP_ASM(2);
        MCUGEN_DW_TAP_ASM(3); MCUGEN_DW_TAP_ASM(4); MCUGEN_DW_TAP_ASM(5);
        MCUGEN_DW_TAP_ASM(6); MCUGEN_DW_TAP_ASM(7); MCUGEN_DW_TAP_ASM(8);
#undef MCUGEN_DW_TAP_ASM
#else
        for (int32_t t = 0; t < 9; ++t) {
            MCUGEN_DW_TAP(mcugen_read32(tap[t] + c), w + 2 * t, a0, a1, a2, a3);
        }
#endif
        acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
    }
}

void mcugen_fast_dw_s8(const mcugen_fast_dw_t *p, const int8_t *in, int8_t *out, void *scratch)
{
    /* scratch: one pixel of accumulators, then one pixel of input zero points (read by the
       taps outside the image) */
    int32_t *acc = (int32_t *)scratch;
    int8_t *zero_points = (int8_t *)(acc + p->channels);
    memset(zero_points, (uint8_t)(-(int32_t)(int16_t)(p->input_offset_x2 & 0xFFFFu)),
           (size_t)p->channels);
    const int32_t groups = p->channels / 4;
    const uint32_t off2 = p->input_offset_x2;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int three = p->kh == 3 && p->kw == 3 && p->dil_h == 1 && p->dil_w == 1;
    for (int32_t n = 0; n < p->batches; ++n) {
        const int8_t *image = in + (size_t)n * p->in_h * p->in_w * p->channels;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            /* taps inside the image: ky in [ky0, ky1) */
            int32_t ky0 = 0, ky1 = p->kh;
            while (ky0 < ky1 && y0 + ky0 * p->dil_h < 0) {
                ++ky0;
            }
            while (ky1 > ky0 && y0 + (ky1 - 1) * p->dil_h >= p->in_h) {
                --ky1;
            }
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                int32_t kx0 = 0, kx1 = p->kw;
                while (kx0 < kx1 && x0 + kx0 * p->dil_w < 0) {
                    ++kx0;
                }
                while (kx1 > kx0 && x0 + (kx1 - 1) * p->dil_w >= p->in_w) {
                    --kx1;
                }
                int8_t *o = out + (((size_t)n * p->out_h + oy) * p->out_w + ox) * p->channels;
                if (three) {
                    const int8_t *tap[9];
                    for (int32_t ky = 0; ky < 3; ++ky) {
                        for (int32_t kx = 0; kx < 3; ++kx) {
                            const int inside = ky >= ky0 && ky < ky1 && kx >= kx0 && kx < kx1;
                            tap[3 * ky + kx] = inside ? image + ((size_t)(y0 + ky) * p->in_w
                                                                 + (x0 + kx)) * p->channels
                                                      : zero_points;
                        }
                    }
                    dw3x3(p, tap, acc);
                    requantize_row(acc, p->rq, p->channels, o, lo, hi);
                    continue;
                }
                for (int32_t g = 0; g < groups; ++g) {
                    const int32_t c = 4 * g;
                    int32_t a0 = p->bias[c], a1 = p->bias[c + 1];
                    int32_t a2 = p->bias[c + 2], a3 = p->bias[c + 3];
                    const uint32_t *wg = p->weights + (size_t)g * p->kh * p->kw * 2;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int8_t *src = image + ((size_t)(y0 + ky * p->dil_h) * p->in_w
                                                     + (x0 + kx0 * p->dil_w)) * p->channels + c;
                        const uint32_t *wt = wg + (ky * p->kw + kx0) * 2;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            MCUGEN_DW_TAP(mcugen_read32(src), wt, a0, a1, a2, a3);
                            src += (size_t)p->dil_w * p->channels;
                            wt += 2;
                        }
                    }
                    const mcugen_fast_rq_t *q = p->rq + c;
                    o[c] = requantize(a0, q, lo, hi);
                    o[c + 1] = requantize(a1, q + 1, lo, hi);
                    o[c + 2] = requantize(a2, q + 2, lo, hi);
                    o[c + 3] = requantize(a3, q + 3, lo, hi);
                }
            }
        }
    }
}

/* The fused 3x3 (dilation 1): per output pixel a base and the 9 taps' offsets from it (one
 * table for every pixel inside; on the border a tap outside the image reads the pixel of zero
 * points in scratch), then every channel group through mcugen_fast_dw3x3_s8. */
void mcugen_fast_dw3x3_fused_s8(const mcugen_fast_dw_fused_t *p, const int8_t *in, int8_t *out,
                                void *scratch)
{
    const mcugen_fast_dw_t *g = &p->geometry;
    int8_t *zero_points = (int8_t *)scratch;
    memset(zero_points, (uint8_t)(-(int32_t)(int16_t)(g->input_offset_x2 & 0xFFFFu)),
           (size_t)g->channels);
    const int32_t row = g->in_w * g->channels;
    int32_t inner[9], border[9];
    for (int32_t t = 0; t < 9; ++t) {
        inner[t] = (t / 3) * row + (t % 3) * g->channels;
    }
    mcugen_fast_dw_run_t r = {inner, in, p->stream, p->stream_end, out, g->input_offset_x2,
                              g->act_min, g->act_max};
    for (int32_t n = 0; n < g->batches; ++n) {
        const int8_t *image = in + (size_t)n * (size_t)g->in_h * (size_t)row;
        for (int32_t oy = 0; oy < g->out_h; ++oy) {
            const int32_t y0 = oy * g->stride_h - g->pad_h;
            const int rows_inside = y0 >= 0 && y0 + 3 <= g->in_h;
            for (int32_t ox = 0; ox < g->out_w; ++ox) {
                const int32_t x0 = ox * g->stride_w - g->pad_w;
                if (rows_inside && x0 >= 0 && x0 + 3 <= g->in_w && p->row != NULL) {
                    /* the run of pixels inside, through the kernel generated for the shape */
                    int32_t last = ox;
                    while (last + 1 < g->out_w
                           && (last + 1) * g->stride_w - g->pad_w + 3 <= g->in_w) {
                        ++last;
                    }
                    const mcugen_fast_dw_row_t run = {
                        p->stream, p->stream_end,
                        image + (size_t)y0 * (size_t)row + (size_t)x0 * (size_t)g->channels,
                        last - ox + 1, r.out, g->input_offset_x2, g->act_min, g->act_max};
                    p->row(&run);
                    r.out += (size_t)(last - ox + 1) * (size_t)g->channels;
                    ox = last;
                    continue;
                }
                if (rows_inside && x0 >= 0 && x0 + 3 <= g->in_w) {
                    /* inside: the 9 taps at fixed offsets from the window's corner */
                    r.taps = inner;
                    r.base = image + (size_t)y0 * (size_t)row + (size_t)x0 * (size_t)g->channels;
                } else {
                    /* on the border: offsets from the zero-point pixel, which the taps outside
                       the image read (wrapping differences, as the address arithmetic does) */
                    r.taps = border;
                    r.base = zero_points;
                    for (int32_t t = 0; t < 9; ++t) {
                        const int32_t iy = y0 + t / 3, ix = x0 + t % 3;
                        const int8_t *tap = iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w
                            ? image + (size_t)iy * (size_t)row + (size_t)ix * (size_t)g->channels
                            : zero_points;
                        border[t] = (int32_t)(uint32_t)((uintptr_t)tap - (uintptr_t)zero_points);
                    }
                }
                if (p->clamp) {
                    mcugen_fast_dw3x3_clamp_s8(&r);
                } else {
                    mcugen_fast_dw3x3_s8(&r);
                }
                r.out += g->channels;
            }
        }
    }
}

/* ---- average pooling ----------------------------------------------------------------------- */

/* TFLM's rounding division of a window sum by its tap count, then the activation clamp. */
static inline int8_t average(int32_t sum, int32_t count, int32_t lo, int32_t hi)
{
    int32_t v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

void mcugen_fast_avgpool_s8(const mcugen_pool_params_t *p, const mcugen_dims_t *in_dims,
                            const int8_t *in, const mcugen_dims_t *out_dims, int8_t *out)
{
    const int32_t c = in_dims->c, row = in_dims->w * c;
    for (int32_t n = 0; n < out_dims->n; ++n) {
        const int8_t *image = in + (size_t)n * (size_t)in_dims->h * (size_t)row;
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ky0 = y0 < 0 ? -y0 : 0;
            const int32_t ky1 = y0 + p->filter_h > in_dims->h ? in_dims->h - y0 : p->filter_h;
            for (int32_t ox = 0; ox < out_dims->w; ++ox, out += c) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t kx0 = x0 < 0 ? -x0 : 0;
                const int32_t kx1 = x0 + p->filter_w > in_dims->w ? in_dims->w - x0 : p->filter_w;
                const int32_t count = (ky1 - ky0) * (kx1 - kx0);
                if (count <= 0) {
                    continue;      /* no tap inside: the planner's shapes never give this */
                }
                const int8_t *window = image + (size_t)(y0 + ky0) * (size_t)row
                                       + (size_t)(x0 + kx0) * (size_t)c;
                int32_t ch = 0;
                if (c % 4 == 0 && count <= 255) {
                    /* a window as wide as the image is one run of taps, c bytes apart */
                    const int flat = kx0 == 0 && x0 == 0 && kx1 == in_dims->w;
                    for (; ch < c; ch += 4) {
                        uint32_t even = 0, odd = 0;     /* channels 0, 2 | 1, 3 as int16 halves */
                        const int8_t *src = window + ch;
                        if (flat) {
                            int32_t t = 0;
                            for (; t + 1 < count; t += 2, src += 2 * c) {
                                const uint32_t x = mcugen_read32(src), y = mcugen_read32(src + c);
                                even = mcugen_sxtab16(mcugen_sxtab16(even, x), y);
                                odd = mcugen_sxtab16_ror8(mcugen_sxtab16_ror8(odd, x), y);
                            }
                            if (t < count) {
                                const uint32_t x = mcugen_read32(src);
                                even = mcugen_sxtab16(even, x);
                                odd = mcugen_sxtab16_ror8(odd, x);
                            }
                        }
                        for (int32_t ky = flat ? ky1 : ky0; ky < ky1; ++ky, src += row) {
                            const int8_t *tap = src;
                            for (int32_t kx = kx0; kx < kx1; ++kx, tap += c) {
                                const uint32_t x = mcugen_read32(tap);
                                even = mcugen_sxtab16(even, x);
                                odd = mcugen_sxtab16_ror8(odd, x);
                            }
                        }
                        out[ch] = average((int16_t)(even & 0xFFFFu), count, p->act_min, p->act_max);
                        out[ch + 1] = average((int16_t)(odd & 0xFFFFu), count, p->act_min,
                                              p->act_max);
                        out[ch + 2] = average((int16_t)(even >> 16), count, p->act_min,
                                              p->act_max);
                        out[ch + 3] = average((int16_t)(odd >> 16), count, p->act_min, p->act_max);
                    }
                }
                for (; ch < c; ++ch) {
                    int32_t sum = 0;
                    const int8_t *src = window + ch;
                    for (int32_t ky = ky0; ky < ky1; ++ky, src += row) {
                        for (int32_t kx = 0; kx < kx1 - kx0; ++kx) {
                            sum += src[(size_t)kx * (size_t)c];
                        }
                    }
                    out[ch] = average(sum, count, p->act_min, p->act_max);
                }
            }
        }
    }
}

/* ---- ADD and SUB of equal shapes: two tables, one requantization --------------------------- */

/* TFLM's int8 ADD rescales each input on its own before the sum: (x - zp) << 20, times the
 * input's multiplier. That is a function of one int8 value, so the generator tabulates it (the
 * second table negated for SUB); per element: two table loads, one add, the requantization. */
void mcugen_fast_add_s8(const mcugen_fast_add_t *p, const int8_t *a, const int8_t *b,
                        int8_t *out)
{
    const int32_t *ta = p->table_a + 128, *tb = p->table_b + 128;
    const mcugen_fast_rq_t q = p->rq;
    const int32_t lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < p->size; ++i) {
        out[i] = requantize(ta[a[i]] + tb[b[i]], &q, lo, hi);
    }
}
