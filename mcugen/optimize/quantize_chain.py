"""Back-to-back requantizations merged, only where an exhaustive check proves it.

    a -> QUANTIZE -> b -> QUANTIZE -> c          (b read by nothing else)

after:

    a -> QUANTIZE -> c

Two requantizations round twice; one rounds once, so in general they differ. The merged operator
is kept only when, for every value of a's type (256 for int8/uint8), the simulator's QUANTIZE
kernel (TFLM's Requantize) gives the same output as the chain of two (:mod:`.exhaustive`).
Integer types only (int8/uint8 at every step, the pairs mcugen generates); a float step is a
float island, not a requantization.
"""

from __future__ import annotations

import copy

import numpy as np

from ..errors import McugenError
from ..model.graph import Graph
from .edit import merge_origins, only_reader, remove
from .exhaustive import enumerable, run_chain

_EIGHT = (np.dtype(np.int8), np.dtype(np.uint8))


def apply(graph: Graph) -> str | None:
    for first in graph.operators:
        if first.opcode != "QUANTIZE" or len(first.outputs) != 1:
            continue
        second = only_reader(graph, first.outputs[0])
        if second is None or second.opcode != "QUANTIZE" or second.inputs[0] != first.outputs[0]:
            continue
        a, b, c = (graph.tensors[first.inputs[0]], graph.tensors[first.outputs[0]],
                   graph.tensors[second.outputs[0]])
        if not all(t.dtype in _EIGHT and enumerable(t) for t in (a, b, c)):
            continue
        merged = copy.deepcopy(second)
        merged.inputs = [first.inputs[0]] + second.inputs[1:]
        try:
            exact = np.array_equal(run_chain(graph, [first, second]), run_chain(graph, [merged]))
        except McugenError:
            continue
        if not exact:
            continue
        origin = merge_origins(first, second)
        second.inputs = merged.inputs
        second.origins = origin
        remove(graph, first)
        return (f"QUANTIZE -> QUANTIZE (operators {', '.join(map(str, origin))}) merged into "
                f"one: equal on all {a.dtype.name} inputs")
    return None
