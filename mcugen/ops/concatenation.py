"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
CONCATENATION (TFLM concatenation.cc): a byte copy along one axis.

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/concatenation.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..model.graph import Graph, Operator
from .registry import PORTABLE_16X8, SameParams, record


@dataclass
class ConcatParams:
    axis: int                     # non-negative


def prepare_concatenation(graph: Graph, op: Operator) -> ConcatParams:
    y = graph.tensors[op.outputs[0]]
    rank = len(y.shape)
    axis = int(op.options.get("axis", 0))
    if not -rank <= axis < rank:
        raise InputError(f"CONCATENATION axis {axis} is out of range for rank {rank}",
                         f"operator {op.index}")
    if op.fused_activation != "NONE":
        raise InputError(f"CONCATENATION with fused {op.fused_activation} is not supported "
                         "(TFLM accepts NONE only)", f"operator {op.index}")
    if y.dtype in (np.int8, np.int16):
        # int8: TFLM refuses other parameters. int16: TFLM requires zero points 0 but copies
        # the bytes whatever the scales, so a rescaling concatenation would be computed wrong.
        for i in op.inputs:
            t = graph.tensors[i]
            if (t.quant is None or y.quant is None
                    or float(t.quant.scale[0]) != float(y.quant.scale[0])
                    or int(t.quant.zero_point[0]) != int(y.quant.zero_point[0])
                    or (y.dtype == np.int16 and int(y.quant.zero_point[0]) != 0)):
                raise InputError(f"CONCATENATION input '{t.name}' is quantized differently "
                                 f"from the output (mcugen requires identical {y.dtype} "
                                 f"parameters{', zero point 0' if y.dtype == np.int16 else ''})",
                                 f"operator {op.index}")
    return ConcatParams(axis % rank)


RECORDS = (
    record("CONCATENATION", "concatenation", dtypes=("int8", "int16", "float32"),
           prepare=prepare_concatenation, quant=SameParams(None), version=2, backends=PORTABLE_16X8,
           float_kernel=True),
)
