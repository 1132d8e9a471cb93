"""Helpers shared by simulator kernels: float fused activations and sliding windows."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..ops.common import float_activation_range


def apply_float_activation(x: np.ndarray, activation: str) -> np.ndarray:
    """A float kernel's fused activation: TFLM's clamp min(max(x, lo), hi) over
    CalculateActivationRange<float> (NONE clamps too: an infinity becomes +-FLT_MAX); TANH (a
    float model's, for calibration only: mcugen generates no float TANH)."""
    if activation == "TANH":
        return np.tanh(x)
    lo, hi = float_activation_range(activation)
    return np.minimum(np.maximum(x, lo), hi)


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
