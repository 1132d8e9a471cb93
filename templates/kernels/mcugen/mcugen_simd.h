/*
 * mcugen_simd.h - the few SIMD operations mcugen's generated kernels use, as ACLE intrinsics on
 * cores with the DSP extension (Cortex-M4/M7/M33, -D__ARM_FEATURE_DSP by the compiler) and as
 * plain-C twins everywhere else (the host, Cortex-M0/M3). The twins compute the same bits: the
 * host and sanitizer tests of the generated code therefore check the constants and the data
 * layout the DSP cores run, and QEMU tests check the instructions themselves.
 *
 * Packed values: a uint32_t holding two int16 halves, low half first.
 */
#ifndef MCUGEN_SIMD_H
#define MCUGEN_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define MCUGEN_HAS_DSP 1
/* bytes 0 and 2 of x, sign-extended to the two halves */
static inline uint32_t mcugen_sxtb16(uint32_t x) { return __sxtb16(x); }
/* bytes 1 and 3 of x, sign-extended to the two halves (SXTB16 with ROR #8: one instruction) */
static inline uint32_t mcugen_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
/* halves of a plus the sign-extended bytes 0 and 2 of x */
static inline uint32_t mcugen_sxtab16(uint32_t a, uint32_t x) { return __sxtab16(a, x); }
static inline uint32_t mcugen_sxtab16_ror8(uint32_t a, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}
/* acc + lo(a)*lo(b) + hi(a)*hi(b) */
static inline int32_t mcugen_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlad(a, b, acc);
}
static inline int32_t mcugen_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlabb(a, b, acc);
}
static inline int32_t mcugen_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlatt(a, b, acc);
}
/* both int16 halves doubled (the widened inputs of the fused kernels; |2x| <= 256) */
static inline uint32_t mcugen_double16(uint32_t x) { return __sadd16(x, x); }
#else
#define MCUGEN_HAS_DSP 0
static inline uint32_t mcugen_pack16(int32_t lo, int32_t hi)
{
    return (uint32_t)(uint16_t)lo | ((uint32_t)(uint16_t)hi << 16);
}
static inline int32_t mcugen_lo16(uint32_t x) { return (int16_t)(uint16_t)(x & 0xFFFFu); }
static inline int32_t mcugen_hi16(uint32_t x) { return (int16_t)(uint16_t)(x >> 16); }
static inline uint32_t mcugen_sxtb16(uint32_t x)
{
    return mcugen_pack16((int8_t)(uint8_t)x, (int8_t)(uint8_t)(x >> 16));
}
static inline uint32_t mcugen_sxtb16_ror8(uint32_t x) { return mcugen_sxtb16((x >> 8) | (x << 24)); }
static inline uint32_t mcugen_sxtab16(uint32_t a, uint32_t x)
{
    /* halfword adds wrap modulo 2^16, as the instruction's */
    return mcugen_pack16(mcugen_lo16(a) + (int8_t)(uint8_t)x,
                         mcugen_hi16(a) + (int8_t)(uint8_t)(x >> 16));
}
static inline uint32_t mcugen_sxtab16_ror8(uint32_t a, uint32_t x)
{
    return mcugen_sxtab16(a, (x >> 8) | (x << 24));
}
/* the accumulations wrap modulo 2^32, as the instructions' (the generator proves they do not) */
static inline int32_t mcugen_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(mcugen_lo16(a) * mcugen_lo16(b))
                     + (uint32_t)(mcugen_hi16(a) * mcugen_hi16(b)));
}
static inline int32_t mcugen_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(mcugen_lo16(a) * mcugen_lo16(b)));
}
static inline int32_t mcugen_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(mcugen_hi16(a) * mcugen_hi16(b)));
}
/* both halves doubled: the word shifted left, the low half's sign bit kept out of the high half */
static inline uint32_t mcugen_double16(uint32_t x) { return (x << 1) & 0xFFFEFFFEu; }
#endif

/* Unaligned-safe word access (compiles to one LDR/STR on Cortex-M3 and up). */
static inline uint32_t mcugen_read32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline void mcugen_write32(void *p, uint32_t v) { memcpy(p, &v, 4); }

#endif /* MCUGEN_SIMD_H */
