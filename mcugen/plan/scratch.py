"""Kernel scratch per layer: what the arena must hold while a layer's kernel runs.

The sizes are the operator records' ``scratch`` entries (``mcugen/ops/``; CMSIS-NN's formulas in
``mcugen/ops/cmsis_nn_scratch.py``); the CMSIS-NN code path of a core (plain C, DSP, Helium) comes
from the boards' ``features`` (``boards/*.toml``).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..model.graph import Graph, Operator
from ..ops.registry import BACKENDS, lookup

KERNELS = tuple(sorted(BACKENDS, key=lambda b: b != "portable"))   # portable first, for --help


def _features_by_cpu() -> dict[str, tuple[str, ...]]:
    from ..boards import all_boards
    found: dict[str, tuple[str, ...]] = {}
    for board in all_boards().values():
        found.setdefault(board.cpu, board.features)
    return found


CORES = tuple(sorted(_features_by_cpu()))


def variant(cpu: str) -> str:
    """"mve", "dsp" or "plain": the CMSIS-NN code path a core compiles to, from the features of
    the boards with that core."""
    features = _features_by_cpu().get(cpu)
    if features is None:
        raise InputError(f"unknown core '{cpu}' (known: {', '.join(CORES)})")
    return "mve" if "mve" in features else "dsp" if "dsp" in features else "plain"


def scratch_bytes(graph: Graph, op: Operator, kernels: str, cpu: str) -> int:
    """Arena bytes ``op``'s kernel needs as scratch when ``kernels`` runs it on ``cpu``."""
    if kernels not in BACKENDS:
        raise InputError(f"unknown kernel backend '{kernels}' (known: {', '.join(KERNELS)})")
    path = variant(cpu)
    r = lookup(op.opcode)
    fn = r.scratch.get(kernels) if r is not None else None
    ins = graph.op_inputs(op)
    if fn is None or not ins or ins[0] is None or ins[0].dtype not in (np.int8, np.int16):
        return 0
    return fn(graph, op, path)
