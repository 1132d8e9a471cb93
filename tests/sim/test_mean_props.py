"""MEAN: single-op int8 models with random shapes, axis sets (negative and repeated axes
included), keep_dims, scales and zero points, byte-identical to TFLM; float32 within 1e-3."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from mcugen.model.builder import GraphBuilder
from tests.sim.single_op import check
from tests.strategies import examples, mean_case


def mean_graph(shape, axes, keep_dims, q_in, q_out, dtype=np.int8):
    rank = len(shape)
    resolved = sorted({a % rank for a in axes})
    out_shape = tuple(1 if i in resolved else d for i, d in enumerate(shape)) if keep_dims \
        else tuple(d for i, d in enumerate(shape) if i not in resolved)
    b = GraphBuilder("mean")
    quant = (lambda q: {} if q is None else {"scale": q[0], "zero_point": q[1]})
    x = b.input("x", shape, dtype, **quant(q_in))
    axis = b.const("axis", np.array(axes, np.int32))
    y = b.tensor("y", out_shape, dtype, **quant(q_out))
    b.op("MEAN", [x, axis], [y], "ReducerOptions", version=2 if dtype == np.int8 else 1,
         keep_dims=keep_dims)
    b.output(y)
    return b.build()


@given(case=mean_case())
def test_mean_int8(case):
    check(mean_graph(*case))


@pytest.mark.parametrize("keep_dims", [True, False])
def test_spatial_mean(keep_dims):
    """Global average pooling as classifiers write it: MEAN over H, W of (1, 7, 7, 32)."""
    check(mean_graph((1, 7, 7, 32), [1, 2], keep_dims, (0.0623, -9), (0.0217, 4)), runs=4)


@examples(10)
@given(case=mean_case(quantized=False))
def test_mean_float(case):
    check(mean_graph(*case))



@examples(20)
@given(case=mean_case())
def test_mean_int16(case):
    shape, axes, keep_dims, q_in, q_out, _ = case
    check(mean_graph(shape, axes, keep_dims, (q_in[0] / 256, 0), (q_out[0] / 256, 0), np.int16))
