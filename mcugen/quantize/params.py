"""Quantization parameters per the TFLite int8 spec: activations, weights, biases.

Only scales, zero points and quantized constants are decided here. Requantization multipliers
are not: the simulator and the code generator derive them from the scales (mcugen.fixedpoint).
"""

from __future__ import annotations

import numpy as np

from ..fixedpoint import INT32_MAX, round_half_away

INT8_MIN, INT8_MAX = -128, 127
INT16_MAX = 32767
INT64_MAX = (1 << 63) - 1
WEIGHT_MAX = 127   # the spec's weights are symmetric in [-127, 127]: -128 is never used
#: The fixed output quantization of SOFTMAX / LOGISTIC / TANH in 16x8 models (TFLM and the TF
#: converter: [0, 1) and [-1, 1) both at 1/32768 with zero point 0).
INT16_FIXED_SCALE = 1.0 / 32768


def activation_params(lo: float, hi: float, qmin: int = INT8_MIN,
                      qmax: int = INT8_MAX) -> tuple[np.float32, int]:
    """Asymmetric (scale, zero point) for a real range, nudged so that 0 is exactly representable.

    TFLite's ChooseQuantizationParams: widen the range to include 0, scale = range / 255, the
    zero point is the rounded image of 0, clamped into [qmin, qmax].
    """
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"non-finite range [{lo}, {hi}]")
    if hi == lo:  # an all-zero tensor: any scale represents it; 1/256 keeps 0 exact
        return np.float32(1.0 / 256), 0
    # float32 is what the file stores: choose the zero point with the scale TFLM will see, and
    # keep the scale a normal float32 however narrow the range.
    scale = float(np.float32(max((hi - lo) / (qmax - qmin), float(np.finfo(np.float32).tiny))))
    zp_from_min = qmin - lo / scale
    zero_point = int(np.clip(round_half_away(zp_from_min), qmin, qmax))
    return np.float32(scale), zero_point


def activation_params_int16(lo: float, hi: float) -> tuple[np.float32, int]:
    """Symmetric int16 (scale, 0) for a real range, as the TF converter's 16x8 mode chooses
    it: max(|lo|, |hi|) / 32767 (the code -32768 is never produced by a real in range)."""
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"non-finite range [{lo}, {hi}]")
    amax = max(abs(lo), abs(hi))
    if amax == 0.0:
        return np.float32(INT16_FIXED_SCALE), 0
    return np.float32(max(amax / INT16_MAX, float(np.finfo(np.float32).tiny))), 0


def quantize_values(x: np.ndarray, scale, zero_point, qmin: int = INT8_MIN,
                    qmax: int = INT8_MAX, dtype=np.int8) -> np.ndarray:
    """real -> int with TFLite rounding (half away from zero) and saturation."""
    q = round_half_away(np.asarray(x, np.float64) / np.float64(scale)) + int(zero_point)
    return np.clip(q, qmin, qmax).astype(dtype)


def dequantize_values(q: np.ndarray, scale, zero_point) -> np.ndarray:
    return ((np.asarray(q, np.float64) - int(zero_point)) * np.float64(scale)).astype(np.float32)


def symmetric_weight_scales(w: np.ndarray, axis: int | None) -> np.ndarray:
    """max|w| / 127 per channel along ``axis`` (per tensor when axis is None), as float32."""
    w = np.asarray(w, np.float64)
    if axis is None:
        amax = np.array([np.max(np.abs(w))]) if w.size else np.zeros(1)
    else:
        other = tuple(d for d in range(w.ndim) if d != axis)
        amax = np.max(np.abs(w), axis=other)
    # An all-zero channel quantizes to zeros under any scale; 1.0 keeps the multiplier sane.
    return np.where(amax > 0, amax / WEIGHT_MAX, 1.0).astype(np.float32)


def widen_for_bias(weight_scales: np.ndarray, bias: np.ndarray | None,
                   input_scale: np.float32) -> np.ndarray:
    """Raise a channel's weight scale where its bias would not fit in int32 at s_in * s_w.

    The TF converter does the same: a bias must be representable, a weight scale is free.
    """
    if bias is None:
        return weight_scales
    need = np.abs(np.asarray(bias, np.float64)) / (float(input_scale) * (INT32_MAX - 1))
    need = np.broadcast_to(need, weight_scales.shape) if weight_scales.size > 1 else \
        np.array([need.max() if need.size else 0.0])
    return np.maximum(weight_scales.astype(np.float64), need * (1 + 1e-6)).astype(np.float32)


def quantize_weights(w: np.ndarray, scales: np.ndarray, axis: int | None) -> np.ndarray:
    """Symmetric int8 weights in [-127, 127], zero point 0."""
    w = np.asarray(w, np.float64)
    if axis is None or scales.size == 1:
        s = np.float64(scales[0])
    else:
        shape = [1] * w.ndim
        shape[axis] = -1
        s = scales.astype(np.float64).reshape(shape)
    return np.clip(round_half_away(w / s), -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)


def bias_scales(input_scale: np.float32, weight_scales: np.ndarray) -> np.ndarray:
    """The spec's bias scale, s_input * s_weight per channel, as float32."""
    return (np.float64(input_scale) * weight_scales.astype(np.float64)).astype(np.float32)


def quantize_bias(b: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """int32 bias, zero point 0, at the given per-channel (or single) scales."""
    q = round_half_away(np.asarray(b, np.float64) / scales.astype(np.float64))
    return np.clip(q, -INT32_MAX, INT32_MAX).astype(np.int32)


def quantize_bias_int64(b: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """int64 bias (16x8), zero point 0, at the given per-channel (or single) scales."""
    q = round_half_away(np.asarray(b, np.float64) / scales.astype(np.float64))
    return np.clip(q, -2.0 ** 62, 2.0 ** 62).astype(np.int64)
