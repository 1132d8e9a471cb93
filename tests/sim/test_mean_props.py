"""MEAN: single-op int8 models with random shapes, axis sets (negative and repeated axes
included), keep_dims, scales and zero points, byte-identical to TFLM; float32 within 1e-3."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.model.builder import GraphBuilder
from tests.sim.single_op import (DEFAULT_EXAMPLES, SLOW_EXAMPLES, budget, check, slow_selected,  # noqa: F401
                                 zero_points)

scales = st.floats(-9.0, 2.0).map(lambda e: float(np.float32(2.0 ** e)))
ratios = st.floats(-4.0, 4.0).map(lambda e: 2.0 ** e)


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


@st.composite
def mean_case(draw, quantized=True):
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=1, max_size=4)))
    rank = len(shape)
    axes = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank + 1))
    keep_dims = draw(st.booleans())
    if not keep_dims and len({a % rank for a in axes}) == rank:
        keep_dims = True            # a 0-d output: keep one dim instead
    if not quantized:
        return shape, axes, keep_dims, None, None, np.float32
    s_in = draw(scales)
    return shape, axes, keep_dims, (s_in, draw(zero_points)), \
        (float(np.float32(s_in * draw(ratios))), draw(zero_points)), np.int8


@budget(DEFAULT_EXAMPLES)
@given(case=mean_case())
def test_mean_int8(case):
    check(mean_graph(*case))


@pytest.mark.parametrize("keep_dims", [True, False])
def test_spatial_mean(keep_dims):
    """Global average pooling as classifiers write it: MEAN over H, W of (1, 7, 7, 32)."""
    check(mean_graph((1, 7, 7, 32), [1, 2], keep_dims, (0.0623, -9), (0.0217, 4)), runs=4)


@budget(DEFAULT_EXAMPLES // 4)
@given(case=mean_case(quantized=False))
def test_mean_float(case):
    check(mean_graph(*case))


@pytest.mark.slow
@budget(SLOW_EXAMPLES)
@given(case=mean_case())
def test_mean_int8_slow(slow_selected, case):
    check(mean_graph(*case))
