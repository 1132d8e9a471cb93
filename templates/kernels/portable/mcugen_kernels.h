/*
 * mcugen_kernels.h - mcugen's portable int8 kernels (plain C99, no allocation, no float).
 *
 * Written for mcugen and bit-exact with its simulator, which follows TFLM's reference kernels:
 * the same int32 accumulation, the same double-rounding requantization, the same gemmlowp
 * fixed-point softmax. Tensors are NHWC; filters are [C_OUT][KH][KW][C_IN] (conv) and
 * [1][KH][KW][C_OUT] (depthwise); fully connected weights are [C_OUT][DEPTH].
 * Offsets follow the CMSIS-NN convention: input_offset = -input zero point,
 * output_offset = +output zero point.
 */
#ifndef MCUGEN_KERNELS_H
#define MCUGEN_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct { int32_t n, h, w, c; } mcugen_dims_t;

/* The element of a tensor of dims d that output element (n, y, x, c) reads when it broadcasts
 * (a dimension of 1 repeats); shared by the int8, int16 and float32 binary kernels. */
static inline int32_t mcugen_broadcast_index(const mcugen_dims_t *d, int32_t n, int32_t y,
                                             int32_t x, int32_t c)
{
    return (((d->n > 1 ? n : 0) * d->h + (d->h > 1 ? y : 0)) * d->w + (d->w > 1 ? x : 0)) * d->c
           + (d->c > 1 ? c : 0);
}

typedef struct {
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_h, pad_w;            /* padding before the first row / column */
    int32_t input_offset;            /* -input zero point */
    int32_t output_offset;           /* +output zero point */
    int32_t act_min, act_max;        /* fused activation, in the output's quantized domain */
    int32_t depth_multiplier;        /* depthwise only */
} mcugen_conv_params_t;

typedef struct {
    const int32_t *multiplier;       /* one per output channel (or one, when per_channel = 0) */
    const int32_t *shift;            /* positive: left shift */
    int32_t per_channel;
} mcugen_requant_t;

typedef struct {
    int32_t filter_h, filter_w, stride_h, stride_w, pad_h, pad_w;
    int32_t act_min, act_max;
} mcugen_pool_params_t;

typedef struct {
    int32_t input1_offset, input2_offset, output_offset, left_shift;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} mcugen_add_params_t;

typedef struct {
    int32_t input1_offset, input2_offset, output_offset;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} mcugen_mul_params_t;

typedef struct {
    int32_t input_multiplier, input_left_shift, diff_min;
} mcugen_softmax_params_t;

/* x * multiplier * 2^(shift - 31), rounded as TFLM's MultiplyByQuantizedMultiplier. */
int32_t mcugen_requantize(int32_t x, int32_t multiplier, int32_t shift);

void mcugen_conv_s8(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                    const mcugen_dims_t *in_dims, const int8_t *in,
                    const mcugen_dims_t *filter_dims, const int8_t *filter, const int32_t *bias,
                    const mcugen_dims_t *out_dims, int8_t *out);

void mcugen_depthwise_conv_s8(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                              const mcugen_dims_t *in_dims, const int8_t *in,
                              const mcugen_dims_t *filter_dims, const int8_t *filter,
                              const int32_t *bias, const mcugen_dims_t *out_dims, int8_t *out);

/* batches x depth input, out_depth x depth weights. filter_offset = -weights zero point. */
void mcugen_fully_connected_s8(int32_t batches, int32_t depth, int32_t out_depth,
                               const int8_t *in, int32_t input_offset,
                               const int8_t *filter, int32_t filter_offset, const int32_t *bias,
                               const mcugen_requant_t *q, int32_t output_offset,
                               int32_t act_min, int32_t act_max, int8_t *out);

void mcugen_avgpool_s8(const mcugen_pool_params_t *p, const mcugen_dims_t *in_dims,
                       const int8_t *in, const mcugen_dims_t *out_dims, int8_t *out);

void mcugen_maxpool_s8(const mcugen_pool_params_t *p, const mcugen_dims_t *in_dims,
                       const int8_t *in, const mcugen_dims_t *out_dims, int8_t *out);

/* Elementwise ADD, SUB, MUL, MAXIMUM, MINIMUM with broadcasting over 4-D shapes (a dimension
 * of 1 broadcasts). Safe in place (out == a or out == b) when the shapes are equal. */
void mcugen_add_s8(const mcugen_add_params_t *p, const mcugen_dims_t *a_dims, const int8_t *a,
                   const mcugen_dims_t *b_dims, const int8_t *b,
                   const mcugen_dims_t *out_dims, int8_t *out);
void mcugen_sub_s8(const mcugen_add_params_t *p, const mcugen_dims_t *a_dims, const int8_t *a,
                   const mcugen_dims_t *b_dims, const int8_t *b,
                   const mcugen_dims_t *out_dims, int8_t *out);
void mcugen_mul_s8(const mcugen_mul_params_t *p, const mcugen_dims_t *a_dims, const int8_t *a,
                   const mcugen_dims_t *b_dims, const int8_t *b,
                   const mcugen_dims_t *out_dims, int8_t *out);
void mcugen_maximum_s8(const mcugen_dims_t *a_dims, const int8_t *a,
                       const mcugen_dims_t *b_dims, const int8_t *b,
                       const mcugen_dims_t *out_dims, int8_t *out);
void mcugen_minimum_s8(const mcugen_dims_t *a_dims, const int8_t *a,
                       const mcugen_dims_t *b_dims, const int8_t *b,
                       const mcugen_dims_t *out_dims, int8_t *out);

/* out[i] = table[in[i] + 128]: any int8 -> int8 function of one value (LOGISTIC, TANH, the
 * RELU family, HARD_SWISH), its 256 results computed on the host by the simulator. In place. */
void mcugen_lut_s8(int32_t size, const int8_t *in, const int8_t *table, int8_t *out);

/* Softmax over rows of `depth` values, int8 -> int8 (scale 1/256, zero point -128).
 * Safe in place. */
void mcugen_softmax_s8(const mcugen_softmax_params_t *p, int32_t rows, int32_t depth,
                       const int8_t *in, int8_t *out);
/* int8 -> int16 (output 1/65536 at -32768: TFLM's int8 -> int16 SOFTMAX) */
void mcugen_softmax_s8_s16(const mcugen_softmax_params_t *p, int32_t rows, int32_t depth,
                           const int8_t *in, int16_t *out);

/* Requantization between 8-bit types (QUANTIZE int8/uint8 -> int8/uint8). Safe in place.
 * in_unsigned / out_unsigned select uint8 for the input / output. */
void mcugen_requantize_8(int32_t size, const void *in, int32_t in_unsigned, int32_t input_offset,
                         int32_t multiplier, int32_t shift, int32_t output_offset,
                         int32_t out_unsigned, void *out);

/* Strided 4-D byte copy: out[sum i_k * out_strides[k]] = in[sum i_k * in_strides[k]] for
 * i_k < counts[k]. With host-computed strides and start pointers it is TRANSPOSE, STRIDED_SLICE,
 * one input of CONCATENATION, or the interior of PAD. Strides may be negative. */
void mcugen_copy_4d_s8(const int8_t *in, const int32_t in_strides[4], const int32_t counts[4],
                       int8_t *out, const int32_t out_strides[4]);

void mcugen_fill_s8(int32_t size, int8_t value, int8_t *out);

/* MEAN over the axes flagged in reduce[4] (NHWC), TFLM's QuantizedMeanOrSum: the sum minus
 * count * input zero point, requantized by a multiplier that already holds 1/count. */
void mcugen_mean_s8(const mcugen_dims_t *in_dims, const int8_t *in, const int32_t reduce[4],
                    int32_t input_zero_point, int32_t multiplier, int32_t shift,
                    int32_t output_zero_point, int8_t *out);

/* ---- 16x8: int16 activations (zero point 0), int8 weights ---------------------------------
 * TFLM accumulates a 16x8 conv / depthwise / fully connected layer in int64 and requantizes it
 * with its int64 MultiplyByQuantizedMultiplier (a 15-bit multiplier, one rounding shift) when
 * the bias is int64 or absent (``wide``), in int32 with mcugen_requantize when the bias is
 * int32; the two round differently. The code generator checked the accumulator bounds. */
typedef struct {
    const int64_t *bias64;           /* wide: int64 bias (or NULL) */
    const int32_t *bias32;           /* not wide: int32 bias (or NULL) */
    int32_t wide;
} mcugen_bias16_t;

typedef struct {
    int32_t input_multiplier, input_left_shift;
    const int16_t *exp_lut;          /* 513 entries: exp on [-10, 0] */
    const int16_t *one_over_one_plus_x_lut;   /* 513 entries: 1 / (1 + x) on [0, 1] */
} mcugen_softmax16_params_t;

/* TFLM's MultiplyByQuantizedMultiplier(int64_t x, ...): |x| < 2^47, shift < 8. */
int32_t mcugen_requantize_s64(int64_t x, int32_t multiplier, int32_t shift);

void mcugen_conv_s16(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                     const mcugen_bias16_t *bias, const mcugen_dims_t *in_dims,
                     const int16_t *in, const mcugen_dims_t *filter_dims, const int8_t *filter,
                     const mcugen_dims_t *out_dims, int16_t *out);

void mcugen_depthwise_conv_s16(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                               const mcugen_bias16_t *bias, const mcugen_dims_t *in_dims,
                               const int16_t *in, const mcugen_dims_t *filter_dims,
                               const int8_t *filter, const mcugen_dims_t *out_dims, int16_t *out);

/* filter_offset = -weights zero point (per-tensor weights; 0 per channel). */
void mcugen_fully_connected_s16(int32_t batches, int32_t depth, int32_t out_depth,
                                const int16_t *in, const int8_t *filter, int32_t filter_offset,
                                const mcugen_bias16_t *bias, const mcugen_requant_t *q,
                                int32_t act_min, int32_t act_max, int16_t *out);

void mcugen_avgpool_s16(const mcugen_pool_params_t *p, const mcugen_dims_t *in_dims,
                        const int16_t *in, const mcugen_dims_t *out_dims, int16_t *out);

void mcugen_maxpool_s16(const mcugen_pool_params_t *p, const mcugen_dims_t *in_dims,
                        const int16_t *in, const mcugen_dims_t *out_dims, int16_t *out);

/* ADD, SUB, MUL of int16 tensors (zero points 0; ADD/SUB with left_shift 15), broadcasting as
 * the int8 kernels. Safe in place when the shapes are equal. */
void mcugen_add_s16(const mcugen_add_params_t *p, const mcugen_dims_t *a_dims, const int16_t *a,
                    const mcugen_dims_t *b_dims, const int16_t *b,
                    const mcugen_dims_t *out_dims, int16_t *out);
void mcugen_sub_s16(const mcugen_add_params_t *p, const mcugen_dims_t *a_dims, const int16_t *a,
                    const mcugen_dims_t *b_dims, const int16_t *b,
                    const mcugen_dims_t *out_dims, int16_t *out);
void mcugen_mul_s16(const mcugen_mul_params_t *p, const mcugen_dims_t *a_dims, const int16_t *a,
                    const mcugen_dims_t *b_dims, const int16_t *b,
                    const mcugen_dims_t *out_dims, int16_t *out);

/* Requantization with int16 on either side (QUANTIZE int8 <-> int16, int16 -> int16, int16 ->
 * int32): TFLM's Requantize. in_bits is 8 or 16, out_bits 8, 16 or 32. Not in place when the
 * sizes differ. */
void mcugen_requantize_s16(int32_t size, const void *in, int32_t in_bits, int32_t input_offset,
                           int32_t multiplier, int32_t shift, int32_t output_offset,
                           int32_t out_bits, void *out);

/* Softmax over rows of `depth` values, int16 -> int16 (scale 1/32768, zero point 0), TFLM's
 * SoftmaxInt16 with its two interpolated tables. Safe in place. */
void mcugen_softmax_s16(const mcugen_softmax16_params_t *p, int32_t rows, int32_t depth,
                        const int16_t *in, int16_t *out);

/* int16 RELU / RELU6 / LEAKY_RELU (zero points 0): TFLM's ReluQuantized (requantize, clamp to
 * [act_min, act_max]), Relu6 (a clamp in the input's domain), LeakyRelu (identity multiplier for
 * x >= 0, else |alpha| multiplier, negated when alpha < 0; clamped to int16). Safe in place. */
void mcugen_relu_s16(int32_t size, const int16_t *in, int32_t multiplier, int32_t shift,
                     int32_t act_min, int32_t act_max, int16_t *out);
void mcugen_clamp_s16(int32_t size, const int16_t *in, int32_t lo, int32_t hi, int16_t *out);
void mcugen_leaky_relu_s16(int32_t size, const int16_t *in, int32_t identity_multiplier,
                           int32_t identity_shift, int32_t alpha_multiplier, int32_t alpha_shift,
                           int32_t alpha_negative, int16_t *out);

/* int16 LOGISTIC and TANH (reference_integer_ops Logistic / Tanh for int16): the input rescaled
 * by (x * input_multiplier + round) >> input_left_shift (input_multiplier 0: times 3), then
 * interpolation in TFLM's 256-entry sigmoid table (passed in: the code generator emits it).
 * Output scale 2^-15, zero point 0. Safe in place. */
void mcugen_logistic_s16(int32_t size, const int16_t *in, int32_t input_multiplier,
                         int32_t input_left_shift, const uint16_t *sigmoid_table, int16_t *out);
void mcugen_tanh_s16(int32_t size, const int16_t *in, int32_t input_multiplier,
                     int32_t input_left_shift, const uint16_t *sigmoid_table, int16_t *out);

/* mcugen_copy_4d_s8 / mcugen_fill_s8 on int16 elements (strides count elements). */
void mcugen_copy_4d_s16(const int16_t *in, const int32_t in_strides[4], const int32_t counts[4],
                        int16_t *out, const int32_t out_strides[4]);
void mcugen_fill_s16(int32_t size, int16_t value, int16_t *out);

/* MEAN of an int16 tensor (zero points 0): the int32 sum, requantized as mcugen_mean_s8. */
void mcugen_mean_s16(const mcugen_dims_t *in_dims, const int16_t *in, const int32_t reduce[4],
                     int32_t multiplier, int32_t shift, int16_t *out);

/* TRANSPOSE_CONV (reference_integer_ops::TransposeConv), gathered per output element: the
 * output (oy, ox) sums input (iy, ix) x filter (ky, kx) wherever iy * stride_h + ky - pad_h = oy
 * (the same products as TFLM's scatter, so the same integer sum; no scratch). Filter
 * [C_OUT][KH][KW][C_IN]. int8: int32 accumulator with input_offset, int32 bias (or NULL),
 * mcugen_requantize, output_offset. 16x8: as mcugen_conv_s16 (bias->wide, int64). */
void mcugen_transpose_conv_s8(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                              const mcugen_dims_t *in_dims, const int8_t *in,
                              const mcugen_dims_t *filter_dims, const int8_t *filter,
                              const int32_t *bias, const mcugen_dims_t *out_dims, int8_t *out);
void mcugen_transpose_conv_s16(const mcugen_conv_params_t *p, const mcugen_requant_t *q,
                               const mcugen_bias16_t *bias, const mcugen_dims_t *in_dims,
                               const int16_t *in, const mcugen_dims_t *filter_dims,
                               const int8_t *filter, const mcugen_dims_t *out_dims, int16_t *out);

/* ---- recurrent operators: UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF ---------------------------
 * TFLM's integer LSTM (lstm_eval.h): per step and batch, four gates (forget, input, cell,
 * output), each two fully connected halves (input with the bias, recurrent from the hidden
 * state) written as int16 at 2^-12, added with saturation, then TFLM's int16 sigmoid (or tanh
 * for the cell gate) on its 256-entry table; the cell state (int16, power-of-two scale) and the
 * hidden state (int8, or int16 in the 16x8 LSTM) are updated by three elementwise products.
 * The hidden and cell state are the model's variable tensors, updated in place. */
typedef struct {
    const int8_t *weights;           /* [n_cell][n_input] */
    const int8_t *recurrent;         /* [n_cell][n_cell] */
    const int32_t *bias32;           /* int8 activations: int32 bias [n_cell] */
    const int64_t *bias64;           /* int16 activations: int64 bias [n_cell] */
    int32_t input_zero_point, weights_zero_point, input_multiplier, input_shift;
    int32_t hidden_zero_point, recurrent_zero_point, recurrent_multiplier, recurrent_shift;
    /* int8 with weights zero points 0 (else NULL): the zero points' share of each row folded
     * on the host, bias - input zp * sum(w) and -hidden zp * sum(r), so the rows sum x * w */
    const int32_t *input_folded;
    const int32_t *recurrent_folded;
} mcugen_lstm_gate_t;

typedef struct {
    int32_t multiplier, shift, output_zero_point, act_min, act_max;
} mcugen_lstm_mul_t;

typedef struct {
    int32_t time_major, batch, steps, n_input, n_cell;
    int32_t wide;                    /* int16 input, hidden state and output (16x8) */
    mcugen_lstm_gate_t gate[4];      /* forget, input, cell, output */
    mcugen_lstm_mul_t forget_cell, input_cell, output;
    int32_t cell_clip;               /* quantized clip, 0 when the model sets none */
    int32_t cell_scale_power;        /* the cell state's scale is 2^cell_scale_power */
    const uint16_t *sigmoid_table;   /* TFLM's sigmoid_table_uint16 (the code generator emits it) */
} mcugen_lstm_params_t;

/* input/hidden/output are int8 (wide = 0) or int16; scratch holds 4 * n_cell int16. */
void mcugen_lstm_integer(const mcugen_lstm_params_t *p, const void *input, void *hidden,
                         int16_t *cell, void *output, int16_t *scratch);

/* TFLM's EvalIntegerSvdfReference: the state ([batch][n_filter][memory], int8 or int16 as
 * state_bits says, like the time weights) shifts one place toward the past, each filter's
 * feature dot product is stored in its newest place, and each unit's rank filters' time dot
 * products plus the bias give the int8 output. int32 sums wrap as the C reference's do. */
typedef struct {
    int32_t batch, n_input, n_filter, rank, memory, state_bits;
    int32_t input_zero_point, state_zero_point, output_zero_point;
    int32_t multiplier_1, shift_1, multiplier_2, shift_2;
} mcugen_svdf_params_t;

void mcugen_svdf_s8(const mcugen_svdf_params_t *p, const int8_t *input,
                    const int8_t *weights_feature, const void *weights_time,
                    const int32_t *bias, void *state, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* MCUGEN_KERNELS_H */
