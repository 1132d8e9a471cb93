"""Facts about a model that ``mcugen inspect`` shows: per-operator shapes, MACs, parameter bytes,
and the verdict on what kind of quantization the model carries."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ops.float_island import describe, float_layers, range_problem
from ..ops.registry import lookup, undeployable
from .graph import Graph, Operator, Tensor



@dataclass
class OpSummary:
    index: int
    opcode: str
    inputs: list[dict]
    outputs: list[dict]
    fused_activation: str
    macs: int
    param_bytes: int


@dataclass
class ModelSummary:
    name: str
    ops: list[OpSummary]
    total_macs: int
    total_param_bytes: int
    inputs: list[dict]
    outputs: list[dict]
    kind: str                 # "int8", "float32", "hybrid", "int16x8", "int8-float-io", ...
    verdict: str
    unsupported: list[tuple[int, str]] = field(default_factory=list)
    # the layers an integer model runs in float32 (a float island: needs a core with an FPU)
    float_layers: list[dict] = field(default_factory=list)


def tensor_facts(t: Tensor) -> dict:
    facts = {"index": t.index, "name": t.name, "shape": list(t.shape), "dtype": str(t.dtype)}
    if t.quant is not None:
        if t.quant.per_channel:
            facts["quantization"] = {"per_channel": True, "channels": int(t.quant.scale.size),
                                     "axis": t.quant.axis}
        else:
            facts["quantization"] = {"scale": float(t.quant.scale[0]),
                                     "zero_point": int(t.quant.zero_point[0])}
    return facts


def op_macs(graph: Graph, op: Operator) -> int:
    """Multiply-accumulates of one operator (its record's ``macs``; 0 for operators without a
    weight tensor)."""
    r = lookup(op.opcode)
    if r is None or r.macs is None or len(op.inputs) < 2 or op.inputs[1] < 0:
        return 0
    return r.macs(graph, op)


def classify(graph: Graph) -> tuple[str, str]:
    """(kind, verdict line) for the model's quantization scheme."""
    # variable tensors are state, not activations: an int8 LSTM keeps an int16 cell state
    acts = [t for t in graph.activations() if not t.is_variable]
    act_types = {t.dtype for t in acts}
    io_types = {graph.tensors[i].dtype for i in graph.inputs + graph.outputs}
    const_types = {t.dtype for t in graph.tensors if t.is_constant}
    f32, i8, u8, i16 = (np.dtype(x) for x in (np.float32, np.int8, np.uint8, np.int16))
    if f32 in act_types and not (act_types & {i8, u8, i16}):
        if const_types & {i8, u8}:
            return "hybrid", "dynamic-range (hybrid): run `mcugen quantize` for full int8"
        return "float32", "float32: run `mcugen quantize`"
    if i16 in act_types:
        return "int16x8", "16x8 (int16 activations, int8 weights): deployable"
    if io_types <= {i8}:
        return "int8", "full int8 with int8 I/O: deployable"
    if io_types <= {i8, u8}:
        return "int8-uint8-io", "int8 with uint8 I/O"
    if f32 in io_types:
        return "int8-float-io", "int8 with float I/O"
    return "other", "unrecognised quantization scheme"


def summarize(graph: Graph, chain: tuple[str, ...] | None = None) -> ModelSummary:
    """Summarise ``graph``; with ``chain`` (the kernel backends code generation would try), also
    which operators it would refuse."""
    ops, seen_params = [], set()
    total_params = 0
    for op in graph.operators:
        consts = [t for t in graph.op_inputs(op) if t is not None and t.is_constant]
        param_bytes = sum(t.nbytes for t in consts)
        for t in consts:
            if t.index not in seen_params:
                seen_params.add(t.index)
                total_params += t.nbytes
        ops.append(OpSummary(
            index=op.index, opcode=op.opcode,
            inputs=[tensor_facts(t) for t in graph.op_inputs(op) if t is not None and not t.is_constant],
            outputs=[tensor_facts(t) for t in graph.op_outputs(op)],
            fused_activation=op.fused_activation, macs=op_macs(graph, op),
            param_bytes=param_bytes))
    kind, verdict = classify(graph)
    unsupported = []
    floats = float_layers(graph) if kind not in ("float32", "hybrid") else []
    if chain is not None:
        refused = undeployable(graph, chain, integer_model=kind not in ("float32", "hybrid"))
        unsupported = [(i, opcode) for i, opcode, _ in refused]
        islands = sorted({name for _, name, why in refused if why.startswith("float island")})
        problem = range_problem(graph) if floats else None
        if islands:
            verdict = (f"integer model with a float island (DEQUANTIZE -> float op -> QUANTIZE): "
                       f"not deployable ({', '.join(islands)} in float32: no bit-exact float32 "
                       "kernel)")
        elif problem is not None:
            verdict = f"integer model with a float island: not deployable ({problem})"
        elif floats and not unsupported:
            verdict = (f"{verdict.split(':')[0]} and a float island ({describe(graph)} in "
                       "float32): deployable on a core with an FPU")
        elif kind in ("int8", "int16x8") and unsupported:
            names = sorted({name for _, name in unsupported})
            what = "full int8 with int8 I/O" if kind == "int8" else \
                "16x8 (int16 activations, int8 weights)"
            verdict = f"{what}: not yet deployable ({', '.join(names)})"
    return ModelSummary(
        name=graph.name, ops=ops, total_macs=sum(o.macs for o in ops),
        total_param_bytes=total_params,
        inputs=[tensor_facts(graph.tensors[i]) for i in graph.inputs],
        outputs=[tensor_facts(graph.tensors[i]) for i in graph.outputs],
        kind=kind, verdict=verdict, unsupported=unsupported,
        float_layers=[{"index": op.index, "opcode": op.opcode} for op in floats])
