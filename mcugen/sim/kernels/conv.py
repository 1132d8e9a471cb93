"""CONV_2D and DEPTHWISE_CONV_2D (TFLM reference_integer_ops::ConvPerChannel /
DepthwiseConvPerChannel for int8 and for 16x8 (int16 activations, int8 weights), and the float
reference kernels).

The integer kernels accumulate sum(w * (x - zp_in)) exactly (float64 matmul of small integers is
exact far beyond these sums), add the int32 bias, requantize per output channel with TFLM's double
rounding, add the output zero point and clamp to the fused activation range."""

from __future__ import annotations

import numpy as np

from ...fixedpoint import (multiply_by_quantized_multiplier,
                           multiply_by_quantized_multiplier_int64)
from ...ops.conv import ConvParams, geometry, prepare_conv
from ..common import apply_float_activation, windows
from ..registry import FLOAT, QUANT, KernelCall, register


def _requantize(acc: np.ndarray, p: ConvParams, bias: np.ndarray | None, dtype) -> np.ndarray:
    """int8: int32 accumulator, output zero point. int16 (zero points 0, accumulator bounds
    checked by prepare): the int64 or the int32 MultiplyByQuantizedMultiplier, by bias type."""
    acc = acc.astype(np.int64)
    if bias is not None:
        acc = acc + bias.astype(np.int64)
    requantize = multiply_by_quantized_multiplier_int64 if p.wide \
        else multiply_by_quantized_multiplier
    out = requantize(acc, p.multipliers, p.shifts) + p.output_zero_point
    return np.clip(out, p.act_min, p.act_max).astype(dtype)


def conv_weight_matrix(w: np.ndarray, groups: int = 1) -> list[np.ndarray]:
    """Per group, the (KH*KW*C_in_filter, O/groups) float64 matrix the im2col rows multiply:
    row order (kh, kw, c) matches :func:`_im2col`."""
    c_out, kh, kw, c_in_f = w.shape
    per_group = c_out // groups
    return [np.ascontiguousarray(w[g * per_group:(g + 1) * per_group].transpose(1, 2, 3, 0)
                                 .reshape(kh * kw * c_in_f, per_group), dtype=np.float64)
            for g in range(groups)]


def _im2col(v: np.ndarray) -> np.ndarray:
    """(N,OH,OW,C,KH,KW) windows -> contiguous (N*OH*OW, KH*KW*C) rows (one BLAS matmul then
    does the whole convolution; np.tensordot on the strided view is ~100x slower)."""
    n, oh, ow, c, kh, kw = v.shape
    return np.ascontiguousarray(v.transpose(0, 1, 2, 4, 5, 3)).reshape(n * oh * ow, kh * kw * c)


def _conv_sums(x: np.ndarray, weights: list[np.ndarray], kernel: tuple[int, int],
               geo: tuple[int, ...], out_shape) -> np.ndarray:
    """sum over (kh, kw, c_in) of x * w for CONV_2D, grouped when c_in_filter < c_in."""
    sh, sw, dh, dw, pad_top, pad_left = geo
    kh, kw = kernel
    n, oh, ow = out_shape[0], out_shape[1], out_shape[2]
    v = windows(x, kh, kw, sh, sw, dh, dw, pad_top, pad_left, oh, ow)
    c_in_f = x.shape[3] // len(weights)
    parts = [_im2col(v[:, :, :, g * c_in_f:(g + 1) * c_in_f]) @ wg
             for g, wg in enumerate(weights)]
    acc = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
    return acc.reshape(n, oh, ow, -1)


def _depthwise_sums(x: np.ndarray, w: np.ndarray, geo: tuple[int, ...], out_shape,
                    multiplier: int) -> np.ndarray:
    """Tap by tap: KH*KW vectorised multiply-adds over (N, OH, OW, C*M)."""
    sh, sw, dh, dw, pad_top, pad_left = geo
    _, kh, kw, c_out = w.shape
    if multiplier > 1:
        x = np.repeat(x, multiplier, axis=3)   # output channel c*M+m reads input channel c
    v = windows(x, kh, kw, sh, sw, dh, dw, pad_top, pad_left, out_shape[1], out_shape[2])
    acc = np.zeros(v.shape[:4], dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            acc += v[..., i, j] * w[0, i, j]
    return acc


def _conv_weights(call: KernelCall) -> list[np.ndarray]:
    if "w" not in call.cache:
        w = call.values[1]
        groups = call.inputs[0].shape[3] // w.shape[3]
        call.cache["w"] = conv_weight_matrix(w, groups)
    return call.cache["w"]


@register("CONV_2D", QUANT)
def conv_2d(call: KernelCall) -> list[np.ndarray]:
    p = call.cache.get("params") or call.cache.setdefault("params",
                                                          prepare_conv(call.graph, call.op))
    x, w, bias = call.values[0], call.values[1], call.values[2] if len(call.values) > 2 else None
    xc = x.astype(np.float64) - p.input_zero_point
    geo = (p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, p.pad_top, p.pad_left)
    acc = _conv_sums(xc, _conv_weights(call), w.shape[1:3], geo, call.outputs[0].shape)
    return [_requantize(np.rint(acc), p, bias, call.outputs[0].dtype)]


@register("DEPTHWISE_CONV_2D", QUANT)
def depthwise_conv_2d(call: KernelCall) -> list[np.ndarray]:
    p = call.cache.get("params") or call.cache.setdefault("params",
                                                          prepare_conv(call.graph, call.op))
    x, w, bias = call.values[0], call.values[1], call.values[2] if len(call.values) > 2 else None
    if "w" not in call.cache:
        call.cache["w"] = w.astype(np.float64)
    xc = x.astype(np.float64) - p.input_zero_point
    geo = (p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, p.pad_top, p.pad_left)
    acc = _depthwise_sums(xc, call.cache["w"], geo, call.outputs[0].shape, p.depth_multiplier)
    return [_requantize(np.rint(acc), p, bias, call.outputs[0].dtype)]


def _float_bias_act(acc: np.ndarray, bias: np.ndarray | None, activation: str) -> np.ndarray:
    if bias is not None:
        acc = acc + bias.astype(np.float64)
    return apply_float_activation(acc, activation).astype(np.float32)


@register("CONV_2D", FLOAT)
def conv_2d_float(call: KernelCall) -> list[np.ndarray]:
    x, w = call.values[0], call.values[1]
    bias = call.values[2] if len(call.values) > 2 else None
    acc = _conv_sums(x.astype(np.float64), _conv_weights(call), w.shape[1:3],
                     geometry(call.graph, call.op), call.outputs[0].shape)
    return [_float_bias_act(acc, bias, call.op.fused_activation)]


@register("DEPTHWISE_CONV_2D", FLOAT)
def depthwise_conv_2d_float(call: KernelCall) -> list[np.ndarray]:
    x, w = call.values[0], call.values[1]
    bias = call.values[2] if len(call.values) > 2 else None
    acc = _depthwise_sums(x.astype(np.float64), w.astype(np.float64),
                          geometry(call.graph, call.op), call.outputs[0].shape,
                          call.outputs[0].shape[3] // call.inputs[0].shape[3])
    return [_float_bias_act(acc, bias, call.op.fused_activation)]



@register("TRANSPOSE_CONV", QUANT)
def transpose_conv(call: KernelCall) -> list[np.ndarray]:
    """reference_integer_ops::TransposeConv: every input pixel scatters input x weights into the
    output it touches (int32 scratch for int8 with the input offset, int64 for 16x8), then bias,
    per-channel requantization, output offset (int8), clamp. The output_shape input, when it is
    not a constant, must hold the declared output shape."""
    from ...errors import InputError
    from ...ops.conv import prepare_transpose_conv
    p = call.cache.get("params") or call.cache.setdefault(
        "params", prepare_transpose_conv(call.graph, call.op))
    shape = tuple(int(v) for v in np.asarray(call.values[0]).ravel())
    if shape != p.output_shape:
        raise InputError(f"TRANSPOSE_CONV output_shape {list(shape)} is not the output's "
                         f"declared shape {list(p.output_shape)}", f"operator {call.op.index}")
    w, x = call.values[1], call.values[2]
    bias = call.values[3] if len(call.values) > 3 else None
    n, hi, wi, _ = x.shape
    c_out, kh, kw, _ = w.shape
    _, ho, wo, _ = p.output_shape
    xc = x.astype(np.float64) - p.input_zero_point
    full = np.zeros((n, (hi - 1) * p.stride_h + kh, (wi - 1) * p.stride_w + kw, c_out))
    for fy in range(kh):
        for fx in range(kw):
            contrib = xc @ w[:, fy, fx, :].astype(np.float64).T
            full[:, fy:fy + (hi - 1) * p.stride_h + 1:p.stride_h,
                 fx:fx + (wi - 1) * p.stride_w + 1:p.stride_w, :] += contrib
    acc = np.zeros((n, ho, wo, c_out))
    y0, x0 = p.pad_top, p.pad_left
    hh = max(0, min(ho, full.shape[1] - y0))
    ww = max(0, min(wo, full.shape[2] - x0))
    acc[:, :hh, :ww, :] = full[:, y0:y0 + hh, x0:x0 + ww, :]
    acc = np.rint(acc).astype(np.int64)
    if bias is not None:
        acc = acc + bias.astype(np.int64)
    requantize = multiply_by_quantized_multiplier_int64 if p.wide \
        else multiply_by_quantized_multiplier
    out = requantize(acc, p.multipliers, p.shifts) + p.output_zero_point
    return [np.clip(out, p.act_min, p.act_max).astype(call.outputs[0].dtype)]
