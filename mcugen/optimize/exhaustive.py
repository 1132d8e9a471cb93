"""Exactness by enumeration: an elementwise chain over an integer input type is checked on every
value that type has (256 for int8, 65,536 for int16), with the simulator's own kernels (the ones
checked against TFLM), so a rewrite that replaces the chain is proven, not argued."""

from __future__ import annotations

import numpy as np

from ..model.builder import GraphBuilder
from ..model.graph import Graph, Operator, Tensor

_ENUMERABLE = (np.dtype(np.int8), np.dtype(np.uint8), np.dtype(np.int16))


def enumerable(t: Tensor) -> bool:
    return t.dtype in _ENUMERABLE and t.quant is not None and t.quant.scale.size == 1


def all_values(dtype: np.dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.arange(info.min, info.max + 1, dtype=np.int64).astype(dtype)


def run_chain(graph: Graph, chain: list[Operator]) -> np.ndarray:
    """The outputs of the single-input, single-output ``chain`` (in order, each reading the
    previous one's output) for every value of its input's type, in ascending input order."""
    from ..sim import Simulator
    x = graph.tensors[chain[0].inputs[0]]
    values = all_values(x.dtype)
    b = GraphBuilder("chain")
    def copy(t: Tensor, as_input: bool = False) -> int:
        quant = {} if t.quant is None else {"scale": t.quant.scale, "zero_point": t.quant.zero_point}
        make = b.input if as_input else b.tensor
        return make(t.name, (values.size,), t.dtype, **quant)
    current = copy(x, as_input=True)
    for op in chain:
        y = copy(graph.tensors[op.outputs[0]])
        b.op(op.opcode, [current], [y], op.options_type, version=op.version, **op.options)
        current = y
    b.output(current)
    return Simulator(b.build()).run([values]).outputs[0]
