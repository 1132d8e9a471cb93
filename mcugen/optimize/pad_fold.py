"""A PAD whose value is the zero point folded into the following convolution's padding.

    a -> PAD [[0,0],[t,b],[l,r],[0,0]] (value = zero point) -> p -> CONV_2D/DEPTHWISE_CONV_2D
                                                                    (VALID or SAME)

after:

    a -> CONV_2D/DEPTHWISE_CONV_2D (padding EXPLICIT: top, bottom, left, right)

The PyTorch-exported MobileNetV2 pattern: PAD (1, 1) then a stride-2 VALID depthwise conv. TFLite's
SAME for stride 2 on an even input pads (top 0, bottom 1), not (1, 1), so the folded conv carries
explicit per-side padding (options ``padding: "EXPLICIT"``, ``explicit_padding``). Every conv
kernel mcugen emits (and the simulator) reads a tap outside the input as the input zero point,
which contributes 0 to the sum, exactly as the padded bytes did; so the fold is exact when:

- the pad value is the zero point of p (int8) or 0.0 (float32), and a and p share quantization;
- only the conv reads p (not a graph output), as its data input;
- only height and width are padded, and every resulting side stays below the dilated filter's
  extent (no output window lies wholly in the padding);
- the conv's output shape is reproduced (rows the original never read stay fewer than a stride).

AVERAGE_POOL never folds (TFLite divides by the number of valid taps, so padded taps count
differently). MAX_POOL_2D (which ignores padded taps) folds only where the padded value can never
win: the type's lowest value, or at most the clamp of the fused RELU/RELU6 of the op writing a
(:func:`_never_wins`); stride, filter and output shape as for a conv. The writer re-creates the
PAD when SAME or VALID cannot express the padding (:mod:`.explicit`).
"""

from __future__ import annotations

import numpy as np

from ..errors import McugenError
from ..model.graph import Graph, Operator
from ..ops.common import activation_range_quantized
from ..ops.conv import geometry
from ..ops.pad import prepare_pad
from ..ops.pooling import prepare_pool
from .edit import merge_origins, only_reader, remove, same_quant
from .explicit import set_padding, window
from .relu_fold import PRODUCERS

CONVS = ("CONV_2D", "DEPTHWISE_CONV_2D")


def conv_sides(graph: Graph, op: Operator) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) the conv (or max pool) reads outside its input; bottom/right
    as the output shape needs them (negative: that many rows/columns at the end are never read)."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if op.opcode == "MAX_POOL_2D":
        p = prepare_pool(graph, op)
        top, left = p.pad_top, p.pad_left
    else:
        top, left = geometry(graph, op)[4:]
    sh, sw, _, _, eff_h, eff_w = window(graph, op)
    return (top, (y.shape[1] - 1) * sh + eff_h - x.shape[1] - top,
            left, (y.shape[2] - 1) * sw + eff_w - x.shape[2] - left)


def explicit_for(graph: Graph, conv: Operator, in_h: int, in_w: int,
                 top: int, left: int) -> tuple[int, int, int, int] | None:
    """The EXPLICIT padding giving ``conv``'s output shape on an in_h x in_w input with these
    top/left pads, or None when no valid one exists."""
    y = graph.tensors[conv.outputs[0]]
    sh, sw, _, _, eff_h, eff_w = window(graph, conv)
    bottom = (y.shape[1] - 1) * sh + eff_h - in_h - top
    right = (y.shape[2] - 1) * sw + eff_w - in_w - left
    if bottom <= -sh or right <= -sw:
        return None
    pads = (top, max(bottom, 0), left, max(right, 0))
    if min(pads) < 0 or max(pads[:2]) >= eff_h or max(pads[2:]) >= eff_w:
        return None
    return pads


def _fold(graph: Graph, pad: Operator) -> tuple[Operator, tuple] | None:
    if pad.opcode not in ("PAD", "PADV2") or len(pad.outputs) != 1:
        return None
    a, p = graph.tensors[pad.inputs[0]], graph.tensors[pad.outputs[0]]
    conv = only_reader(graph, pad.outputs[0])
    if (conv is None or conv.opcode not in CONVS + ("MAX_POOL_2D",)
            or conv.inputs[0] != pad.outputs[0]
            or len(a.shape) != 4 or not same_quant(a, p)):
        return None
    try:
        params = prepare_pad(graph, pad)
    except McugenError:
        return None
    if params.before[0] or params.after[0] or params.before[3] or params.after[3]:
        return None
    if conv.opcode == "MAX_POOL_2D":
        if not _never_wins(graph, pad, params.pad_value):
            return None
    elif p.dtype == np.int8:
        if p.quant is None or p.quant.zero_point.size != 1 \
                or params.pad_value != int(p.quant.zero_point[0]):
            return None
    elif p.dtype == np.float32:
        if float(params.pad_value) != 0.0:
            return None
    else:
        return None
    top, _, left, _ = conv_sides(graph, conv)
    pads = explicit_for(graph, conv, a.shape[1], a.shape[2],
                        top + params.before[1], left + params.before[2])
    if pads is None:
        return None
    conv.inputs[0] = pad.inputs[0]
    set_padding(graph, conv, pads)
    conv.origins = merge_origins(pad, conv)
    remove(graph, pad)
    return conv, pads


def _never_wins(graph: Graph, pad: Operator, value) -> bool:
    """A max pool ignores padded taps (TFLite); a PAD before a VALID max pool feeds them in. The
    two agree when the pad value is at most every value the PAD's input can hold: the type's
    lowest, or a value at or below the clamp of the producer's fused RELU/RELU6 (for int8 its
    act_min, the zero point; for float 0.0)."""
    a = graph.tensors[pad.inputs[0]]
    if a.dtype == np.int8 and int(value) == -128:
        return True
    source = next((op for op in graph.operators if pad.inputs[0] in op.outputs), None)
    if source is None or source.fused_activation not in ("RELU", "RELU6", "RELU_N1_TO_1") \
            or source.opcode not in PRODUCERS:
        return False
    if a.dtype == np.float32:
        low = -1.0 if source.fused_activation == "RELU_N1_TO_1" else 0.0
        return float(value) <= low
    if a.dtype != np.int8 or a.quant is None:
        return False
    try:
        return int(value) <= activation_range_quantized(source.fused_activation, a)[0]
    except McugenError:
        return False


def apply(graph: Graph) -> str | None:
    for pad in list(graph.operators):
        folded = _fold(graph, pad)
        if folded is not None:
            conv, pads = folded
            return (f"{pad.opcode} (operator {', '.join(map(str, pad.source))}) folded into "
                    f"{conv.opcode}'s padding: {conv.options['padding']} {list(pads)} "
                    "(top, bottom, left, right)")
    return None
