"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
MEAN (TFLM reduce_common.cc: PrepareMeanOrSumHelper + reference_ops::QuantizedMeanOrSum for
int8 and int16, one path for every axis set; the float reference for float32).

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/mean.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..fixedpoint import quantize_multiplier
from ..model.graph import Graph, Operator
from .common import scale_of, zero_point_of
from .registry import PORTABLE_16X8, FreeOutput, record


@dataclass
class MeanParams:
    axes: tuple[int, ...]        # resolved: non-negative, unique, sorted
    keep_dims: bool
    count: int                   # input elements per output element
    input_zero_point: int
    output_zero_point: int
    multiplier: int              # already divided by count, as QuantizedMeanOrSum does
    shift: int


def resolve_axes(graph: Graph, op: Operator) -> tuple[int, ...]:
    x = graph.tensors[op.inputs[0]]
    axis_tensor = graph.tensors[op.inputs[1]]
    if axis_tensor.data is None:
        raise InputError(f"MEAN at index {op.index}: the axis tensor must be constant",
                         graph.name)
    rank = len(x.shape)
    axes = sorted({int(a) + rank if int(a) < 0 else int(a)
                   for a in np.asarray(axis_tensor.data).ravel()})
    if any(a < 0 or a >= rank for a in axes):
        raise InputError(f"MEAN at index {op.index}: axis out of range for rank {rank}",
                         graph.name)
    return tuple(axes)


def prepare_mean(graph: Graph, op: Operator) -> MeanParams:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    axes = resolve_axes(graph, op)
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if axes else 1
    keep_dims = bool(op.options.get("keep_dims", False))
    if x.dtype == np.float32:
        return MeanParams(axes, keep_dims, count, 0, 0, 0, 0)
    if x.dtype == np.int16 and (zero_point_of(x) or zero_point_of(y)):
        raise InputError(f"int16 MEAN at index {op.index}: zero points must be 0 (16x8)",
                         graph.name)
    if x.dtype == np.int16 and count * 32768 >= (1 << 31):
        raise InputError(f"int16 MEAN at index {op.index}: {count} values per output overflow "
                         "TFLM's int32 sum", graph.name)
    multiplier, shift = quantize_multiplier(float(np.float32(scale_of(x)))
                                            / float(np.float32(scale_of(y))))
    if count > 0:
        fold = min(count.bit_length() - 1, 32, 31 + shift)
        multiplier = (multiplier << fold) // count        # C int64 division, both positive
        shift -= fold
    return MeanParams(axes, keep_dims, count, zero_point_of(x), zero_point_of(y),
                      multiplier, shift)


RECORDS = (
    record("MEAN", "mean", dtypes=("int8", "int16", "float32"), prepare=prepare_mean,
           quant=FreeOutput(),
           version=2, backends=PORTABLE_16X8, parameter_inputs=(1,)),
)
