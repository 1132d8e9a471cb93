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


def requantization_row(multiplier: int, shift: int, output_offset: int) -> list[int]:
    """mcugen_fast_rq_t: {multiplier, left + 1, e + 1, 2^e + offset * 2^(e+1)}."""
    left, e = max(shift, 0), max(-shift, 0)
    return [int(multiplier), left + 1, e + 1, (1 << e) + output_offset * (1 << (e + 1))]
