"""The operator registry: one record per operator, read by every stage.

A record says what each stage does with its operator:

- ``dtypes``: the activation dtypes the simulator implements (its kernels are registered per
  arithmetic in ``mcugen/sim/kernels/<family>.py``); any other dtype is refused with one line;
- ``prepare``: the function that computes the operator's int8 constants (multipliers, shifts,
  geometry, tables), shared by the simulator, the code generator and the planner;
- ``quant``: the quantizer's rule (weights per channel, shared parameters, a fixed output, or a
  free output); ``None`` means a float model with this operator cannot be quantized;
- ``version``: the operator version written into int8 models (what the TF converter writes);
- ``backends``: the kernel backends that lower the operator, each with a per-instance check that
  names why one instance does not qualify (that instance then falls to the next backend);
- ``alias`` / ``inplace``: the planner's facts (output is the input's bytes / may overwrite it);
- ``macs`` and ``scratch`` (per backend): what ``inspect`` counts and what the arena must hold;
- ``float_kernel``: mcugen's portable C also runs the operator in float32, for a float island
  inside an integer model (DEQUANTIZE -> float op -> QUANTIZE that no integer operator replaces
  exactly). Only operators whose TFLM float kernel is one IEEE operation per element (or a copy)
  have one: C, simulator and TFLM then agree bit for bit on every core with an FPU;
- ``parameter_inputs``: input positions that hold int32 parameters, not data (a shape, paddings,
  an axis list, a permutation), even when a converter computed them instead of storing a
  constant. Any other int32 input is data, and its dtype is checked like every activation's.

The records live beside their ``prepare`` functions in ``mcugen/ops/<family>.py``; the family
name is also the file name of the operator's simulator kernel, lowering and C templates.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from ..errors import UnsupportedOperatorError
from ..model.graph import Graph, Operator

#: The kernel backends: mcugen's generated-layout kernels, CMSIS-NN calls, mcugen's portable C.
BACKENDS = ("mcugen", "cmsis-nn", "portable")

Check = Callable[[Graph, Operator], "str | None"]


# -- quantization rules ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Weighted:
    """Constant weights at input 1, quantized symmetric per channel along ``axis``; int32 bias."""
    axis: int


@dataclass(frozen=True)
class SameParams:
    """The int8 kernel moves or compares bytes: these inputs share the output's (scale, zero
    point); ``inputs=None`` means every non-int32 input."""
    inputs: tuple[int, ...] | None


@dataclass(frozen=True)
class FixedOutput:
    """TFLM fixes the int8 output quantization (softmax/logistic in [0, 1), tanh in [-1, 1))."""
    scale: float
    zero_point: int


@dataclass(frozen=True)
class FreeOutput:
    """The kernel requantizes: the output's parameters come from its calibrated range."""


QuantRule = Weighted | SameParams | FixedOutput | FreeOutput


# -- the record -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpRecord:
    name: str
    family: str
    dtypes: frozenset[str] = frozenset()
    prepare: Callable | None = None
    quant: QuantRule | None = None
    version: int = 1
    backends: Mapping[str, Check | None] = field(default_factory=dict)
    alias: bool = False
    inplace: bool = False
    macs: Callable[[Graph, Operator], int] | None = None
    scratch: Mapping[str, Callable[[Graph, Operator, str], int]] = field(default_factory=dict)
    float_kernel: bool = False
    parameter_inputs: tuple[int, ...] = ()

    @property
    def quantizable(self) -> bool:
        return self.quant is not None

    @property
    def simulated(self) -> bool:
        return bool(self.dtypes)


def record(name: str, family: str, **facts) -> OpRecord:
    """An OpRecord; ``dtypes`` may be given as any iterable of dtype names."""
    if "dtypes" in facts:
        facts["dtypes"] = frozenset(facts["dtypes"])
    return OpRecord(name, family, **facts)


_RECORDS: dict[str, OpRecord] = {}


def records() -> dict[str, OpRecord]:
    """Every operator mcugen knows, by name (loaded from the family modules once)."""
    if not _RECORDS:
        from .. import ops
        for info in sorted(pkgutil.iter_modules(ops.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{ops.__name__}.{info.name}")
            for r in getattr(module, "RECORDS", ()):
                if r.name in _RECORDS:
                    raise RuntimeError(f"operator {r.name} has two records")
                _RECORDS[r.name] = r
    return _RECORDS


def lookup(opcode: str) -> OpRecord | None:
    return records().get(opcode)


def names(predicate: Callable[[OpRecord], bool] = lambda r: True) -> frozenset[str]:
    return frozenset(n for n, r in records().items() if predicate(r))


# -- dtypes ---------------------------------------------------------------------------------------
def data_inputs(graph: Graph, op: Operator, variables: bool = False):
    """The non-constant inputs that are data: not an int32 parameter input (a RESHAPE's shape,
    the record's ``parameter_inputs``), and not state kept in a variable tensor unless
    ``variables``."""
    r = lookup(op.opcode)
    params = r.parameter_inputs if r is not None else ()
    found = []
    for position, t in enumerate(graph.op_inputs(op)):
        if t is None or t.is_constant or (t.is_variable and not variables):
            continue
        if t.dtype == np.int32 and position in params:
            continue
        found.append(t)
    return found


def op_dtypes(graph: Graph, op: Operator) -> list[str]:
    """The activation dtypes an operator touches: its outputs and its data inputs (int32
    parameter inputs such as a RESHAPE's shape are not activations, nor is state kept in
    variable tensors, e.g. an int8 LSTM's int16 cell state: the kernel checks those)."""
    seen = [t.dtype.name for t in data_inputs(graph, op)]
    seen += [t.dtype.name for t in graph.op_outputs(op)]
    return list(dict.fromkeys(seen))


def check_dtypes(graph: Graph, op: Operator, stage: str) -> OpRecord:
    """The record of ``op`` when mcugen implements it for the dtypes it touches; else a one-line
    UnsupportedOperatorError naming operator, dtype and index."""
    r = lookup(op.opcode)
    if r is None or not r.dtypes:
        raise UnsupportedOperatorError(op.opcode, op.index, graph.name, stage=stage)
    bad = [d for d in op_dtypes(graph, op) if d not in r.dtypes]
    if bad:
        raise UnsupportedOperatorError(f"{op.opcode} ({bad[0]})", op.index, graph.name,
                                       stage=f"{stage} implements {', '.join(sorted(r.dtypes))}")
    return r


# -- backends -------------------------------------------------------------------------------------
#: API details of the CMSIS-NN tree in use that per-instance checks depend on (set by
#: mcugen.codegen.cmsis_nn.find_cmsis_nn when it finds the tree): "lstm_hidden_state" — the tree's
#: cmsis_nn_lstm_context carries the hidden state between calls (4ab83cc3 and later; v7.0.0's
#: does not, so its LSTM cannot run TFLM's stateful semantics).
CMSIS_NN_FEATURES: set[str] = set()


def backend_chain(preferred: str | None = None, cmsis_nn: bool = False,
                  board_preferred: str | None = None) -> tuple[str, ...]:
    """The backends tried for each layer, in order: the one asked for (``--kernels``) or else the
    board's preferred backend, then CMSIS-NN when a tree is given, then mcugen's portable kernels
    (which take every operator they declare)."""
    chain = [preferred] if preferred else ([board_preferred] if board_preferred else [])
    if cmsis_nn:
        chain.append("cmsis-nn")
    chain.append("portable")
    for b in chain:
        if b not in BACKENDS:
            raise ValueError(f"unknown kernel backend '{b}'")
    return tuple(dict.fromkeys(chain))


#: Fused activations a float kernel applies exactly (a clamp); TANH and SIGN_BIT are not.
FLOAT_FUSED = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def float_layer(graph: Graph, op: Operator) -> bool:
    """Every activation the operator touches is float32 (a layer of a float island)."""
    acts = op_dtypes(graph, op)
    return bool(acts) and all(d == "float32" for d in acts)


def float_kernel_check(graph: Graph, op: Operator) -> str | None:
    """The portable float32 kernels: the operator has one, rank <= 4, a clamp as activation."""
    r = lookup(op.opcode)
    if r is None or not r.float_kernel:
        return (f"no float32 {op.opcode} kernel: mcugen generates float32 only where its C is "
                "bit-exact with TFLM (element-wise arithmetic, clamps, data movement)")
    for t in graph.op_inputs(op) + graph.op_outputs(op):
        if t is not None and t.dtype == np.float32 and len(t.shape) > 4:
            return f"tensor '{t.name}' has rank {len(t.shape)}; the kernel takes rank <= 4"
    if op.fused_activation not in FLOAT_FUSED:
        return f"fused {op.fused_activation} in float32 is not generated (not bit-exact)"
    return None


def float_ops() -> frozenset[str]:
    """The operators mcugen's C runs in float32 (inside float islands)."""
    return names(lambda r: r.float_kernel)


def why_not(graph: Graph, op: Operator, backend: str) -> str | None:
    """None when ``backend`` lowers this instance, else the reason it does not. A float32 layer
    goes to the portable float kernels or nowhere."""
    r = lookup(op.opcode)
    if r is None or backend not in r.backends:
        return f"no {backend} kernel"
    if float_layer(graph, op):
        return float_kernel_check(graph, op) if backend == "portable" else \
            f"no {backend} float32 kernel"
    check = r.backends[backend]
    return check(graph, op) if check is not None else None


def choose_backend(graph: Graph, op: Operator, chain: tuple[str, ...]) -> str:
    """The first backend of ``chain`` that takes this instance (one rule for every command)."""
    reasons = []
    for backend in chain:
        reason = why_not(graph, op, backend)
        if reason is None:
            return backend
        reasons.append(f"{backend}: {reason}")
    wide = [d for d in op_dtypes(graph, op) if d == "int16"]
    raise UnsupportedOperatorError(f"{op.opcode} ({wide[0]})" if wide else op.opcode, op.index,
                                   graph.name, stage="not deployable: " + "; ".join(reasons))


def assign_backends(graph: Graph, chain: tuple[str, ...]) -> dict[int, str]:
    """op index -> backend, for every operator of an integer graph."""
    return {op.index: choose_backend(graph, op, chain) for op in graph.operators}


# -- per-instance checks shared by families -------------------------------------------------------
def int8_tensors(graph: Graph, op: Operator) -> str | None:
    """mcugen's C kernels take int8 activations of rank <= 4."""
    for t in data_inputs(graph, op, variables=True) + graph.op_outputs(op):
        if t.dtype != np.int8:
            return f"tensor '{t.name}' is {t.dtype.name}; the kernel takes int8"
        if len(t.shape) > 4:
            return f"tensor '{t.name}' has rank {len(t.shape)}; the kernel takes rank <= 4"
    return None


def int8_or_16x8_tensors(graph: Graph, op: Operator) -> str | None:
    """mcugen's portable kernels that also have a 16x8 variant: int8 activations, or int16
    activations throughout (int8 weights), rank <= 4."""
    acts = data_inputs(graph, op, variables=True) + graph.op_outputs(op)
    if acts and all(t.dtype == np.int16 for t in acts):
        for t in acts:
            if len(t.shape) > 4:
                return f"tensor '{t.name}' has rank {len(t.shape)}; the kernel takes rank <= 4"
        return None
    return int8_tensors(graph, op)


def same_shapes(graph: Graph, op: Operator) -> str | None:
    """Kernels that do not broadcast."""
    shapes = {tuple(t.shape) for t in graph.op_inputs(op) + graph.op_outputs(op)
              if t is not None and not t.is_constant}
    consts = [t for t in graph.op_inputs(op) if t is not None and t.is_constant]
    if len(shapes) > 1 or any(tuple(t.shape) not in shapes for t in consts):
        return "inputs need broadcasting"
    return int8_tensors(graph, op)


#: The per-instance check of every portable-kernel lowering unless a family names its own.
PORTABLE = {"portable": int8_tensors}
#: ... of the portable lowerings that also generate 16x8 layers.
PORTABLE_16X8 = {"portable": int8_or_16x8_tensors}


def undeployable(graph: Graph, chain: tuple[str, ...],
                 integer_model: bool = False) -> list[tuple[int, str, str]]:
    """(index, opcode, reason) of every operator the code generator would refuse with ``chain``.

    Integer layers are judged per instance, exactly as code generation chooses their backend;
    float layers of a model still to be quantized by the operator (its int8 form must be
    simulated and lowered). In an ``integer_model`` a float layer is a float island
    (DEQUANTIZE -> float op -> QUANTIZE): generated in float32 where mcugen has a bit-exact
    float kernel (:func:`float_kernel_check`), else refused by name."""
    found = []
    for op in graph.operators:
        r = lookup(op.opcode)
        floats = "float32" in op_dtypes(graph, op) and op.opcode not in ("QUANTIZE", "DEQUANTIZE")
        if r is None or not r.backends or "int8" not in r.dtypes:
            found.append((op.index, op.opcode, "mcugen has no kernel for it"))
        elif floats and r.quant is None:
            found.append((op.index, op.opcode, "mcugen does not quantize it"))
        elif floats and integer_model:
            reason = float_kernel_check(graph, op) if float_layer(graph, op) else \
                "float32 and integer tensors in one layer"
            if reason is not None:
                found.append((op.index, op.opcode, "float island inside an integer model "
                              f"(DEQUANTIZE -> float op -> QUANTIZE): {reason}"))
        elif not floats:
            try:
                check_dtypes(graph, op, "the simulator")
                choose_backend(graph, op, chain)
            except UnsupportedOperatorError as exc:
                found.append((op.index, op.opcode, exc.message))
    return found


def refuse_unimplemented_dtypes(graph: Graph, stage: str) -> None:
    """Refuse, with check_dtypes' one line (``unsupported operator CONV_2D (int16) at index 0``),
    the first operator mcugen knows whose dtypes it does not implement (an int16 layer of a 16x8
    model): no stage may run such a layer through another dtype's arithmetic. Operators mcugen
    does not know at all are left to the stages, which refuse them by name."""
    for op in graph.operators:
        r = lookup(op.opcode)
        if r is not None and r.dtypes:
            check_dtypes(graph, op, stage)


def prepare_all(graph: Graph) -> None:
    """Run every integer operator's ``prepare``: a model defect it finds (an output scale TFLM
    rejects, an axis out of range, ...) raises the same InputError in every command, before any
    stage relies on the constants. An operator with a dtype mcugen does not implement is refused
    first: its ``prepare`` computes another dtype's constants (and would name a wrong defect)."""
    refuse_unimplemented_dtypes(graph, "the planner")
    for op in graph.operators:
        r = lookup(op.opcode)
        if r is not None and r.prepare is not None and "float32" not in op_dtypes(graph, op):
            r.prepare(graph, op)
