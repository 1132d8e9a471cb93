/*
 * mcugen_float_ops.h - float32 layers of a float island inside an integer model (DEQUANTIZE ->
 * float op -> QUANTIZE that no integer operator replaces exactly). Only models with such an
 * island link this file, and only cores with an FPU run them (mcugen refuses the others).
 *
 * Each kernel does what TFLM's float reference kernel does, one IEEE operation per element in
 * the same order: a + b, a - b, a * b, then the fused activation as TFLM's clamp
 * (min(max(v, lo), hi), lo/hi = -FLT_MAX/FLT_MAX for NONE); no library call, no sum whose order
 * could differ, no expression a compiler could contract into a fused multiply-add. So the device,
 * mcugen's simulator and TFLM agree bit for bit.
 */
#ifndef MCUGEN_FLOAT_OPS_H
#define MCUGEN_FLOAT_OPS_H

#include <stdint.h>

#include "mcugen_kernels.h"

/* ADD, SUB, MUL with broadcasting (mcugen_dims_t as the int8 kernels), clamped to [lo, hi]. */
void mcugen_add_f32(const mcugen_dims_t *a_dims, const float *a, const mcugen_dims_t *b_dims,
                    const float *b, const mcugen_dims_t *out_dims, float *out, float lo,
                    float hi);
void mcugen_sub_f32(const mcugen_dims_t *a_dims, const float *a, const mcugen_dims_t *b_dims,
                    const float *b, const mcugen_dims_t *out_dims, float *out, float lo,
                    float hi);
void mcugen_mul_f32(const mcugen_dims_t *a_dims, const float *a, const mcugen_dims_t *b_dims,
                    const float *b, const mcugen_dims_t *out_dims, float *out, float lo,
                    float hi);
/* MAXIMUM, MINIMUM with broadcasting: a > b ? a : b and a < b ? a : b (TFLM's MaximumOp and
 * MinimumOp). */
void mcugen_maximum_f32(const mcugen_dims_t *a_dims, const float *a,
                        const mcugen_dims_t *b_dims, const float *b,
                        const mcugen_dims_t *out_dims, float *out);
void mcugen_minimum_f32(const mcugen_dims_t *a_dims, const float *a,
                        const mcugen_dims_t *b_dims, const float *b,
                        const mcugen_dims_t *out_dims, float *out);

/* RELU (v < 0 ? 0 : v), RELU6 (v > 6 ? 6 : v < 0 ? 0 : v), LEAKY_RELU (v > 0 ? v : v * alpha),
 * HARD_SWISH (v * min(6, max(0, v + 3)) / 6). */
void mcugen_relu_f32(int32_t size, const float *in, float *out);
void mcugen_relu6_f32(int32_t size, const float *in, float *out);
void mcugen_leaky_relu_f32(int32_t size, const float *in, float alpha, float *out);
void mcugen_hard_swish_f32(int32_t size, const float *in, float *out);

/* The strided 4-D copy and the fill of the data movement layers (PAD, CONCATENATION, TRANSPOSE,
 * STRIDED_SLICE, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND) on float32 elements. */
void mcugen_copy_4d_f32(const float *in, const int32_t in_strides[4], const int32_t counts[4],
                        float *out, const int32_t out_strides[4]);
void mcugen_fill_f32(int32_t size, float value, float *out);

#endif /* MCUGEN_FLOAT_OPS_H */
