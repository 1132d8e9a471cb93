"""Float LSTM models quantized by mcugen (the TF converter's integer LSTM scheme: int8
activations and per-tensor weights, int32 biases, an int16 cell state at a power-of-two scale)
run in the pinned TFLM with every tensor equal to the simulator's, over a sequence with the state
carried and after a reset. Accuracy against the TF converter: benchmarks/lstm_accuracy.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mcugen.model import load_model, parse_model, serialize_model
from mcugen.quantize import quantize_model
from mcugen.quantize.conformance import check
from mcugen.quantize.rewrite import cell_state_scale
from mcugen.sim import Simulator
from tests.oracle import SHARED_MODELS, Tflm, shared_model
from tests.sim.test_lstm_models import _mismatch


def _calibration(rel: str, graph) -> list[list[np.ndarray]]:
    t = graph.tensors[graph.inputs[0]]
    if "digits_lstm_cols" in rel:
        calib = np.load(SHARED_MODELS / "real_data/digits_lstm_cols/calib.npy")[:64]
        return [[c.reshape(t.shape).astype(np.float32)] for c in calib]
    rng = np.random.default_rng(3)     # mnist_lstm: images in [0, 1]
    return [[rng.uniform(0, 1, t.shape).astype(np.float32)] for _ in range(16)]


@pytest.mark.parametrize("rel", ["real_data/digits_lstm_cols/float.tflite",
                                 "tflm/mnist_lstm_float.tflite"])
def test_quantized_lstm_runs_in_tflm_as_simulated(rel):
    float_graph = load_model(shared_model(rel))
    graph = quantize_model(float_graph, _calibration(rel, float_graph)).graph
    assert check(graph) == []
    op = next(op for op in graph.operators if op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM")
    cell, hidden = graph.tensors[op.inputs[19]], graph.tensors[op.inputs[18]]
    out = graph.tensors[op.outputs[0]]
    assert cell.dtype == np.int16 and math.log2(float(cell.quant.scale[0])).is_integer()
    assert (hidden.quant.scale[0], hidden.quant.zero_point[0]) == \
        (out.quant.scale[0], out.quant.zero_point[0])
    x = graph.tensors[op.inputs[0]]
    for k in range(1, 9):
        w = graph.tensors[op.inputs[k]]
        assert w.dtype == np.int8 and w.quant.scale.size == 1 and w.quant.zero_point[0] == 0
    for k, w_index in zip(range(12, 16), range(1, 5)):     # bias at s_x * s_input_weights
        b, w = graph.tensors[op.inputs[k]], graph.tensors[op.inputs[w_index]]
        assert b.dtype == np.int32 and b.quant.scale[0] == np.float32(
            np.float32(x.quant.scale[0]) * np.float32(w.quant.scale[0]))
    data = serialize_model(graph)
    tflm, sim = Tflm(data, preserve_all=True), Simulator(parse_model(bytes(data), name=graph.name))
    rng = np.random.default_rng(5)
    t = graph.tensors[graph.inputs[0]]
    sequence = [rng.integers(-128, 128, t.shape, dtype=np.int8) for _ in range(10)]
    for step, x in enumerate(sequence + sequence[:2]):
        if step == len(sequence):
            tflm._it.reset()
            sim.reset()
        tflm.run([x])
        result = sim.run([x], keep_all=True)
        problem = _mismatch(sim.graph, tflm, result)
        assert problem is None, f"{rel} step {step}: {problem}"


def test_cell_state_scale_is_the_covering_power_of_two():
    assert cell_state_scale(-9.5, 3.0) == np.float32(2.0 ** -11)     # 16 covers 9.5
    assert cell_state_scale(-1.0, 8.0) == np.float32(2.0 ** -12)     # 8 covers 8
    assert cell_state_scale(0.0, 8.01) == np.float32(2.0 ** -11)


@pytest.mark.parametrize("rel", ["real_data/digits_lstm_cols/tf_int8.tflite",
                                 "tflm/mnist_lstm_int8.tflite"])
def test_tf_converter_lstm_models_pass_through(rel):
    """The TF converter's integer LSTM models conform (quantize passes them through)."""
    graph = load_model(shared_model(rel))
    assert check(graph) == []
    result = quantize_model(graph, [])
    assert result.passthrough and result.graph is graph
