"""Standalone activations: LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH.

QUANT kernels follow TFLM's int8 (and, for all but HARD_SWISH, int16) reference kernels
(logistic_common.cc + reference_integer_ops logistic.h, tanh.cc + tanh.h, activations_common.cc,
leaky_relu_common.cc + leaky_relu.h, hard_swish_common.cc + hard_swish.h); int16 LOGISTIC and
TANH are fixedpoint.logistic_int16 / tanh_int16 with prepare_sigmoid16's constants. Each activation maps one value to one value, so the
kernel evaluates TFLM's integer formula once on all 256 (int16: 65536) inputs (``lut_<op>``, cached per
operator) and then indexes that table: exact by construction, and fast. The code generator can
emit the same table or the same constants (``prepare_<op>``)."""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedOperatorError
from ...ops.activations import (
    lut_hard_swish,
    lut_leaky_relu,
    lut_logistic,
    lut_relu,
    lut_relu6,
    lut_tanh,
)
from ..registry import FLOAT, QUANT, KernelCall, register


def _lut_kernel(call: KernelCall, make_lut, wide: bool = False) -> list[np.ndarray]:
    """``wide``: the operator also maps int16 -> int16 (a 65536-entry table)."""
    lut = call.cache.get("lut")
    x, y = call.inputs[0], call.outputs[0]
    if lut is None:
        if x.dtype != y.dtype or x.dtype not in ((np.int8, np.int16) if wide else (np.int8,)):
            raise UnsupportedOperatorError(call.op.opcode, call.op.index, call.graph.name,
                                           stage=f"simulator: {x.dtype} -> {y.dtype}; "
                                                 f"int8{' or int16' if wide else ''} only")
        lut = call.cache["lut"] = make_lut(call.graph, call.op)
    return [lut[call.values[0].astype(np.int64) - np.iinfo(x.dtype).min]]


@register("LOGISTIC", QUANT)
def logistic(call: KernelCall) -> list[np.ndarray]:
    return _lut_kernel(call, lut_logistic, wide=True)


@register("TANH", QUANT)
def tanh(call: KernelCall) -> list[np.ndarray]:
    return _lut_kernel(call, lut_tanh, wide=True)


@register("RELU", QUANT)
def relu(call: KernelCall) -> list[np.ndarray]:
    return _lut_kernel(call, lut_relu, wide=True)


@register("RELU6", QUANT)
def relu6(call: KernelCall) -> list[np.ndarray]:
    return _lut_kernel(call, lut_relu6, wide=True)


@register("LEAKY_RELU", QUANT)
def leaky_relu(call: KernelCall) -> list[np.ndarray]:
    return _lut_kernel(call, lut_leaky_relu, wide=True)


@register("HARD_SWISH", QUANT)
def hard_swish(call: KernelCall) -> list[np.ndarray]:
    return _lut_kernel(call, lut_hard_swish)


def _float(fn):
    def kernel(call: KernelCall) -> list[np.ndarray]:
        return [fn(call.values[0].astype(np.float32), call.op).astype(np.float32)]
    return kernel


register("LOGISTIC", FLOAT)(_float(lambda x, op: 1.0 / (1.0 + np.exp(-x.astype(np.float64)))))


register("TANH", FLOAT)(_float(lambda x, op: np.tanh(x)))


register("RELU", FLOAT)(_float(lambda x, op: np.maximum(x, np.float32(0))))


register("RELU6", FLOAT)(_float(lambda x, op: np.clip(x, np.float32(0), np.float32(6))))


register("LEAKY_RELU", FLOAT)(_float(
    lambda x, op: np.where(x > 0, x, x * np.float32(op.options.get("alpha", 0.0)))))


register("HARD_SWISH", FLOAT)(_float(
    lambda x, op: x * np.clip(x + np.float32(3), np.float32(0), np.float32(6)) / np.float32(6)))

