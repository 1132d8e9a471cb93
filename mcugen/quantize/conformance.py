"""The spec conformance checker: does a graph follow the TFLite int8 quantization spec (or its
16x8 variant)?

It walks every tensor and operator and returns the violations as one-line strings naming the
operator and tensor. Rules (TFLite quantization spec + the Prepare checks of TFLM's kernels):

* activations: int8, per-tensor, finite scale > 0, zero point in [-128, 127] (so 0 is exact);
  float32 or uint8 only at the model's edges, behind QUANTIZE/DEQUANTIZE;
* conv weights: int8, per-channel on axis 0 (depthwise: axis 3), one scale per output channel,
  zero points 0, values in [-127, 127]; FC weights likewise, per tensor or per channel on axis 0;
* bias: int32, zero point 0, scale = s_input * s_weight per channel (float32 rounding);
* SOFTMAX/LOGISTIC outputs 1/256 with zero point -128, TANH 1/128 with 0;
* byte-moving operators (pools, reshape family, pad, slice, transpose, concat, max/min) keep
  their input's (scale, zero point) on the output;
* UNIDIRECTIONAL_SEQUENCE_LSTM: input, output and hidden state are activations, the hidden
  state with the output's parameters; weights, biases and the int16 cell state (a power-of-two
  scale) as TFLM's integer LSTM Prepare takes them (mcugen/ops/lstm.py).

A graph with int16 activations is checked against the 16x8 rules instead (TF converter 2.21,
"16-bit activations with 8-bit weights", and TFLM's int16 Prepare checks): activations int16,
per-tensor, zero point 0; weights as above; bias int64 (int32 accepted for CONV_2D and
FULLY_CONNECTED, whose TFLM kernels take it; never for DEPTHWISE_CONV_2D); SOFTMAX / LOGISTIC /
TANH outputs at 1/32768 with zero point 0; only operators mcugen runs in int16; adapters
float32 <-> int16 and int8 <-> int16 at the model's edges.
"""

from __future__ import annotations

import numpy as np

from ..model.graph import Graph, Operator, Tensor
from .rewrite import (FIXED_OUTPUT, FIXED_OUTPUT_INT16, INT16_OPERATORS, QUANTIZABLE,
                      SAME_PARAMS, WEIGHTED)

_BIAS_RTOL = 2.0 ** -20   # s_in * s_w recomputed in float32 by another tool may differ by an ulp


def is_16x8(graph: Graph) -> bool:
    """A graph with int16 activations: judged by the 16x8 rules. (An int8 LSTM's cell state is
    int16 in both: it is not an activation.)"""
    cells = {op.inputs[19] for op in graph.operators
             if op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM" and len(op.inputs) > 19}
    return any(t.dtype == np.int16 and not t.is_constant and t.index not in cells
               for t in graph.tensors)


def check(graph: Graph) -> list[str]:
    problems: list[str] = []
    edge = _edge_tensors(graph)
    wide = is_16x8(graph)
    act = np.dtype(np.int16 if wide else np.int8)
    fixed_outputs = FIXED_OUTPUT_INT16 if wide else FIXED_OUTPUT
    for op in graph.operators:
        where = f"operator {op.index} {op.opcode}"
        if op.opcode in ("QUANTIZE", "DEQUANTIZE"):
            problems += (_check_adapter_16x8 if wide else _check_adapter)(graph, op, edge, where)
            continue
        if op.opcode not in QUANTIZABLE or (wide and op.opcode not in INT16_OPERATORS):
            problems.append(f"{where}: not an {'int16' if wide else 'int8'} operator mcugen's "
                            "quantizer knows")
            continue
        weights = {op.inputs[1]} if op.opcode in WEIGHTED else set()
        bias = {op.inputs[2]} if op.opcode in WEIGHTED and len(op.inputs) > 2 \
            and op.inputs[2] >= 0 else set()
        if op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM":
            problems += _check_lstm(graph, op, where)
            weights = {i for k, i in enumerate(op.inputs) if k not in (0, 18)}   # all but x, h
        for i in op.inputs + op.outputs:
            if i < 0 or i in weights or i in bias:
                continue
            t = graph.tensors[i]
            if t.is_constant and t.dtype == np.int32:
                continue      # shapes, paddings, axes
            problems += _check_activation(t, where, act)
        if op.opcode in WEIGHTED:
            problems += _check_weighted(graph, op, where, wide)
        if op.opcode in fixed_outputs:
            scale, zp = fixed_outputs[op.opcode]
            out = graph.tensors[op.outputs[0]]
            if out.quant is not None and (out.quant.scale[0] != np.float32(scale)
                                          or out.quant.zero_point[0] != zp):
                problems.append(f"{where}: output '{out.name}' must be scale {scale:g} zero "
                                f"point {zp}, is {out.quant.scale[0]:g}/"
                                f"{out.quant.zero_point[0]}")
        if op.opcode in SAME_PARAMS:
            problems += _check_same(graph, op, where)
    return problems


def _check_lstm(graph: Graph, op: Operator, where: str) -> list[str]:
    """Weights, biases and cell state as TFLM's integer LSTM Prepare takes them."""
    from ..errors import McugenError
    from ..ops.lstm import prepare_lstm
    try:
        prepare_lstm(graph, op)
    except McugenError as exc:
        return [f"{where}: {exc.message if hasattr(exc, 'message') else exc}"]
    return []


def _edge_tensors(graph: Graph) -> set[int]:
    return set(graph.inputs) | set(graph.outputs)


def _params(t: Tensor) -> tuple | None:
    if t.quant is None:
        return None
    return (float(t.quant.scale[0]), int(t.quant.zero_point[0]))


def _check_activation(t: Tensor, where: str, dtype=np.int8) -> list[str]:
    dtype = np.dtype(dtype)
    if t.dtype != dtype:
        return [f"{where}: tensor '{t.name}' is {t.dtype}, must be {dtype}"]
    q = t.quant
    if q is None:
        return [f"{where}: tensor '{t.name}' has no quantization"]
    if q.scale.size != 1:
        return [f"{where}: activation '{t.name}' must be per-tensor, has {q.scale.size} scales"]
    out = []
    if not (np.isfinite(q.scale[0]) and q.scale[0] > 0):
        out.append(f"{where}: tensor '{t.name}' has scale {q.scale[0]}")
    if dtype == np.int16 and int(q.zero_point[0]) != 0:
        out.append(f"{where}: int16 tensor '{t.name}' has zero point {q.zero_point[0]}; 16x8 "
                   "activations are symmetric (0)")
    elif not -128 <= int(q.zero_point[0]) <= 127:
        out.append(f"{where}: tensor '{t.name}' zero point {q.zero_point[0]} outside int8, "
                   "its range excludes 0")
    return out


def _check_weighted(graph: Graph, op: Operator, where: str, wide: bool = False) -> list[str]:
    out: list[str] = []
    x = graph.tensors[op.inputs[0]]
    w = graph.tensors[op.inputs[1]]
    if w.dtype != np.int8 or w.quant is None or not w.is_constant:
        return [f"{where}: weights '{w.name}' must be constant int8 with quantization"]
    channels_axis = WEIGHTED[op.opcode]
    channels = w.shape[channels_axis]
    n = w.quant.scale.size
    if op.opcode == "FULLY_CONNECTED":
        if n not in (1, channels) or (n > 1 and w.quant.axis != 0):
            out.append(f"{where}: weights '{w.name}' must be per-tensor or per-channel on axis 0")
    elif n != channels or w.quant.axis != channels_axis:
        out.append(f"{where}: weights '{w.name}' must be per-channel on axis {channels_axis} "
                   f"with {channels} scales (has {n} on axis {w.quant.axis})")
    if np.any(w.quant.zero_point != 0):
        out.append(f"{where}: weights '{w.name}' zero points must be 0")
    if not np.all(np.isfinite(w.quant.scale) & (w.quant.scale > 0)):
        out.append(f"{where}: weights '{w.name}' scales must be finite and positive")
    if np.any(np.asarray(w.data) == -128):
        out.append(f"{where}: weights '{w.name}' use -128; the spec's range is [-127, 127]")
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = graph.tensors[op.inputs[2]]
        allowed = ((np.int64,) if op.opcode == "DEPTHWISE_CONV_2D" else (np.int64, np.int32)) \
            if wide else (np.int32,)
        if b.dtype not in allowed or b.quant is None or not b.is_constant:
            kinds = " or ".join(np.dtype(d).name for d in allowed)
            out.append(f"{where}: bias '{b.name}' must be constant {kinds} with quantization")
        elif x.quant is not None:
            if np.any(b.quant.zero_point != 0):
                out.append(f"{where}: bias '{b.name}' zero points must be 0")
            expect = np.float64(x.quant.scale[0]) * w.quant.scale.astype(np.float64)
            got = b.quant.scale.astype(np.float64)
            if got.size not in (1, expect.size) or not np.allclose(
                    np.broadcast_to(got, expect.shape), expect, rtol=_BIAS_RTOL, atol=0):
                out.append(f"{where}: bias '{b.name}' scale is not s_input * s_weight")
    return out


def _check_same(graph: Graph, op: Operator, where: str) -> list[str]:
    out_t = graph.tensors[op.outputs[0]]
    which = SAME_PARAMS[op.opcode]
    problems = []
    for k, i in enumerate(op.inputs):
        if i < 0 or (which is not None and k not in which):
            continue
        t = graph.tensors[i]
        if t.dtype == np.int32:
            continue
        if _params(t) != _params(out_t):
            problems.append(f"{where}: input '{t.name}' {_params(t)} and output '{out_t.name}' "
                            f"{_params(out_t)} must share scale and zero point")
    return problems


def _check_adapter(graph: Graph, op: Operator, edge: set[int], where: str) -> list[str]:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if op.opcode == "DEQUANTIZE":
        ok = x.dtype == np.int8 and y.dtype == np.float32 and y.index in edge
        return [] if ok else [f"{where}: only int8 -> float32 at a model output is allowed"]
    if x.dtype == np.float32 and x.index in edge and y.dtype == np.int8:
        return _check_activation(y, where)
    if x.dtype == np.uint8 and x.index in edge and y.dtype == np.int8:
        return _check_uint8_pair(x, y, where)
    if x.dtype == np.int8 and y.dtype == np.uint8 and y.index in edge:
        return _check_uint8_pair(y, x, where)
    if x.dtype == np.int8 and y.dtype == np.int8:   # requantization inside the graph
        return _check_activation(x, where) + _check_activation(y, where)
    return [f"{where}: unexpected {x.dtype} -> {y.dtype} quantize"]


def _check_uint8_pair(u: Tensor, s: Tensor, where: str) -> list[str]:
    problems = _check_activation(s, where)
    if u.quant is None or u.quant.scale.size != 1 or not 0 <= int(u.quant.zero_point[0]) <= 255:
        problems.append(f"{where}: uint8 tensor '{u.name}' needs per-tensor params, zp in 0..255")
    return problems


def _check_adapter_16x8(graph: Graph, op: Operator, edge: set[int], where: str) -> list[str]:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    i16, i8, f32 = np.dtype(np.int16), np.dtype(np.int8), np.dtype(np.float32)
    if op.opcode == "DEQUANTIZE":
        ok = x.dtype == i16 and y.dtype == f32 and y.index in edge
        return _check_activation(x, where, i16) if ok else \
            [f"{where}: only int16 -> float32 at a model output is allowed"]
    if x.dtype in (f32, i8) and x.index in edge and y.dtype == i16:
        extra = _check_activation(x, where, i8) if x.dtype == i8 else []
        return extra + _check_activation(y, where, i16)
    if x.dtype == i16 and y.dtype == i8 and y.index in edge:
        return _check_activation(x, where, i16) + _check_activation(y, where, i8)
    if x.dtype == i16 and y.dtype == i16:
        return _check_activation(x, where, i16) + _check_activation(y, where, i16)
    return [f"{where}: unexpected {x.dtype} -> {y.dtype} quantize in a 16x8 model"]
