"""Single-operator UNIDIRECTIONAL_SEQUENCE_LSTM property tests vs TFLM: int8 (int16 cell state),
16x8 and float32, batch- and time-major, several batches, every cell-state power of two TFLM's
tanh folds differently (2^-14 .. 2^-9), with and without a cell clip; several invocations on one
interpreter so that the carried hidden and cell state are exercised too."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.sim.single_op import check, lstm_graph
from tests.strategies import examples, pow2_scales


@examples(12)
@given(data=st.data())
def test_lstm_matches_tflm(data):
    dtype = data.draw(st.sampled_from([np.int8, np.int8, np.int16, np.float32]), "dtype")
    graph = lstm_graph(
        dtype,
        batch=data.draw(st.integers(1, 3), "batch"),
        steps=data.draw(st.integers(1, 6), "steps"),
        n_input=data.draw(st.integers(1, 10), "n_input"),
        n_state=data.draw(st.integers(1, 12), "n_state"),
        time_major=data.draw(st.booleans(), "time_major"),
        cell_clip=data.draw(st.sampled_from([0.0, 0.5, 3.0, 10.0]), "cell_clip"),
        cell_power=data.draw(st.integers(-14, -9), "cell_power"),
        seed=data.draw(st.integers(0, 2 ** 16), "seed"),
        weight_scale=data.draw(pow2_scales(-10.0, -4.0), "weight_scale"),
        input_q=(data.draw(pow2_scales(-8.0, -2.0), "input_scale"),
                 data.draw(st.integers(-20, 20), "input_zp")),
        hidden_q=(data.draw(pow2_scales(-9.0, -5.0), "hidden_scale"),
                  data.draw(st.integers(-10, 10), "hidden_zp")))
    check(graph, seed=data.draw(st.integers(0, 99), "input_seed"), runs=4)
