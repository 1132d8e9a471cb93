"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
Standalone activations: LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH (int8; all but
HARD_SWISH also int16, 16x8).

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/activations.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import fixedpoint as fx
from ..errors import InputError, UnsupportedOperatorError
from ..model.graph import Graph, Operator
from .common import QMAX, QMIN, scale_of, zero_point_of
from .registry import PORTABLE, PORTABLE_16X8, FixedOutput, FreeOutput, SameParams, record

ALL_INT8 = np.arange(-128, 128, dtype=np.int64)


INPUT_INTEGER_BITS = 4          # LOGISTIC/TANH int8: input rescaled to Q4.27


def _io(graph: Graph, op: Operator):
    return graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]


def all_values(dtype) -> np.ndarray:
    """Every value of an int8 or int16 input, in order (the table's index is value - min)."""
    dtype = np.dtype(dtype)
    return np.arange(QMIN[dtype], QMAX[dtype] + 1, dtype=np.int64)


def int16_zero_points(graph: Graph, op: Operator) -> None:
    """int16 RELU / RELU6 / LEAKY_RELU: zero points 0 (TFLM's int16 RELU requires it; 16x8
    models are symmetric)."""
    for t in _io(graph, op):
        if t.dtype == np.int16 and zero_point_of(t) != 0:
            raise InputError(f"int16 {op.opcode} tensor '{t.name}' has zero point "
                             f"{zero_point_of(t)} (16x8 takes 0)", f"operator {op.index}")


@dataclass
class SigmoidParams:
    """LOGISTIC and TANH int8 constants (OpDataLogistic / tanh OpData)."""
    input_zero_point: int
    input_multiplier: int
    input_left_shift: int
    input_range_radius: int


def _prepare_sigmoid(graph: Graph, op: Operator) -> SigmoidParams:
    x, _ = _io(graph, op)
    real = float(np.float32(scale_of(x))) * float(1 << (31 - INPUT_INTEGER_BITS))
    multiplier, left_shift = fx.frexp_multiplier(real)
    radius = fx.calculate_input_radius(INPUT_INTEGER_BITS, left_shift, 31)
    return SigmoidParams(zero_point_of(x), multiplier, left_shift, radius)


def prepare_logistic(graph: Graph, op: Operator) -> SigmoidParams:
    """Output quantization is fixed by TFLM: scale 1/256, zero point -128 (not read)."""
    return _prepare_sigmoid(graph, op)


def prepare_tanh(graph: Graph, op: Operator) -> SigmoidParams:
    """Output quantization is fixed by TFLM: scale 1/128, zero point 0 (not read)."""
    return _prepare_sigmoid(graph, op)


def _sigmoid_lut(p: SigmoidParams, fixed_point_fn, output_shift: int, output_offset: int
                 ) -> np.ndarray:
    values = ALL_INT8 - p.input_zero_point
    inside = (values > -p.input_range_radius) & (values < p.input_range_radius)
    # Only in-range values reach the multiply in TFLM (the radius keeps the shift from
    # overflowing int32); out-of-range ones are evaluated on 0 and then replaced.
    safe = np.where(inside, values, 0)
    in_q4 = fx.multiply_by_quantized_multiplier(safe, p.input_multiplier, p.input_left_shift)
    out_q0 = fixed_point_fn(in_q4, INPUT_INTEGER_BITS)
    out = np.clip(fx.rounding_divide_by_pot(out_q0, output_shift) + output_offset, -128, 127)
    out = np.where(values <= -p.input_range_radius, -128, out)
    out = np.where(values >= p.input_range_radius, 127, out)
    return out.astype(np.int8)


def lut_logistic(graph: Graph, op: Operator) -> np.ndarray:
    x, _ = _io(graph, op)
    if x.dtype == np.int16:
        p = prepare_sigmoid16(graph, op)
        return fx.logistic_int16(all_values(np.int16), p.input_multiplier, p.input_left_shift)
    return _sigmoid_lut(prepare_logistic(graph, op), fx.fixed_point_logistic, 31 - 8, -128)


def lut_tanh(graph: Graph, op: Operator) -> np.ndarray:
    x, _ = _io(graph, op)
    if x.dtype == np.int16:
        p = prepare_sigmoid16(graph, op)
        return fx.tanh_int16(all_values(np.int16), p.input_multiplier, p.input_left_shift)
    return _sigmoid_lut(prepare_tanh(graph, op), fx.fixed_point_tanh, 31 - 7, 0)


@dataclass
class Sigmoid16Params:
    """int16 LOGISTIC and TANH constants (OpDataLogistic / tanh OpData for int16): the input is
    rescaled to units of 1/(3 * 4096) by (x * input_multiplier + round) >> input_left_shift; an
    input_multiplier of 0 marks a power-of-two input scale (the kernel then multiplies by 3)."""
    input_multiplier: int
    input_left_shift: int


def _checked_log2(scale: float) -> tuple[bool, int]:
    """CheckedLog2 in float32: (is a power of two within 1e-3 of the exponent, the exponent)."""
    x_log2 = np.float32(np.log(np.float32(scale))) * np.float32(1.0 / np.log(np.float32(2.0)))
    rounded = np.float32(fx.round_half_away(x_log2))
    return bool(abs(np.float32(x_log2 - rounded)) < np.float32(1e-3)), int(rounded)


def prepare_sigmoid16(graph: Graph, op: Operator) -> Sigmoid16Params:
    """CalculateArithmeticOpDataLogistic / TanhPrepare for int16: zero points 0, output scale
    2^-15; a power-of-two input scale of 2^-12 (TANH also 2^-11) takes the fixed x3 path, any
    other a multiplier found by doubling (TFLM's loop, in double). Input scales whose product
    x * multiplier would overflow TFLM's int32 (scales from ~5.3 up): refused."""
    x, y = _io(graph, op)
    where = f"operator {op.index}"
    for t in (x, y):
        if zero_point_of(t) != 0:
            raise InputError(f"int16 {op.opcode} tensor '{t.name}' has zero point "
                             f"{zero_point_of(t)} (TFLM takes 0)", where)
    pot_out, log2_out = _checked_log2(scale_of(y))
    if not pot_out or log2_out != -15:
        raise InputError(f"int16 {op.opcode} output scale {scale_of(y):g} is not 2^-15 "
                         "(TFLM requires it)", where)
    pot, log2_in = _checked_log2(scale_of(x))
    left_shift = 12 + log2_in
    if pot and (left_shift == 0 or (op.opcode == "TANH" and left_shift == 1)):
        return Sigmoid16Params(0, left_shift)
    multiplier = float(np.float32(scale_of(x))) * 4096.0 * 3.0
    left_shift = 0
    while multiplier <= 32767.0 / 2.0 and left_shift <= 30:
        left_shift += 1
        multiplier *= 2.0
    rounding = (1 << (left_shift - 1)) if left_shift > 0 else 0
    if int(multiplier) * 32768 + rounding >= 1 << 31:
        raise UnsupportedOperatorError(f"{op.opcode} (int16)", op.index, graph.name,
                                       stage=f"input scale {scale_of(x):g} overflows TFLM's int32 "
                                             "input rescaling: no oracle")
    return Sigmoid16Params(int(multiplier), left_shift)


@dataclass
class ReluParams:
    input_offset: int           # the input zero point (subtracted)
    output_offset: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


def prepare_relu(graph: Graph, op: Operator) -> ReluParams:
    """CalculateReluOpData: requantizes s_in -> s_out, clamps at the output's zero. The ratio
    of the float32 scales is taken in double: TFLM's source divides in float32, but the pinned
    wheel's outputs match the double ratio (int16 inputs tell them apart: 1/256 over
    2.8284271/256 gives multiplier 1518500276, not 1518500224; six inputs of 65536 differ)."""
    x, y = _io(graph, op)
    real = float(np.float32(scale_of(x))) / float(np.float32(scale_of(y)))
    multiplier, shift = fx.quantize_multiplier(real)
    act_min = max(QMIN[y.dtype], zero_point_of(y))
    return ReluParams(zero_point_of(x), zero_point_of(y), multiplier, shift, act_min,
                      QMAX[y.dtype])


def lut_relu(graph: Graph, op: Operator) -> np.ndarray:
    """ReluQuantized<int8_t / int16_t> on every input value."""
    int16_zero_points(graph, op)
    x, y = _io(graph, op)
    p = prepare_relu(graph, op)
    out = p.output_offset + fx.multiply_by_quantized_multiplier(
        all_values(x.dtype) - p.input_offset, p.output_multiplier, p.output_shift)
    return np.clip(out, p.act_min, p.act_max).astype(y.dtype)


@dataclass
class Relu6Params:
    zero: int                   # quantized 0 and 6 in the input's quantization
    six: int


def prepare_relu6(graph: Graph, op: Operator) -> Relu6Params:
    """Relu6Prepare: a clamp in the input's domain (the output must share its quantization)."""
    x, _ = _io(graph, op)
    zp = zero_point_of(x)
    q = np.float32(6.0) / np.float32(scale_of(x))
    six = int(fx.round_half_away(q)) + zp
    return Relu6Params(zp, int(np.clip(six, QMIN[x.dtype], QMAX[x.dtype])))


def lut_relu6(graph: Graph, op: Operator) -> np.ndarray:
    int16_zero_points(graph, op)
    x, y = _io(graph, op)
    p = prepare_relu6(graph, op)
    return np.clip(all_values(x.dtype), p.zero, p.six).astype(y.dtype)


@dataclass
class LeakyReluParams:
    input_offset: int
    output_offset: int
    output_multiplier_alpha: int
    output_shift_alpha: int
    output_multiplier_identity: int
    output_shift_identity: int


def prepare_leaky_relu(graph: Graph, op: Operator) -> LeakyReluParams:
    """CalculateOpDataLeakyRelu: s_in * alpha / s_out and s_in / s_out from the float32 scales and
    alpha, computed in double as the pinned TFLM does (float32 arithmetic differs by one in some
    outputs, e.g. alpha 0.99 with equal scales)."""
    x, y = _io(graph, op)
    s_in, s_out = np.float64(np.float32(scale_of(x))), np.float64(np.float32(scale_of(y)))
    alpha = np.float64(np.float32(op.options.get("alpha", 0.0)))
    m_alpha, sh_alpha = fx.quantize_multiplier(float(s_in * alpha / s_out))
    m_id, sh_id = fx.quantize_multiplier(float(s_in / s_out))
    return LeakyReluParams(zero_point_of(x), zero_point_of(y), m_alpha, sh_alpha, m_id, sh_id)


def lut_leaky_relu(graph: Graph, op: Operator) -> np.ndarray:
    int16_zero_points(graph, op)
    x, y = _io(graph, op)
    p = prepare_leaky_relu(graph, op)
    values = all_values(x.dtype) - p.input_offset
    identity = fx.multiply_by_quantized_multiplier(values, p.output_multiplier_identity,
                                                   p.output_shift_identity)
    negative_alpha = p.output_multiplier_alpha < 0
    scaled = fx.multiply_by_quantized_multiplier(values, abs(p.output_multiplier_alpha),
                                                 p.output_shift_alpha)
    alpha_part = -scaled if negative_alpha else scaled
    out = p.output_offset + np.where(values >= 0, identity, alpha_part)
    return np.clip(out, QMIN[y.dtype], QMAX[y.dtype]).astype(y.dtype)


@dataclass
class HardSwishParams:
    input_zero_point: int
    output_zero_point: int
    reluish_multiplier_fixedpoint_int16: int
    reluish_multiplier_exponent: int
    output_multiplier_fixedpoint_int16: int
    output_multiplier_exponent: int


def prepare_hard_swish(graph: Graph, op: Operator) -> HardSwishParams:
    """HardSwishPrepare: float32 scale ratios, QuantizeMultiplier, downscaled to int16."""
    x, y = _io(graph, op)
    hires_input_scale = np.float32(1.0 / 128.0) * np.float32(scale_of(x))
    reluish_scale = np.float32(3.0 / 32768.0)
    out_m32, out_exp = fx.quantize_multiplier(float(hires_input_scale / np.float32(scale_of(y))))
    rel_m32, rel_exp = fx.quantize_multiplier(float(hires_input_scale / reluish_scale))
    if out_exp > 0:
        raise InputError(f"HARD_SWISH at index {op.index}: output scale {scale_of(y):g} is below "
                         "input scale / 128, which TFLM rejects", graph.name)
    return HardSwishParams(zero_point_of(x), zero_point_of(y),
                           fx.down_scale_int32_to_int16_multiplier(rel_m32), rel_exp,
                           fx.down_scale_int32_to_int16_multiplier(out_m32), out_exp)


def lut_hard_swish(graph: Graph, op: Operator) -> np.ndarray:
    """reference_ops::HardSwish<int8_t>, with int16 wrap-around where the C code narrows."""
    p = prepare_hard_swish(graph, op)
    input_value = fx.wrap_int16(ALL_INT8 - p.input_zero_point)
    hires = fx.wrap_int16(input_value * (1 << 7))
    preshift_output = fx.saturating_rounding_doubling_high_mul_int16(
        hires, p.output_multiplier_fixedpoint_int16)
    reluish = hires
    if p.reluish_multiplier_exponent > 0:
        reluish = fx.saturating_left_shift_int16(reluish, p.reluish_multiplier_exponent - 1)
    reluish = fx.saturating_rounding_doubling_high_mul_int16(
        reluish, p.reluish_multiplier_fixedpoint_int16)
    if p.reluish_multiplier_exponent > 0:
        reluish = fx.saturating_left_shift_int16(reluish, 1)
    if p.reluish_multiplier_exponent < 0:
        reluish = fx.rounding_divide_by_pot(reluish, -p.reluish_multiplier_exponent)
    reluish = fx.wrap_int16((reluish + (1 << 15)) >> 1)
    preshift = fx.saturating_doubling_high_mul_int16(reluish, preshift_output)
    out = fx.rounding_divide_by_pot(preshift, -p.output_multiplier_exponent)
    out = fx.wrap_int16(out + p.output_zero_point)
    return np.clip(out, -128, 127).astype(np.int8)


_UNARY = dict(dtypes=("int8", "float32"), version=2, inplace=True, backends=PORTABLE)
_UNARY16 = {**_UNARY, "dtypes": ("int8", "int16", "float32"), "backends": PORTABLE_16X8}
RECORDS = (
    record("LOGISTIC", "activations", prepare=lut_logistic,
           quant=FixedOutput(1.0 / 256, -128), **_UNARY16),
    record("TANH", "activations", prepare=lut_tanh, quant=FixedOutput(1.0 / 128, 0), **_UNARY16),
    record("RELU", "activations", prepare=lut_relu, quant=FreeOutput(), float_kernel=True,
           **_UNARY16),
    # TFLM clamps RELU6 in the input's domain (Relu6Prepare): the output shares its parameters
    record("RELU6", "activations", prepare=lut_relu6, quant=SameParams((0,)), float_kernel=True,
           **_UNARY16),
    record("LEAKY_RELU", "activations", prepare=lut_leaky_relu, quant=FreeOutput(),
           float_kernel=True, **_UNARY16),
    record("HARD_SWISH", "activations", prepare=lut_hard_swish, quant=FreeOutput(),
           float_kernel=True, **{**_UNARY, "version": 1}),
)
