"""Helpers shared by simulator kernels (and by the code generator's lowering): padding, fused
activation ranges, effective requantization scales, sliding windows.

Each mirrors a TFLM function named in its docstring, including its float32/double details, since a
one-ulp difference in a scale can change a multiplier and so an output byte.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..model.graph import Tensor

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
    raise ValueError(f"fused activation {activation} is not supported")


def apply_float_activation(x: np.ndarray, activation: str) -> np.ndarray:
    if activation == "RELU":
        return np.maximum(x, 0)
    if activation == "RELU6":
        return np.clip(x, 0, 6)
    if activation == "RELU_N1_TO_1":
        return np.clip(x, -1, 1)
    if activation == "TANH":
        return np.tanh(x)
    if activation == "NONE":
        return x
    raise ValueError(f"fused activation {activation} is not supported")


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


def windows(x: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
            pad_top: int, pad_left: int, out_h: int, out_w: int,
            pad_value: float = 0) -> np.ndarray:
    """(N, OH, OW, C, KH, KW) view of the receptive fields of an NHWC tensor.

    Pads with ``pad_value`` (callers pass the value that contributes nothing) so that positions
    outside the image behave as TFLM's reference loops, which skip them.
    """
    eff_h, eff_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    need_h = (out_h - 1) * sh + eff_h
    need_w = (out_w - 1) * sw + eff_w
    n, h, w, c = x.shape
    pad_bottom = max(need_h - pad_top - h, 0)
    pad_right = max(need_w - pad_left - w, 0)
    if pad_top or pad_left or pad_bottom or pad_right:
        x = np.pad(x, ((0, 0), (pad_top, pad_bottom), (pad_left, pad_right), (0, 0)),
                   constant_values=pad_value)
    v = sliding_window_view(x, (eff_h, eff_w), axis=(1, 2))
    return v[:, :need_h - eff_h + 1:sh, :need_w - eff_w + 1:sw, :, ::dh, ::dw][:, :out_h, :out_w]


def inside_mask(in_h: int, in_w: int, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
                pad_top: int, pad_left: int, out_h: int, out_w: int) -> np.ndarray:
    """(OH, OW, KH, KW) booleans: which filter taps fall inside the image (pooling counts them)."""
    ys = (np.arange(out_h) * sh - pad_top)[:, None] + np.arange(kh)[None, :] * dh
    xs = (np.arange(out_w) * sw - pad_left)[:, None] + np.arange(kw)[None, :] * dw
    iy = (ys >= 0) & (ys < in_h)
    ix = (xs >= 0) & (xs < in_w)
    return iy[:, None, :, None] & ix[None, :, None, :]
