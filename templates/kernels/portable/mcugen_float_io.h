/*
 * mcugen_float_io.h - the float edges of models that keep float input/output (`mcugen quantize
 * --io float`): QUANTIZE float -> int8 at the input and DEQUANTIZE int8 -> float at the output,
 * with TFLM's arithmetic (float32 division, rounding half away from zero; double product).
 * Only such models link this file: full-int8 models run no float code.
 */
#ifndef MCUGEN_FLOAT_IO_H
#define MCUGEN_FLOAT_IO_H

#include <stdint.h>

void mcugen_quantize_f32_s8(int32_t size, const float *in, float scale, int32_t zero_point,
                            int8_t *out);
void mcugen_dequantize_s8_f32(int32_t size, const int8_t *in, double scale, int32_t zero_point,
                              float *out);

/* 16x8 models with float I/O: float -> int16 and int16 -> float, the same arithmetic. */
void mcugen_quantize_f32_s16(int32_t size, const float *in, float scale, int32_t zero_point,
                             int16_t *out);
void mcugen_dequantize_s16_f32(int32_t size, const int16_t *in, double scale, int32_t zero_point,
                               float *out);

#endif /* MCUGEN_FLOAT_IO_H */
