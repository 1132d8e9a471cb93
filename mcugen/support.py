"""Which operators mcugen handles, asked in one place by inspect, simulate, quantize and build.

An operator is *deployable* when the simulator has an integer kernel for it and the code
generator can lower it; the code generator's registry is consulted when it is installed.
"""

from __future__ import annotations

from .model.graph import Graph
from .sim import QUANT, supported


def deployable_ops() -> set[str]:
    ops = supported(QUANT)
    try:
        from .codegen.lowering import lowered_ops
    except ImportError:  # the code generator is not part of this build yet
        return set()
    return ops & lowered_ops()


def undeployable(graph: Graph) -> list[tuple[int, str]]:
    """(index, opcode) of every operator mcugen cannot yet deploy, in schedule order."""
    ok = deployable_ops()
    return [(op.index, op.opcode) for op in graph.operators if op.opcode not in ok]
