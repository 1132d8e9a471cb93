"""Generated C of recurrent models (UNIDIRECTIONAL_SEQUENCE_LSTM, SVDF) against the simulator,
byte for byte, on the host under ASan/UBSan: sequences of invocations in one process, the state
(variable tensors in the plan's persistent region) carried from one to the next, and again from
a fresh start (the generated model resets its state before the first invoke)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.codegen import render_model
from mcugen.firmware.host import run_host
from mcugen.model import load_model
from mcugen.plan import plan_memory
from mcugen.sim import Simulator
from tests.oracle import SHARED_MODELS, shared_model
from tests.sim.compare import random_inputs
from tests.sim.single_op import draw_lstm_graph, svdf_graph
from tests.strategies import examples, pow2_scales

MODELS = ["tflm/mnist_lstm_int8.tflite", "real_data/digits_lstm_cols/tf_int8.tflite"]


def _sequence(graph, rel: str, n: int, rng) -> list[list[np.ndarray]]:
    t = graph.tensors[graph.inputs[0]]
    cases = []
    if "digits_lstm_cols" in rel:
        for s in np.load(SHARED_MODELS / "real_data/digits_lstm_cols/test.npz")["x"][:6]:
            q = np.round(s.astype(np.float32) / float(t.quant.scale[0])) \
                + int(t.quant.zero_point[0])
            cases.append([np.clip(q, -128, 127).astype(np.int8).reshape(t.shape)])
    while len(cases) < n:
        cases.append(random_inputs(graph, rng))
    return cases


def _simulated(graph, sequence) -> list[list[np.ndarray]]:
    """The simulator over the sequence on one state, from a reset (a new Simulator)."""
    sim = Simulator(graph)
    return [sim.run(x).outputs for x in sequence]


def _refused(graph) -> bool:
    """A case the portable kernel's record refuses (an accumulator or shift outside its
    contract) must be refused in one line by the code generator, never computed."""
    from mcugen.errors import UnsupportedOperatorError
    from mcugen.ops.registry import why_not
    reason = why_not(graph, graph.operators[0], "portable")
    if reason is None:
        return False
    with pytest.raises(UnsupportedOperatorError) as info:
        render_model(graph, "/nonexistent-never-written", kernels="portable", cpu="host")
    assert "\n" not in str(info.value)
    return True


def _run(model, steps, sequence: bool) -> list[list[np.ndarray]]:
    g = model.graph
    return run_host(model.exe, steps, [g.tensors[i].size for i in g.outputs],
                    [g.tensors[i].dtype for i in g.outputs], sequence=sequence)


def _check_sequences(model, sequence) -> None:
    """The steps in order on one state in one process (reset once, at start-up), then every
    step after its own reset (``<name>_reset()``), each equal to the simulator's, byte for
    byte: the state carried and the state reset."""
    graph = model.graph
    for k, (g, e) in enumerate(zip(_run(model, sequence, True), _simulated(graph, sequence))):
        for a, b in zip(g, e):
            assert a.tobytes() == np.ascontiguousarray(b).tobytes(), f"step {k}"
    for k, (g, x) in enumerate(zip(_run(model, sequence, False), sequence)):
        for a, b in zip(g, Simulator(graph).run(x).outputs):
            assert a.tobytes() == np.ascontiguousarray(b).tobytes(), f"input {k} after a reset"


@pytest.mark.parametrize("rel", MODELS)
def test_lstm_models_bit_exact_over_sequences(rel, host_build):
    model = host_build(rel, "portable", sanitize=True)
    plan = model.rendered.plan
    assert plan.backends[0] == "portable" and plan.state_bytes == 60
    _check_sequences(model, _sequence(model.graph, rel, 12, np.random.default_rng(7)))


@pytest.mark.parametrize("rel", ["tflm/mnist_lstm_float.tflite",
                                 "real_data/digits_lstm_cols/float.tflite"])
def test_quantized_float_lstm_generates_bit_exact(rel, host_build):
    """A float LSTM quantized by mcugen (the TF converter's scheme; the hidden state shares the
    output's zero point) generates C equal to the simulator over a sequence and after resets."""
    from mcugen.quantize import quantize_model
    float_graph = load_model(shared_model(rel))
    t = float_graph.tensors[float_graph.inputs[0]]
    rng = np.random.default_rng(3)
    calib = [[rng.uniform(0, 1, t.shape).astype(np.float32)] for _ in range(8)]
    graph = quantize_model(float_graph, calib).graph
    model = host_build(graph, "portable", sanitize=True)
    _check_sequences(model, [random_inputs(graph, rng) for _ in range(10)])


def test_state_region_is_first_and_stable():
    """Variable tensors sit at the start of the arena in index order, whatever the backend."""
    graph = load_model(shared_model(MODELS[0]))
    a, b = plan_memory(graph, "portable"), plan_memory(graph, "mcugen")
    assert a.state_tensors(graph) == b.state_tensors(graph)
    offsets = [o for _, o, _, _ in a.state_tensors(graph)]
    assert offsets[0] == 0 and offsets == sorted(offsets)
    state = {t for t, _, _, _ in a.state_tensors(graph)}
    for buf in a.buffers:
        if buf.tensor not in state:
            assert buf.offset >= a.state_bytes


def _lstm_case(dtype, data, host_build):
    graph = draw_lstm_graph(data, dtype)
    if _refused(graph):
        return
    model = host_build(graph, "portable", sanitize=True)
    rng = np.random.default_rng(data.draw(st.integers(0, 99), "input_seed"))
    _check_sequences(model, [random_inputs(graph, rng) for _ in range(10)])


def _svdf_case(state_dtype, data, host_build):
    memory = data.draw(st.integers(1, 6), "memory")
    graph = svdf_graph(
        np.int8, state_dtype=state_dtype,
        batch=data.draw(st.integers(1, 3), "batch"),
        n_input=data.draw(st.integers(1, 12), "n_input"),
        n_unit=data.draw(st.integers(1, 5), "n_unit"),
        rank=data.draw(st.integers(1, 3), "rank"),
        memory=memory,
        seed=data.draw(st.integers(0, 2 ** 16), "seed"),
        input_q=(data.draw(pow2_scales(-8.0, -2.0), "input_scale"),
                 data.draw(st.integers(-30, 30), "input_zp")),
        feature_scale=data.draw(pow2_scales(-9.0, -4.0), "feature_scale"),
        state_q=(data.draw(pow2_scales(-8.0, -2.0), "state_scale"),
                 data.draw(st.integers(-20, 20), "state_zp")),
        time_scale=data.draw(pow2_scales(-16.0 if state_dtype == np.int16 else -9.0, -4.0),
                             "time_scale"),
        output_q=(data.draw(pow2_scales(-6.0, 0.0), "output_scale"),
                  data.draw(st.integers(-128, 20), "output_zp")))
    if _refused(graph):
        return
    model = host_build(graph, "portable", sanitize=True)
    rng = np.random.default_rng(data.draw(st.integers(0, 99), "input_seed"))
    _check_sequences(model, [random_inputs(graph, rng) for _ in range(max(10, memory + 3))])


# one example per dtype in the default suite (each builds and runs an ASan/UBSan program);
# the slow tier runs twelve per dtype (ten times that under the explore profile)
@pytest.mark.parametrize("dtype", [np.int8, np.int16], ids=["int8", "16x8"])
@examples(1)
@given(data=st.data())
def test_single_op_lstm_c_matches_simulator(dtype, data, host_build):
    _lstm_case(dtype, data, host_build)


@pytest.mark.parametrize("state_dtype", [np.int8, np.int16], ids=["int8-state", "int16-state"])
@examples(1)
@given(data=st.data())
def test_single_op_svdf_c_matches_simulator(state_dtype, data, host_build):
    _svdf_case(state_dtype, data, host_build)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.int8, np.int16], ids=["int8", "16x8"])
@examples(12)
@given(data=st.data())
def test_single_op_lstm_c_matches_simulator_more(dtype, data, host_build):
    _lstm_case(dtype, data, host_build)


@pytest.mark.slow
@pytest.mark.parametrize("state_dtype", [np.int8, np.int16], ids=["int8-state", "int16-state"])
@examples(12)
@given(data=st.data())
def test_single_op_svdf_c_matches_simulator_more(state_dtype, data, host_build):
    _svdf_case(state_dtype, data, host_build)


def _cmsis_tree():
    import os
    tree = os.environ.get("MCUGEN_CMSIS_NN")
    if not tree:
        pytest.skip("set MCUGEN_CMSIS_NN to a CMSIS-NN tree to run the CMSIS-NN backend tests")
    return tree


@pytest.mark.slow      # every example builds CMSIS-NN (~20 s)
@pytest.mark.cmsis_nn
@examples(5)
@given(data=st.data())
def test_cmsis_nn_svdf_matches_simulator(data, host_build):
    """arm_svdf_s8 / arm_svdf_state_s16_s8 (plain C on the host) where the record takes them
    (state zero point 0); other instances fall to the portable kernel."""
    tree = _cmsis_tree()
    state_dtype = data.draw(st.sampled_from([np.int8, np.int16]), "state")
    memory = data.draw(st.integers(1, 6), "memory")
    state_zp = data.draw(st.sampled_from([0, 0, 0, 5]), "state_zp")
    graph = svdf_graph(
        np.int8, state_dtype=state_dtype,
        batch=data.draw(st.integers(1, 3), "batch"),
        n_input=data.draw(st.integers(1, 12), "n_input"),
        n_unit=data.draw(st.integers(1, 5), "n_unit"),
        rank=data.draw(st.integers(1, 3), "rank"),
        memory=memory,
        seed=data.draw(st.integers(0, 2 ** 16), "seed"),
        input_q=(data.draw(pow2_scales(-8.0, -2.0), "input_scale"),
                 data.draw(st.integers(-30, 30), "input_zp")),
        state_q=(data.draw(pow2_scales(-8.0, -2.0), "state_scale"), state_zp),
        time_scale=data.draw(pow2_scales(-16.0 if state_dtype == np.int16 else -9.0, -4.0),
                             "time_scale"),
        output_q=(data.draw(pow2_scales(-6.0, 0.0), "output_scale"),
                  data.draw(st.integers(-128, 20), "output_zp")))
    # (CMSIS-NN's own requantization shifts negative values left: no UBSan build for it)
    model = host_build(graph, "cmsis-nn", cmsis_nn=tree)
    assert model.rendered.plan.backends[0] == ("cmsis-nn" if state_zp == 0 else "portable")
    rng = np.random.default_rng(data.draw(st.integers(0, 99), "input_seed"))
    _check_sequences(model, [random_inputs(graph, rng) for _ in range(max(10, memory + 3))])


@pytest.mark.slow
@pytest.mark.cmsis_nn
@examples(6)
@given(data=st.data())
def test_cmsis_nn_lstm_matches_simulator(data, host_build):
    """arm_lstm_unidirectional_s8 where the record proves it equal to the reference (symmetric
    weights, recurrent sums that stay in int16, cell scale 2^-15 .. 2^1), else the portable
    kernel: either way the same bytes as the simulator."""
    from mcugen.ops.lstm import cmsis_nn_check
    tree = _cmsis_tree()
    graph = draw_lstm_graph(data, np.int8, weight_scale=(-11.0, -6.0))
    model = host_build(graph, "cmsis-nn", cmsis_nn=tree)
    expected = "cmsis-nn" if cmsis_nn_check(graph, graph.operators[0]) is None else "portable"
    assert model.rendered.plan.backends[0] == expected
    rng = np.random.default_rng(data.draw(st.integers(0, 99), "input_seed"))
    _check_sequences(model, [random_inputs(graph, rng) for _ in range(10)])
