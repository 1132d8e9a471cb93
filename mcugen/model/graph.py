"""The in-memory graph every mcugen stage reads and writes.

One subgraph, operators in execution order (the schedule), tensors by index. Tensor indices are
stable identifiers: stages refer to tensors by index, and ``Operator.inputs`` uses -1 for an omitted
optional input, as in the flatbuffer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np


@dataclass
class Quantization:
    """Affine quantization: real = scale * (q - zero_point), per tensor or per channel on ``axis``."""

    scale: np.ndarray            # float32, one per channel (length 1 when per tensor)
    zero_point: np.ndarray       # int64, same length as scale
    axis: int = 0
    min: np.ndarray | None = None   # calibration range, when the file carries one
    max: np.ndarray | None = None

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantization):
            return NotImplemented
        same = lambda a, b: (a is None and b is None) or (  # noqa: E731
            a is not None and b is not None and np.array_equal(a, b))
        return (np.array_equal(self.scale, other.scale)
                and np.array_equal(self.zero_point, other.zero_point)
                and self.axis == other.axis and same(self.min, other.min)
                and same(self.max, other.max))


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    data: np.ndarray | None = None          # constant data (weights, biases, shapes), else None
    quant: Quantization | None = None
    is_variable: bool = False
    shape_signature: tuple[int, ...] | None = None

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tensor):
            return NotImplemented
        data_equal = (self.data is None and other.data is None) or (
            self.data is not None and other.data is not None
            and self.data.dtype == other.data.dtype
            and np.array_equal(self.data, other.data))
        return (self.index == other.index and self.name == other.name
                and self.shape == other.shape and self.dtype == other.dtype and data_equal
                and self.quant == other.quant and self.is_variable == other.is_variable
                and self.shape_signature == other.shape_signature)


@dataclass
class Operator:
    index: int                    # position in the schedule
    opcode: str                   # builtin name, e.g. "CONV_2D"; "CUSTOM" for custom ops
    inputs: list[int]             # tensor indices, -1 for an omitted optional input
    outputs: list[int]
    options: dict[str, Any] = field(default_factory=dict)  # typed builtin options, snake_case
    options_type: str | None = None   # BuiltinOptions union member, e.g. "Conv2DOptions"
    version: int = 1
    custom_code: str | None = None
    custom_options: bytes | None = None
    intermediates: list[int] = field(default_factory=list)
    #: the model's operator indices this one computes, set by the optimiser (mcugen/optimize/);
    #: None for an operator as read from the file
    origins: tuple[int, ...] | None = None

    @property
    def source(self) -> tuple[int, ...]:
        """The original operator indices: the optimiser's record, else this operator's own."""
        return self.origins if self.origins is not None else (self.index,)

    @property
    def fused_activation(self) -> str:
        return self.options.get("fused_activation_function", "NONE")


@dataclass
class Graph:
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]
    name: str = "model"
    description: str = ""
    subgraph_name: str = ""
    version: int = 3
    metadata: list[tuple[str, bytes]] = field(default_factory=list)
    signature_defs: list[Any] = field(default_factory=list)  # passed through untouched

    # -- navigation -------------------------------------------------------------------------
    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    def op_inputs(self, op: Operator) -> list[Tensor | None]:
        return [self.tensors[i] if i >= 0 else None for i in op.inputs]

    def op_outputs(self, op: Operator) -> list[Tensor]:
        return [self.tensors[i] for i in op.outputs]

    def producers(self) -> dict[int, Operator]:
        """tensor index -> the operator that writes it."""
        return {t: op for op in self.operators for t in op.outputs}

    def consumers(self) -> dict[int, list[Operator]]:
        """tensor index -> the operators that read it, in schedule order."""
        result: dict[int, list[Operator]] = {}
        for op in self.operators:
            for t in op.inputs:
                if t >= 0:
                    result.setdefault(t, []).append(op)
        return result

    def activations(self) -> Iterator[Tensor]:
        """Tensors that need RAM at run time: everything that is not constant data."""
        return (t for t in self.tensors if not t.is_constant)

    def opcodes(self) -> list[str]:
        return sorted({op.opcode for op in self.operators})

    def fingerprint(self) -> str:
        """A stable SHA-256 over the graph's content (not over file layout)."""
        h = hashlib.sha256()
        for t in self.tensors:
            h.update(repr((t.index, t.name, t.shape, str(t.dtype), t.is_variable)).encode())
            if t.quant is not None:
                h.update(t.quant.scale.tobytes() + t.quant.zero_point.tobytes())
                h.update(str(t.quant.axis).encode())
            if t.data is not None:
                h.update(np.ascontiguousarray(t.data).tobytes())
        for op in self.operators:
            h.update(repr((op.opcode, op.inputs, op.outputs, sorted(op.options.items()),
                           op.version)).encode())
        h.update(repr((self.inputs, self.outputs)).encode())
        return h.hexdigest()
