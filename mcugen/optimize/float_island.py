"""A float island replaced by the integer operator that computes the same bytes.

    x (int8) -> DEQUANTIZE -> f -> RELU / RELU6 / LOGISTIC / TANH / ... (float32) -> g
             -> QUANTIZE -> y (int8)                                   (f, g read by nothing else)

after:

    x (int8) -> RELU / RELU6 / LOGISTIC / TANH / ... (int8) -> y

Some quantizers leave an activation in float inside an int8 model. The island maps each of the 256
int8 values of x to one int8 value of y, so it is replaced only when the integer operator (TFLM's
int8 kernel, as the simulator computes it) gives the island's output for every one of them (the
island evaluated by the simulator's float kernels, float32 between steps as TFLM stores it). Islands
that do not pass stay; ``inspect`` and code generation then refuse them by name (mcugen generates
no float kernels).
"""

from __future__ import annotations

import copy

import numpy as np

from ..errors import McugenError
from ..model.graph import Graph
from .edit import merge_origins, only_reader, remove
from .exhaustive import enumerable, run_chain

UNARY = ("RELU", "RELU6", "RELU_N1_TO_1", "LOGISTIC", "TANH", "LEAKY_RELU", "HARD_SWISH")


def apply(graph: Graph) -> str | None:
    for deq in graph.operators:
        if deq.opcode != "DEQUANTIZE" or len(deq.outputs) != 1:
            continue
        x = graph.tensors[deq.inputs[0]]
        if x.dtype != np.int8 or not enumerable(x) or x.is_constant:
            continue
        op = only_reader(graph, deq.outputs[0])
        if op is None or op.opcode not in UNARY or op.inputs[0] != deq.outputs[0] \
                or len(op.outputs) != 1:
            continue
        quant = only_reader(graph, op.outputs[0])
        if quant is None or quant.opcode != "QUANTIZE":
            continue
        y = graph.tensors[quant.outputs[0]]
        if y.dtype != np.int8 or not enumerable(y) or \
                graph.tensors[op.outputs[0]].dtype != np.float32:
            continue
        integer = copy.deepcopy(op)
        integer.inputs, integer.outputs = [deq.inputs[0]], [quant.outputs[0]]
        try:
            island = run_chain(graph, [deq, op, quant])
            replaced = run_chain(graph, [integer])
        except McugenError:
            continue
        if not np.array_equal(island, replaced):
            continue
        origin = merge_origins(deq, op, quant)
        op.inputs, op.outputs, op.origins = integer.inputs, integer.outputs, origin
        remove(graph, deq)
        remove(graph, quant)
        return (f"float island DEQUANTIZE -> {op.opcode} -> QUANTIZE (operators "
                f"{', '.join(map(str, origin))}) replaced by the int8 {op.opcode}: equal on "
                "all 256 inputs")
    return None
