"""STRIDED_SLICE (TFLM strided_slice.cc, reference_ops::StridedSlice with strided_slice_logic.h's
StridedSliceStartForAxis / StridedSliceEndForAxis).

TFLM ignores ellipsis_mask, new_axis_mask and offset (it zeroes them), needs constant begin/end/
strides, and copies bytes (no requantization). Per axis: a negative index counts from the end,
the index is clamped to [0, size] going forward or [-1, size-1] going backward, and only then do
begin_mask/end_mask override it; a shrunk axis takes the single element at begin."""

from __future__ import annotations

import numpy as np

from ...ops.strided_slice import prepare_strided_slice
from ..registry import FLOAT, QUANT, KernelCall, register


def _strided_slice(call: KernelCall) -> list[np.ndarray]:
    p = call.cache.get("params") or call.cache.setdefault(
        "params", prepare_strided_slice(call.graph, call.op))
    x = np.asarray(call.values[0])
    # np.arange reproduces the reference loop `for (i = start; stride > 0 ? i < stop : i > stop;
    # i += stride)`, including the empty case.
    index = np.ix_(*(np.arange(a, b, s) for a, b, s in zip(p.starts, p.stops, p.strides)))
    return [x[index]]


register("STRIDED_SLICE", QUANT)(_strided_slice)


register("STRIDED_SLICE", FLOAT)(_strided_slice)

