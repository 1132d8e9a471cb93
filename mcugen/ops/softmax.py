"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
SOFTMAX over the last axis (TFLM reference_ops::Softmax for int8 → int8 with gemmlowp
fixed-point exp, kScaledDiffIntegerBits = 5; and the float reference).

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/softmax.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..fixedpoint import (
    calculate_input_radius,
    preprocess_softmax_scaling,
)
from ..model.graph import Graph, Operator
from .common import scale_of
from .registry import FixedOutput, int8_tensors, record

SCALED_DIFF_INTEGER_BITS = 5


ACCUMULATION_INTEGER_BITS = 12


@dataclass
class SoftmaxParams:
    input_multiplier: int
    input_left_shift: int
    diff_min: int


def prepare_softmax(graph: Graph, op: Operator) -> SoftmaxParams:
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    if y.dtype != np.int8 or y.quant is None or int(y.quant.zero_point[0]) != -128 \
            or float(y.quant.scale[0]) != 1.0 / 256:
        raise InputError("int8 SOFTMAX needs output scale 1/256 and zero point -128 (TFLM "
                         "rejects any other)", f"operator {op.index}")
    beta = float(np.float32(op.options.get("beta", 1.0)))
    mult, shift = preprocess_softmax_scaling(beta, float(np.float32(scale_of(x))),
                                             SCALED_DIFF_INTEGER_BITS)
    diff_min = -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, shift)
    return SoftmaxParams(mult, shift, diff_min)


RECORDS = (
    record("SOFTMAX", "softmax", dtypes=("int8", "float32"), prepare=prepare_softmax,
           quant=FixedOutput(1.0 / 256, -128), version=2, inplace=True,
           backends={"cmsis-nn": int8_tensors, "portable": int8_tensors}),
)
