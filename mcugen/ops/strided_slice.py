"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
STRIDED_SLICE (TFLM strided_slice.cc, reference_ops::StridedSlice with strided_slice_logic.h's
StridedSliceStartForAxis / StridedSliceEndForAxis).

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/strided_slice.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..model.graph import Graph, Operator
from .common import constant_input
from .registry import PORTABLE_16X8, SameParams, record


@dataclass
class StridedSliceParams:
    starts: tuple[int, ...]       # resolved per axis (after masks, negatives and clamping)
    stops: tuple[int, ...]
    strides: tuple[int, ...]


def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if v > hi else lo if v < lo else v


def _start(begin: int, stride: int, size: int, masked: bool) -> int:
    if begin < 0:
        begin += size
    begin = _clamp(begin, 0, size) if stride > 0 else _clamp(begin, -1, size - 1)
    if masked:
        begin = 0 if stride > 0 else size - 1
    return begin


def _stop(end: int, start: int, stride: int, size: int, masked: bool, shrink: bool) -> int:
    if shrink:
        return start if start >= size else start + 1
    if end < 0:
        end += size
    end = _clamp(end, 0, size) if stride > 0 else _clamp(end, -1, size - 1)
    if masked:
        end = size if stride > 0 else -1
    return end


def prepare_strided_slice(graph: Graph, op: Operator) -> StridedSliceParams:
    x = graph.tensors[op.inputs[0]]
    rank = len(x.shape)
    begin = constant_input(graph, op, 1, "begin").astype(np.int64).ravel()
    end = constant_input(graph, op, 2, "end").astype(np.int64).ravel()
    strides = constant_input(graph, op, 3, "strides").astype(np.int64).ravel()
    if not (len(begin) == len(end) == len(strides) == rank):
        raise InputError(f"STRIDED_SLICE begin/end/strides need {rank} entries each",
                         f"operator {op.index}")
    if np.any(strides == 0):
        raise InputError("STRIDED_SLICE stride is zero", f"operator {op.index}")
    o = op.options
    begin_mask, end_mask = int(o.get("begin_mask", 0)), int(o.get("end_mask", 0))
    shrink_mask = int(o.get("shrink_axis_mask", 0))
    starts, stops = [], []
    for axis in range(rank):
        size, stride = x.shape[axis], int(strides[axis])
        s = _start(int(begin[axis]), stride, size, bool(begin_mask >> axis & 1))
        starts.append(s)
        shrink = bool(shrink_mask >> axis & 1)
        if shrink and not 0 <= s < size:
            raise InputError(f"STRIDED_SLICE shrinks axis {axis} at index {int(begin[axis])}, "
                             f"outside its size {size}", f"operator {op.index}")
        if shrink and stride < 0:
            # TFLM's loop (i > start + 1) then copies nothing and leaves the output unwritten;
            # the one element at begin is what TensorFlow defines, so take it going forward.
            strides[axis] = stride = 1
        stops.append(_stop(int(end[axis]), s, stride, size, bool(end_mask >> axis & 1), shrink))
    return StridedSliceParams(tuple(starts), tuple(stops), tuple(int(v) for v in strides))


RECORDS = (
    record("STRIDED_SLICE", "strided_slice", dtypes=("int8", "int16", "float32"),
           prepare=prepare_strided_slice, quant=SameParams((0,)), version=2,
           backends=PORTABLE_16X8, float_kernel=True, parameter_inputs=(1, 2, 3)),
)
