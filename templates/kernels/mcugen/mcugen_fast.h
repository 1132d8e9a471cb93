/*
 * mcugen_fast.h - mcugen's generated-layout int8 kernels ("--kernels mcugen").
 *
 * The code generator knows every shape, weight, zero point, multiplier and shift, so it hands
 * these kernels data already in the order their inner loops read it:
 *
 * - convolution and fully connected are one matrix product: each output pixel (or batch row)
 *   reads a row of K int8 inputs (a 1x1 convolution: the pixel's channels; otherwise its
 *   im2col window, padding filled with the input zero point). Weights are [C_OUT][K4] int8,
 *   K4 = K rounded up to 4 and zero padded; the input offset is folded into the bias
 *   (sum w*(x - zp) + b = sum w*x + (b - zp * sum w)), so the inner loop is loads, SXTB16 and
 *   SMLAD only. A tile is 2 pixels x 2 output channels: per 4 K steps 2 weight words, 4 packed
 *   activation words, 4 SXTB16, 8 SMLAD for 16 MACs. The weights of a channel pair are
 *   interleaved word by word, so one pointer walks both.
 * - depthwise convolution (channel multiplier 1, channels a multiple of 4) runs 4 channels per
 *   word: SXTAB16 adds the input offset while it sign-extends, the weights are pre-widened to
 *   int16 pairs [c0,c2],[c1,c3] per tap, and SMLABB/SMLATT accumulate; the taps outside the
 *   image are skipped by loop bounds.
 * - ADD and SUB of equal shapes: each input's rescaled value ((x - zp) << 20 times its
 *   multiplier, TFLM's arithmetic) is a 256-entry table, so an element is two loads, an add and
 *   one requantization.
 * - requantization is TFLM's MultiplyByQuantizedMultiplier (double rounding) bit for bit.
 * - the fused variant of convolution (mcugen_fast_conv_pairs_s8, chosen per layer when the
 *   generator proves it exact) keeps a 2 pixel x 2 channel tile in registers from the bias to the
 *   stored bytes: the rows are widened doubled, so the accumulators hold 2 * acc, and each output
 *   is SMMLAR(2 acc, m, rc), + (acc >> 31), ASR s, SSAT #8, STRB: TFLM's double rounding with the
 *   output offset folded into rc = 2^(s-1) + offset * 2^s. Exact for right shifts 1 <= s <= 22
 *   and |acc| < 2^30 (mcugen.ops.fast.fused_requantization_fits).
 *
 * Scratch (in the arena, sized by the planner): MCUGEN_FAST_CONV_SCRATCH(...) bytes.
 */
#ifndef MCUGEN_FAST_H
#define MCUGEN_FAST_H

#include <stdint.h>

#include "mcugen_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per output channel: TFLM's multiplier, its left shift + 1, and the rounding right shift e
 * with the output offset as rshift = e + 1, rc = 2^e + offset * 2^(e+1) (requantize_core() in
 * mcugen_fast.c). */
typedef struct {
    int32_t multiplier, left1, rshift, rc;
} mcugen_fast_rq_t;

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w;
    int32_t kh, kw, stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int32_t pixels;               /* output pixels (batch x out_h x out_w), or FC batch rows */
    int32_t k, k4;                /* row length and its rounding up to a multiple of 4 */
    int32_t direct;               /* 1: row p is the K bytes at in + p * K (1x1 stride 1, FC) */
    int32_t input_zero_point;     /* fills the padding of im2col rows */
    int32_t cout;
    int32_t quads;                /* leading channel quads laid out [j][4] (single-row layers) */
    const int8_t *weights;        /* [cout][k4]: quads, then channel pairs interleaved word by
                                     word, then an odd last channel */
    const int32_t *bias;          /* [cout], input offset folded in */
    const mcugen_fast_rq_t *rq;   /* [cout] */
    int32_t output_offset, act_min, act_max;
} mcugen_fast_conv_t;

typedef struct {
    int32_t batches, in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t kh, kw, stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    uint32_t input_offset_x2;     /* -input zero point in both int16 halves */
    const uint32_t *weights;      /* [channels/4][kh][kw][2] packed int16 pairs [c0,c2],[c1,c3] */
    const int32_t *bias;          /* [channels] */
    const mcugen_fast_rq_t *rq;   /* [channels] */
    int32_t output_offset, act_min, act_max;
} mcugen_fast_dw_t;

typedef struct {
    int32_t size;
    const int32_t *table_a;       /* [256]: input a's rescaled value, for a = -128 .. 127 */
    const int32_t *table_b;       /* [256]: input b's (negated for SUB) */
    mcugen_fast_rq_t rq;          /* the output's requantization */
    int32_t act_min, act_max;
} mcugen_fast_add_t;

/* One run of the fused 2 x 2 tile kernel over every live channel pair for one pixel pair. The
 * stream holds per pair: the doubled biases of channels c0 and c1 (input offset folded in; twice,
 * one per pixel), then
 * per 4 inputs the weight words of c0 and c1, then {m, rc, s} of c0 and of c1, then the byte
 * offsets of the 4 outputs from `out` (c0 and c1 of pixel 0, c0 and c1 of pixel 1). An odd live
 * channel is paired with itself. Offsets let the generator leave dead channels out. */
typedef struct {
    const uint32_t *stream, *stream_end;
    const uint32_t *x;            /* the two rows, widened and doubled, interleaved per 4 inputs */
    int32_t words;                /* k4 / 4 (>= 1) */
    int8_t *out;
    int32_t act_min, act_max;     /* used by the clamping variant only */
} mcugen_fast_pairs_run_t;

void mcugen_fast_pairs_s8(const mcugen_fast_pairs_run_t *r);
void mcugen_fast_pairs_clamp_s8(const mcugen_fast_pairs_run_t *r);
/* the C twins of the tiles generated for --wide-weights (defined without DSP only: DSP cores run
 * the tiles generated per layer) */
void mcugen_fast_pairs_wide_s8(const mcugen_fast_pairs_run_t *r);
void mcugen_fast_pairs_wide_clamp_s8(const mcugen_fast_pairs_run_t *r);

/* One output pixel of the fused depthwise 3x3 (mcugen_fused.c): per group of 4 channels the
 * stream holds the 4 doubled biases, per tap the doubled int16 weight pairs [c0,c2],[c1,c3], then
 * {m, rc, s} of the 4 channels. */
typedef struct {
    const int32_t *taps;          /* 9 byte offsets from base: channel 0 of each tap (a tap
                                     outside the image: the pixel of zero points) */
    const int8_t *base;
    const uint32_t *stream, *stream_end;
    int8_t *out;
    uint32_t input_offset_x2;     /* -input zero point in both int16 halves */
    int32_t act_min, act_max;     /* used by the clamping variant only */
} mcugen_fast_dw_run_t;

void mcugen_fast_dw3x3_s8(const mcugen_fast_dw_run_t *r);
void mcugen_fast_dw3x3_clamp_s8(const mcugen_fast_dw_run_t *r);

/* A run of output pixels whose windows lie inside the image (the kernel generated for the
 * layer's shape knows the tap offsets and the step to the next pixel). The field order is the
 * assembly's LDM order. pixels >= 1. */
typedef struct {
    const uint32_t *stream, *stream_end;
    const int8_t *base;           /* the first pixel's window corner */
    int32_t pixels;
    int8_t *out;
    uint32_t input_offset_x2;
    int32_t act_min, act_max;
} mcugen_fast_dw_row_t;

typedef struct {
    mcugen_fast_dw_t geometry;    /* shapes, offsets; its weights, bias, rq are unused */
    const uint32_t *stream, *stream_end;
    int32_t clamp;                /* 1: the activation range is narrower than int8 */
    void (*row)(const mcugen_fast_dw_row_t *r);  /* inner runs, or NULL: pixel by pixel */
} mcugen_fast_dw_fused_t;

typedef struct {
    mcugen_fast_conv_t geometry;  /* shapes, zero point; its weights, bias, rq are unused */
    const uint32_t *stream, *stream_end;
    /* the tile kernel: mcugen_fast_pairs_s8, its clamping variant, or one the generator
       unrolled for the layer's row length */
    void (*tile)(const mcugen_fast_pairs_run_t *r);
    int32_t dead;                 /* channels whose output is a constant ... */
    const int32_t *dead_outputs;  /* ... as (channel << 8) | (uint8_t)value */
} mcugen_fast_conv_fused_t;

/* The fused ADD/SUB (mcugen_fused.c): doubled tables, the in-register requantization. The field
 * order is the assembly's LDM order. size >= 1. */
typedef struct {
    const int8_t *a, *b;
    int8_t *out;
    int32_t size;
    const int32_t *table_a, *table_b;  /* at the entries for 0 (index -128 .. 127) */
    uint32_t m, rc, s;
    int32_t act_min, act_max;          /* used by the clamping variant only */
} mcugen_fast_add_run_t;

void mcugen_fast_add_fused_s8(const mcugen_fast_add_run_t *r);
void mcugen_fast_add_fused_clamp_s8(const mcugen_fast_add_run_t *r);

/* Scratch bytes mcugen_fast_conv_s8 needs: per row in flight (2, or 1 for a single row) cout
 * int32 accumulators and k4 widened inputs (int16), plus one gathered row of k4 bytes unless
 * rows are read in place (direct and k == k4). */
#define MCUGEN_FAST_CONV_SCRATCH(rows, k4, cout, in_place) \
    ((rows) * (4 * (cout) + 2 * (k4)) + ((in_place) ? 0 : (k4)))

void mcugen_fast_conv_s8(const mcugen_fast_conv_t *p, const int8_t *in, int8_t *out,
                         void *scratch);
/* Two or more output pixels. Scratch: two rows of k4 widened inputs, plus one gathered row
 * unless rows are read in place. */
#define MCUGEN_FAST_FUSED_SCRATCH(k4, in_place) (4 * (k4) + ((in_place) ? 0 : (k4)))
void mcugen_fast_conv_fused_s8(const mcugen_fast_conv_fused_t *p, const int8_t *in, int8_t *out,
                               void *scratch);
/* Scratch: 5 * channels bytes (one pixel of int32 accumulators and one of input zero points). */
void mcugen_fast_dw_s8(const mcugen_fast_dw_t *p, const int8_t *in, int8_t *out, void *scratch);
/* 3x3, dilation 1. Scratch: one pixel of input zero points (channels bytes). */
void mcugen_fast_dw3x3_fused_s8(const mcugen_fast_dw_fused_t *p, const int8_t *in, int8_t *out,
                                void *scratch);
/* AVERAGE_POOL_2D with TFLM's arithmetic (sum of the taps inside the image, divided by their
 * count rounding half away from zero). Channels a multiple of 4 and windows of at most 255 taps:
 * 4 channels summed per word by SXTAB16 into int16 halves (|sum| <= 255 * 128); otherwise one
 * int32 sum per channel. */
void mcugen_fast_avgpool_s8(const mcugen_pool_params_t *p, const mcugen_dims_t *in_dims,
                            const int8_t *in, const mcugen_dims_t *out_dims, int8_t *out);
void mcugen_fast_add_s8(const mcugen_fast_add_t *p, const int8_t *a, const int8_t *b,
                        int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MCUGEN_FAST_H */
