"""TRANSPOSE (TFLM transpose.cc / reference_ops::Transpose): a permutation of the axes, bytes
unchanged (no requantization in TFLM either)."""

from __future__ import annotations

import numpy as np

from ...ops.transpose import prepare_transpose
from ..registry import FLOAT, QUANT, KernelCall, register


def _transpose(call: KernelCall) -> list[np.ndarray]:
    p = call.cache.get("params") or call.cache.setdefault(
        "params", prepare_transpose(call.graph, call.op))
    return [np.transpose(np.asarray(call.values[0]), p.perm)]


register("TRANSPOSE", QUANT)(_transpose)


register("TRANSPOSE", FLOAT)(_transpose)

