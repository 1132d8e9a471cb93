"""Float islands kept in float32: which layers compute in float, which cores may run them, and
the value ranges inside them.

An integer model may hold DEQUANTIZE -> float ops -> QUANTIZE that the graph optimiser could not
replace by an integer operator with identical bytes (:mod:`mcugen.optimize.float_island`). mcugen
generates those layers with its portable float32 kernels where it has one (the records'
``float_kernel``), so the model deploys, but:

- only on a core with an FPU: a board whose core has none (Cortex-M0/M0+/M3/M23, or an FPU-less
  board file) is refused with one line. The float edges of a float-I/O model (QUANTIZE at the
  input, DEQUANTIZE at the output) are not float layers: they run anywhere, as before;
- only where every value stays where TFLM's arithmetic is defined: a float32 value past FLT_MAX
  becomes an infinity, and TFLM's QUANTIZE converts ``round(x / scale)`` to int32 without a
  check (undefined behaviour, which no device can be bit-exact with). The bound of every float
  value is propagated from the int8/int16 range of each DEQUANTIZE; an island whose bound can
  reach either is refused, naming the layer. Values that come from a float model input have no
  bound (as with float I/O, the caller's values must be convertible).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..model.graph import Graph, Operator
from .common import scale_of, zero_point_of
from .registry import float_layer

#: Cortex-M cores that have no FPU in any configuration.
NO_FPU_CORES = ("cortex-m0", "cortex-m0plus", "cortex-m1", "cortex-m3", "cortex-m23")

_FLT_MAX = float(np.finfo(np.float32).max)
#: |round(x / scale)| a QUANTIZE from float may meet: below int32's range with a margin for the
#: zero point added after the conversion.
_CONVERTIBLE = float(1 << 30)


def float_layers(graph: Graph) -> list[Operator]:
    """The layers that compute in float32 (every activation they touch is float32)."""
    return [op for op in graph.operators if float_layer(graph, op)]


def describe(graph: Graph, shown: int = 3) -> str:
    """'ADD at index 1, RELU at index 2' for the float layers (the first ``shown``, then how many
    more)."""
    layers = float_layers(graph)
    text = ", ".join(f"{op.opcode} at index {op.index}" for op in layers[:shown])
    return text + (f" and {len(layers) - shown} more" if len(layers) > shown else "")


def has_fpu(cpu: str, fpu: str | None = None) -> bool:
    """Whether the target runs float32 in hardware: the host does; a Cortex-M core does unless it
    has none in any configuration or its board file says ``fpu = "none"``."""
    return cpu == "host" or (cpu not in NO_FPU_CORES and fpu != "none")


def check_float_target(graph: Graph, cpu: str, fpu: str | None = None,
                       target: str | None = None) -> None:
    """Refuse, in one line, float layers on a core without an FPU (``fpu``: the board's FPU,
    "none" for a board without one; None when only the core is known) or with a value range
    TFLM's float arithmetic does not define. The host (``cpu`` "host") has an FPU."""
    if not float_layers(graph):
        return
    if not has_fpu(cpu, fpu):
        raise InputError(f"the float island ({describe(graph)} in float32) needs a core with an "
                         f"FPU; {target or cpu} ({cpu}) has none", graph.name)
    problem = range_problem(graph)
    if problem is not None:
        raise InputError(problem, graph.name)


def range_problem(graph: Graph) -> str | None:
    """Where a float island's values may leave float32 or what QUANTIZE can convert, or None."""
    bounds: dict[int, float] = {}
    for op in graph.operators:
        if op.opcode == "DEQUANTIZE" and graph.tensors[op.outputs[0]].dtype == np.float32:
            x = graph.tensors[op.inputs[0]]
            if x.quant is None or x.dtype.kind not in "iu":
                continue
            info, zp = np.iinfo(x.dtype), zero_point_of(x)
            bounds[op.outputs[0]] = max(abs(info.min - zp), abs(info.max - zp)) * scale_of(x)
        elif op.opcode == "QUANTIZE" and graph.tensors[op.inputs[0]].dtype == np.float32:
            bound, y = bounds.get(op.inputs[0]), graph.tensors[op.outputs[0]]
            if bound is not None and y.quant is not None and \
                    bound / float(np.float32(scale_of(y))) >= _CONVERTIBLE:
                return (f"float island: QUANTIZE at index {op.index} may receive values up to "
                        f"{bound:.3g}, which its scale {scale_of(y):.3g} cannot convert to int32 "
                        "(TFLM's conversion is undefined there)")
        elif float_layer(graph, op):
            bound = _bound(graph, op, bounds)
            if bound is None:
                continue
            if bound > _FLT_MAX:
                return (f"float island: {op.opcode} at index {op.index} may exceed the float32 "
                        f"range (values up to {bound:.3g})")
            for t in op.outputs:
                bounds[t] = bound
    return None


def _bound(graph: Graph, op: Operator, bounds: dict[int, float]) -> float | None:
    """The largest |value| a float layer may write, from its inputs' bounds (None: unknown)."""
    values = []
    for i in op.inputs:
        if i < 0:
            continue
        t = graph.tensors[i]
        if t.is_constant:
            if t.dtype == np.float32:
                data = np.abs(np.asarray(t.data, np.float64))
                values.append(float(data.max()) if data.size else 0.0)
            continue
        if t.dtype != np.float32:
            continue
        if i not in bounds:
            return None
        values.append(bounds[i])
    if not values:
        return None
    a = values[0]
    if op.opcode in ("ADD", "SUB"):
        return sum(values[:2])
    if op.opcode == "MUL":
        return math.prod(values[:2])
    if op.opcode == "RELU6":
        return min(a, 6.0)
    if op.opcode == "LEAKY_RELU":
        return a * max(1.0, abs(float(op.options.get("alpha", 0.0))))
    if op.opcode == "HARD_SWISH":
        return a * max(1.0, (a + 3.0) / 6.0)
    return max(values)        # RELU, MAXIMUM, MINIMUM and the data movement layers
