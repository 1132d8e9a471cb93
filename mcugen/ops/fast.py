"""The exactness proof shared by mcugen's generated-layout kernels
(templates/kernels/mcugen/mcugen_fast.c): their requantization, SMMULR(acc << (left + 1), m)
then one rounding shift with the output offset folded in, equals TFLM's
MultiplyByQuantizedMultiplier + offset whenever, for every output channel with accumulator
bound B, B * 2^(left+1) < 2^31, the high product h <= B * 2^left * m / 2^31 + 1 stays below
2^28, and the right shift e is at most 22. A layer outside the proof goes to the next backend."""

from __future__ import annotations

import numpy as np


def requantization_fits(bound, multipliers, shifts) -> bool:
    """The proof for per-channel accumulator bounds (int64 arrays or scalars)."""
    bound = np.atleast_1d(np.asarray(bound, np.int64))
    mult = np.resize(np.asarray(multipliers, np.int64), bound.size)
    shift = np.resize(np.asarray(shifts, np.int64), bound.size)
    scaled = bound << np.maximum(shift, 0)
    return bool(scaled.max() < 2 ** 30 and ((scaled * mult) >> 31).max() + 1 < 2 ** 28
                and (-shift).max() <= 22)


def fused_requantization_fits(bound, multipliers, shifts) -> bool:
    """The proof of the fused kernels (mcugen_fused.c): with doubled accumulators,
    SMMLAR(2 acc, m, rc) + (2 acc >> 31), ASR s equals MultiplyByQuantizedMultiplier + offset
    for a right shift 1 <= s <= 22 when |acc| < 2^30 (then 2 acc, rc + h and the sum stay in
    int32: |h| < 2^30, |rc| <= 2^21 + 128 * 2^22)."""
    bound = np.atleast_1d(np.asarray(bound, np.int64))
    shift = np.resize(np.asarray(shifts, np.int64), bound.size)
    return bool(bound.size == 0 or (bound.max() < 2 ** 30 and shift.max() <= -1
                                    and (-shift).max() <= 22))


def fused_requantization_row(multiplier: int, shift: int, output_offset: int,
                             constant: int | None = None, negative: bool = False) -> list[int]:
    """{m, rc, s} of one channel for the fused kernels; a channel of constant output v (its
    accumulator the bias alone, ``negative`` its sign): {0, 2v + [negative], 1}, so that
    (rc + (2 acc >> 31)) >> 1 = v."""
    if constant is not None:
        return [0, 2 * constant + int(negative), 1]
    s = -shift
    return [int(multiplier), (1 << (s - 1)) + output_offset * (1 << s), s]


def requantization_row(multiplier: int, shift: int, output_offset: int,
                       constant: int | None = None) -> list[int]:
    """mcugen_fast_rq_t: {multiplier, left + 1, e + 1, 2^e + offset * 2^(e+1)}; a channel of
    constant output v: {0, 1, 1, 2v} (SMMULR by 0 gives h = 0, then 2v >> 1 = v)."""
    if constant is not None:
        return [0, 1, 1, 2 * constant]
    left, e = max(shift, 0), max(-shift, 0)
    return [int(multiplier), left + 1, e + 1, (1 << e) + output_offset * (1 << (e + 1))]


def dead_channel_outputs(weights_by_channel: np.ndarray, bias, multipliers, shifts,
                         output_zero_point: int, act_min: int, act_max: int) -> dict[int, int]:
    """Output channels whose weights are all zero compute a constant: TFLM's requantized bias.
    channel -> that int8 value (the kernels encode it as multiplier 0, see
    :func:`requantization_row`), so such channels need no accumulator proof."""
    from ..fixedpoint import multiply_by_quantized_multiplier
    dead = np.flatnonzero(~np.asarray(weights_by_channel).reshape(
        len(weights_by_channel), -1).any(axis=1))
    mult = np.resize(np.asarray(multipliers, np.int64), len(weights_by_channel))
    shift = np.resize(np.asarray(shifts, np.int64), len(weights_by_channel))
    b = np.zeros(len(weights_by_channel), np.int64) if bias is None \
        else np.asarray(bias, np.int64)
    out = {}
    for c in dead:
        v = int(multiply_by_quantized_multiplier(np.array([b[c]]), int(mult[c]),
                                                 int(shift[c]))[0]) + output_zero_point
        out[int(c)] = min(max(v, act_min), act_max)
    return out
