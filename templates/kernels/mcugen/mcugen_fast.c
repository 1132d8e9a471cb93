/*
 * mcugen_fast.c - mcugen's generated-layout int8 kernels. See mcugen_fast.h for the data layout.
 * Written for mcugen; bit-exact with its simulator (TFLM's reference arithmetic).
 */
#include <stddef.h>
#include <string.h>

#include "mcugen_fast.h"
#include "mcugen_simd.h"

/* TFLM's MultiplyByQuantizedMultiplier (gemmlowp double rounding) for a positive multiplier:
 * SaturatingRoundingDoublingHighMul is floor((x*m + 2^30) / 2^31) (the saturating case needs
 * m = INT32_MIN, which QuantizeMultiplier never produces), then RoundingDivideByPOT. */
static inline int32_t requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t x = (int32_t)((uint32_t)acc << left);
    const int32_t high = (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << 30)) >> 31);
    const int32_t mask = (int32_t)((1u << right) - 1u);
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

static inline int8_t to_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t offset,
                           int32_t lo, int32_t hi)
{
    int32_t v = requantize(acc, multiplier, shift) + offset;
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

/* ---- convolution and fully connected: one matrix product over rows ------------------------- */

/* Row p as packed int16 pairs: per 4 inputs [x0,x2],[x1,x3] (the order SXTB16 splits a weight
 * word into, so one SMLAD multiplies matching pairs). */
static void widen_row(const int8_t *row, int32_t k4, uint32_t *out)
{
    for (int32_t j = 0; j < k4; j += 4) {
        const uint32_t x = mcugen_read32(row + j);
        *out++ = mcugen_sxtb16(x);
        *out++ = mcugen_sxtb16_ror8(x);
    }
}

/* The K inputs output pixel p reads, gathered into row (zero point where the window leaves
 * the image, zeros after K). */
static const int8_t *gather_row(const mcugen_fast_conv_t *p, const int8_t *in, int32_t pixel,
                                int8_t *row)
{
    if (p->direct) {
        if (p->k == p->k4) {
            return in + (size_t)pixel * (size_t)p->k;
        }
        memcpy(row, in + (size_t)pixel * (size_t)p->k, (size_t)p->k);
    } else {
        const int32_t per_image = p->out_h * p->out_w;
        const int32_t n = pixel / per_image;
        const int32_t oy = (pixel % per_image) / p->out_w;
        const int32_t ox = pixel % p->out_w;
        const int32_t c = p->in_c;
        int8_t *dst = row;
        for (int32_t ky = 0; ky < p->kh; ++ky) {
            const int32_t iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
            for (int32_t kx = 0; kx < p->kw; ++kx) {
                const int32_t ix = ox * p->stride_w - p->pad_w + kx * p->dil_w;
                if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                    memset(dst, p->input_zero_point, (size_t)c);
                } else {
                    memcpy(dst, in + (((size_t)n * p->in_h + iy) * p->in_w + ix) * c, (size_t)c);
                }
                dst += c;
            }
        }
    }
    memset(row + p->k, 0, (size_t)(p->k4 - p->k));
    return row;
}

/* Outputs of two rows (o1 may be NULL: one row) for every output channel. */
static void rows_x_weights(const mcugen_fast_conv_t *p, const uint32_t *r0, const uint32_t *r1,
                           int8_t *o0, int8_t *o1)
{
    const int32_t words = p->k4 / 4;
    const int8_t *w = p->weights;
    const int32_t *bias = p->bias, *mult = p->multiplier, *shift = p->shift;
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
    int32_t c = 0;
    if (r1 != NULL) {
        /* tile: 2 pixels x 2 channels, 16 MACs per 4 K steps */
        for (; c + 1 < p->cout; c += 2) {
            const int8_t *wa = w + (size_t)c * (size_t)p->k4;
            const int8_t *wb = wa + p->k4;
            int32_t a00 = bias[c], a01 = bias[c + 1], a10 = bias[c], a11 = bias[c + 1];
            const uint32_t *x0 = r0, *x1 = r1;
            for (int32_t j = 0; j < words; ++j) {
                const uint32_t x0e = x0[0], x0o = x0[1], x1e = x1[0], x1o = x1[1];
                x0 += 2;
                x1 += 2;
                uint32_t v = mcugen_read32(wa + 4 * j);
                uint32_t we = mcugen_sxtb16(v), wo = mcugen_sxtb16_ror8(v);
                a00 = mcugen_smlad(x0e, we, a00);
                a00 = mcugen_smlad(x0o, wo, a00);
                a10 = mcugen_smlad(x1e, we, a10);
                a10 = mcugen_smlad(x1o, wo, a10);
                v = mcugen_read32(wb + 4 * j);
                we = mcugen_sxtb16(v);
                wo = mcugen_sxtb16_ror8(v);
                a01 = mcugen_smlad(x0e, we, a01);
                a01 = mcugen_smlad(x0o, wo, a01);
                a11 = mcugen_smlad(x1e, we, a11);
                a11 = mcugen_smlad(x1o, wo, a11);
            }
            o0[c] = to_s8(a00, mult[c], shift[c], off, lo, hi);
            o0[c + 1] = to_s8(a01, mult[c + 1], shift[c + 1], off, lo, hi);
            o1[c] = to_s8(a10, mult[c], shift[c], off, lo, hi);
            o1[c + 1] = to_s8(a11, mult[c + 1], shift[c + 1], off, lo, hi);
        }
    }
    for (; c < p->cout; ++c) {
        /* one channel at a time: an odd channel count's last, or every channel of a lone row */
        const int8_t *wa = w + (size_t)c * (size_t)p->k4;
        int32_t a0 = bias[c], a1 = bias[c];
        for (int32_t j = 0; j < words; ++j) {
            const uint32_t v = mcugen_read32(wa + 4 * j);
            const uint32_t we = mcugen_sxtb16(v), wo = mcugen_sxtb16_ror8(v);
            a0 = mcugen_smlad(r0[2 * j], we, a0);
            a0 = mcugen_smlad(r0[2 * j + 1], wo, a0);
            if (r1 != NULL) {
                a1 = mcugen_smlad(r1[2 * j], we, a1);
                a1 = mcugen_smlad(r1[2 * j + 1], wo, a1);
            }
        }
        o0[c] = to_s8(a0, mult[c], shift[c], off, lo, hi);
        if (r1 != NULL) {
            o1[c] = to_s8(a1, mult[c], shift[c], off, lo, hi);
        }
    }
}

void mcugen_fast_conv_s8(const mcugen_fast_conv_t *p, const int8_t *in, int8_t *out,
                         void *scratch)
{
    uint32_t *wide0 = (uint32_t *)scratch;              /* k4/2 words each */
    uint32_t *wide1 = wide0 + p->k4 / 2;
    int8_t *row = (int8_t *)(wide1 + p->k4 / 2);        /* k4 bytes */
    int32_t pixel = 0;
    for (; pixel + 1 < p->pixels; pixel += 2) {
        widen_row(gather_row(p, in, pixel, row), p->k4, wide0);
        widen_row(gather_row(p, in, pixel + 1, row), p->k4, wide1);
        rows_x_weights(p, wide0, wide1, out + (size_t)pixel * (size_t)p->cout,
                       out + (size_t)(pixel + 1) * (size_t)p->cout);
    }
    if (pixel < p->pixels) {
        widen_row(gather_row(p, in, pixel, row), p->k4, wide0);
        rows_x_weights(p, wide0, NULL, out + (size_t)pixel * (size_t)p->cout, NULL);
    }
}

/* ---- depthwise convolution, 4 channels per word --------------------------------------------- */

void mcugen_fast_dw_s8(const mcugen_fast_dw_t *p, const int8_t *in, int8_t *out)
{
    const int32_t groups = p->channels / 4;
    const uint32_t off2 = p->input_offset_x2;
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
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
                            const uint32_t x = mcugen_read32(src);
                            const uint32_t xe = mcugen_sxtab16(off2, x);       /* c0, c2 */
                            const uint32_t xo = mcugen_sxtab16_ror8(off2, x);  /* c1, c3 */
                            a0 = mcugen_smlabb(xe, wt[0], a0);
                            a2 = mcugen_smlatt(xe, wt[0], a2);
                            a1 = mcugen_smlabb(xo, wt[1], a1);
                            a3 = mcugen_smlatt(xo, wt[1], a3);
                            src += (size_t)p->dil_w * p->channels;
                            wt += 2;
                        }
                    }
                    o[c] = to_s8(a0, p->multiplier[c], p->shift[c], off, lo, hi);
                    o[c + 1] = to_s8(a1, p->multiplier[c + 1], p->shift[c + 1], off, lo, hi);
                    o[c + 2] = to_s8(a2, p->multiplier[c + 2], p->shift[c + 2], off, lo, hi);
                    o[c + 3] = to_s8(a3, p->multiplier[c + 3], p->shift[c + 3], off, lo, hi);
                }
            }
        }
    }
}
