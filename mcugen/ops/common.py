"""Facts every stage reads from a quantized tensor or an operator's options, each mirroring the
TFLM function named in its docstring (float32/double details included: a one-ulp difference in a
scale can change a multiplier and so an output byte): scales and zero points, fused activation
ranges, padding, constant parameter inputs."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..model.graph import Graph, Operator, Tensor

QMIN = {np.dtype(np.int8): -128, np.dtype(np.uint8): 0, np.dtype(np.int16): -32768}
QMAX = {np.dtype(np.int8): 127, np.dtype(np.uint8): 255, np.dtype(np.int16): 32767}


def scale_of(t: Tensor) -> float:
    return float(t.quant.scale[0])


def zero_point_of(t: Tensor) -> int:
    return int(t.quant.zero_point[0])


def effective_scale(input_scale: float, weight_scale: float | np.ndarray,
                    output_scale: float) -> np.ndarray:
    """double(s_in) * double(s_w) / double(s_out) from float32 scales, as TFLM's conv/FC Prepare."""
    s_in = np.float64(np.float32(input_scale))
    s_w = np.asarray(weight_scale, dtype=np.float32).astype(np.float64)
    s_out = np.float64(np.float32(output_scale))
    return s_in * s_w / s_out


def _quantize_float32(scale: float, zero_point: int, value: float) -> int:
    """TFLM's kernel_util Quantize(): TfLiteRound(f / scale) in float32, plus the zero point."""
    q = np.float32(value) / np.float32(scale)
    rounded = np.floor(q + np.float32(0.5)) if q >= 0 else -np.floor(-q + np.float32(0.5))
    return zero_point + int(rounded)


def activation_range_quantized(activation: str, output: Tensor) -> tuple[int, int]:
    """CalculateActivationRangeQuantized: the fused activation as a clamp in the output's domain."""
    qmin, qmax = QMIN[output.dtype], QMAX[output.dtype]
    s, zp = scale_of(output), zero_point_of(output)
    if activation == "RELU":
        return max(qmin, _quantize_float32(s, zp, 0.0)), qmax
    if activation == "RELU6":
        return (max(qmin, _quantize_float32(s, zp, 0.0)),
                min(qmax, _quantize_float32(s, zp, 6.0)))
    if activation == "RELU_N1_TO_1":
        return (max(qmin, _quantize_float32(s, zp, -1.0)),
                min(qmax, _quantize_float32(s, zp, 1.0)))
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
