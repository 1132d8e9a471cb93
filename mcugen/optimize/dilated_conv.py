"""Keras' dilated convolution, SPACE_TO_BATCH_ND -> conv -> BATCH_TO_SPACE_ND, as one dilated conv.

The TF converter writes ``Conv2D(dilation_rate=d)`` (and ``Conv1D``, with an EXPAND_DIMS and a
RESHAPE/SQUEEZE around the conv) as:

    x [N,H,W,C] -> SPACE_TO_BATCH_ND (block [dh,dw], paddings [[ph0,ph1],[pw0,pw1]])
                -> [EXPAND_DIMS] -> CONV_2D/DEPTHWISE_CONV_2D (VALID, stride 1, dilation 1)
                -> [RESHAPE/SQUEEZE] -> BATCH_TO_SPACE_ND (same block, crops [[ch0,ch1],[cw0,cw1]])

after:

    x -> [EXPAND_DIMS] -> CONV (dilation dh x dw, padding top ph0-ch0, bottom ph1-ch1, left
                                pw0-cw0, right pw1-cw1: SAME/VALID when they say so)
      -> [RESHAPE/SQUEEZE]

Why it is the same: each of the dh*dw sub-images holds every d-th row/column of the padded input;
a VALID conv on it reads taps d apart in the padded input; BATCH_TO_SPACE interleaves the
sub-images back and crops. Output j therefore reads padded input j + c0 + d*t, that is input
j + (c0 - p0) + d*t: a dilated conv with p0 - c0 rows of padding before (and p1 - c1 after).

The padded taps: TFLite's SPACE_TO_BATCH_ND pads int8 with the zero point, which the conv
reads as 0 (exact). The pinned TFLM pads int8 with 0 instead (measured): for a zero point other
than 0 the original file computes different numbers in TFLM than in TFLite; mcugen follows the
converter's meaning (TFLite's), and the folded graph is checked against TFLM as a dilated conv.
With zero point 0, and for float, all three agree.

The converter writes Conv1D with a dynamic batch (shape signature -1), declaring the batch of
the space-to-batch tensors as 1 where it is dh*dw: the fold reads spatial sizes from the input,
paddings and block, checks the declared sizes against them, and declares the new shapes.
"""

from __future__ import annotations

import numpy as np

from ..model.graph import Graph, Operator
from ..ops.conv import dilations
from .edit import add_constant, merge_origins, only_reader, remove, same_quant
from .explicit import set_padding

CONVS = ("CONV_2D", "DEPTHWISE_CONV_2D")


def _const(graph: Graph, op: Operator, position: int) -> np.ndarray | None:
    if position >= len(op.inputs) or op.inputs[position] < 0:
        return None
    t = graph.tensors[op.inputs[position]]
    return None if t.data is None else np.asarray(t.data).astype(np.int64)


def _resolve_axis(graph: Graph, expand: Operator, rank: int) -> int | None:
    axis = _const(graph, expand, 1)
    if axis is None or axis.size != 1:
        return None
    a = int(axis.ravel()[0])
    a = a + rank + 1 if a < 0 else a
    return a if 0 <= a <= rank else None


def _match(graph: Graph, stb: Operator):
    """The chain and its geometry, or None."""
    if stb.opcode != "SPACE_TO_BATCH_ND" or len(stb.outputs) != 1:
        return None
    x = graph.tensors[stb.inputs[0]]
    block, pads = _const(graph, stb, 1), _const(graph, stb, 2)
    rank = len(x.shape)
    if block is None or pads is None or rank not in (3, 4) or block.size != rank - 2 \
            or pads.size != 2 * (rank - 2) or np.any(block < 1) or np.any(pads < 0):
        return None
    pads = pads.reshape(-1, 2)
    s = graph.tensors[stb.outputs[0]]
    if not same_quant(x, s):
        return None
    nxt = only_reader(graph, stb.outputs[0])
    expand = None
    if rank == 3:
        if nxt is None or nxt.opcode != "EXPAND_DIMS" or nxt.inputs[0] != stb.outputs[0]:
            return None
        expand = nxt
        axis = _resolve_axis(graph, expand, 3)
        if axis not in (1, 2) or not same_quant(s, graph.tensors[expand.outputs[0]]):
            return None
        nxt = only_reader(graph, expand.outputs[0])
        # the one spatial dim becomes the conv's W (unit H inserted at 1) or H (unit W at 2)
        spatial = [2] if axis == 1 else [1]
    else:
        spatial = [1, 2]
    conv = nxt
    conv_in = stb.outputs[0] if expand is None else expand.outputs[0]
    if conv is None or conv.opcode not in CONVS or conv.inputs[0] != conv_in \
            or len(conv.outputs) != 1:
        return None
    o = conv.options
    if (o.get("padding") != "VALID" or int(o.get("stride_h", 1)) != 1
            or int(o.get("stride_w", 1)) != 1 or dilations(o) != (1, 1)):
        return None
    after = only_reader(graph, conv.outputs[0])
    squeeze = None
    if rank == 3:
        if after is None or after.opcode not in ("RESHAPE", "SQUEEZE") \
                or after.inputs[0] != conv.outputs[0]:
            return None
        squeeze = after
        if not same_quant(graph.tensors[conv.outputs[0]], graph.tensors[squeeze.outputs[0]]):
            return None
        after = only_reader(graph, squeeze.outputs[0])
    bts = after
    bts_in = conv.outputs[0] if squeeze is None else squeeze.outputs[0]
    if bts is None or bts.opcode != "BATCH_TO_SPACE_ND" or bts.inputs[0] != bts_in:
        return None
    bblock, crops = _const(graph, bts, 1), _const(graph, bts, 2)
    if bblock is None or crops is None or not np.array_equal(bblock.ravel(), block.ravel()) \
            or crops.size != pads.size or np.any(crops < 0):
        return None
    crops = crops.reshape(-1, 2)
    y = graph.tensors[bts.outputs[0]]
    if not same_quant(graph.tensors[bts_in], y) or len(y.shape) != rank:
        return None
    # geometry per spatial dimension, from the input, the block, paddings and crops
    w = graph.tensors[conv.inputs[1]]
    ci, co = graph.tensors[conv_in], graph.tensors[conv.outputs[0]]
    dil = [1, 1]
    sides = [0, 0, 0, 0]
    out_sizes = []
    for k, conv_dim in enumerate(spatial):
        d, (p0, p1), (c0, c1) = int(block.ravel()[k]), pads[k], crops[k]
        n = x.shape[1 + k]
        padded = n + p0 + p1
        kern = w.shape[conv_dim]
        if padded % d or ci.shape[conv_dim] != padded // d:
            return None
        sub_out = padded // d - kern + 1
        out = d * sub_out - c0 - c1
        if sub_out < 1 or co.shape[conv_dim] != sub_out or y.shape[1 + k] != out or out < 1:
            return None
        before, after_ = int(p0 - c0), int(p1 - c1)
        eff = (kern - 1) * d + 1
        if before < 0 or after_ < 0 or before >= eff or after_ >= eff:
            return None
        dil[conv_dim - 1] = d
        sides[2 * (conv_dim - 1)], sides[2 * (conv_dim - 1) + 1] = before, after_
        out_sizes.append(out)
    if y.shape[0] != x.shape[0] or y.shape[-1] != co.shape[3]:
        return None
    return dict(x=x, y=y, expand=expand, conv=conv, squeeze=squeeze, bts=bts, spatial=spatial,
                dil=dil, sides=tuple(sides), out_sizes=out_sizes)


def apply(graph: Graph) -> str | None:
    for stb in list(graph.operators):
        m = _match(graph, stb)
        if m is None:
            continue
        x, y, expand, conv, squeeze, bts = (m["x"], m["y"], m["expand"], m["conv"],
                                            m["squeeze"], m["bts"])
        origin = merge_origins(stb, conv, bts)
        if expand is not None:
            axis = 1 if m["spatial"] == [2] else 2
            e = graph.tensors[expand.outputs[0]]
            expand.inputs[0] = stb.inputs[0]
            e.shape = tuple(x.shape[:axis]) + (1,) + tuple(x.shape[axis:])
            e.shape_signature = None
            co = graph.tensors[conv.outputs[0]]
            co.shape = (x.shape[0],) + ((1, y.shape[1]) if axis == 1 else (y.shape[1], 1)) \
                + (co.shape[3],)
            co.shape_signature = None
            squeeze.outputs = [bts.outputs[0]]
            if squeeze.opcode == "RESHAPE":
                if len(squeeze.inputs) > 1 and squeeze.inputs[1] >= 0:
                    squeeze.inputs[1] = add_constant(graph, f"{y.name}/shape",
                                                     np.array(y.shape, np.int32))
                if "new_shape" in squeeze.options:
                    squeeze.options["new_shape"] = [int(d) for d in y.shape]
        else:
            conv.inputs[0] = stb.inputs[0]
            conv.outputs = [bts.outputs[0]]
        conv.options["dilation_hfactor"], conv.options["dilation_wfactor"] = m["dil"]
        conv.options.pop("dilation_h_factor", None)
        conv.options.pop("dilation_w_factor", None)
        padding = set_padding(graph, conv, m["sides"])
        conv.origins = origin
        remove(graph, stb)
        remove(graph, bts)
        return (f"SPACE_TO_BATCH_ND -> {conv.opcode} -> BATCH_TO_SPACE_ND (operators "
                f"{', '.join(map(str, origin))}) into one {conv.opcode} with dilation "
                f"{m['dil'][0]}x{m['dil'][1]}, padding {padding} {list(m['sides'])}")
    return None
