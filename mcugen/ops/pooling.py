"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
AVERAGE_POOL_2D and MAX_POOL_2D (TFLM reference_integer_ops pooling and the float reference).

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/pooling.py``."""

from __future__ import annotations

from dataclasses import dataclass

from ..model.graph import Graph, Operator
from . import cmsis_nn_scratch
from .common import activation_range_quantized, padding_before
from .registry import SameParams, int8_or_16x8_tensors, int8_tensors, record


@dataclass
class PoolParams:
    filter_h: int
    filter_w: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    act_min: int
    act_max: int


def prepare_pool(graph: Graph, op: Operator) -> PoolParams:
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    o = op.options
    fh, fw, sh, sw = o["filter_height"], o["filter_width"], o["stride_h"], o["stride_w"]
    pad = o.get("padding", "VALID")
    # a float pool ignores quantization parameters on its output, as TFLM's float kernel does
    act = activation_range_quantized(op.fused_activation, y) \
        if y.quant and y.dtype.kind in "iu" else (0, 0)
    if pad == "EXPLICIT":     # a PAD the optimiser folded into a MAX_POOL (optimize/pad_fold.py)
        top, _, left, _ = (int(v) for v in o["explicit_padding"])
        return PoolParams(fh, fw, sh, sw, top, left, *act)
    return PoolParams(fh, fw, sh, sw, padding_before(pad, x.shape[1], fh, sh, 1, y.shape[1]),
                      padding_before(pad, x.shape[2], fw, sw, 1, y.shape[2]), *act)


def cmsis_pool_check(graph: Graph, op: Operator) -> str | None:
    """int8 layers, and 16x8 ones: CMSIS-NN's arm_avgpool_s16 / arm_max_pool_s16 (v7.0.0 and
    4ab83cc3) compute TFLM's reference (int32 window sums, the same rounding division by the
    count of taps inside the input, the clamp) as long as a window's sum fits int32: fewer than
    65536 taps."""
    x = graph.tensors[op.inputs[0]]
    if x.dtype.name != "int16":
        return int8_tensors(graph, op)
    reason = int8_or_16x8_tensors(graph, op)
    o = op.options
    if reason is None and o["filter_height"] * o["filter_width"] >= 65536:
        reason = "window of 65536 taps or more (its int32 sum may overflow)"
    return reason


RECORDS = (
    record("AVERAGE_POOL_2D", "pooling", dtypes=("int8", "int16", "float32"), prepare=prepare_pool,
           quant=SameParams((0,)), version=2,
           backends={"mcugen": int8_tensors, "cmsis-nn": cmsis_pool_check,
                     "portable": int8_or_16x8_tensors},
           scratch={"cmsis-nn": cmsis_nn_scratch.average_pool_2d}),
    record("MAX_POOL_2D", "pooling", dtypes=("int8", "int16", "float32"), prepare=prepare_pool,
           quant=SameParams((0,)), version=2,
           backends={"cmsis-nn": cmsis_pool_check, "portable": int8_or_16x8_tensors}),
)
