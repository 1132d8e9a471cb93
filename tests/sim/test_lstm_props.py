"""Single-operator UNIDIRECTIONAL_SEQUENCE_LSTM property tests vs TFLM: int8 (int16 cell state),
16x8 and float32, batch- and time-major, several batches, every cell-state power of two TFLM's
tanh folds differently (2^-14 .. 2^-9), with and without a cell clip; several invocations on one
interpreter so that the carried hidden and cell state are exercised too."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.sim.single_op import check, draw_lstm_graph
from tests.strategies import examples


@examples(12)
@given(data=st.data())
def test_lstm_matches_tflm(data):
    dtype = data.draw(st.sampled_from([np.int8, np.int8, np.int16, np.float32]), "dtype")
    graph = draw_lstm_graph(data, dtype, steps=6, n_input=10, n_state=12)
    check(graph, seed=data.draw(st.integers(0, 99), "input_seed"), runs=4)
