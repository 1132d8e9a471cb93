"""PAD and PADV2 (TFLM pad.cc / reference_ops::PadImpl).

The int8 kernel copies the input bytes unchanged (TFLM does not requantize) and fills the border
with the output zero point (PAD) or the constant_values scalar (PADV2); float fills with 0.0 or the
constant."""

from __future__ import annotations

import numpy as np

from ...ops.pad import prepare_pad
from ..registry import FLOAT, QUANT, KernelCall, register


def _pad(call: KernelCall) -> list[np.ndarray]:
    p = call.cache.get("params") or call.cache.setdefault(
        "params", prepare_pad(call.graph, call.op))
    x = np.asarray(call.values[0])
    out = np.pad(x, list(zip(p.before, p.after)), constant_values=p.pad_value)
    return [out.astype(call.outputs[0].dtype, copy=False)]


for _opcode in ("PAD", "PADV2"):
    register(_opcode, QUANT)(_pad)
    register(_opcode, FLOAT)(_pad)

