"""SOFTMAX int8 -> int8 (output scale 1/256, zero point -128, as TFLM requires) and float32:
single-op models with random shapes, input scales, zero points and beta, byte-identical to TFLM."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.sim.single_op import (DEFAULT_EXAMPLES, SLOW_EXAMPLES, budget, check, slow_selected,  # noqa: F401
                                 unary_graph, zero_points)

shapes = st.tuples(st.lists(st.integers(1, 4), min_size=0, max_size=3),
                   st.integers(1, 300)).map(lambda t: tuple(t[0]) + (t[1],))
input_scales = st.floats(-12.0, 4.0).map(lambda e: float(np.float32(2.0 ** e)))
betas = st.sampled_from([1.0, 0.5, 2.0, 0.25, 1.7])


def _int8_case(shape, scale, zero_point, beta):
    graph = unary_graph("SOFTMAX", shape, np.int8, np.int8, (scale, zero_point),
                        (1.0 / 256, -128), "SoftmaxOptions", beta=beta)
    # A row of all-equal values and a row with one dominant value, besides random rows.
    flat = int(np.prod(shape))
    extremes = [[np.full(shape, 17, np.int8)],
                [np.where(np.arange(flat) % shape[-1] == 0, 127, -128).astype(np.int8)
                 .reshape(shape)]]
    check(graph, extra_inputs=extremes)


@budget(DEFAULT_EXAMPLES)
@given(shape=shapes, scale=input_scales, zero_point=zero_points, beta=betas)
def test_softmax_int8(shape, scale, zero_point, beta):
    _int8_case(shape, scale, zero_point, beta)


def test_softmax_classifier_head():
    """The shape every shared classifier ends with: (1, 12) at a typical logit scale."""
    _int8_case((1, 12), 0.1357, 17, 1.0)


@budget(DEFAULT_EXAMPLES // 4)
@given(shape=shapes, beta=betas)
def test_softmax_float(shape, beta):
    check(unary_graph("SOFTMAX", shape, np.float32, np.float32, None, None, "SoftmaxOptions",
                      beta=beta))


@pytest.mark.slow
@budget(SLOW_EXAMPLES)
@given(shape=shapes, scale=input_scales, zero_point=zero_points, beta=betas)
def test_softmax_int8_slow(slow_selected, shape, scale, zero_point, beta):
    _int8_case(shape, scale, zero_point, beta)
