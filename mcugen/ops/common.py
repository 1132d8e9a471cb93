"""Facts every stage reads from a quantized tensor or an operator's options, each mirroring the
TFLM function named in its docstring (float32/double details included: a one-ulp difference in a
scale can change a multiplier and so an output byte): scales and zero points, fused activation
ranges, padding, constant parameter inputs."""

from __future__ import annotations

import numpy as np

from ..errors import InputError, UnsupportedOperatorError
from ..model.graph import Graph, Operator, Tensor

QMIN = {np.dtype(np.int8): -128, np.dtype(np.uint8): 0, np.dtype(np.int16): -32768,
        np.dtype(np.int32): -(1 << 31)}
QMAX = {np.dtype(np.int8): 127, np.dtype(np.uint8): 255, np.dtype(np.int16): 32767,
        np.dtype(np.int32): (1 << 31) - 1}


def _quant(t: Tensor):
    """The tensor's quantization, or a one-line InputError naming the tensor: the validator
    requires it on int8/uint8/int16 tensors, but an operator may also read an int32 one (an
    edited model's QUANTIZE or MUL input)."""
    if t.quant is None or not len(t.quant.scale) or not len(t.quant.zero_point):
        raise InputError(f"{t.dtype} tensor {t.index} '{t.name}' has no quantization "
                         "parameters, and the operator reading it needs them")
    return t.quant


def scale_of(t: Tensor) -> float:
    return float(_quant(t).scale[0])


def zero_point_of(t: Tensor) -> int:
    return int(_quant(t).zero_point[0])


def effective_scale(input_scale: float, weight_scale: float | np.ndarray,
                    output_scale: float) -> np.ndarray:
    """double(s_in) * double(s_w) / double(s_out) from float32 scales, as TFLM's conv/FC Prepare."""
    s_in = np.float64(np.float32(input_scale))
    s_w = np.asarray(weight_scale, dtype=np.float32).astype(np.float64)
    s_out = np.float64(np.float32(output_scale))
    return s_in * s_w / s_out


def _quantize_float32(scale: float, zero_point: int, value: float, where: str = "") -> int:
    """TFLM's kernel_util Quantize(): TfLiteRound(f / scale) in float32, plus the zero point.
    A quotient beyond int32 (a scale near float32's smallest) is refused: TFLM's conversion of
    it is undefined."""
    with np.errstate(over="ignore"):
        q = np.float32(value) / np.float32(scale)
    if not np.isfinite(q) or abs(float(q)) >= 2.0 ** 31:
        raise InputError(f"the activation bound {value} at scale {scale:.3g} does not fit int32 "
                         "(TFLM's conversion is undefined)", where or None)
    rounded = np.floor(q + np.float32(0.5)) if q >= 0 else -np.floor(-q + np.float32(0.5))
    return zero_point + int(rounded)


_FLOAT_RANGES = {"NONE": (-np.finfo(np.float32).max, np.finfo(np.float32).max),
                 "RELU": (0.0, np.finfo(np.float32).max), "RELU6": (0.0, 6.0),
                 "RELU_N1_TO_1": (-1.0, 1.0)}


def float_activation_range(activation: str) -> tuple[np.float32, np.float32]:
    """CalculateActivationRange<float>: the clamp a float kernel applies for its fused activation
    (NONE too: lowest() .. max(), so an infinity becomes +-FLT_MAX as in TFLM)."""
    if activation not in _FLOAT_RANGES:
        raise InputError(f"fused activation {activation} is not supported in float32")
    lo, hi = _FLOAT_RANGES[activation]
    return np.float32(lo), np.float32(hi)


def activation_range_quantized(activation: str, output: Tensor) -> tuple[int, int]:
    """CalculateActivationRangeQuantized: the fused activation as a clamp in the output's domain."""
    qmin, qmax = QMIN[output.dtype], QMAX[output.dtype]
    s, zp = scale_of(output), zero_point_of(output)
    where = f"tensor {output.index} '{output.name}'"
    if activation == "RELU":
        return max(qmin, _quantize_float32(s, zp, 0.0, where)), qmax
    if activation == "RELU6":
        return (max(qmin, _quantize_float32(s, zp, 0.0, where)),
                min(qmax, _quantize_float32(s, zp, 6.0, where)))
    if activation == "RELU_N1_TO_1":
        return (max(qmin, _quantize_float32(s, zp, -1.0, where)),
                min(qmax, _quantize_float32(s, zp, 1.0, where)))
    if activation == "NONE":
        return qmin, qmax
    raise InputError(f"fused activation {activation} is not supported on an int8 output",
                     output.name)


def same_padding(in_size: int, filter_size: int, stride: int, dilation: int,
                 out_size: int) -> int:
    """ComputePaddingWithOffset: the padding before the first element (the smaller half)."""
    effective = (filter_size - 1) * dilation + 1
    total = max((out_size - 1) * stride + effective - in_size, 0)
    return total // 2


def padding_before(padding: str, in_size: int, filter_size: int, stride: int, dilation: int,
                   out_size: int) -> int:
    return same_padding(in_size, filter_size, stride, dilation, out_size) \
        if padding == "SAME" else 0


def constant_input(graph: Graph, op: Operator, position: int, what: str) -> np.ndarray:
    """The data of the op's input ``position``, which TFLM requires to be a constant tensor."""
    if position >= len(op.inputs) or op.inputs[position] < 0:
        raise InputError(f"{op.opcode} has no {what} input", f"operator {op.index}")
    t = graph.tensors[op.inputs[position]]
    if t.data is None:
        raise InputError(f"{op.opcode} {what} tensor '{t.name}' is not constant (TFLM requires "
                         f"it to be)", f"operator {op.index}")
    return np.asarray(t.data)


#: The schema's TensorType codes of the two bias types a 16x8 layer may declare.
_INT32_CODE, _INT64_CODE = 2, 4


def int16_accumulator(graph: Graph, op: Operator, weights_axis: int,
                      int32_bias: bool) -> bool:
    """How TFLM accumulates a 16x8 conv / depthwise / fully connected layer: True for int64
    (int64 bias, or no bias unless the options declare ``quantized_bias_type`` INT32), False for
    int32 (an int32 bias); the two round differently (see
    :func:`mcugen.fixedpoint.multiply_by_quantized_multiplier_int64`).

    Refused with one line: an int32 bias where ``int32_bias`` is False (the pinned TFLM reads it
    as int64 and computes garbage: there is no oracle), int16 zero points other than 0 (TFLM's
    16x8 kernels ignore them), non-int8 weights, and an accumulator bound (sum |w| * 32768 + |b|
    per channel) beyond what the accumulator holds (2^31, or TFLM's 2^47 for int64)."""
    x, w, y = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], \
        graph.tensors[op.outputs[0]]
    for t in (x, y):
        if zero_point_of(t) != 0:
            raise InputError(f"int16 tensor '{t.name}' has zero point {zero_point_of(t)}; "
                             f"TFLM's 16x8 kernels take 0", f"operator {op.index}")
    if w.dtype != np.int8:
        raise UnsupportedOperatorError(f"{op.opcode} (int16 with {w.dtype} weights)", op.index,
                                       graph.name, stage="16x8 takes int8 weights")
    bias = graph.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    if bias is None:
        wide = op.options.get("quantized_bias_type", 0) != _INT32_CODE
    elif bias.dtype == np.int64:
        wide = True
    elif bias.dtype == np.int32 and int32_bias:
        wide = False
    elif bias.dtype == np.int32:
        raise UnsupportedOperatorError(f"{op.opcode} (int16 with int32 bias)", op.index,
                                       graph.name, stage="the pinned TFLM computes it wrong: "
                                       "no oracle; give it an int64 bias")
    else:
        raise InputError(f"{bias.dtype} bias '{bias.name}' on an int16 layer (int32 or int64)",
                         f"operator {op.index}")
    weights = np.moveaxis(np.asarray(w.data, np.int64), weights_axis, 0)
    bound = np.abs(weights.reshape(weights.shape[0], -1)).sum(axis=1) * 32768
    if bias is not None:
        bound = bound + np.abs(np.asarray(bias.data, np.int64))
    limit = (1 << 47) if wide else (1 << 31)
    if bound.size and int(bound.max()) >= limit:
        raise UnsupportedOperatorError(f"{op.opcode} (int16)", op.index, graph.name,
                                       stage=f"its accumulator may overflow "
                                       f"{'int64 past 2^47' if wide else 'int32'}")
    return wide


def check_int64_shifts(graph: Graph, op: Operator, shifts: np.ndarray) -> None:
    """TFLM's int64 MultiplyByQuantizedMultiplier asserts shift < 8 (an effective scale below
    128): larger ones are refused rather than computed past its contract."""
    if np.asarray(shifts).size and int(np.max(shifts)) >= 8:
        raise UnsupportedOperatorError(f"{op.opcode} (int16)", op.index, graph.name,
                                       stage="effective scale s_in * s_w / s_out >= 128")
