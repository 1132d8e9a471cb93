"""Shared pieces of the single-operator property tests: the check that runs a GraphBuilder model in
TFLM and in the simulator, and the one-input model builder. Their strategies are in
tests/strategies.py, their budgets in the hypothesis profiles of tests/conftest.py.
"""

from __future__ import annotations

import numpy as np

from mcugen.model.builder import GraphBuilder
from tests.sim.compare import assert_matches_tflm, random_inputs

RUNS_PER_CASE = 3          # random input sets per generated model


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
