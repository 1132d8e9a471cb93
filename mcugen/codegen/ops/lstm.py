"""UNIDIRECTIONAL_SEQUENCE_LSTM: the integer LSTM's constants (prepare_lstm: every gate's two
fully connected multipliers, the three products' multipliers, the quantized cell clip) as one
const ``mcugen_lstm_params_t`` per layer; the weights and biases go to weights.c. The hidden
and cell state are variable tensors in the plan's persistent region, updated in place."""

from __future__ import annotations

import numpy as np

from ...ops.lstm import (BIASES, CELL_STATE, GATES, HIDDEN_STATE, INPUT, INPUT_WEIGHTS,
                         RECURRENT_WEIGHTS, prepare_lstm)
from ... import fixedpoint as fx
from ..context import LoweringContext
from ..lowering import lowering


@lowering("UNIDIRECTIONAL_SEQUENCE_LSTM")
def lstm(ctx: LoweringContext, op) -> dict:
    p = prepare_lstm(ctx.graph, op)
    act = "int16_t" if p.wide else "int8_t"
    tag = f"op{op.index}"
    gates = []
    for gate in GATES:
        w, r = ctx.tensor(op.inputs[INPUT_WEIGHTS[gate]]), ctx.tensor(op.inputs[RECURRENT_WEIGHTS[gate]])
        b = ctx.tensor(op.inputs[BIASES[gate]])
        bias = ctx.const(f"{tag}_{gate}_bias", b.data.astype(np.int64 if p.wide else np.int32),
                         comment=b.name)
        fi, fr = p.input_fc[gate], p.recurrent_fc[gate]
        effective = {"input_folded": "NULL", "recurrent_folded": "NULL"}
        if ctx.backend == "portable" and not p.wide and fi.weights_zero_point == 0 \
                and fr.weights_zero_point == 0:
            # sum (x - zx) w + b = sum x w + (b - zx sum w): exact in int32 by the record's
            # accumulator bound, which covers the partial sums of both forms
            effective = {
                "input_folded": ctx.const(f"{tag}_{gate}_input_folded", (
                    b.data.astype(np.int64) - fi.input_zero_point
                    * w.data.astype(np.int64).sum(axis=1)).astype(np.int32),
                    comment="bias - input zero point * row sums"),
                "recurrent_folded": ctx.const(f"{tag}_{gate}_recurrent_folded", (
                    -fr.input_zero_point * r.data.astype(np.int64).sum(axis=1)).astype(np.int32),
                    comment="-hidden zero point * recurrent row sums")}
        if ctx.backend == "cmsis-nn":
            # CMSIS-NN sums raw int8 products: the zero points' share is folded into the biases
            rows_w = w.data.astype(np.int64).sum(axis=1)
            rows_r = r.data.astype(np.int64).sum(axis=1)
            effective = {
                "input_effective": ctx.const(f"{tag}_{gate}_input_effective_bias", (
                    b.data.astype(np.int64) - fi.input_zero_point * rows_w).astype(np.int32),
                    comment="bias - input zero point * row sums"),
                "hidden_effective": ctx.const(f"{tag}_{gate}_hidden_effective_bias", (
                    -fr.input_zero_point * rows_r).astype(np.int32),
                    comment="-hidden zero point * recurrent row sums")}
        gates.append({**effective,
            "name": gate,
            "weights": ctx.const(f"{tag}_{gate}_weights", w.data, comment=f"{w.name} {list(w.shape)}"),
            "recurrent": ctx.const(f"{tag}_{gate}_recurrent", r.data,
                                   comment=f"{r.name} {list(r.shape)}"),
            "bias32": "NULL" if p.wide else bias, "bias64": bias if p.wide else "NULL",
            "fi": fi, "fr": fr})
    scratch, _ = ctx.scratch(op.index)
    return {
        "p": p, "gates": gates, "act": act,
        "input": ctx.ptr(op.inputs[INPUT], act), "output": ctx.ptr(op.outputs[0], act),
        "hidden": ctx.ptr(op.inputs[HIDDEN_STATE], act),
        "cell": ctx.ptr(op.inputs[CELL_STATE], "int16_t"),
        "scratch": f"((int16_t *){scratch})" if scratch != "NULL" else "NULL",
        "sigmoid_table": ctx.const("sigmoid_table_u16", fx.SIGMOID_TABLE_UINT16.astype(np.uint16),
                                   "uint16_t", comment="TFLM's sigmoid_table_uint16: "
                                   "sigmoid(i/24), 0.16"),
    }
