"""Shared pieces of the single-operator property tests: hypothesis strategies for shapes and
quantization, and the check that runs a GraphBuilder model in TFLM and in the simulator.

Budgets: every property runs ``DEFAULT_EXAMPLES`` hypothesis cases by default; the ``slow``
variants (``pytest -m slow tests/sim``) run ``SLOW_EXAMPLES``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from mcugen.model.builder import GraphBuilder
from tests.sim.compare import assert_matches_tflm, random_inputs

DEFAULT_EXAMPLES = 40
SLOW_EXAMPLES = 400
RUNS_PER_CASE = 3          # random input sets per generated model


def budget(n: int):
    return settings(max_examples=n, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@pytest.fixture
def slow_selected(request) -> None:
    """The slow tiers run only when asked for (``-m slow``), since nothing deselects them."""
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("slow tier: run with -m slow")


# Scales spread over many octaves (exercising multiplier shifts), as float32 values.
scales = st.floats(min_value=-9.0, max_value=3.0).map(lambda e: float(np.float32(2.0 ** e)))
zero_points = st.integers(-128, 127)
activations = st.sampled_from(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"])
shapes = st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple)


@st.composite
def broadcast_pair(draw, max_rank: int = 4):
    """(shape1, shape2, output shape): numpy-broadcastable, incl. rank differences and 1-dims."""
    out = draw(st.lists(st.integers(1, 5), min_size=1, max_size=max_rank))
    def operand():
        dims = [d if draw(st.booleans()) else 1 for d in out]
        drop = draw(st.integers(0, len(dims)))
        return tuple(dims[drop:]) if drop < len(dims) else (1,)
    s1, s2 = operand(), operand()
    full = tuple(np.broadcast_shapes(s1, s2))
    return s1, s2, full


def check(graph, seed: int = 0, extra_inputs: list | None = None, runs: int = RUNS_PER_CASE):
    """Every tensor of the single-op graph byte-identical to TFLM on random inputs."""
    rng = np.random.default_rng(seed)
    inputs = [random_inputs(graph, rng) for _ in range(runs)] + list(extra_inputs or [])
    assert_matches_tflm(graph, inputs)


def unary_graph(opcode: str, shape, dtype_in, dtype_out, q_in, q_out, options_type=None,
                version=None, **options):
    """One-input one-output model; q_* is (scale, zero_point) or None for float tensors."""
    b = GraphBuilder(opcode.lower())
    x = b.input("x", shape, dtype_in, **({} if q_in is None else
                                         {"scale": q_in[0], "zero_point": q_in[1]}))
    y = b.tensor("y", shape, dtype_out, **({} if q_out is None else
                                           {"scale": q_out[0], "zero_point": q_out[1]}))
    b.op(opcode, [x], [y], options_type, version=version, **options)
    b.output(y)
    return b.build()
