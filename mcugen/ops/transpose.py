"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
TRANSPOSE (TFLM transpose.cc / reference_ops::Transpose): a permutation of the axes, bytes
unchanged (no requantization in TFLM either).

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/transpose.py``."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..model.graph import Graph, Operator
from .common import constant_input
from .registry import PORTABLE_16X8, SameParams, record


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


RECORDS = (
    record("TRANSPOSE", "transpose", dtypes=("int8", "int16", "float32"),
           prepare=prepare_transpose,
           quant=SameParams((0,)), version=2, backends=PORTABLE_16X8, float_kernel=True,
           parameter_inputs=(1,)),
)
