/* mcugen_float_io.c - see mcugen_float_io.h. */
#include "mcugen_float_io.h"

/* AffineQuantize of one value: round(x / scale) half away from zero, + zero point, clamped to
 * [lo, hi] (the division clamped first: float -> int of an out-of-range value is undefined). */
static int32_t quantize_one(float x, float scale, int32_t zero_point, int32_t lo, int32_t hi)
{
    float q = x / scale;
    if (q > 1e6f) {
        q = 1e6f;
    } else if (q < -1e6f) {
        q = -1e6f;
    }
    const float half = 0.5f;
    const int32_t rounded = q >= 0.0f ? (int32_t)(q + half) : -(int32_t)(-q + half);
    const int32_t v = rounded + zero_point;
    return v < lo ? lo : v > hi ? hi : v;
}

void mcugen_quantize_f32_s8(int32_t size, const float *in, float scale, int32_t zero_point,
                            int8_t *out)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = (int8_t)quantize_one(in[i], scale, zero_point, -128, 127);
    }
}

void mcugen_dequantize_s8_f32(int32_t size, const int8_t *in, double scale, int32_t zero_point,
                              float *out)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = (float)(scale * (double)((int32_t)in[i] - zero_point));
    }
}

void mcugen_quantize_f32_s16(int32_t size, const float *in, float scale, int32_t zero_point,
                             int16_t *out)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = (int16_t)quantize_one(in[i], scale, zero_point, -32768, 32767);
    }
}

void mcugen_dequantize_s16_f32(int32_t size, const int16_t *in, double scale, int32_t zero_point,
                               float *out)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = (float)(scale * (double)((int32_t)in[i] - zero_point));
    }
}
