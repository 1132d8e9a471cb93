"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
Binary elementwise operators: ADD, SUB, MUL, MAXIMUM, MINIMUM.

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/elementwise.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier
from ..model.graph import Graph, Operator
from .common import activation_range_quantized, scale_of, zero_point_of
from .fast import fused_requantization_fits, requantization_fits
from .registry import (PORTABLE, PORTABLE_16X8, FreeOutput, SameParams, int8_or_16x8_tensors,
                       record, same_shapes)

INT8_LEFT_SHIFT = 20      # TFLM's headroom shift for int8 ADD/SUB
INT16_LEFT_SHIFT = 15     # ... and for int16 (zero points 0: (x << 15) stays in int32)


def _left_shift(graph: Graph, op: Operator) -> int:
    """The headroom shift of ADD/SUB; int16 operands must have zero point 0 (TFLM's int16 MUL
    requires it; for ADD/SUB an offset would overflow the shifted int32 value)."""
    tensors = [graph.tensors[i] for i in op.inputs[:2] + op.outputs]
    if tensors[-1].dtype != np.int16:
        return INT8_LEFT_SHIFT
    for t in tensors:
        if zero_point_of(t) != 0:
            raise InputError(f"int16 {op.opcode} tensor '{t.name}' has zero point "
                             f"{zero_point_of(t)} (16x8 takes 0)", f"operator {op.index}")
    return INT16_LEFT_SHIFT


@dataclass
class AddParams:
    """Constants of int8 ADD and SUB (same shape in TFLM: ArithmeticParams)."""
    input1_offset: int      # -zero point
    input2_offset: int
    output_offset: int      # +zero point
    left_shift: int
    input1_multiplier: int
    input1_shift: int
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


def _add_sub_params(op: Operator, a, b, y, real1: float, real2: float, real_out: float,
                    left_shift: int) -> AddParams:
    m1, s1 = quantize_multiplier(real1)
    m2, s2 = quantize_multiplier(real2)
    mo, so = quantize_multiplier(real_out)
    act_min, act_max = activation_range_quantized(op.fused_activation, y)
    return AddParams(-zero_point_of(a), -zero_point_of(b), zero_point_of(y), left_shift,
                     m1, s1, m2, s2, mo, so, act_min, act_max)


def prepare_add(graph: Graph, op: Operator) -> AddParams:
    """CalculateOpDataAdd: the scale arithmetic is in double."""
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    sa, sb, sy = (float(np.float32(scale_of(t))) for t in (a, b, y))
    twice_max_input_scale = 2.0 * max(sa, sb)
    left_shift = _left_shift(graph, op)
    return _add_sub_params(op, a, b, y, sa / twice_max_input_scale, sb / twice_max_input_scale,
                           twice_max_input_scale / ((1 << left_shift) * sy), left_shift)


def prepare_sub(graph: Graph, op: Operator) -> AddParams:
    """CalculateOpDataSub. TFLM's source computes these ratios in float32 before widening, but
    the tflite-micro wheel (the oracle) reproduces ADD's double arithmetic instead: on scale
    sets where the two differ, its outputs match the double variant on every byte
    (tests/sim/test_elementwise_props.py::test_sub_scale_arithmetic_matches_tflm)."""
    return prepare_add(graph, op)


@dataclass
class MulParams:
    input1_offset: int
    input2_offset: int
    output_offset: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


def prepare_mul(graph: Graph, op: Operator) -> MulParams:
    """CalculateOpDataMul: real multiplier double(s1) * double(s2) / double(s_out)."""
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    sa, sb, sy = (float(np.float32(scale_of(t))) for t in (a, b, y))
    _left_shift(graph, op)              # int16: zero points 0, as TFLM requires
    mult, shift = quantize_multiplier(sa * sb / sy)
    act_min, act_max = activation_range_quantized(op.fused_activation, y)
    return MulParams(-zero_point_of(a), -zero_point_of(b), zero_point_of(y), mult, shift,
                     act_min, act_max)


# -- mcugen's own kernel: ADD/SUB of equal shapes by two tables ---------------------------------
def add_tables(graph: Graph, op: Operator) -> tuple[np.ndarray, np.ndarray]:
    """Per input, its rescaled value MultiplyByQuantizedMultiplier((x - zp) << 20, m, s) for
    x = -128 .. 127 (TFLM's int8 ADD/SUB arithmetic); SUB's second table negated."""
    p = prepare_add(graph, op)
    x = np.arange(-128, 128, dtype=np.int64)
    a = multiply_by_quantized_multiplier((x + p.input1_offset) << p.left_shift,
                                         p.input1_multiplier, p.input1_shift)
    b = multiply_by_quantized_multiplier((x + p.input2_offset) << p.left_shift,
                                         p.input2_multiplier, p.input2_shift)
    return a, (-b if op.opcode == "SUB" else b)


def fused_add(graph: Graph, op: Operator) -> bool:
    """Does an ADD/SUB on mcugen's kernels run the fused loop (mcugen_fast_add_fused_s8, tables
    doubled, requantized in registers)? When :func:`mcugen.ops.fast.fused_requantization_fits`
    proves it for the sum's bound; otherwise the general loop, equally exact."""
    a, b = add_tables(graph, op)
    p = prepare_add(graph, op)
    return fused_requantization_fits(np.abs(a).max() + np.abs(b).max(), p.output_multiplier,
                                     p.output_shift)


def fast_add_check(graph: Graph, op: Operator) -> str | None:
    reason = same_shapes(graph, op)
    if reason is None:
        a, b = add_tables(graph, op)
        p = prepare_add(graph, op)
        if not requantization_fits(np.abs(a).max() + np.abs(b).max(), p.output_multiplier,
                                   p.output_shift):
            reason = "the int32 accumulator bound does not hold"
    return reason


_BINARY = dict(dtypes=("int8", "float32"), version=2, backends=PORTABLE, float_kernel=True)
_ARITHMETIC = {**_BINARY, "dtypes": ("int8", "int16", "float32")}
RECORDS = (
    record("ADD", "elementwise", prepare=prepare_add, quant=FreeOutput(), inplace=True,
           **{**_ARITHMETIC, "backends": {"mcugen": fast_add_check, "cmsis-nn": same_shapes,
                                          "portable": int8_or_16x8_tensors}}),
    record("SUB", "elementwise", prepare=prepare_sub, quant=FreeOutput(), inplace=True,
           **{**_ARITHMETIC, "backends": {"mcugen": fast_add_check,
                                          "portable": int8_or_16x8_tensors}}),
    record("MUL", "elementwise", prepare=prepare_mul, quant=FreeOutput(), inplace=True,
           **{**_ARITHMETIC, "backends": PORTABLE_16X8}),
    record("MAXIMUM", "elementwise", quant=SameParams((0, 1)), **_BINARY),
    record("MINIMUM", "elementwise", quant=SameParams((0, 1)), **_BINARY),
)
