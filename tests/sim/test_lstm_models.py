"""UNIDIRECTIONAL_SEQUENCE_LSTM in the simulator against TFLM's reference interpreter: every
tensor, the variable tensors (hidden and cell state) included, byte-identical over sequences of
invocations with the state carried from one to the next, and again after a reset of both."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from mcugen.errors import UnsupportedOperatorError
from mcugen.model import load_model
from mcugen.sim import Simulator
from tests.oracle import SHARED_MODELS, Tflm, shared_model
from tests.sim.compare import random_inputs

MODELS = ["tflm/mnist_lstm_int8.tflite", "real_data/digits_lstm_cols/tf_int8.tflite",
          "tflm/mnist_lstm_float.tflite"]


def _mismatch(graph, tflm: Tflm, result) -> str | None:
    """Every non-constant tensor of the last invocation (op outputs and variable tensors)."""
    for t in graph.tensors:
        if t.is_constant or t.size == 0 or t.index not in result.tensors:
            continue
        ours = np.ascontiguousarray(result.tensors[t.index]).ravel()
        theirs = tflm.tensor(t.index).ravel()
        if ours.dtype == np.float32:
            scale = max(float(np.max(np.abs(theirs))), 1e-30)
            if theirs.shape != ours.shape or np.max(np.abs(ours - theirs)) > 1e-3 * scale:
                return f"tensor {t.index} '{t.name}' (float)"
        elif ours.tobytes() != theirs.astype(t.dtype).tobytes():
            diff = np.flatnonzero(ours != theirs.astype(t.dtype))
            return (f"tensor {t.index} '{t.name}': {diff.size} of {ours.size} differ, first at "
                    f"{diff[0]}: ours {ours[diff[0]]} tflm {theirs[diff[0]]}")
    return None


def _sequence(graph, rel: str, rng) -> list[list[np.ndarray]]:
    """Real digits columns where the model reads them, else random inputs; 12 steps."""
    t = graph.tensors[graph.inputs[0]]
    cases = []
    if "digits_lstm_cols" in rel:
        x = np.load(SHARED_MODELS / "real_data/digits_lstm_cols/test.npz")["x"][:6]
        for s in x.astype(np.float32):
            if t.dtype == np.float32:
                cases.append([s.reshape(t.shape)])
            else:
                q = np.round(s / float(t.quant.scale[0])) + int(t.quant.zero_point[0])
                cases.append([np.clip(q, -128, 127).astype(np.int8).reshape(t.shape)])
    while len(cases) < 12:
        cases.append(random_inputs(graph, rng))
    return cases


@pytest.mark.parametrize("rel", MODELS)
def test_state_carried_and_reset_match_tflm(rel):
    graph = load_model(shared_model(rel))
    tflm, sim = Tflm(shared_model(rel), preserve_all=True), Simulator(graph)
    rng = np.random.default_rng(16)
    sequence = _sequence(graph, rel, rng)
    first_outputs = []
    for step, inputs in enumerate(sequence + sequence[:4]):
        if step == len(sequence):       # reset both, then replay the start of the sequence
            tflm._it.reset()
            sim.reset()
        tflm.run(inputs)
        result = sim.run(inputs, keep_all=True)
        problem = _mismatch(graph, tflm, result)
        assert problem is None, f"{rel} step {step}: {problem}"
        if step < 4:
            first_outputs.append(result.outputs[0].copy())
        elif step >= len(sequence):     # after the reset: the very outputs of the first run
            np.testing.assert_array_equal(result.outputs[0], first_outputs[step - len(sequence)])
    # the state did carry: the same input on a fresh state gives a different hidden state
    fresh = Simulator(graph).run(sequence[5], keep_all=True)
    h = graph.operators[0].inputs[18]
    carried = sim.run(sequence[5], keep_all=True)
    assert not np.array_equal(fresh.tensors[h], carried.tensors[h])


def test_reset_fills_int8_state_with_its_zero_point():
    graph = load_model(shared_model(MODELS[0]))
    graph = copy.deepcopy(graph)
    h = graph.tensors[graph.operators[0].inputs[18]]
    h.quant.zero_point[:] = -5
    sim = Simulator(graph)
    assert (sim.state[h.index] == -5).all()
    assert (sim.state[graph.operators[0].inputs[19]] == 0).all()


@pytest.mark.parametrize("index,feature", [(9, "peephole"), (16, "projection"),
                                           (20, "layer norm"), (1, "CIFG")])
def test_unsupported_variants_refused_with_one_line(index, feature):
    graph = copy.deepcopy(load_model(shared_model(MODELS[0])))
    op = graph.operators[0]
    op.inputs[index] = -1 if feature == "CIFG" else op.inputs[12]
    sim = Simulator(graph)
    with pytest.raises(UnsupportedOperatorError) as err:
        sim.run(random_inputs(graph, np.random.default_rng(0)))
    message = str(err.value)
    assert feature in message and "UNIDIRECTIONAL_SEQUENCE_LSTM" in message
    assert "\n" not in message


def test_bias_of_another_shape_is_refused():
    """Regression (fuzzer): a [20, 1] gate bias crashed the float kernel; TFLM takes [20]."""
    graph = copy.deepcopy(load_model(shared_model("tflm/mnist_lstm_float.tflite")))
    bias = graph.tensors[graph.operators[0].inputs[15]]
    bias.shape = (bias.shape[0], 1)
    with pytest.raises(UnsupportedOperatorError) as err:
        Simulator(graph).run(random_inputs(graph, np.random.default_rng(0)))
    assert "bias at input 15 has shape [20, 1]" in str(err.value)


@pytest.mark.parametrize("power", [-149, 3, 40])
def test_cell_scale_out_of_range_is_refused(power):
    """Found by the long fuzz run: a cell state scale of 2^-149 overflowed the tanh input
    shift (OverflowError); refused in one line instead."""
    from mcugen.model.graph import Quantization
    from mcugen.ops.lstm import CELL_STATE
    graph = copy.deepcopy(load_model(shared_model(MODELS[1])))
    cell = graph.tensors[graph.operators[0].inputs[CELL_STATE]]
    cell.quant = Quantization(np.array([2.0 ** power], np.float32), cell.quant.zero_point)
    with pytest.raises(UnsupportedOperatorError) as err:
        Simulator(graph).run(random_inputs(graph, np.random.default_rng(0)))
    assert "out of range" in str(err.value) and "\n" not in str(err.value)
