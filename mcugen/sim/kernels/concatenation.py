"""CONCATENATION (TFLM concatenation.cc): a byte copy along one axis.

TFLM's int8 kernel does not requantize: it requires every input to carry the output's scale and
zero point and rejects the model otherwise, so the simulator does the same (a clear error rather
than silently different numbers)."""

from __future__ import annotations

import numpy as np

from ...ops.concatenation import prepare_concatenation
from ..registry import FLOAT, QUANT, KernelCall, register


def _concatenation(call: KernelCall) -> list[np.ndarray]:
    p = call.cache.get("params") or call.cache.setdefault(
        "params", prepare_concatenation(call.graph, call.op))
    parts = [np.asarray(v).reshape(t.shape) for v, t in zip(call.values, call.inputs)]
    return [np.concatenate(parts, axis=p.axis)]


register("CONCATENATION", QUANT)(_concatenation)


register("CONCATENATION", FLOAT)(_concatenation)

