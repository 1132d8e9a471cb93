"""TRANSPOSE (TFLM transpose.cc / reference_ops::Transpose): a permutation of the axes, bytes
unchanged (no requantization in TFLM either)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import InputError
from ...model.graph import Graph, Operator
from ..registry import FLOAT, QUANT, KernelCall, register
from ._constants import constant_input


@dataclass
class TransposeParams:
    perm: tuple[int, ...]


def prepare_transpose(graph: Graph, op: Operator) -> TransposeParams:
    x = graph.tensors[op.inputs[0]]
    perm = tuple(int(v) for v in constant_input(graph, op, 1, "perm").ravel())
    rank = len(x.shape)
    perm = tuple(p % rank if -rank <= p < rank else p for p in perm)
    if sorted(perm) != list(range(rank)):
        raise InputError(f"TRANSPOSE perm {list(perm)} is not a permutation of {rank} axes",
                         f"operator {op.index}")
    return TransposeParams(perm)


def _transpose(call: KernelCall) -> list[np.ndarray]:
    p = call.cache.get("params") or call.cache.setdefault(
        "params", prepare_transpose(call.graph, call.op))
    return [np.transpose(np.asarray(call.values[0]), p.perm)]


register("TRANSPOSE", QUANT)(_transpose)
register("TRANSPOSE", FLOAT)(_transpose)
