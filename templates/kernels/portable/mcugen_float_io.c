/* mcugen_float_io.c - see mcugen_float_io.h. */
#include "mcugen_float_io.h"

void mcugen_quantize_f32_s8(int32_t size, const float *in, float scale, int32_t zero_point,
                            int8_t *out)
{
    for (int32_t i = 0; i < size; ++i) {
        float q = in[i] / scale;
        /* clamp before converting: float -> int of an out-of-range value is undefined */
        if (q > 1e6f) {
            q = 1e6f;
        } else if (q < -1e6f) {
            q = -1e6f;
        }
        const float half = 0.5f;
        const int32_t rounded = q >= 0.0f ? (int32_t)(q + half) : -(int32_t)(-q + half);
        int32_t v = rounded + zero_point;
        v = v < -128 ? -128 : v > 127 ? 127 : v;
        out[i] = (int8_t)v;
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
        float q = in[i] / scale;
        if (q > 1e6f) {
            q = 1e6f;
        } else if (q < -1e6f) {
            q = -1e6f;
        }
        const float half = 0.5f;
        const int32_t rounded = q >= 0.0f ? (int32_t)(q + half) : -(int32_t)(-q + half);
        int32_t v = rounded + zero_point;
        v = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
        out[i] = (int16_t)v;
    }
}

void mcugen_dequantize_s16_f32(int32_t size, const int16_t *in, double scale, int32_t zero_point,
                               float *out)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = (float)(scale * (double)((int32_t)in[i] - zero_point));
    }
}
