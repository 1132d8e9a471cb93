"""SOFTMAX int8 -> int8 (output scale 1/256, zero point -128, as TFLM requires) and float32:
single-op models with random shapes, input scales, zero points and beta, byte-identical to TFLM."""

from __future__ import annotations

import numpy as np
from hypothesis import given

from tests.sim.single_op import check, unary_graph
from tests.strategies import (examples, softmax_betas, softmax_input_scales, softmax_shapes,
                              zero_points)


def _int8_case(shape, scale, zero_point, beta):
    graph = unary_graph("SOFTMAX", shape, np.int8, np.int8, (scale, zero_point),
                        (1.0 / 256, -128), "SoftmaxOptions", beta=beta)
    # A row of all-equal values and a row with one dominant value, besides random rows.
    flat = int(np.prod(shape))
    extremes = [[np.full(shape, 17, np.int8)],
                [np.where(np.arange(flat) % shape[-1] == 0, 127, -128).astype(np.int8)
                 .reshape(shape)]]
    check(graph, extra_inputs=extremes)


@given(shape=softmax_shapes, scale=softmax_input_scales, zero_point=zero_points,
       beta=softmax_betas)
def test_softmax_int8(shape, scale, zero_point, beta):
    _int8_case(shape, scale, zero_point, beta)


def test_softmax_classifier_head():
    """The shape every shared classifier ends with: (1, 12) at a typical logit scale."""
    _int8_case((1, 12), 0.1357, 17, 1.0)


@examples(10)
@given(shape=softmax_shapes, beta=softmax_betas)
def test_softmax_float(shape, beta):
    check(unary_graph("SOFTMAX", shape, np.float32, np.float32, None, None, "SoftmaxOptions",
                      beta=beta))



@given(shape=softmax_shapes, scale=softmax_input_scales, zero_point=zero_points,
       beta=softmax_betas)
def test_softmax_int8_to_int16(shape, scale, zero_point, beta):
    """int8 in, int16 out at TFLM's fixed 1/65536 and -32768 (a keyword model's head)."""
    graph = unary_graph("SOFTMAX", shape, np.int8, np.int16, (scale, zero_point),
                        (1.0 / 65536, -32768), "SoftmaxOptions", beta=beta)
    flat = int(np.prod(shape))
    check(graph, extra_inputs=[[np.where(np.arange(flat) % shape[-1] == 0, 127, -128)
                                .astype(np.int8).reshape(shape)]])
