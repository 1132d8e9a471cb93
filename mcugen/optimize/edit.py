"""Graph surgery the rewrites share: who reads a tensor, removing a pass-through operator, and
compacting the tensor list once operators are gone.

Every helper keeps the graph's invariants (each tensor written once, operators in dataflow order,
graph inputs never written); the pass runner validates the whole graph after every rewrite all the
same (issue 13's rule: no stage trusts a graph the validator has not seen).
"""

from __future__ import annotations

import numpy as np

from ..model.graph import Graph, Operator, Tensor


def readers(graph: Graph, tensor: int) -> list[Operator]:
    """The operators that read ``tensor``, in schedule order."""
    return [op for op in graph.operators if tensor in op.inputs]


def only_reader(graph: Graph, tensor: int) -> Operator | None:
    """The single operator reading ``tensor`` when it is the only use (not a graph output, one
    reader, read once), else None: a tensor folded away must have no other observer."""
    if tensor in graph.outputs:
        return None
    users = readers(graph, tensor)
    if len(users) != 1 or users[0].inputs.count(tensor) != 1:
        return None
    return users[0]


def producer(graph: Graph, tensor: int) -> Operator | None:
    for op in graph.operators:
        if tensor in op.outputs:
            return op
    return None


def same_quant(a: Tensor, b: Tensor) -> bool:
    """Same dtype and the same (scale, zero point) values: the bytes mean the same numbers."""
    if a.dtype != b.dtype:
        return False
    if a.quant is None or b.quant is None:
        return a.quant is None and b.quant is None
    return (np.array_equal(a.quant.scale, b.quant.scale)
            and np.array_equal(a.quant.zero_point, b.quant.zero_point)
            and (a.quant.scale.size == 1 or a.quant.axis == b.quant.axis))


def merge_origins(*ops: Operator) -> tuple[int, ...]:
    return tuple(sorted({i for op in ops for i in op.source}))


def bypass(graph: Graph, op: Operator) -> bool:
    """Remove ``op``, whose output holds exactly the bytes of its input 0 (same shape, dtype and
    quantization, checked by the caller). Readers of the output read the input instead; when the
    output is a graph output, the input's producer writes the output tensor instead (possible
    when nothing else observes the input). False (graph unchanged) when neither is possible."""
    x, y = op.inputs[0], op.outputs[0]
    if y not in graph.outputs:
        for other in graph.operators:
            other.inputs = [x if i == y else i for i in other.inputs]
        remove(graph, op)
        return True
    source = producer(graph, x)
    if source is None or only_reader(graph, x) is not op:
        return False
    source.outputs = [y if i == x else i for i in source.outputs]
    source.origins = merge_origins(source, op)
    remove(graph, op)
    return True


def remove(graph: Graph, op: Operator) -> None:
    graph.operators = [o for o in graph.operators if o is not op]
    renumber(graph)


def renumber(graph: Graph) -> None:
    for k, op in enumerate(graph.operators):
        op.index = k


def add_constant(graph: Graph, name: str, data: np.ndarray) -> int:
    """A new constant tensor (e.g. a RESHAPE's new shape); its index."""
    data = np.asarray(data)
    index = len(graph.tensors)
    graph.tensors.append(Tensor(index=index, name=name, shape=tuple(data.shape),
                                dtype=data.dtype, data=data.copy()))
    return index


def compact(graph: Graph) -> None:
    """Drop the tensors no operator and no graph input or output refers to any longer, and
    renumber the rest (names and order kept): the planner and the code generator then see only
    live tensors."""
    used = set(graph.inputs) | set(graph.outputs)
    for op in graph.operators:
        used.update(i for i in op.inputs + op.outputs + op.intermediates if i >= 0)
    used.update(t.index for t in graph.tensors if t.is_variable)
    keep = [t for t in graph.tensors if t.index in used]
    if len(keep) == len(graph.tensors):
        return
    new = {t.index: k for k, t in enumerate(keep)}
    for k, t in enumerate(keep):
        t.index = k
    graph.tensors = keep
    remap = lambda i: new[i] if i >= 0 else i  # noqa: E731
    for op in graph.operators:
        op.inputs = [remap(i) for i in op.inputs]
        op.outputs = [remap(i) for i in op.outputs]
        op.intermediates = [remap(i) for i in op.intermediates]
    graph.inputs = [new[i] for i in graph.inputs]
    graph.outputs = [new[i] for i in graph.outputs]
