"""UNIDIRECTIONAL_SEQUENCE_LSTM: TFLM's ``lstm_eval.h`` (EvalLstm / LstmStep), integer and float.

One step, per TFLM (and in its order, which matters for the saturations):

1. each gate, forget, input, cell, output: ``FC(x_t) + FC(h)`` — two fully connected layers
   (int8 -> int16 at 2^-12, the bias only on the input half), a saturating int16 add, then
   sigmoid (int16 Logistic on TFLM's table) or, for the cell gate, tanh (int16 Tanh);
2. ``c = sat16(f*c) + sat16(i*g)`` saturating, then clipped to +-quantized_cell_clip when the
   model sets a cell clip (the output gate is computed after this, from the old hidden state);
3. ``h = o * tanh(c)`` requantized to the hidden state's int8 or int16 (zero point added), and
   copied into the output at step t.

Hidden and cell state are the operator's variable tensors: the executor passes their current
values in and takes the new ones back through ``call.state``, so they persist across
invocations until :meth:`Simulator.reset`. Batches are independent, so batch-major models (TFLM
loops batch, then time) and time-major ones (time, all batches at once) are both evaluated here
time step by time step over all batches.
"""

from __future__ import annotations

import numpy as np

from ... import fixedpoint as fx
from ...ops.lstm import (
    BIASES,
    CELL_STATE,
    GATES,
    HIDDEN_STATE,
    INPUT_WEIGHTS,
    RECURRENT_WEIGHTS,
    FcParams,
    LstmParams,
    MulParams,
    prepare_lstm,
)
from ..registry import FLOAT, QUANT, KernelCall, register


def _params(call: KernelCall) -> LstmParams:
    p = call.cache.get("params")
    if p is None:
        p = call.cache["params"] = prepare_lstm(call.graph, call.op)
    return p


def _sequence(x: np.ndarray, p: LstmParams) -> np.ndarray:
    """(time, batch, features) view of the input, whatever its major axis."""
    return x if p.time_major else np.swapaxes(x, 0, 1)


def _fc16(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, f: FcParams,
          wide: bool) -> np.ndarray:
    """reference_integer_ops::FullyConnected -> int16 (output offset 0, no activation: the int16
    range): int8 input with an int32 accumulator, or (``wide``, 16x8) int16 input with an int64
    accumulator and TFLM's int64 requantization."""
    acc = (x.astype(np.int64) - f.input_zero_point) @ (w.astype(np.int64)
                                                       - f.weights_zero_point).T
    if bias is not None:
        acc = acc + bias.astype(np.int64)
    requantize = fx.multiply_by_quantized_multiplier_int64 if wide \
        else fx.multiply_by_quantized_multiplier
    return np.clip(requantize(acc, f.multiplier, f.shift), -32768, 32767)


def _mul(a: np.ndarray, b: np.ndarray, m: MulParams) -> np.ndarray:
    """reference_integer_ops::MulElementwise with input offsets 0."""
    prod = a.astype(np.int64) * b.astype(np.int64)
    out = m.output_zero_point + fx.multiply_by_quantized_multiplier(prod, m.multiplier, m.shift)
    return np.clip(out, m.act_min, m.act_max)


def _tanh(x: np.ndarray, cell_state_scale_power: int) -> np.ndarray:
    """lstm_internal::Tanh: the input's power-of-two scale folded into the table lookup."""
    shift = 15 + cell_state_scale_power - 3
    multiplier = 0
    if shift < 0:
        shift, multiplier = -shift, 3
    return fx.tanh_int16(x, multiplier, shift).astype(np.int64)


@register("UNIDIRECTIONAL_SEQUENCE_LSTM", QUANT)
def lstm(call: KernelCall) -> list[np.ndarray]:
    p = _params(call)
    v = call.values
    xs = _sequence(v[0], p)
    h = v[HIDDEN_STATE].reshape(p.batch, p.n_state).astype(np.int64)
    c = v[CELL_STATE].reshape(p.batch, p.n_state).astype(np.int64)
    ys = np.empty((xs.shape[0], p.batch, p.n_state), dtype=np.int64)
    for t in range(xs.shape[0]):
        gate = {}
        for name in GATES:
            a = _fc16(xs[t], v[INPUT_WEIGHTS[name]], v[BIASES[name]], p.input_fc[name], p.wide)
            b = _fc16(h, v[RECURRENT_WEIGHTS[name]], None, p.recurrent_fc[name], p.wide)
            pre = np.clip(a + b, -32768, 32767)
            gate[name] = (_tanh(pre, -12) if name == "cell"
                          else fx.logistic_int16(pre).astype(np.int64))
        c = _mul(gate["forget"], c, p.forget_cell_mul)
        c = np.clip(c + _mul(gate["input"], gate["cell"], p.input_mul), -32768, 32767)
        if p.cell_clip > 0:
            c = np.clip(c, -p.quantized_cell_clip, p.quantized_cell_clip)
        h = _mul(_tanh(c, p.cell_scale_power), gate["output"], p.output_mul)
        ys[t] = h
    return _finish(call, p, ys, h, c)


def _finish(call: KernelCall, p: LstmParams, ys, h, c) -> list[np.ndarray]:
    t = call.graph.tensors
    for index, value in ((call.op.inputs[HIDDEN_STATE], h), (call.op.inputs[CELL_STATE], c)):
        call.state[index] = np.asarray(value).astype(t[index].dtype).reshape(t[index].shape)
    out = ys if p.time_major else np.swapaxes(ys, 0, 1)
    return [out.astype(call.outputs[0].dtype)]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@register("UNIDIRECTIONAL_SEQUENCE_LSTM", FLOAT)
def lstm_float(call: KernelCall) -> list[np.ndarray]:
    """The float LSTM (same step; float32 arithmetic, compared with a tolerance as every float
    path of the simulator)."""
    p = _params(call)
    v = call.values
    xs = _sequence(v[0], p).astype(np.float64)
    h = v[HIDDEN_STATE].reshape(p.batch, p.n_state).astype(np.float64)
    c = v[CELL_STATE].reshape(p.batch, p.n_state).astype(np.float64)
    ys = np.empty((xs.shape[0], p.batch, p.n_state))
    for t in range(xs.shape[0]):
        gate = {}
        for name in GATES:
            pre = xs[t] @ v[INPUT_WEIGHTS[name]].astype(np.float64).T \
                + v[BIASES[name]].astype(np.float64) \
                + h @ v[RECURRENT_WEIGHTS[name]].astype(np.float64).T
            gate[name] = np.tanh(pre) if name == "cell" else _sigmoid(pre)
        c = gate["forget"] * c + gate["input"] * gate["cell"]
        if p.cell_clip > 0:
            c = np.clip(c, -p.cell_clip, p.cell_clip)
        h = gate["output"] * np.tanh(c)
        ys[t] = h
        if call.trajectory is not None:
            for i, value in ((HIDDEN_STATE, h), (CELL_STATE, c)):
                call.trajectory.setdefault(call.op.inputs[i], []).append(value)
    return _finish(call, p, ys, h, c)
