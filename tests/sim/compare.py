"""Compare mcugen's simulator with the TFLM reference interpreter, tensor by tensor.

Used by the whole-model tests and by the single-operator property tests: a model (from a file or
built with GraphBuilder) runs in both, and every non-constant tensor must be byte-identical.
"""

from __future__ import annotations

import numpy as np

from mcugen.model import Graph, serialize_model
from mcugen.sim import Simulator
from tests.oracle import Tflm


def random_inputs(graph: Graph, rng: np.random.Generator) -> list[np.ndarray]:
    result = []
    for index in graph.inputs:
        t = graph.tensors[index]
        if np.issubdtype(t.dtype, np.integer):
            info = np.iinfo(t.dtype)
            result.append(rng.integers(info.min, info.max + 1, size=t.shape).astype(t.dtype))
        else:
            result.append(rng.standard_normal(t.shape).astype(t.dtype))
    return result


def first_mismatch(graph: Graph, tflm: Tflm, sim: Simulator,
                   inputs: list[np.ndarray]) -> str | None:
    """None when every non-constant tensor matches (operator outputs, then the variable tensors'
    state after the run); else a description of the first difference in schedule order (the
    layer where the simulator diverges)."""
    tflm.run(inputs)
    result = sim.run(inputs, keep_all=True)
    variables = [t.index for t in graph.tensors if t.is_variable]   # the state after the run
    for op in graph.operators + [None]:
        for index in (op.outputs if op is not None else variables):
            t = graph.tensors[index]
            ours = np.ascontiguousarray(result.tensors[index]).ravel()
            theirs = tflm.tensor(index).ravel()
            if ours.dtype == np.float32:
                # float path: exactness is not the claim (summation order differs)
                scale = max(float(np.max(np.abs(theirs))), 1e-30)
                if theirs.shape != ours.shape or np.max(np.abs(ours - theirs)) > 1e-3 * scale:
                    return f"{_where(op)} tensor {index} '{t.name}' (float)"
                continue
            if ours.tobytes() != theirs.astype(t.dtype).tobytes():
                diff = np.flatnonzero(ours != theirs.astype(t.dtype))
                at = int(diff[0]) if diff.size else -1
                return (f"{_where(op)} tensor {index} '{t.name}': {diff.size} of "
                        f"{ours.size} elements differ, first at {at}: ours "
                        f"{ours[at] if at >= 0 else '?'} tflm {theirs[at] if at >= 0 else '?'}")
    return None


def _where(op) -> str:
    return "variable" if op is None else f"op {op.index} {op.opcode}"


def assert_matches_tflm(graph: Graph, inputs_list: list[list[np.ndarray]]) -> None:
    """Every tensor of every run byte-identical to TFLM (float tensors within 1e-3 relative)."""
    tflm = Tflm(serialize_model(graph), preserve_all=True)
    sim = Simulator(graph)
    for n, inputs in enumerate(inputs_list):
        problem = first_mismatch(graph, tflm, sim, inputs)
        assert problem is None, f"input #{n}: {problem}"
