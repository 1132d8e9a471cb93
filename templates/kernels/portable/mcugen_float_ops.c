/* mcugen_float_ops.c - see mcugen_float_ops.h. */
#include "mcugen_float_ops.h"

enum { FLOAT_ADD, FLOAT_SUB, FLOAT_MUL, FLOAT_MAX, FLOAT_MIN };

/* TFLM's ActivationFunctionWithMinMax: std::min(std::max(v, lo), hi). */
static float clamp(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return hi < v ? hi : v;
}

/* One loop over the output for every binary operator; element i of each input is read before
 * element i of the output is written (so the planner may place the output on an input). */
static void binary(int32_t kind, const mcugen_dims_t *a_dims, const float *a,
                   const mcugen_dims_t *b_dims, const float *b, const mcugen_dims_t *out_dims,
                   float *out, float lo, float hi)
{
    int32_t i = 0;
    for (int32_t n = 0; n < out_dims->n; ++n) {
        for (int32_t y = 0; y < out_dims->h; ++y) {
            for (int32_t x = 0; x < out_dims->w; ++x) {
                for (int32_t c = 0; c < out_dims->c; ++c, ++i) {
                    const float va = a[mcugen_broadcast_index(a_dims, n, y, x, c)];
                    const float vb = b[mcugen_broadcast_index(b_dims, n, y, x, c)];
                    float v;
                    switch (kind) {
                    case FLOAT_ADD:
                        v = clamp(va + vb, lo, hi);
                        break;
                    case FLOAT_SUB:
                        v = clamp(va - vb, lo, hi);
                        break;
                    case FLOAT_MUL:
                        v = clamp(va * vb, lo, hi);
                        break;
                    case FLOAT_MAX:
                        v = va > vb ? va : vb;
                        break;
                    default:
                        v = va < vb ? va : vb;
                        break;
                    }
                    out[i] = v;
                }
            }
        }
    }
}

void mcugen_add_f32(const mcugen_dims_t *a_dims, const float *a, const mcugen_dims_t *b_dims,
                    const float *b, const mcugen_dims_t *out_dims, float *out, float lo,
                    float hi)
{
    binary(FLOAT_ADD, a_dims, a, b_dims, b, out_dims, out, lo, hi);
}

void mcugen_sub_f32(const mcugen_dims_t *a_dims, const float *a, const mcugen_dims_t *b_dims,
                    const float *b, const mcugen_dims_t *out_dims, float *out, float lo,
                    float hi)
{
    binary(FLOAT_SUB, a_dims, a, b_dims, b, out_dims, out, lo, hi);
}

void mcugen_mul_f32(const mcugen_dims_t *a_dims, const float *a, const mcugen_dims_t *b_dims,
                    const float *b, const mcugen_dims_t *out_dims, float *out, float lo,
                    float hi)
{
    binary(FLOAT_MUL, a_dims, a, b_dims, b, out_dims, out, lo, hi);
}

void mcugen_maximum_f32(const mcugen_dims_t *a_dims, const float *a,
                        const mcugen_dims_t *b_dims, const float *b,
                        const mcugen_dims_t *out_dims, float *out)
{
    binary(FLOAT_MAX, a_dims, a, b_dims, b, out_dims, out, 0.0f, 0.0f);
}

void mcugen_minimum_f32(const mcugen_dims_t *a_dims, const float *a,
                        const mcugen_dims_t *b_dims, const float *b,
                        const mcugen_dims_t *out_dims, float *out)
{
    binary(FLOAT_MIN, a_dims, a, b_dims, b, out_dims, out, 0.0f, 0.0f);
}

void mcugen_relu_f32(int32_t size, const float *in, float *out)
{
    for (int32_t i = 0; i < size; ++i) {
        const float v = in[i];
        out[i] = v < 0.0f ? 0.0f : v;
    }
}

void mcugen_relu6_f32(int32_t size, const float *in, float *out)
{
    for (int32_t i = 0; i < size; ++i) {
        const float v = in[i];
        out[i] = v > 6.0f ? 6.0f : v < 0.0f ? 0.0f : v;
    }
}

void mcugen_leaky_relu_f32(int32_t size, const float *in, float alpha, float *out)
{
    for (int32_t i = 0; i < size; ++i) {
        const float v = in[i];
        out[i] = v > 0.0f ? v : v * alpha;
    }
}

void mcugen_hard_swish_f32(int32_t size, const float *in, float *out)
{
    for (int32_t i = 0; i < size; ++i) {
        const float v = in[i];
        float r = v + 3.0f;
        r = r < 0.0f ? 0.0f : r;          /* std::max(0.0f, v + 3) */
        r = 6.0f < r ? 6.0f : r;          /* std::min(6.0f, ...) */
        const float product = v * r;
        out[i] = product / 6.0f;
    }
}

void mcugen_copy_4d_f32(const float *in, const int32_t in_strides[4], const int32_t counts[4],
                        float *out, const int32_t out_strides[4])
{
    for (int32_t a = 0; a < counts[0]; ++a) {
        for (int32_t b = 0; b < counts[1]; ++b) {
            for (int32_t c = 0; c < counts[2]; ++c) {
                const int32_t src = a * in_strides[0] + b * in_strides[1] + c * in_strides[2];
                const int32_t dst = a * out_strides[0] + b * out_strides[1] + c * out_strides[2];
                for (int32_t d = 0; d < counts[3]; ++d) {
                    out[dst + d * out_strides[3]] = in[src + d * in_strides[3]];
                }
            }
        }
    }
}

void mcugen_fill_f32(int32_t size, float value, float *out)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = value;
    }
}
