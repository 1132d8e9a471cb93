/*
 * mcugen_kernels.c - mcugen's portable int8 kernels. See mcugen_kernels.h.
 * The arithmetic mirrors mcugen/fixedpoint.py and the simulator kernels in mcugen/sim/kernels.
 */
#include <stddef.h>

#include "mcugen_kernels.h"

#define MCUGEN_MAX(a, b) ((a) > (b) ? (a) : (b))
#define MCUGEN_MIN(a, b) ((a) < (b) ? (a) : (b))

/* ---- fixed point (gemmlowp / TFLM common.h semantics) --------------------------------------- */

static int32_t srdhm(int32_t a, int32_t b)
{
    /* SaturatingRoundingDoublingHighMul: the high 32 bits of 2ab, rounded; C division truncates */
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static int32_t rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t mcugen_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    /* TFLM multiplies by (1 << left) in int32; the unsigned shift wraps the same way */
    return rounding_divide_by_pot(srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

static int8_t clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)MCUGEN_MIN(MCUGEN_MAX(v, lo), hi);
}

/* ---- convolution ----------------------------------------------------------------------------- */

void mcugen_conv_s8(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                    const mcugen_dims_t *in_dims, const int8_t *in,
                    const mcugen_dims_t *filter_dims, const int8_t *filter, const int32_t *bias,
                    const mcugen_dims_t *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w, f_c = filter_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t groups = in_c / f_c;
    const int32_t per_group = out_c / groups;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int32_t group = oc / per_group;
                    const int8_t *w = filter + (int32_t)oc * k_h * k_w * f_c;
                    int32_t acc = 0;
                    for (int32_t ky = 0; ky < k_h; ++ky) {
                        const int32_t iy = y0 + ky * p->dilation_h;
                        if (iy < 0 || iy >= in_h) {
                            continue;
                        }
                        for (int32_t kx = 0; kx < k_w; ++kx) {
                            const int32_t ix = x0 + kx * p->dilation_w;
                            if (ix < 0 || ix >= in_w) {
                                continue;
                            }
                            const int8_t *src = in + ((b * in_h + iy) * in_w + ix) * in_c
                                                + group * f_c;
                            const int8_t *wk = w + (ky * k_w + kx) * f_c;
                            for (int32_t ic = 0; ic < f_c; ++ic) {
                                acc += (int32_t)wk[ic] * ((int32_t)src[ic] + p->input_offset);
                            }
                        }
                    }
                    if (bias) {
                        acc += bias[oc];
                    }
                    const int32_t ch = q->per_channel ? oc : 0;
                    acc = mcugen_requantize(acc, q->multiplier[ch], q->shift[ch]);
                    out[((b * out_h + oy) * out_w + ox) * out_c + oc] =
                        clamp_s8(acc + p->output_offset, p->act_min, p->act_max);
                }
            }
        }
    }
}

void mcugen_depthwise_conv_s8(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                              const mcugen_dims_t *in_dims, const int8_t *in,
                              const mcugen_dims_t *filter_dims, const int8_t *filter,
                              const int32_t *bias, const mcugen_dims_t *out_dims, int8_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t m = p->depth_multiplier;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (int32_t ic = 0; ic < in_c; ++ic) {
                    for (int32_t j = 0; j < m; ++j) {
                        const int32_t oc = ic * m + j;
                        int32_t acc = 0;
                        for (int32_t ky = 0; ky < k_h; ++ky) {
                            const int32_t iy = y0 + ky * p->dilation_h;
                            if (iy < 0 || iy >= in_h) {
                                continue;
                            }
                            for (int32_t kx = 0; kx < k_w; ++kx) {
                                const int32_t ix = x0 + kx * p->dilation_w;
                                if (ix < 0 || ix >= in_w) {
                                    continue;
                                }
                                const int32_t x = in[((b * in_h + iy) * in_w + ix) * in_c + ic];
                                const int32_t w = filter[(ky * k_w + kx) * out_c + oc];
                                acc += w * (x + p->input_offset);
                            }
                        }
                        if (bias) {
                            acc += bias[oc];
                        }
                        const int32_t ch = q->per_channel ? oc : 0;
                        acc = mcugen_requantize(acc, q->multiplier[ch], q->shift[ch]);
                        out[((b * out_h + oy) * out_w + ox) * out_c + oc] =
                            clamp_s8(acc + p->output_offset, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
    (void)in_c;
}

/* ---- fully connected ------------------------------------------------------------------------- */

void mcugen_fully_connected_s8(int32_t batches, int32_t depth, int32_t out_depth,
                               const int8_t *in, int32_t input_offset,
                               const int8_t *filter, int32_t filter_offset, const int32_t *bias,
                               const mcugen_requant_t *q, int32_t output_offset,
                               int32_t act_min, int32_t act_max, int8_t *out)
{
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + b * depth;
        for (int32_t o = 0; o < out_depth; ++o) {
            const int8_t *w = filter + o * depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < depth; ++d) {
                acc += ((int32_t)w[d] + filter_offset) * ((int32_t)x[d] + input_offset);
            }
            if (bias) {
                acc += bias[o];
            }
            const int32_t ch = q->per_channel ? o : 0;
            acc = mcugen_requantize(acc, q->multiplier[ch], q->shift[ch]);
            out[b * out_depth + o] = clamp_s8(acc + output_offset, act_min, act_max);
        }
    }
}

/* ---- pooling --------------------------------------------------------------------------------- */

/* AVERAGE_POOL_2D / MAX_POOL_2D over the taps inside the input, int8 or int16 (``wide``, a
 * constant each public function passes: the compiler specialises the body). */
static void pool_4d(const mcugen_pool_params_t *p, const mcugen_dims_t *in_dims, const void *in,
                    const mcugen_dims_t *out_dims, void *out, int32_t average, int32_t wide)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, depth = in_dims->c;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t fy0 = MCUGEN_MAX(0, -y0);
            const int32_t fy1 = MCUGEN_MIN(p->filter_h, in_h - y0);
            for (int32_t ox = 0; ox < out_dims->w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t fx0 = MCUGEN_MAX(0, -x0);
                const int32_t fx1 = MCUGEN_MIN(p->filter_w, in_w - x0);
                for (int32_t c = 0; c < depth; ++c) {
                    int32_t acc = average ? 0 : (wide ? -32768 : -128);
                    int32_t count = 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            const int32_t at = ((b * in_h + y0 + fy) * in_w + x0 + fx) * depth + c;
                            const int32_t v = wide ? ((const int16_t *)in)[at]
                                                   : ((const int8_t *)in)[at];
                            if (average) {
                                acc += v;
                            } else {
                                acc = MCUGEN_MAX(acc, v);
                            }
                            ++count;
                        }
                    }
                    if (average && count > 0) {
                        /* round half away from zero; C division truncates toward zero */
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    const int32_t o = ((b * out_dims->h + oy) * out_dims->w + ox) * depth + c;
                    const int32_t v = MCUGEN_MIN(MCUGEN_MAX(acc, p->act_min), p->act_max);
                    if (wide) {
                        ((int16_t *)out)[o] = (int16_t)v;
                    } else {
                        ((int8_t *)out)[o] = (int8_t)v;
                    }
                }
            }
        }
    }
}

void mcugen_avgpool_s8(const mcugen_pool_params_t *p, const mcugen_dims_t *in_dims,
                       const int8_t *in, const mcugen_dims_t *out_dims, int8_t *out)
{
    pool_4d(p, in_dims, in, out_dims, out, 1, 0);
}

void mcugen_maxpool_s8(const mcugen_pool_params_t *p, const mcugen_dims_t *in_dims,
                       const int8_t *in, const mcugen_dims_t *out_dims, int8_t *out)
{
    pool_4d(p, in_dims, in, out_dims, out, 0, 0);
}

/* ---- elementwise ----------------------------------------------------------------------------- */

enum { BINARY_ADD, BINARY_SUB, BINARY_MUL, BINARY_MAX, BINARY_MIN };

static int32_t add_sub_value(const mcugen_add_params_t *p, int32_t a, int32_t b, int32_t sign)
{
    const int32_t va = (p->input1_offset + a) * (1 << p->left_shift);
    const int32_t vb = (p->input2_offset + b) * (1 << p->left_shift);
    const int32_t sa = mcugen_requantize(va, p->input1_multiplier, p->input1_shift);
    const int32_t sb = mcugen_requantize(vb, p->input2_multiplier, p->input2_shift);
    const int32_t raw = mcugen_requantize(sign > 0 ? sa + sb : sa - sb, p->output_multiplier,
                                          p->output_shift);
    return MCUGEN_MIN(MCUGEN_MAX(raw + p->output_offset, p->act_min), p->act_max);
}

static int32_t mul_value(const mcugen_mul_params_t *p, int32_t a, int32_t b)
{
    const int32_t product = (p->input1_offset + a) * (p->input2_offset + b);
    const int32_t raw = mcugen_requantize(product, p->output_multiplier, p->output_shift);
    return MCUGEN_MIN(MCUGEN_MAX(raw + p->output_offset, p->act_min), p->act_max);
}

/* One loop over the output for every binary operator; element i of each input is read before
 * element i of the output is written. */
static void broadcast_binary(int32_t kind, const void *params, const mcugen_dims_t *a_dims,
                             const int8_t *a, const mcugen_dims_t *b_dims, const int8_t *b,
                             const mcugen_dims_t *out_dims, int8_t *out)
{
    int32_t i = 0;
    for (int32_t n = 0; n < out_dims->n; ++n) {
        for (int32_t y = 0; y < out_dims->h; ++y) {
            for (int32_t x = 0; x < out_dims->w; ++x) {
                for (int32_t c = 0; c < out_dims->c; ++c, ++i) {
                    const int32_t va = a[mcugen_broadcast_index(a_dims, n, y, x, c)];
                    const int32_t vb = b[mcugen_broadcast_index(b_dims, n, y, x, c)];
                    int32_t v;
                    switch (kind) {
                    case BINARY_ADD:
                        v = add_sub_value((const mcugen_add_params_t *)params, va, vb, 1);
                        break;
                    case BINARY_SUB:
                        v = add_sub_value((const mcugen_add_params_t *)params, va, vb, -1);
                        break;
                    case BINARY_MUL:
                        v = mul_value((const mcugen_mul_params_t *)params, va, vb);
                        break;
                    case BINARY_MAX:
                        v = MCUGEN_MAX(va, vb);
                        break;
                    default:
                        v = MCUGEN_MIN(va, vb);
                        break;
                    }
                    out[i] = (int8_t)v;
                }
            }
        }
    }
}

void mcugen_add_s8(const mcugen_add_params_t *p, const mcugen_dims_t *a_dims, const int8_t *a,
                   const mcugen_dims_t *b_dims, const int8_t *b,
                   const mcugen_dims_t *out_dims, int8_t *out)
{
    broadcast_binary(BINARY_ADD, p, a_dims, a, b_dims, b, out_dims, out);
}

void mcugen_sub_s8(const mcugen_add_params_t *p, const mcugen_dims_t *a_dims, const int8_t *a,
                   const mcugen_dims_t *b_dims, const int8_t *b,
                   const mcugen_dims_t *out_dims, int8_t *out)
{
    broadcast_binary(BINARY_SUB, p, a_dims, a, b_dims, b, out_dims, out);
}

void mcugen_mul_s8(const mcugen_mul_params_t *p, const mcugen_dims_t *a_dims, const int8_t *a,
                   const mcugen_dims_t *b_dims, const int8_t *b,
                   const mcugen_dims_t *out_dims, int8_t *out)
{
    broadcast_binary(BINARY_MUL, p, a_dims, a, b_dims, b, out_dims, out);
}

void mcugen_maximum_s8(const mcugen_dims_t *a_dims, const int8_t *a,
                       const mcugen_dims_t *b_dims, const int8_t *b,
                       const mcugen_dims_t *out_dims, int8_t *out)
{
    broadcast_binary(BINARY_MAX, NULL, a_dims, a, b_dims, b, out_dims, out);
}

void mcugen_minimum_s8(const mcugen_dims_t *a_dims, const int8_t *a,
                       const mcugen_dims_t *b_dims, const int8_t *b,
                       const mcugen_dims_t *out_dims, int8_t *out)
{
    broadcast_binary(BINARY_MIN, NULL, a_dims, a, b_dims, b, out_dims, out);
}

void mcugen_lut_s8(int32_t size, const int8_t *in, const int8_t *table, int8_t *out)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = table[in[i] + 128];
    }
}

void mcugen_requantize_8(int32_t size, const void *in, int32_t in_unsigned, int32_t input_offset,
                         int32_t multiplier, int32_t shift, int32_t output_offset,
                         int32_t out_unsigned, void *out)
{
    const int32_t lo = out_unsigned ? 0 : -128, hi = out_unsigned ? 255 : 127;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = in_unsigned ? ((const uint8_t *)in)[i] : ((const int8_t *)in)[i];
        const int32_t v = mcugen_requantize(x + input_offset, multiplier, shift) + output_offset;
        const int32_t clamped = MCUGEN_MIN(MCUGEN_MAX(v, lo), hi);
        if (out_unsigned) {
            ((uint8_t *)out)[i] = (uint8_t)clamped;
        } else {
            ((int8_t *)out)[i] = (int8_t)clamped;
        }
    }
}

/* ---- data movement and reduction -------------------------------------------------------- */

/* One body for int8 and int16 elements (``wide``): each public function passes a constant, so
 * the compiler specialises it (and the int8 path keeps its byte loads). */
static void copy_4d(const void *in, const int32_t in_strides[4], const int32_t counts[4],
                    void *out, const int32_t out_strides[4], int32_t wide)
{
    for (int32_t a = 0; a < counts[0]; ++a) {
        for (int32_t b = 0; b < counts[1]; ++b) {
            for (int32_t c = 0; c < counts[2]; ++c) {
                const int32_t src = a * in_strides[0] + b * in_strides[1] + c * in_strides[2];
                const int32_t dst = a * out_strides[0] + b * out_strides[1] + c * out_strides[2];
                for (int32_t d = 0; d < counts[3]; ++d) {
                    if (wide) {
                        ((int16_t *)out)[dst + d * out_strides[3]] =
                            ((const int16_t *)in)[src + d * in_strides[3]];
                    } else {
                        ((int8_t *)out)[dst + d * out_strides[3]] =
                            ((const int8_t *)in)[src + d * in_strides[3]];
                    }
                }
            }
        }
    }
}

void mcugen_copy_4d_s8(const int8_t *in, const int32_t in_strides[4], const int32_t counts[4],
                       int8_t *out, const int32_t out_strides[4])
{
    copy_4d(in, in_strides, counts, out, out_strides, 0);
}

void mcugen_fill_s8(int32_t size, int8_t value, int8_t *out)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = value;
    }
}

/* QuantizedMeanOrSum over the flagged axes: the int32 sum (int16: the record bounds count *
 * 32768 below 2^31) minus count * input zero point, requantized, clamped to [lo, hi]. */
static void mean_4d(const mcugen_dims_t *in_dims, const void *in, const int32_t reduce[4],
                    int32_t input_zero_point, int32_t multiplier, int32_t shift,
                    int32_t output_zero_point, void *out, int32_t wide)
{
    const int32_t dims[4] = {in_dims->n, in_dims->h, in_dims->w, in_dims->c};
    const int32_t strides[4] = {dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1};
    const int32_t lo = wide ? -32768 : -128, hi = wide ? 32767 : 127;
    int32_t outer[4], inner[4], count = 1;
    for (int32_t k = 0; k < 4; ++k) {
        outer[k] = reduce[k] ? 1 : dims[k];
        inner[k] = reduce[k] ? dims[k] : 1;
        count *= inner[k];
    }
    int32_t o = 0;
    for (int32_t a0 = 0; a0 < outer[0]; ++a0) {
        for (int32_t a1 = 0; a1 < outer[1]; ++a1) {
            for (int32_t a2 = 0; a2 < outer[2]; ++a2) {
                for (int32_t a3 = 0; a3 < outer[3]; ++a3) {
                    const int32_t base = a0 * strides[0] + a1 * strides[1]
                                         + a2 * strides[2] + a3 * strides[3];
                    int32_t sum = 0;
                    for (int32_t b0 = 0; b0 < inner[0]; ++b0) {
                        for (int32_t b1 = 0; b1 < inner[1]; ++b1) {
                            for (int32_t b2 = 0; b2 < inner[2]; ++b2) {
                                for (int32_t b3 = 0; b3 < inner[3]; ++b3) {
                                    const int32_t at = base + b0 * strides[0] + b1 * strides[1]
                                                       + b2 * strides[2] + b3 * strides[3];
                                    sum += wide ? ((const int16_t *)in)[at]
                                                : ((const int8_t *)in)[at];
                                }
                            }
                        }
                    }
                    const int32_t v = mcugen_requantize(sum - input_zero_point * count,
                                                        multiplier, shift) + output_zero_point;
                    const int32_t clamped = MCUGEN_MIN(MCUGEN_MAX(v, lo), hi);
                    if (wide) {
                        ((int16_t *)out)[o++] = (int16_t)clamped;
                    } else {
                        ((int8_t *)out)[o++] = (int8_t)clamped;
                    }
                }
            }
        }
    }
}

void mcugen_mean_s8(const mcugen_dims_t *in_dims, const int8_t *in, const int32_t reduce[4],
                    int32_t input_zero_point, int32_t multiplier, int32_t shift,
                    int32_t output_zero_point, int8_t *out)
{
    mean_4d(in_dims, in, reduce, input_zero_point, multiplier, shift, output_zero_point, out, 0);
}

/* ---- softmax (gemmlowp fixed point: exp on F5 inputs, sums in F12) --------------------------- */

static int32_t saturating_shift_left(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a)
{
    const int32_t constant_term = 1895147668;      /* exp(-1/8) in F0 */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = a + (1 << 28);                /* a + 1/8 */
    const int32_t x2 = srdhm(x, x);
    const int32_t x3 = srdhm(x2, x);
    const int32_t x4 = srdhm(x2, x2);
    const int32_t x4_over_4 = rounding_divide_by_pot(x4, 2);
    const int32_t poly = rounding_divide_by_pot(srdhm(x4_over_4 + x3, constant_1_over_3) + x2, 1);
    return constant_term + srdhm(constant_term, x + poly);
}

static int32_t exp_on_negative_values_f5(int32_t a)
{
    static const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308,
                                           39332535, 720401, 242};
    const int32_t one_quarter = 1 << 24;            /* 1/4 in F5 (26 fractional bits) */
    const int32_t a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
    int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        saturating_shift_left(a_mod_quarter_minus_one_quarter, 5));
    const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
    for (int32_t k = 0; k < 7; ++k) {               /* exponents -2 .. 4 */
        if (remainder & (1 << (26 - 2 + k))) {
            result = srdhm(result, multipliers[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

static int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = 1515870810 + srdhm(half_denominator, -1010580540);   /* F2 */
    for (int32_t i = 0; i < 3; ++i) {
        const int32_t one_minus = (1 << 29) - srdhm(half_denominator, x);
        x = x + saturating_shift_left(srdhm(x, one_minus), 2);
    }
    return saturating_shift_left(x, 1);
}

static int32_t count_leading_zeros(uint32_t x)
{
    int32_t n = 0;
    while (n < 32 && !(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

/* TFLM's reference_ops::Softmax<int8, OutputT>: the same fixed-point arithmetic for an int8 or
 * an int16 output (out8 or out16: exactly one is given), rounded to the output's bits. Inlined
 * into each wrapper, so that each is specialised for its output type (no cost for int8). */
#if defined(__GNUC__)
#define MCUGEN_SPECIALISED __attribute__((always_inline))
#else
#define MCUGEN_SPECIALISED
#endif
static inline MCUGEN_SPECIALISED void softmax_s8_rows(const mcugen_softmax_params_t *p, int32_t rows, int32_t depth,
                            const int8_t *in, int8_t *out8, int16_t *out16)
{
    const int32_t out_bits = out16 ? 16 : 8, out_min = out16 ? -32768 : -128;
    const int32_t out_max = out16 ? 32767 : 127;
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *x = in + r * depth;
        int32_t max_in_row = -128;
        for (int32_t c = 0; c < depth; ++c) {
            max_in_row = MCUGEN_MAX(max_in_row, x[c]);
        }
        int32_t sum_of_exps = 0;                     /* F12 */
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = x[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t scaled = mcugen_requantize(diff, p->input_multiplier,
                                                         p->input_left_shift);
                sum_of_exps += rounding_divide_by_pot(exp_on_negative_values_f5(scaled), 12);
            }
        }
        const int32_t headroom_plus_one = count_leading_zeros((uint32_t)sum_of_exps);
        const int32_t num_bits_over_unit = 12 - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - (1u << 31));
        const int32_t shifted_scale = one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
        const int32_t exponent = num_bits_over_unit + 31 - out_bits;
        /* reads x[c] before writing y[c]: correct in place (int8 -> int8) */
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = x[c] - max_in_row;
            int32_t y = out_min;
            if (diff >= p->diff_min) {
                const int32_t scaled = mcugen_requantize(diff, p->input_multiplier,
                                                         p->input_left_shift);
                const int32_t e = exp_on_negative_values_f5(scaled);
                const int32_t unsat = rounding_divide_by_pot(srdhm(shifted_scale, e), exponent);
                y = MCUGEN_MIN(MCUGEN_MAX(unsat + out_min, out_min), out_max);
            }
            if (out16) {
                out16[r * depth + c] = (int16_t)y;
            } else {
                out8[r * depth + c] = (int8_t)y;
            }
        }
    }
}

void mcugen_softmax_s8(const mcugen_softmax_params_t *p, int32_t rows, int32_t depth,
                       const int8_t *in, int8_t *out)
{
    softmax_s8_rows(p, rows, depth, in, out, NULL);
}

void mcugen_softmax_s8_s16(const mcugen_softmax_params_t *p, int32_t rows, int32_t depth,
                           const int8_t *in, int16_t *out)
{
    softmax_s8_rows(p, rows, depth, in, NULL, out);
}

/* ---- 16x8 ------------------------------------------------------------------------------------ */

int32_t mcugen_requantize_s64(int64_t x, int32_t multiplier, int32_t shift)
{
    const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int32_t total_shift = 15 - shift;
    const int64_t rounded = x * (int64_t)reduced + ((int64_t)1 << (total_shift - 1));
    return (int32_t)(rounded >> total_shift);
}

static int16_t clamp_s16(int32_t v, int32_t lo, int32_t hi)
{
    return (int16_t)MCUGEN_MIN(MCUGEN_MAX(v, lo), hi);
}

/* bias, requantization and clamp of one 16x8 output channel */
static int16_t finish_s16(int64_t acc, const mcugen_bias16_t *bias, const mcugen_requant_t *q,
                          int32_t ch, int32_t act_min, int32_t act_max)
{
    const int32_t qc = q->per_channel ? ch : 0;
    int32_t v;
    if (bias->wide) {
        if (bias->bias64 != NULL) {
            acc += bias->bias64[ch];
        }
        v = mcugen_requantize_s64(acc, q->multiplier[qc], q->shift[qc]);
    } else {
        int32_t acc32 = (int32_t)acc;
        if (bias->bias32 != NULL) {
            acc32 += bias->bias32[ch];
        }
        v = mcugen_requantize(acc32, q->multiplier[qc], q->shift[qc]);
    }
    return clamp_s16(v, act_min, act_max);
}

void mcugen_conv_s16(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                     const mcugen_bias16_t *bias, const mcugen_dims_t *in_dims,
                     const int16_t *in, const mcugen_dims_t *filter_dims, const int8_t *filter,
                     const mcugen_dims_t *out_dims, int16_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t kh = filter_dims->h, kw = filter_dims->w, f_c = filter_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t per_group = out_c / (in_c / f_c);
    for (int32_t b = 0; b < out_dims->n; ++b) {
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int32_t group = oc / per_group;
                    int64_t acc = 0;
                    for (int32_t fy = 0; fy < kh; ++fy) {
                        const int32_t iy = y0 + fy * p->dilation_h;
                        if (iy < 0 || iy >= in_h) {
                            continue;
                        }
                        for (int32_t fx = 0; fx < kw; ++fx) {
                            const int32_t ix = x0 + fx * p->dilation_w;
                            if (ix < 0 || ix >= in_w) {
                                continue;
                            }
                            const int16_t *src =
                                &in[((b * in_h + iy) * in_w + ix) * in_c + group * f_c];
                            const int8_t *w = &filter[((oc * kh + fy) * kw + fx) * f_c];
                            for (int32_t ic = 0; ic < f_c; ++ic) {
                                acc += (int32_t)w[ic] * (int32_t)src[ic];
                            }
                        }
                    }
                    out[((b * out_h + oy) * out_w + ox) * out_c + oc] =
                        finish_s16(acc, bias, q, oc, p->act_min, p->act_max);
                }
            }
        }
    }
}

void mcugen_depthwise_conv_s16(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                               const mcugen_bias16_t *bias, const mcugen_dims_t *in_dims,
                               const int16_t *in, const mcugen_dims_t *filter_dims,
                               const int8_t *filter, const mcugen_dims_t *out_dims, int16_t *out)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t kh = filter_dims->h, kw = filter_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t m = p->depth_multiplier;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int32_t ic = oc / m;
                    int64_t acc = 0;
                    for (int32_t fy = 0; fy < kh; ++fy) {
                        const int32_t iy = y0 + fy * p->dilation_h;
                        if (iy < 0 || iy >= in_h) {
                            continue;
                        }
                        for (int32_t fx = 0; fx < kw; ++fx) {
                            const int32_t ix = x0 + fx * p->dilation_w;
                            if (ix < 0 || ix >= in_w) {
                                continue;
                            }
                            acc += (int32_t)filter[(fy * kw + fx) * out_c + oc] *
                                   (int32_t)in[((b * in_h + iy) * in_w + ix) * in_c + ic];
                        }
                    }
                    out[((b * out_h + oy) * out_w + ox) * out_c + oc] =
                        finish_s16(acc, bias, q, oc, p->act_min, p->act_max);
                }
            }
        }
    }
}

void mcugen_fully_connected_s16(int32_t batches, int32_t depth, int32_t out_depth,
                                const int16_t *in, const int8_t *filter, int32_t filter_offset,
                                const mcugen_bias16_t *bias, const mcugen_requant_t *q,
                                int32_t act_min, int32_t act_max, int16_t *out)
{
    for (int32_t b = 0; b < batches; ++b) {
        const int16_t *row = &in[b * depth];
        for (int32_t oc = 0; oc < out_depth; ++oc) {
            const int8_t *w = &filter[oc * depth];
            int64_t acc = 0;
            for (int32_t d = 0; d < depth; ++d) {
                acc += ((int32_t)w[d] + filter_offset) * (int32_t)row[d];
            }
            out[b * out_depth + oc] = finish_s16(acc, bias, q, oc, act_min, act_max);
        }
    }
}

void mcugen_avgpool_s16(const mcugen_pool_params_t *p, const mcugen_dims_t *in_dims,
                        const int16_t *in, const mcugen_dims_t *out_dims, int16_t *out)
{
    pool_4d(p, in_dims, in, out_dims, out, 1, 1);
}

void mcugen_maxpool_s16(const mcugen_pool_params_t *p, const mcugen_dims_t *in_dims,
                        const int16_t *in, const mcugen_dims_t *out_dims, int16_t *out)
{
    pool_4d(p, in_dims, in, out_dims, out, 0, 1);
}

static void broadcast_binary_s16(int32_t kind, const void *params, const mcugen_dims_t *a_dims,
                                 const int16_t *a, const mcugen_dims_t *b_dims, const int16_t *b,
                                 const mcugen_dims_t *out_dims, int16_t *out)
{
    int32_t i = 0;
    for (int32_t n = 0; n < out_dims->n; ++n) {
        for (int32_t y = 0; y < out_dims->h; ++y) {
            for (int32_t x = 0; x < out_dims->w; ++x) {
                for (int32_t c = 0; c < out_dims->c; ++c, ++i) {
                    const int32_t va = a[mcugen_broadcast_index(a_dims, n, y, x, c)];
                    const int32_t vb = b[mcugen_broadcast_index(b_dims, n, y, x, c)];
                    const int32_t v = kind == BINARY_MUL
                        ? mul_value((const mcugen_mul_params_t *)params, va, vb)
                        : add_sub_value((const mcugen_add_params_t *)params, va, vb,
                                        kind == BINARY_ADD ? 1 : -1);
                    out[i] = (int16_t)v;
                }
            }
        }
    }
}

void mcugen_add_s16(const mcugen_add_params_t *p, const mcugen_dims_t *a_dims, const int16_t *a,
                    const mcugen_dims_t *b_dims, const int16_t *b,
                    const mcugen_dims_t *out_dims, int16_t *out)
{
    broadcast_binary_s16(BINARY_ADD, p, a_dims, a, b_dims, b, out_dims, out);
}

void mcugen_sub_s16(const mcugen_add_params_t *p, const mcugen_dims_t *a_dims, const int16_t *a,
                    const mcugen_dims_t *b_dims, const int16_t *b,
                    const mcugen_dims_t *out_dims, int16_t *out)
{
    broadcast_binary_s16(BINARY_SUB, p, a_dims, a, b_dims, b, out_dims, out);
}

void mcugen_mul_s16(const mcugen_mul_params_t *p, const mcugen_dims_t *a_dims, const int16_t *a,
                    const mcugen_dims_t *b_dims, const int16_t *b,
                    const mcugen_dims_t *out_dims, int16_t *out)
{
    broadcast_binary_s16(BINARY_MUL, p, a_dims, a, b_dims, b, out_dims, out);
}

void mcugen_requantize_s16(int32_t size, const void *in, int32_t in_bits, int32_t input_offset,
                           int32_t multiplier, int32_t shift, int32_t output_offset,
                           int32_t out_bits, void *out)
{
    if (out_bits == 32) {          /* int16 -> int32: the zero point added in 64 bits */
        for (int32_t i = 0; i < size; ++i) {
            const int32_t x = ((const int16_t *)in)[i];
            const int64_t v = (int64_t)mcugen_requantize(x + input_offset, multiplier, shift) +
                              output_offset;
            ((int32_t *)out)[i] = (int32_t)MCUGEN_MIN(MCUGEN_MAX(v, (int64_t)INT32_MIN),
                                                      (int64_t)INT32_MAX);
        }
        return;
    }
    const int32_t lo = out_bits == 16 ? -32768 : -128, hi = out_bits == 16 ? 32767 : 127;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = in_bits == 16 ? ((const int16_t *)in)[i] : ((const int8_t *)in)[i];
        const int32_t v = mcugen_requantize(x + input_offset, multiplier, shift) + output_offset;
        const int32_t clamped = MCUGEN_MIN(MCUGEN_MAX(v, lo), hi);
        if (out_bits == 16) {
            ((int16_t *)out)[i] = (int16_t)clamped;
        } else {
            ((int8_t *)out)[i] = (int8_t)clamped;
        }
    }
}

/* LUTLookup: the entry at the top 9 bits, interpolated by the low 7 (int16 narrowing as C). */
static int16_t lut_lookup_s16(int16_t value, const int16_t *lut)
{
    const int32_t index = 256 + ((int32_t)value >> 7);
    const int32_t offset = value & 0x7f;
    const int16_t base = lut[index];
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    const int32_t delta = ((int32_t)slope * offset + 64) >> 7;
    return (int16_t)(base + delta);
}

static int32_t count_leading_zeros_u32(uint32_t x)
{
    int32_t n = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        ++n;
    }
    return n;
}

void mcugen_softmax_s16(const mcugen_softmax16_params_t *p, int32_t rows, int32_t depth,
                        const int16_t *in, int16_t *out)
{
    for (int32_t r = 0; r < rows; ++r) {
        const int16_t *x = &in[r * depth];
        int16_t *y = &out[r * depth];
        int16_t max_in_row = -32768;
        for (int32_t c = 0; c < depth; ++c) {
            max_in_row = MCUGEN_MAX(max_in_row, x[c]);
        }
        /* the exp values go to the output first (read before written: safe in place) */
        int32_t sum_of_exps = 0;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            const int32_t scaled = mcugen_requantize(diff, p->input_multiplier,
                                                     p->input_left_shift);
            const int32_t sym = MCUGEN_MIN(MCUGEN_MAX(scaled + 32767, -32768), 32767);
            y[c] = lut_lookup_s16((int16_t)sym, p->exp_lut);
            sum_of_exps += y[c];
        }
        const int32_t headroom_plus_one = count_leading_zeros_u32((uint32_t)sum_of_exps);
        const int32_t shifted_sum =
            (int32_t)((((int64_t)sum_of_exps << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
        const int32_t sym_sum = MCUGEN_MIN(MCUGEN_MAX(shifted_sum - ((1 << 15) + (1 << 16)),
                                                      -32768), 32767);
        const int16_t reciprocal = lut_lookup_s16((int16_t)sym_sum, p->one_over_one_plus_x_lut);
        const int32_t right_shift = 31 - headroom_plus_one;
        const int64_t round = (int64_t)1 << (right_shift - 1);
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t v = (int32_t)(((int64_t)y[c] * reciprocal + round) >> right_shift);
            y[c] = (int16_t)MCUGEN_MIN(MCUGEN_MAX(v, 0), 32767);
        }
    }
}

/* ---- 16x8 activations ------------------------------------------------------------------------ */

void mcugen_relu_s16(int32_t size, const int16_t *in, int32_t multiplier, int32_t shift,
                     int32_t act_min, int32_t act_max, int16_t *out)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = clamp_s16(mcugen_requantize(in[i], multiplier, shift), act_min, act_max);
    }
}

void mcugen_clamp_s16(int32_t size, const int16_t *in, int32_t lo, int32_t hi, int16_t *out)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = clamp_s16(in[i], lo, hi);
    }
}

void mcugen_leaky_relu_s16(int32_t size, const int16_t *in, int32_t identity_multiplier,
                           int32_t identity_shift, int32_t alpha_multiplier, int32_t alpha_shift,
                           int32_t alpha_negative, int16_t *out)
{
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = in[i];
        int32_t v;
        if (x >= 0) {
            v = mcugen_requantize(x, identity_multiplier, identity_shift);
        } else {
            v = mcugen_requantize(x, alpha_multiplier, alpha_shift);
            v = alpha_negative ? -v : v;
        }
        out[i] = clamp_s16(v, -32768, 32767);
    }
}

static int32_t sigmoid16_input(int32_t x, int32_t multiplier, int32_t left_shift)
{
    if (multiplier == 0) {            /* power-of-two input scale: the 3/4 folded in */
        multiplier = 3 << left_shift;
        left_shift = 0;
    }
    const int32_t round = left_shift > 0 ? (1 << (left_shift - 1)) : 0;
    return (x * multiplier + round) >> left_shift;
}

void mcugen_logistic_s16(int32_t size, const int16_t *in, int32_t input_multiplier,
                         int32_t input_left_shift, const uint16_t *sigmoid_table, int16_t *out)
{
    for (int32_t i = 0; i < size; ++i) {
        const int32_t v = sigmoid16_input(in[i], input_multiplier, input_left_shift);
        const uint32_t a = (uint32_t)(v < 0 ? -v : v);
        const uint32_t uh = a >> 9;
        uint32_t result;
        if (uh >= 255) {
            result = 0x7FFFu << 10;
        } else {
            const uint32_t ua = sigmoid_table[uh], ub = sigmoid_table[uh + 1];
            result = (ua << 9) + (a & 0x1FFu) * (ub - ua);
        }
        result = v >= 0 ? result + (1u << 9) : (1u << 25) - result + (1u << 9) - 1u;
        out[i] = (int16_t)(result >> 10);
    }
}

void mcugen_tanh_s16(int32_t size, const int16_t *in, int32_t input_multiplier,
                     int32_t input_left_shift, const uint16_t *sigmoid_table, int16_t *out)
{
    for (int32_t i = 0; i < size; ++i) {
        const int32_t v = sigmoid16_input(in[i], input_multiplier, input_left_shift);
        const uint32_t a = (uint32_t)(v < 0 ? -v : v);
        const uint32_t uh = a >> 8;
        int32_t result;
        if (uh >= 255) {
            result = 0xFFFF << 8;
        } else {
            const uint32_t ua = sigmoid_table[uh], ub = sigmoid_table[uh + 1];
            result = (int32_t)((ua << 8) + (a & 0xFFu) * (ub - ua));
        }
        result = v >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
        out[i] = (int16_t)(result >> 8);
    }
}

/* ---- 16x8 data movement, MEAN, TRANSPOSE_CONV ------------------------------------------------ */

void mcugen_copy_4d_s16(const int16_t *in, const int32_t in_strides[4], const int32_t counts[4],
                        int16_t *out, const int32_t out_strides[4])
{
    copy_4d(in, in_strides, counts, out, out_strides, 1);
}

void mcugen_fill_s16(int32_t size, int16_t value, int16_t *out)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = value;
    }
}

void mcugen_mean_s16(const mcugen_dims_t *in_dims, const int16_t *in, const int32_t reduce[4],
                     int32_t multiplier, int32_t shift, int16_t *out)
{
    mean_4d(in_dims, in, reduce, 0, multiplier, shift, 0, out, 1);
}

/* TRANSPOSE_CONV's sum for one output element: the filter taps ky = (oy + pad_h) mod stride_h,
 * + stride_h, ... meet input rows iy = (oy + pad_h - ky) / stride_h (likewise for x). */
static int64_t transpose_conv_sum(const mcugen_conv_params_t *p, const mcugen_dims_t *in_dims,
                                  const void *in, int32_t wide, const mcugen_dims_t *filter_dims,
                                  const int8_t *filter, int32_t b, int32_t oy, int32_t ox,
                                  int32_t oc)
{
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t kh = filter_dims->h, kw = filter_dims->w;
    const int32_t ty = oy + p->pad_h, tx = ox + p->pad_w;
    int64_t acc = 0;
    for (int32_t ky = ty % p->stride_h; ky < kh; ky += p->stride_h) {
        const int32_t iy = (ty - ky) / p->stride_h;
        if (iy < 0 || iy >= in_h) {
            continue;
        }
        for (int32_t kx = tx % p->stride_w; kx < kw; kx += p->stride_w) {
            const int32_t ix = (tx - kx) / p->stride_w;
            if (ix < 0 || ix >= in_w) {
                continue;
            }
            const int8_t *w = &filter[((oc * kh + ky) * kw + kx) * in_c];
            const int32_t at = ((b * in_h + iy) * in_w + ix) * in_c;
            if (wide) {
                const int16_t *src = (const int16_t *)in + at;
                for (int32_t ic = 0; ic < in_c; ++ic) {
                    acc += (int32_t)w[ic] * (int32_t)src[ic];
                }
            } else {
                const int8_t *src = (const int8_t *)in + at;
                int32_t acc32 = 0;
                for (int32_t ic = 0; ic < in_c; ++ic) {
                    acc32 += (int32_t)w[ic] * ((int32_t)src[ic] + p->input_offset);
                }
                acc += acc32;
            }
        }
    }
    return acc;
}

void mcugen_transpose_conv_s8(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                              const mcugen_dims_t *in_dims, const int8_t *in,
                              const mcugen_dims_t *filter_dims, const int8_t *filter,
                              const int32_t *bias, const mcugen_dims_t *out_dims, int8_t *out)
{
    int32_t i = 0;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            for (int32_t ox = 0; ox < out_dims->w; ++ox) {
                for (int32_t oc = 0; oc < out_dims->c; ++oc, ++i) {
                    /* the record bounds the sum below 2^31 */
                    int32_t acc = (int32_t)transpose_conv_sum(p, in_dims, in, 0, filter_dims,
                                                              filter, b, oy, ox, oc);
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    const int32_t qc = q->per_channel ? oc : 0;
                    const int32_t v = mcugen_requantize(acc, q->multiplier[qc], q->shift[qc])
                                      + p->output_offset;
                    out[i] = clamp_s8(v, p->act_min, p->act_max);
                }
            }
        }
    }
}

void mcugen_transpose_conv_s16(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                               const mcugen_bias16_t *bias, const mcugen_dims_t *in_dims,
                               const int16_t *in, const mcugen_dims_t *filter_dims,
                               const int8_t *filter, const mcugen_dims_t *out_dims, int16_t *out)
{
    int32_t i = 0;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            for (int32_t ox = 0; ox < out_dims->w; ++ox) {
                for (int32_t oc = 0; oc < out_dims->c; ++oc, ++i) {
                    const int64_t acc = transpose_conv_sum(p, in_dims, in, 1, filter_dims,
                                                           filter, b, oy, ox, oc);
                    out[i] = finish_s16(acc, bias, q, oc, p->act_min, p->act_max);
                }
            }
        }
    }
}

/* ---- recurrent operators: LSTM and SVDF --------------------------------------------------- */


static int64_t sigmoid_input_s16(int32_t x, int32_t input_multiplier, int32_t input_left_shift)
{
    int64_t m = input_multiplier;
    int32_t shift = input_left_shift;
    if (m == 0) {                      /* power of two: the 3/4 scaling folded in the shift */
        m = (int64_t)3 << shift;
        shift = 0;
    }
    const int64_t round = shift > 0 ? (int64_t)1 << (shift - 1) : 0;
    return ((int64_t)x * m + round) >> shift;
}

/* entry a >> frac_bits and the next, weighted by the low frac_bits; `beyond` past the table */
static int64_t sigmoid_table_lookup(const uint16_t *table, int64_t a, int32_t frac_bits,
                                    int64_t beyond)
{
    const int64_t uh = a >> frac_bits;
    if (uh >= 255) {
        return beyond;
    }
    const int64_t ua = table[uh], ub = table[uh + 1];
    return (ua << frac_bits) + (a & (((int64_t)1 << frac_bits) - 1)) * (ub - ua);
}

static int16_t lstm_logistic_s16(const uint16_t *table, int32_t x, int32_t input_multiplier,
                                 int32_t input_left_shift)
{
    const int64_t v = sigmoid_input_s16(x, input_multiplier, input_left_shift);
    int64_t r = sigmoid_table_lookup(table, v < 0 ? -v : v, 9, (int64_t)0x7FFF << 10);
    r = v >= 0 ? r + (1 << 9) : ((int64_t)1 << 25) - r + (1 << 9) - 1;
    return (int16_t)(r >> 10);
}

static int16_t lstm_tanh_s16(const uint16_t *table, int32_t x, int32_t input_multiplier,
                             int32_t input_left_shift)
{
    const int64_t v = sigmoid_input_s16(x, input_multiplier, input_left_shift);
    int64_t r = sigmoid_table_lookup(table, v < 0 ? -v : v, 8, (int64_t)0xFFFF << 8);
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

static int32_t lstm_dot_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t x_zp, int32_t w_zp)
{
    int32_t acc = 0;
    for (int32_t k = 0; k < n; ++k) {
        acc += ((int32_t)x[k] - x_zp) * ((int32_t)w[k] - w_zp);
    }
    return acc;
}

/* sum x * w (the zero points folded into the row's constant on the host) */
static int32_t lstm_dot_raw_s8(const int8_t *x, const int8_t *w, int32_t n)
{
    int32_t acc = 0;
    for (int32_t k = 0; k < n; ++k) {
        acc += (int32_t)x[k] * w[k];
    }
    return acc;
}

static int64_t lstm_dot_s16(const int16_t *x, const int8_t *w, int32_t n, int32_t x_zp,
                            int32_t w_zp)
{
    int64_t acc = 0;
    for (int32_t k = 0; k < n; ++k) {
        acc += (int64_t)((int32_t)x[k] - x_zp) * ((int32_t)w[k] - w_zp);
    }
    return acc;
}

/* one gate's fully connected halves for cell j, added with int16 saturation */
static int32_t lstm_gate_pre(const mcugen_lstm_params_t *p, const mcugen_lstm_gate_t *g,
                             const void *x, const void *h, int32_t j)
{
    const int32_t n_in = p->n_input, n_cell = p->n_cell;
    int32_t a, b;
    if (p->wide) {
        int64_t acc = lstm_dot_s16((const int16_t *)x, g->weights + j * n_in, n_in,
                                   g->input_zero_point, g->weights_zero_point);
        acc += g->bias64 != NULL ? g->bias64[j] : 0;
        a = mcugen_requantize_s64(acc, g->input_multiplier, g->input_shift);
        acc = lstm_dot_s16((const int16_t *)h, g->recurrent + j * n_cell, n_cell,
                           g->hidden_zero_point, g->recurrent_zero_point);
        b = mcugen_requantize_s64(acc, g->recurrent_multiplier, g->recurrent_shift);
    } else if (g->input_folded != NULL) {
        int32_t acc = g->input_folded[j] + lstm_dot_raw_s8((const int8_t *)x, g->weights + j * n_in, n_in);
        a = mcugen_requantize(acc, g->input_multiplier, g->input_shift);
        acc = g->recurrent_folded[j] + lstm_dot_raw_s8((const int8_t *)h, g->recurrent + j * n_cell, n_cell);
        b = mcugen_requantize(acc, g->recurrent_multiplier, g->recurrent_shift);
    } else {
        int32_t acc = lstm_dot_s8((const int8_t *)x, g->weights + j * n_in, n_in,
                                  g->input_zero_point, g->weights_zero_point);
        acc += g->bias32 != NULL ? g->bias32[j] : 0;
        a = mcugen_requantize(acc, g->input_multiplier, g->input_shift);
        acc = lstm_dot_s8((const int8_t *)h, g->recurrent + j * n_cell, n_cell,
                          g->hidden_zero_point, g->recurrent_zero_point);
        b = mcugen_requantize(acc, g->recurrent_multiplier, g->recurrent_shift);
    }
    a = MCUGEN_MIN(MCUGEN_MAX(a, -32768), 32767);
    b = MCUGEN_MIN(MCUGEN_MAX(b, -32768), 32767);
    return MCUGEN_MIN(MCUGEN_MAX(a + b, -32768), 32767);
}

/* reference_integer_ops::MulElementwise with input offsets 0 */
static int32_t lstm_mul(int32_t a, int32_t b, const mcugen_lstm_mul_t *m)
{
    const int32_t v = m->output_zero_point + mcugen_requantize(a * b, m->multiplier, m->shift);
    return MCUGEN_MIN(MCUGEN_MAX(v, m->act_min), m->act_max);
}

void mcugen_lstm_integer(const mcugen_lstm_params_t *p, const void *input, void *hidden,
                         int16_t *cell, void *output, int16_t *scratch)
{
    const int32_t n_cell = p->n_cell, size = p->wide ? 2 : 1;
    /* lstm_internal::Tanh: the cell state's power-of-two scale folded into the lookup */
    int32_t tanh_shift = 15 + p->cell_scale_power - 3, tanh_multiplier = 0;
    if (tanh_shift < 0) {
        tanh_shift = -tanh_shift;
        tanh_multiplier = 3;
    }
    for (int32_t b = 0; b < p->batch; ++b) {
        int8_t *h = (int8_t *)hidden + (int32_t)(b * n_cell * size);
        int16_t *c = cell + b * n_cell;
        for (int32_t t = 0; t < p->steps; ++t) {
            const int32_t row = p->time_major ? t * p->batch + b : b * p->steps + t;
            const int8_t *x = (const int8_t *)input + (int32_t)(row * p->n_input * size);
            int8_t *y = (int8_t *)output + (int32_t)(row * n_cell * size);
            for (int32_t g = 0; g < 4; ++g) {
                int16_t *out = scratch + g * n_cell;
                for (int32_t j = 0; j < n_cell; ++j) {
                    const int32_t pre = lstm_gate_pre(p, &p->gate[g], x, h, j);
                    out[j] = g == 2 ? lstm_tanh_s16(p->sigmoid_table, pre, 0, 0)
                                 : lstm_logistic_s16(p->sigmoid_table, pre, 0, 0);
                }
            }
            const int16_t *fg = scratch, *ig = scratch + n_cell, *cg = scratch + 2 * n_cell;
            const int16_t *og = scratch + 3 * n_cell;
            for (int32_t j = 0; j < n_cell; ++j) {
                int32_t v = lstm_mul(fg[j], c[j], &p->forget_cell);
                v += lstm_mul(ig[j], cg[j], &p->input_cell);
                v = MCUGEN_MIN(MCUGEN_MAX(v, -32768), 32767);
                if (p->cell_clip > 0) {
                    v = MCUGEN_MIN(MCUGEN_MAX(v, -p->cell_clip), p->cell_clip);
                }
                c[j] = (int16_t)v;
                const int16_t t = lstm_tanh_s16(p->sigmoid_table, v, tanh_multiplier, tanh_shift);
                const int32_t o = lstm_mul(t, og[j], &p->output);
                if (p->wide) {
                    ((int16_t *)h)[j] = (int16_t)o;
                    ((int16_t *)y)[j] = (int16_t)o;
                } else {
                    h[j] = (int8_t)o;
                    y[j] = (int8_t)o;
                }
            }
        }
    }
}

static int32_t wrap_s32(uint32_t v)
{
    return v < 0x80000000u ? (int32_t)v : -(int32_t)(0xFFFFFFFFu - v) - 1;
}

/* the low `bits` of v as a signed number (what storing v into an int8/int16 keeps) */
static int32_t sign_extend(int32_t v, int32_t bits)
{
    const int32_t u = (int32_t)((uint32_t)v & ((1u << bits) - 1u));
    return u >= (1 << (bits - 1)) ? u - (1 << bits) : u;
}

void mcugen_svdf_s8(const mcugen_svdf_params_t *p, const int8_t *input,
                    const int8_t *weights_feature, const void *weights_time,
                    const int32_t *bias, void *state, int8_t *output)
{
    const int32_t n_filter = p->n_filter, memory = p->memory, wide = p->state_bits == 16;
    const int32_t total = p->batch * n_filter * memory;
    const int32_t lo = wide ? -32768 : -128, hi = wide ? 32767 : 127;
    int8_t *s8 = (int8_t *)state;
    int16_t *s16 = (int16_t *)state;
    const int8_t *wt8 = (const int8_t *)weights_time;
    const int16_t *wt16 = (const int16_t *)weights_time;
    /* the whole buffer one place toward the past; each row's newest place is overwritten */
    for (int32_t i = 0; i + 1 < total; ++i) {
        if (wide) {
            s16[i] = s16[i + 1];
        } else {
            s8[i] = s8[i + 1];
        }
    }
    for (int32_t b = 0; b < p->batch; ++b) {
        const int8_t *x = input + b * p->n_input;
        for (int32_t f = 0; f < n_filter; ++f) {
            const int8_t *w = weights_feature + f * p->n_input;
            uint32_t acc = 0;
            for (int32_t k = 0; k < p->n_input; ++k) {
                acc += (uint32_t)((int32_t)w[k] * ((int32_t)x[k] - p->input_zero_point));
            }
            int32_t v = mcugen_requantize(wrap_s32(acc), p->multiplier_1, p->shift_1);
            v = MCUGEN_MIN(MCUGEN_MAX(v, lo), hi) + p->state_zero_point;
            const int32_t at = (b * n_filter + f) * memory + memory - 1;
            if (wide) {   /* the C store of int32 into the state type wraps */
                s16[at] = (int16_t)sign_extend(v, 16);
            } else {
                s8[at] = (int8_t)sign_extend(v, 8);
            }
        }
        for (int32_t u = 0; u < n_filter / p->rank; ++u) {
            uint32_t acc = (uint32_t)bias[u];
            for (int32_t r = 0; r < p->rank; ++r) {
                const int32_t f = u * p->rank + r;
                uint32_t dot = 0;
                for (int32_t k = 0; k < memory; ++k) {
                    const int32_t i = (b * n_filter + f) * memory + k;
                    const int64_t sv = (wide ? s16[i] : s8[i]) - (int64_t)p->state_zero_point;
                    const int64_t wv = wide ? wt16[f * memory + k] : wt8[f * memory + k];
                    dot += (uint32_t)(uint64_t)(sv * wv);
                }
                acc += dot;
            }
            const int32_t v = mcugen_requantize(wrap_s32(acc), p->multiplier_2, p->shift_2)
                              + p->output_zero_point;
            output[b * (n_filter / p->rank) + u] = (int8_t)MCUGEN_MIN(MCUGEN_MAX(v, -128), 127);
        }
    }
}
