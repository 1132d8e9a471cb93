"""SVDF: TFLM's EvalIntegerSvdfReference (int8 or int16 state) and EvalFloatSvdfReference.

Per invocation, per batch:

1. the state (per filter a row of ``memory`` values) shifts one place toward the past (TFLM
   shifts the whole buffer left by one element; every row's last place is then overwritten);
2. each filter's feature dot product over the input, ``sum w * (x - zp_in)``, is requantized
   (multiplier 1), clamped to the state type's range, its zero point added and stored - as a C
   store to int8/int16 does, wrapping - in the row's newest place;
3. each filter's time dot product over its row, ``sum w_t * (s - zp_state)`` (int32 sums, which
   wrap as the C code's), summed over the ``rank`` filters of each unit with the bias,
   requantized (multiplier 2), plus the output zero point, clamped to int8.

The state is the operator's variable tensor, carried from one invocation to the next through
``call.state`` (see :mod:`mcugen.sim.registry`).
"""

from __future__ import annotations

import numpy as np

from ... import fixedpoint as fx
from ...ops.svdf import (
    BIAS,
    INPUT,
    STATE,
    WEIGHTS_FEATURE,
    WEIGHTS_TIME,
    SvdfParams,
    prepare_svdf,
)
from ..common import apply_float_activation
from ..registry import FLOAT, QUANT, KernelCall, register


def _params(call: KernelCall) -> SvdfParams:
    p = call.cache.get("params")
    if p is None:
        p = call.cache["params"] = prepare_svdf(call.graph, call.op)
    return p


def _wrap32(x: np.ndarray) -> np.ndarray:
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _shifted_state(call: KernelCall, p: SvdfParams, dtype) -> np.ndarray:
    state = call.values[STATE].reshape(p.batch, p.n_filter, p.memory).astype(dtype)
    return np.concatenate([state[:, :, 1:], state[:, :, :1]], axis=2)   # last place: new value


@register("SVDF", QUANT)
def svdf(call: KernelCall) -> list[np.ndarray]:
    p = _params(call)
    v = call.values
    st_t = call.inputs[STATE]
    info = np.iinfo(st_t.dtype)
    state = _shifted_state(call, p, np.int64)
    x = v[INPUT].astype(np.int64) - p.input_zero_point
    dot = _wrap32(x @ v[WEIGHTS_FEATURE].astype(np.int64).T)               # (batch, filters)
    dot = fx.multiply_by_quantized_multiplier(dot, p.multiplier_1, p.shift_1)
    dot = np.clip(dot, info.min, info.max) + p.state_zero_point
    state[:, :, -1] = dot.astype(st_t.dtype).astype(np.int64)              # the C store wraps
    wt = v[WEIGHTS_TIME].astype(np.int64)                                  # (filters, memory)
    scratch = _wrap32(np.sum(wt[None] * (state - p.state_zero_point), axis=2))
    acc = _wrap32(scratch.reshape(p.batch, p.n_unit, p.rank).sum(axis=2)
                  + v[BIAS].astype(np.int64)[None])
    out = fx.multiply_by_quantized_multiplier(acc, p.multiplier_2, p.shift_2) + p.output_zero_point
    call.state[call.op.inputs[STATE]] = state.reshape(st_t.shape).astype(st_t.dtype)
    return [np.clip(out, -128, 127).astype(np.int8)]


@register("SVDF", FLOAT)
def svdf_float(call: KernelCall) -> list[np.ndarray]:
    p = _params(call)
    v = call.values
    st_t = call.inputs[STATE]
    state = _shifted_state(call, p, np.float64)
    state[:, :, -1] = v[INPUT].astype(np.float64) @ v[WEIGHTS_FEATURE].astype(np.float64).T
    scratch = np.sum(v[WEIGHTS_TIME].astype(np.float64)[None] * state, axis=2)
    out = scratch.reshape(p.batch, p.n_unit, p.rank).sum(axis=2)
    if call.op.inputs[BIAS] >= 0:
        out = out + v[BIAS].astype(np.float64)[None]
    call.state[call.op.inputs[STATE]] = state.reshape(st_t.shape).astype(np.float32)
    return [apply_float_activation(out, p.activation).astype(np.float32)]
