"""A standalone RELU/RELU6 folded into its producer's activation clamp.

    ... -> CONV_2D (activation NONE) -> x -> RELU6 -> y        (x read by nothing else)

after:

    ... -> CONV_2D (activation RELU6) -> y

Producers: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, SUB, MUL, AVERAGE_POOL_2D and
MAX_POOL_2D, whose kernels clamp to the fused activation's range after requantizing. The fold is
exact when x and y share dtype and quantization and the standalone kernel equals the fused clamp
on every input: for int8 the simulator's RELU/RELU6 table (TFLM's formula, which requantizes
through a multiplier of 1) is compared on all 256 values with ``clip(v, act_min, act_max)`` as
the producer would compute it for y; for float32 max(x, 0) and min(max(x, 0), 6) are the fused
activations' own definitions.
"""

from __future__ import annotations

import numpy as np

from ..errors import McugenError
from ..model.graph import Graph, Operator
from ..ops.activations import lut_relu, lut_relu6
from ..ops.common import activation_range_quantized
from .edit import merge_origins, only_reader, remove, same_quant

PRODUCERS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "SUB", "MUL",
             "AVERAGE_POOL_2D", "MAX_POOL_2D")
_LUTS = {"RELU": lut_relu, "RELU6": lut_relu6}


def exact(graph: Graph, relu: Operator) -> bool:
    x, y = graph.tensors[relu.inputs[0]], graph.tensors[relu.outputs[0]]
    if not same_quant(x, y) or tuple(x.shape) != tuple(y.shape):
        return False
    if x.dtype == np.float32:
        return True
    if x.dtype != np.int8 or x.quant is None or x.quant.scale.size != 1:
        return False
    try:
        table = _LUTS[relu.opcode](graph, relu).astype(np.int64)
        lo, hi = activation_range_quantized(relu.opcode, y)
    except McugenError:
        return False
    return np.array_equal(table, np.clip(np.arange(-128, 128), lo, hi))


def apply(graph: Graph) -> str | None:
    producers = {t: op for op in graph.operators for t in op.outputs}
    for relu in graph.operators:
        if relu.opcode not in _LUTS or not relu.inputs or len(relu.outputs) != 1:
            continue
        x = relu.inputs[0]
        source = producers.get(x)
        if (source is None or source.opcode not in PRODUCERS or source.options_type is None
                or len(source.outputs) != 1 or source.fused_activation != "NONE"
                or only_reader(graph, x) is not relu or not exact(graph, relu)):
            continue
        source.options["fused_activation_function"] = relu.opcode
        source.outputs = [relu.outputs[0]]
        source.origins = merge_origins(source, relu)
        remove(graph, relu)
        return (f"{relu.opcode} (operator {', '.join(map(str, relu.source))}) folded into "
                f"{source.opcode}'s activation clamp")
    return None
