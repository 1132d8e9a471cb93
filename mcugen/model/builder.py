"""Build graphs in code: single-operator test models, and graphs the quantizer rewrites.

    b = GraphBuilder("conv")
    x = b.input("x", (1, 8, 8, 3), np.int8, scale=0.1, zero_point=-3)
    w = b.const("w", weights, scale=w_scales, zero_point=0, axis=0)
    y = b.tensor("y", (1, 8, 8, 4), np.int8, scale=0.2, zero_point=5)
    b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions",
         padding="SAME", stride_w=1, stride_h=1, fused_activation_function="NONE")
    b.output(y)
    graph = b.build()
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph import Graph, Operator, Quantization, Tensor

def quantization(scale, zero_point=0, axis: int = 0) -> Quantization:
    scale = np.atleast_1d(np.asarray(scale, dtype=np.float32))
    zp = np.atleast_1d(np.asarray(zero_point, dtype=np.int64))
    if zp.size == 1 and scale.size > 1:
        zp = np.full(scale.shape, int(zp[0]), np.int64)
    return Quantization(scale=scale, zero_point=zp, axis=axis)


def _default_version(opcode: str) -> int:
    """The version the operator's record writes into int8 models (1 for unknown operators)."""
    from ..ops.registry import lookup
    r = lookup(opcode)
    return r.version if r is not None else 1


class GraphBuilder:
    def __init__(self, name: str = "model"):
        self.name = name
        self.tensors: list[Tensor] = []
        self.operators: list[Operator] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    def tensor(self, name: str, shape, dtype, scale=None, zero_point=0, axis: int = 0,
               data: np.ndarray | None = None) -> int:
        quant = quantization(scale, zero_point, axis) if scale is not None else None
        t = Tensor(index=len(self.tensors), name=name, shape=tuple(int(d) for d in shape),
                   dtype=np.dtype(dtype), data=data, quant=quant)
        self.tensors.append(t)
        return t.index

    def input(self, name: str, shape, dtype, **quant) -> int:
        index = self.tensor(name, shape, dtype, **quant)
        self.inputs.append(index)
        return index

    def const(self, name: str, data: np.ndarray, **quant) -> int:
        data = np.asarray(data)
        return self.tensor(name, data.shape, data.dtype, data=data.copy(), **quant)

    def op(self, opcode: str, inputs: list[int], outputs: list[int],
           options_type: str | None = None, version: int | None = None,
           **options: Any) -> Operator:
        op = Operator(index=len(self.operators), opcode=opcode, inputs=list(inputs),
                      outputs=list(outputs), options=dict(options), options_type=options_type,
                      version=version or _default_version(opcode))
        self.operators.append(op)
        return op

    def output(self, index: int) -> None:
        self.outputs.append(index)

    def build(self) -> Graph:
        return Graph(tensors=self.tensors, operators=self.operators, inputs=self.inputs,
                     outputs=self.outputs, name=self.name)
