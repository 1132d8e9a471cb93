"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
SOFTMAX over the last axis (TFLM reference_ops::Softmax for int8 → int8 with gemmlowp
fixed-point exp, kScaledDiffIntegerBits = 5; and the float reference).

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/softmax.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, UnsupportedOperatorError
from ..fixedpoint import (
    calculate_input_radius,
    expf,
    lut_populate_int16,
    preprocess_softmax_scaling,
    quantize_multiplier,
)
from ..model.graph import Graph, Operator
from .common import scale_of, zero_point_of
from .registry import FixedOutput, int8_or_16x8_tensors, int8_tensors, record

SCALED_DIFF_INTEGER_BITS = 5


ACCUMULATION_INTEGER_BITS = 12


@dataclass
class SoftmaxParams:
    input_multiplier: int
    input_left_shift: int
    diff_min: int
    exp_lut: np.ndarray | None = None            # int16: 513 entries, exp on [-10, 0]
    one_over_one_plus_x_lut: np.ndarray | None = None   # int16: 1 / (1 + x) on [0, 1]


def prepare_softmax_int16(graph: Graph, op: Operator) -> SoftmaxParams:
    """TFLM CalculateSoftmaxParams for int16 -> int16: the input difference rescaled so that
    [-65535, 0] spans [-10, 0] (QuantizeMultiplier of s_in * beta / (10 / 65535)), and the two
    513-entry tables InitializeLutForInt16 builds."""
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    if y.dtype != np.int16:
        raise UnsupportedOperatorError(f"SOFTMAX ({x.dtype} -> {y.dtype})", op.index, graph.name)
    target = np.float32(1.0 / 32768)
    if zero_point_of(x) != 0 or y.quant is None or zero_point_of(y) != 0 or \
            abs(np.float32(scale_of(y)) - target) > np.float32(0.001) * target:
        raise InputError("int16 SOFTMAX needs input zero point 0 and output scale 1/32768 with "
                         "zero point 0 (TFLM rejects any other)", f"operator {op.index}")
    if x.shape[-1] > 65536:
        raise UnsupportedOperatorError("SOFTMAX (int16)", op.index, graph.name,
                                       stage="rows over 65536 overflow TFLM's int32 sum")
    beta = float(np.float32(op.options.get("beta", 1.0)))
    mult, shift = quantize_multiplier(float(np.float32(scale_of(x))) * beta / (10.0 / 65535.0))
    span = np.float32(65535)
    exp_lut = lut_populate_int16(np.float32(10.0) / span, 32767, np.float32(2.0) / span, 0,
                                 expf)
    recip_lut = lut_populate_int16(np.float32(1.0) / span, -32768, np.float32(2.0) / span, 0,
                                   lambda v: np.float32(1.0) / (np.float32(1.0) + v))
    return SoftmaxParams(mult, shift, 0, exp_lut, recip_lut)


def prepare_softmax(graph: Graph, op: Operator) -> SoftmaxParams:
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    if x.dtype == np.int16:
        return prepare_softmax_int16(graph, op)
    if y.dtype == np.int16:
        # int8 -> int16 (a keyword model's head feeding an int16 consumer): the same fixed-point
        # softmax, rounded to 16 output bits, at TFLM's fixed 1/65536 with zero point -32768
        if y.quant is None or int(y.quant.zero_point[0]) != -32768 \
                or abs(float(y.quant.scale[0]) - 1.0 / 65536) > 0.001 / 65536:
            raise InputError("int8 -> int16 SOFTMAX needs output scale 1/65536 and zero point "
                             "-32768 (TFLM rejects any other)", f"operator {op.index}")
    elif y.dtype != np.int8 or y.quant is None or int(y.quant.zero_point[0]) != -128 \
            or float(y.quant.scale[0]) != 1.0 / 256:
        raise InputError("int8 SOFTMAX needs output scale 1/256 and zero point -128 (TFLM "
                         "rejects any other)", f"operator {op.index}")
    beta = float(np.float32(op.options.get("beta", 1.0)))
    mult, shift = preprocess_softmax_scaling(beta, float(np.float32(scale_of(x))),
                                             SCALED_DIFF_INTEGER_BITS)
    diff_min = -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, shift)
    return SoftmaxParams(mult, shift, diff_min)


def _portable_softmax(graph: Graph, op: Operator) -> str | None:
    """mcugen's portable softmax: int8 or int16 throughout, or int8 in and int16 out."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype == np.int8 and y.dtype == np.int16:
        return None if len(x.shape) <= 4 else f"tensor '{x.name}' has rank {len(x.shape)}"
    return int8_or_16x8_tensors(graph, op)


RECORDS = (
    record("SOFTMAX", "softmax", dtypes=("int8", "int16", "float32"), prepare=prepare_softmax,
           quant=FixedOutput(1.0 / 256, -128), version=2, inplace=True,
           backends={"cmsis-nn": int8_tensors, "portable": _portable_softmax}),
)
