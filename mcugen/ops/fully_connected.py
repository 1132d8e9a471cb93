"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
FULLY_CONNECTED (TFLM reference_integer_ops::FullyConnected / FullyConnectedPerChannel and the
float reference). The input is flattened to (batches, accum_depth) where accum_depth is the
weights' second dimension; keep_num_dims only changes the output's shape, which the executor
takes from the output tensor.

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/fully_connected.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fixedpoint import quantize_multipliers
from ..model.graph import Graph, Operator
from . import cmsis_nn_scratch
from .common import (activation_range_quantized, check_int64_shifts, effective_scale,
                     int16_accumulator, scale_of, zero_point_of)
from .conv import accumulator_bound_fails, fast_conv_scratch
from .registry import Weighted, int8_or_16x8_tensors, int8_tensors, record


@dataclass
class FullyConnectedParams:
    input_zero_point: int
    filter_zero_point: int
    output_zero_point: int
    multipliers: np.ndarray    # int32: one entry per tensor, or one per output channel
    shifts: np.ndarray
    per_channel: bool
    act_min: int
    act_max: int
    wide: bool = False         # int16 layer with an int64 accumulator (else int32)


def prepare_fully_connected(graph: Graph, op: Operator) -> FullyConnectedParams:
    x = graph.tensors[op.inputs[0]]
    w = graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    mult, shift = quantize_multipliers(effective_scale(scale_of(x), w.quant.scale, scale_of(y)))
    act_min, act_max = activation_range_quantized(op.fused_activation, y)
    wide = x.dtype == np.int16 and int16_accumulator(graph, op, 0, int32_bias=True)
    if wide:
        check_int64_shifts(graph, op, shift)
    return FullyConnectedParams(zero_point_of(x), int(w.quant.zero_point[0]), zero_point_of(y),
                                mult, shift, w.quant.scale.size > 1, act_min, act_max, wide)


def fully_connected_macs(graph: Graph, op: Operator) -> int:
    """Output elements x input depth (weights [Cout, Cin])."""
    return graph.tensors[op.outputs[0]].size * graph.tensors[op.inputs[1]].shape[-1]


def fast_fc_check(graph: Graph, op: Operator) -> str | None:
    reason = int8_tensors(graph, op) or accumulator_bound_fails(graph, op)
    w = graph.tensors[op.inputs[1]]
    if reason is None and w.quant is not None and np.any(w.quant.zero_point != 0):
        reason = "weights with a zero point"
    return reason


RECORDS = (
    record("FULLY_CONNECTED", "fully_connected", dtypes=("int8", "int16", "float32"),
           prepare=prepare_fully_connected, quant=Weighted(axis=0), version=4,
           backends={"mcugen": fast_fc_check, "cmsis-nn": int8_tensors,
                     "portable": int8_or_16x8_tensors},
           macs=fully_connected_macs, scratch={"cmsis-nn": cmsis_nn_scratch.fully_connected,
                                               "mcugen": fast_conv_scratch}),
)
