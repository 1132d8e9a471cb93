/*
 * mcugen_fused.c - the fused tiles of mcugen's convolution, fully connected and depthwise
 * kernels: accumulators kept in registers from the bias to the stored bytes (mcugen_fast.h
 * describes their streams).
 * Written for mcugen.
 *
 * What a tile computes: for one live channel pair (c0, c1) and the two rows of the pixel pair,
 * the 4 accumulators 2 * (bias + sum w * x) (the rows are widened and doubled, the biases are
 * stored doubled), then each requantized in registers and stored:
 *     t = SMMLAR(2 acc, m, rc)        = rc + SaturatingRoundingDoublingHighMul(acc, m)
 *     t += (2 acc) >> 31              the "- 1 if negative" of TFLM's round half away from zero
 *     v = SSAT8(t >> s)               = RoundingDivideByPOT(h, s) + offset, saturated to int8
 * with rc = 2^(s-1) + offset * 2^s (exact for 1 <= s <= 22, |acc| < 2^30: the generator's proof).
 *
 * Loop structure and registers (DSP cores, hand-written assembly: GCC spills this tile):
 *   pair loop      r4 = stream; r0..r3 = acc (pixel 0: c0 c1, pixel 1: c0 c1)
 *     inner loop   r5 = rows, r6 = rows end; per 4 inputs: LDRD of the two weight words, LDRD of
 *                  each row's two widened words, 4 SXTB16 (r7..r10), 8 SMLAD: 15 instructions
 *                  for 16 MACs, two steps per loop test; an odd step enters the loop halfway
 *     epilogue     LDM {m, rc, s} per channel (r7..r9), 4 per output (r10..r12, lr), LDM of the
 *                  4 output offsets, 4 STRB: 6 instructions per output
 *   frame          [sp] rows start, [sp+4] out, [sp+8] stream end, [sp+12] odd, [sp+16] act
 *                  min, [sp+20] act max
 * Other cores and the host run the C twin below: the same stream, the same bits.
 */
#include <stddef.h>

#include "mcugen_fast.h"
#include "mcugen_simd.h"

#if MCUGEN_HAS_DSP

#define MCUGEN_PAIRS_STEP                 \
    "ldrd   r8, r10, [r4], #8\n\t"        \
    "ldrd   r11, r12, [r5], #8\n\t"       \
    "sxtb16 r7, r8\n\t"                   \
    "sxtb16 r8, r8, ror #8\n\t"           \
    "sxtb16 r9, r10\n\t"                  \
    "sxtb16 r10, r10, ror #8\n\t"         \
    "smlad  r0, r11, r7, r0\n\t"          \
    "smlad  r1, r11, r9, r1\n\t"          \
    "smlad  r0, r12, r8, r0\n\t"          \
    "smlad  r1, r12, r10, r1\n\t"         \
    "ldrd   r11, r12, [r5], #8\n\t"       \
    "smlad  r2, r11, r7, r2\n\t"          \
    "smlad  r3, r11, r9, r3\n\t"          \
    "smlad  r2, r12, r8, r2\n\t"          \
    "smlad  r3, r12, r10, r3\n\t"

#define MCUGEN_PAIRS_RQ(out, acc)                 \
    "smmlar " out ", " acc ", r7, r8\n\t"         \
    "add    " out ", " out ", " acc ", asr #31\n\t" \
    "asr    " out ", " out ", r9\n\t"             \
    "ssat   " out ", #8, " out "\n\t"

#define MCUGEN_PAIRS_CLAMP1(v)   \
    "cmp    " v ", r0\n\t"       \
    "it     lt\n\t"              \
    "movlt  " v ", r0\n\t"       \
    "cmp    " v ", r1\n\t"       \
    "it     gt\n\t"              \
    "movgt  " v ", r1\n\t"

#define MCUGEN_PAIRS_CLAMP                     \
    "ldrd   r0, r1, [sp, #16]\n\t"             \
    MCUGEN_PAIRS_CLAMP1("r10") MCUGEN_PAIRS_CLAMP1("r11") \
    MCUGEN_PAIRS_CLAMP1("r12") MCUGEN_PAIRS_CLAMP1("lr")

#define MCUGEN_PAIRS_BODY(CLAMP)               \
    "push   {r4-r11, lr}\n\t"                  \
    "sub    sp, sp, #24\n\t"                   \
    "ldr    r4, [r0, #0]\n\t"                  \
    "ldr    r5, [r0, #4]\n\t"                  \
    "str    r5, [sp, #8]\n\t"                  \
    "ldr    r5, [r0, #8]\n\t"                  \
    "str    r5, [sp, #0]\n\t"                  \
    "ldr    r6, [r0, #12]\n\t"                 \
    "and    r7, r6, #1\n\t"                    \
    "str    r7, [sp, #12]\n\t"                 \
    "add    r6, r5, r6, lsl #4\n\t"            \
    "ldr    r7, [r0, #16]\n\t"                 \
    "str    r7, [sp, #4]\n\t"                  \
    "ldrd   r7, r8, [r0, #20]\n\t"             \
    "strd   r7, r8, [sp, #16]\n\t"             \
    "1:\n\t"                                   \
    "ldm    r4!, {r0, r1, r2, r3}\n\t"         \
    "ldr    r5, [sp, #0]\n\t"                  \
    "ldr    r7, [sp, #12]\n\t"                 \
    "cmp    r7, #0\n\t"                        \
    "bne    3f\n\t"                            \
    "2:\n\t"                                   \
    MCUGEN_PAIRS_STEP                          \
    "3:\n\t"                                   \
    MCUGEN_PAIRS_STEP                          \
    "cmp    r5, r6\n\t"                        \
    "bne    2b\n\t"                            \
    "ldm    r4!, {r7, r8, r9}\n\t"             \
    MCUGEN_PAIRS_RQ("r10", "r0")               \
    MCUGEN_PAIRS_RQ("r11", "r2")               \
    "ldm    r4!, {r7, r8, r9}\n\t"             \
    MCUGEN_PAIRS_RQ("r12", "r1")               \
    MCUGEN_PAIRS_RQ("lr", "r3")                \
    CLAMP                                      \
    "ldm    r4!, {r0, r1, r2, r3}\n\t"         \
    "ldr    r7, [sp, #4]\n\t"                  \
    "strb   r10, [r7, r0]\n\t"                 \
    "strb   r12, [r7, r1]\n\t"                 \
    "strb   r11, [r7, r2]\n\t"                 \
    "strb   lr, [r7, r3]\n\t"                  \
    "ldr    r7, [sp, #8]\n\t"                  \
    "cmp    r4, r7\n\t"                        \
    "bne    1b\n\t"                            \
    "add    sp, sp, #24\n\t"                   \
    "pop    {r4-r11, pc}\n\t"

__attribute__((naked)) void mcugen_fast_pairs_s8(
    __attribute__((unused)) const mcugen_fast_pairs_run_t *r)
{
    __asm__ volatile(MCUGEN_PAIRS_BODY(""));
}

__attribute__((naked)) void mcugen_fast_pairs_clamp_s8(
    __attribute__((unused)) const mcugen_fast_pairs_run_t *r)
{
    __asm__ volatile(MCUGEN_PAIRS_BODY(MCUGEN_PAIRS_CLAMP));
}

#else /* the C twin */

static int32_t pairs_requantize(int32_t acc2, const uint32_t *q, int32_t lo, int32_t hi)
{
    /* SMMLAR: (rc * 2^32 + acc2 * m + 2^31) >> 32 */
    const int64_t t64 = ((int64_t)(int32_t)q[1] * 4294967296LL + (int64_t)acc2 * (int32_t)q[0]
                         + 2147483648LL) >> 32;
    int32_t v = ((int32_t)t64 + (acc2 >> 31)) >> (int32_t)q[2];
    v = v < -128 ? -128 : (v > 127 ? 127 : v);
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* `wide`: the stream holds the weights pre-widened (per 4 inputs 4 words: the int16 pairs of c0
 * and of c1), as --wide-weights lays them out */
static void pairs_run(const mcugen_fast_pairs_run_t *r, int clamp, int wide)
{
    const int32_t lo = clamp ? r->act_min : -128, hi = clamp ? r->act_max : 127;
    const uint32_t *w = r->stream;
    while (w != r->stream_end) {
        int32_t a00 = (int32_t)w[0], a01 = (int32_t)w[1], a10 = (int32_t)w[2], a11 = (int32_t)w[3];
        w += 4;
        const uint32_t *x = r->x;
        for (int32_t j = 0; j < r->words; ++j, w += wide ? 4 : 2, x += 4) {
            const uint32_t we = wide ? w[0] : mcugen_sxtb16(w[0]);
            const uint32_t wo = wide ? w[1] : mcugen_sxtb16_ror8(w[0]);
            const uint32_t ve = wide ? w[2] : mcugen_sxtb16(w[1]);
            const uint32_t vo = wide ? w[3] : mcugen_sxtb16_ror8(w[1]);
            a00 = mcugen_smlad(x[1], wo, mcugen_smlad(x[0], we, a00));
            a01 = mcugen_smlad(x[1], vo, mcugen_smlad(x[0], ve, a01));
            a10 = mcugen_smlad(x[3], wo, mcugen_smlad(x[2], we, a10));
            a11 = mcugen_smlad(x[3], vo, mcugen_smlad(x[2], ve, a11));
        }
        r->out[w[6]] = (int8_t)pairs_requantize(a00, w, lo, hi);
        r->out[w[8]] = (int8_t)pairs_requantize(a10, w, lo, hi);
        r->out[w[7]] = (int8_t)pairs_requantize(a01, w + 3, lo, hi);
        r->out[w[9]] = (int8_t)pairs_requantize(a11, w + 3, lo, hi);
        w += 10;
    }
}

void mcugen_fast_pairs_s8(const mcugen_fast_pairs_run_t *r) { pairs_run(r, 0, 0); }
void mcugen_fast_pairs_clamp_s8(const mcugen_fast_pairs_run_t *r) { pairs_run(r, 1, 0); }
void mcugen_fast_pairs_wide_s8(const mcugen_fast_pairs_run_t *r) { pairs_run(r, 0, 1); }
void mcugen_fast_pairs_wide_clamp_s8(const mcugen_fast_pairs_run_t *r) { pairs_run(r, 1, 1); }

#endif

/* ---- depthwise 3x3, 4 channels per group, fused --------------------------------------------
 *
 * What a group computes: for one output pixel and channels c .. c+3, the 4 accumulators
 * 2 * (bias + sum over the 9 taps of (x - zp) * w) (weights and biases stored doubled), then the
 * same in-register requantization as the tile above.
 * Stream per group: the 4 doubled biases, per tap the doubled int16 weight pairs [c0,c2],[c1,c3],
 * then {m, rc, s} of c0 .. c3. A tap outside the image points at a pixel of input zero points.
 * Registers: r0..r3 acc, r4 stream, r5 tap offsets, r6 base + channel, r7 the negated input zero
 * point in both halves, lr out; per tap (r8..r12): LDR of the tap's offset, LDR of 4 channels,
 * LDRD of the weight pairs, 2 SXTAB16 (add the offset while widening), 4 SMLABB/SMLATT: 9
 * instructions for 4 MACs; per output 5 more and a STRB. Frame: [sp] stream end, [sp+4] act min,
 * [sp+8] act max. */
#if MCUGEN_HAS_DSP

#define MCUGEN_DW_TAP(t)                         \
    "ldr     r8, [r5, #" #t " * 4]\n\t"          \
    "ldr     r9, [r6, r8]\n\t"                   \
    "ldrd    r11, r12, [r4], #8\n\t"             \
    "sxtab16 r10, r7, r9\n\t"                    \
    "sxtab16 r9, r7, r9, ror #8\n\t"             \
    "smlabb  r0, r10, r11, r0\n\t"               \
    "smlatt  r2, r10, r11, r2\n\t"               \
    "smlabb  r1, r9, r12, r1\n\t"                \
    "smlatt  r3, r9, r12, r3\n\t"

#define MCUGEN_DW_RQ(a)                          \
    "ldm     r4!, {r8, r9, r10}\n\t"             \
    "smmlar  r11, " a ", r8, r9\n\t"             \
    "add     r11, r11, " a ", asr #31\n\t"       \
    "asr     r11, r11, r10\n\t"                  \
    "ssat    " a ", #8, r11\n\t"

#define MCUGEN_DW_CLAMP1(v)    \
    "cmp    " v ", r8\n\t"     \
    "it     lt\n\t"            \
    "movlt  " v ", r8\n\t"     \
    "cmp    " v ", r9\n\t"     \
    "it     gt\n\t"            \
    "movgt  " v ", r9\n\t"

#define MCUGEN_DW_CLAMP                                                   \
    "ldrd   r8, r9, [sp, #4]\n\t"                                         \
    MCUGEN_DW_CLAMP1("r0") MCUGEN_DW_CLAMP1("r1") MCUGEN_DW_CLAMP1("r2")  \
    MCUGEN_DW_CLAMP1("r3")

#define MCUGEN_DW_BODY(CLAMP)                    \
    "push    {r4-r11, lr}\n\t"                   \
    "sub     sp, sp, #16\n\t"                    \
    "ldr     r5, [r0, #0]\n\t"                   \
    "ldr     r4, [r0, #8]\n\t"                   \
    "ldr     r6, [r0, #12]\n\t"                  \
    "str     r6, [sp, #0]\n\t"                   \
    "ldr     lr, [r0, #16]\n\t"                  \
    "ldr     r7, [r0, #20]\n\t"                  \
    "ldrd    r8, r9, [r0, #24]\n\t"              \
    "strd    r8, r9, [sp, #4]\n\t"               \
    "ldr     r6, [r0, #4]\n\t"                   \
    "1:\n\t"                                     \
    "ldm     r4!, {r0, r1, r2, r3}\n\t"          \
    MCUGEN_DW_TAP(0) MCUGEN_DW_TAP(1) MCUGEN_DW_TAP(2)  \
    MCUGEN_DW_TAP(3) MCUGEN_DW_TAP(4) MCUGEN_DW_TAP(5)  \
    MCUGEN_DW_TAP(6) MCUGEN_DW_TAP(7) MCUGEN_DW_TAP(8)  \
    MCUGEN_DW_RQ("r0") MCUGEN_DW_RQ("r1") MCUGEN_DW_RQ("r2") MCUGEN_DW_RQ("r3") \
    CLAMP                                        \
    "strb    r0, [lr], #1\n\t"                   \
    "strb    r1, [lr], #1\n\t"                   \
    "strb    r2, [lr], #1\n\t"                   \
    "strb    r3, [lr], #1\n\t"                   \
    "add     r6, r6, #4\n\t"                     \
    "ldr     r8, [sp, #0]\n\t"                   \
    "cmp     r4, r8\n\t"                         \
    "bne     1b\n\t"                             \
    "add     sp, sp, #16\n\t"                    \
    "pop     {r4-r11, pc}\n\t"

__attribute__((naked)) void mcugen_fast_dw3x3_s8(
    __attribute__((unused)) const mcugen_fast_dw_run_t *r)
{
    __asm__ volatile(MCUGEN_DW_BODY(""));
}

__attribute__((naked)) void mcugen_fast_dw3x3_clamp_s8(
    __attribute__((unused)) const mcugen_fast_dw_run_t *r)
{
    __asm__ volatile(MCUGEN_DW_BODY(MCUGEN_DW_CLAMP));
}

#else /* the C twin */

static void dw3x3_run(const mcugen_fast_dw_run_t *r, int clamp)
{
    const int32_t lo = clamp ? r->act_min : -128, hi = clamp ? r->act_max : 127;
    const uint32_t *w = r->stream;
    int8_t *out = r->out;
    const uintptr_t base = (uintptr_t)r->base;
    for (int32_t c = 0; w != r->stream_end; c += 4) {
        int32_t a0 = (int32_t)w[0], a1 = (int32_t)w[1], a2 = (int32_t)w[2], a3 = (int32_t)w[3];
        w += 4;
        for (int32_t t = 0; t < 9; ++t, w += 2) {
            const int8_t *tap = (const int8_t *)(base + (uintptr_t)(intptr_t)r->taps[t]);
            const uint32_t x = mcugen_read32(tap + c);
            const uint32_t xe = mcugen_sxtab16(r->input_offset_x2, x);
            const uint32_t xo = mcugen_sxtab16_ror8(r->input_offset_x2, x);
            a0 = mcugen_smlabb(xe, w[0], a0);
            a2 = mcugen_smlatt(xe, w[0], a2);
            a1 = mcugen_smlabb(xo, w[1], a1);
            a3 = mcugen_smlatt(xo, w[1], a3);
        }
        *out++ = (int8_t)pairs_requantize(a0, w, lo, hi);
        *out++ = (int8_t)pairs_requantize(a1, w + 3, lo, hi);
        *out++ = (int8_t)pairs_requantize(a2, w + 6, lo, hi);
        *out++ = (int8_t)pairs_requantize(a3, w + 9, lo, hi);
        w += 12;
    }
}

void mcugen_fast_dw3x3_s8(const mcugen_fast_dw_run_t *r) { dw3x3_run(r, 0); }
void mcugen_fast_dw3x3_clamp_s8(const mcugen_fast_dw_run_t *r) { dw3x3_run(r, 1); }

#endif

/* ---- ADD and SUB of equal shapes, fused ------------------------------------------------------
 *
 * What an element computes: ta[a] + tb[b], the two inputs' rescaled values (TFLM's arithmetic,
 * tabulated and doubled by the generator), requantized in registers as above.
 * Registers: r0 a, r1 b, r2 out, r3 out end, r4/r5 the tables (at entry 0), r6 m, r7 rc, r8 s,
 * r9/r10 the element, r11/r12 act min/max (clamping variant). Per element: 2 LDRSB, 2 LDR, ADD,
 * SMMLAR, ADD, ASR, SSAT, STRB and the loop test: 12 instructions. */
#if MCUGEN_HAS_DSP

#define MCUGEN_ADD_BODY(CLAMP)                   \
    "push    {r4-r11, lr}\n\t"                   \
    "ldm     r0, {r0-r8, r11, r12}\n\t"        \
    "add     r3, r2, r3\n\t"                     \
    "1:\n\t"                                     \
    "ldrsb   r9, [r0], #1\n\t"                   \
    "ldrsb   r10, [r1], #1\n\t"                  \
    "ldr     r9, [r4, r9, lsl #2]\n\t"           \
    "ldr     r10, [r5, r10, lsl #2]\n\t"         \
    "add     r9, r9, r10\n\t"                    \
    "smmlar  r10, r9, r6, r7\n\t"                \
    "add     r10, r10, r9, asr #31\n\t"          \
    "asr     r10, r10, r8\n\t"                   \
    "ssat    r10, #8, r10\n\t"                   \
    CLAMP                                        \
    "strb    r10, [r2], #1\n\t"                  \
    "cmp     r2, r3\n\t"                         \
    "bne     1b\n\t"                             \
    "pop     {r4-r11, pc}\n\t"

#define MCUGEN_ADD_CLAMP         \
    "cmp     r10, r11\n\t"       \
    "it      lt\n\t"             \
    "movlt   r10, r11\n\t"       \
    "cmp     r10, r12\n\t"       \
    "it      gt\n\t"             \
    "movgt   r10, r12\n\t"

__attribute__((naked)) void mcugen_fast_add_fused_s8(
    __attribute__((unused)) const mcugen_fast_add_run_t *r)
{
    __asm__ volatile(MCUGEN_ADD_BODY(""));
}

__attribute__((naked)) void mcugen_fast_add_fused_clamp_s8(
    __attribute__((unused)) const mcugen_fast_add_run_t *r)
{
    __asm__ volatile(MCUGEN_ADD_BODY(MCUGEN_ADD_CLAMP));
}

#else /* the C twin */

static void add_run(const mcugen_fast_add_run_t *r, int clamp)
{
    const uint32_t q[3] = {r->m, r->rc, r->s};
    const int32_t lo = clamp ? r->act_min : -128, hi = clamp ? r->act_max : 127;
    for (int32_t i = 0; i < r->size; ++i) {
        const int32_t acc2 = (int32_t)((uint32_t)r->table_a[r->a[i]] + (uint32_t)r->table_b[r->b[i]]);
        r->out[i] = (int8_t)pairs_requantize(acc2, q, lo, hi);
    }
}

void mcugen_fast_add_fused_s8(const mcugen_fast_add_run_t *r) { add_run(r, 0); }
void mcugen_fast_add_fused_clamp_s8(const mcugen_fast_add_run_t *r) { add_run(r, 1); }

#endif
