"""AVERAGE_POOL_2D and MAX_POOL_2D (TFLM reference_integer_ops pooling and the float reference).

Only taps inside the image count: the average divides by the number of such taps, rounding half
away from zero with C's truncating division, exactly as the reference loop does."""

from __future__ import annotations

import numpy as np

from ...ops.pooling import prepare_pool
from ..common import apply_float_activation, inside_mask, windows
from ..registry import FLOAT, QUANT, KernelCall, register


def _windows_and_mask(call: KernelCall, pad_value):
    p = call.cache.get("params") or call.cache.setdefault("params",
                                                          prepare_pool(call.graph, call.op))
    x = call.values[0]
    _, oh, ow, _ = call.outputs[0].shape
    v = windows(x, p.filter_h, p.filter_w, p.stride_h, p.stride_w, 1, 1, p.pad_top, p.pad_left,
                oh, ow, pad_value=pad_value)
    mask = inside_mask(x.shape[1], x.shape[2], p.filter_h, p.filter_w, p.stride_h, p.stride_w,
                       1, 1, p.pad_top, p.pad_left, oh, ow)
    return p, v, mask


@register("AVERAGE_POOL_2D", QUANT)
def average_pool(call: KernelCall) -> list[np.ndarray]:
    p, v, mask = _windows_and_mask(call, 0)
    acc = v.astype(np.int64).sum(axis=(4, 5))                 # padding contributes 0
    count = mask.sum(axis=(2, 3)).astype(np.int64)[None, :, :, None]
    half = count // 2
    num = np.where(acc > 0, acc + half, acc - half)
    q = np.sign(num) * (np.abs(num) // count)                  # C division truncates to zero
    return [np.clip(q, p.act_min, p.act_max).astype(call.outputs[0].dtype)]


@register("MAX_POOL_2D", QUANT)
def max_pool(call: KernelCall) -> list[np.ndarray]:
    p, v, _ = _windows_and_mask(call, np.iinfo(call.values[0].dtype).min)
    m = v.max(axis=(4, 5)).astype(np.int64)
    return [np.clip(m, p.act_min, p.act_max).astype(call.outputs[0].dtype)]


@register("AVERAGE_POOL_2D", FLOAT)
def average_pool_float(call: KernelCall) -> list[np.ndarray]:
    _, v, mask = _windows_and_mask(call, 0)
    total = v.astype(np.float64).sum(axis=(4, 5))
    count = mask.sum(axis=(2, 3))[None, :, :, None]
    return [apply_float_activation(total / count, call.op.fused_activation).astype(np.float32)]


@register("MAX_POOL_2D", FLOAT)
def max_pool_float(call: KernelCall) -> list[np.ndarray]:
    _, v, _ = _windows_and_mask(call, -np.inf)
    return [apply_float_activation(v.max(axis=(4, 5)),
                                   call.op.fused_activation).astype(np.float32)]

