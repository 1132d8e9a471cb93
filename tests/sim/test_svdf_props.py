"""Single-operator SVDF property tests vs TFLM: int8 with an int8 or int16 state (and time
weights), float32; batches, ranks, memory sizes, zero points; more invocations than the memory
holds on one interpreter, so the shifted state is compared (every tensor and the state after
each run byte-identical). Cases TFLM cannot judge are refused with one line: no bias (TFLM
crashes), a fused activation its integer kernel ignores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.errors import UnsupportedOperatorError
from mcugen.sim import Simulator
from tests.sim.compare import random_inputs
from tests.sim.single_op import check, svdf_graph
from tests.strategies import examples, pow2_scales


@examples(15)
@given(data=st.data())
def test_svdf_matches_tflm(data):
    kind = data.draw(st.sampled_from(["int16", "int8", "float32"]), "kind")
    dtype = np.float32 if kind == "float32" else np.int8
    state_dtype = np.int8 if kind == "int8" else np.int16
    memory = data.draw(st.integers(1, 6), "memory")
    activation = data.draw(st.sampled_from(["NONE", "RELU"] if kind != "float32" else
                                           ["NONE", "RELU", "RELU6", "TANH"]), "activation")
    output_zp = data.draw(st.integers(-128, 20), "output_zp")
    if activation == "RELU" and kind != "float32":
        output_zp = -128                # the one integer RELU TFLM's kernel computes right
    graph = svdf_graph(
        dtype, state_dtype=state_dtype,
        batch=data.draw(st.integers(1, 3), "batch"),
        n_input=data.draw(st.integers(1, 12), "n_input"),
        n_unit=data.draw(st.integers(1, 5), "n_unit"),
        rank=data.draw(st.integers(1, 3), "rank"),
        memory=memory,
        activation=activation,
        seed=data.draw(st.integers(0, 2 ** 16), "seed"),
        input_q=(data.draw(pow2_scales(-8.0, -2.0), "input_scale"),
                 data.draw(st.integers(-30, 30), "input_zp")),
        feature_scale=data.draw(pow2_scales(-9.0, -4.0), "feature_scale"),
        state_q=(data.draw(pow2_scales(-8.0, -2.0), "state_scale"),
                 data.draw(st.integers(-20, 20), "state_zp")),
        time_scale=data.draw(pow2_scales(-16.0 if kind == "int16" else -9.0, -4.0),
                             "time_scale"),
        output_q=(data.draw(pow2_scales(-6.0, 0.0), "output_scale"), output_zp))
    check(graph, seed=data.draw(st.integers(0, 99), "input_seed"), runs=memory + 3)


@pytest.mark.parametrize("change, feature", [
    (dict(bias=False), "without a bias"),
    (dict(bias=False, dtype=np.float32), "without a bias"),
    (dict(activation="RELU6"), "fused RELU6"),
])
def test_integer_cases_tflm_cannot_judge_are_refused(change, feature):
    graph = svdf_graph(**{"dtype": np.int8, **change})
    with pytest.raises(UnsupportedOperatorError) as info:
        Simulator(graph).run(random_inputs(graph, np.random.default_rng(0)))
    message = str(info.value)
    assert "unsupported operator SVDF at index 0" in message and feature in message
    assert "\n" not in message
