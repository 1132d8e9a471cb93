"""Per-side conv padding: choosing the TFLite spelling when one exists, and writing it back.

mcugen's graph may carry ``padding: "EXPLICIT"`` with ``explicit_padding`` = (top, bottom, left,
right) on CONV_2D / DEPTHWISE_CONV_2D (set by :mod:`.pad_fold` and :mod:`.dilated_conv`). A rewrite
calls :func:`set_padding`, which keeps SAME or VALID where they mean the same taps. TFLite has no
explicit padding, so the writer (``serialize_model``) calls :func:`lower_explicit`:

    a -> CONV (EXPLICIT t, b, l, r)     becomes     a -> PAD [[0,0],[t,b],[l,r],[0,0]] -> CONV (VALID)

where the PAD has no value input (TFLM and TFLite pad int8 with the zero point, float with 0.0),
which computes the same bytes. A MAX_POOL_2D with explicit padding (TFLite's max pool ignores
padded taps) is written as PADV2 with the type's lowest value + VALID max pool: the padded taps
never win, and every window holds a real tap (each side is below the filter), so the same bytes.
"""

from __future__ import annotations

import copy

import numpy as np

from ..model.graph import Graph, Operator, Tensor
from ..ops.common import same_padding
from ..ops.conv import dilations


def _extent(graph: Graph, op: Operator) -> tuple[int, int, int, int, int, int]:
    """(stride_h, stride_w, dilation_h, dilation_w, window height, window width) of a conv or
    a max pool."""
    sh, sw = int(op.options.get("stride_h", 1)), int(op.options.get("stride_w", 1))
    if op.opcode == "MAX_POOL_2D":
        return sh, sw, 1, 1, int(op.options["filter_height"]), int(op.options["filter_width"])
    w = graph.tensors[op.inputs[1]]
    dh, dw = dilations(op.options)
    return sh, sw, dh, dw, (w.shape[1] - 1) * dh + 1, (w.shape[2] - 1) * dw + 1


window = _extent


def set_padding(graph: Graph, conv: Operator, pads: tuple[int, int, int, int]) -> str:
    """Give ``conv`` (whose input and output shapes are final) the padding ``pads``: VALID or
    SAME when they read the same taps, else EXPLICIT. Returns the padding chosen."""
    x, y = graph.tensors[conv.inputs[0]], graph.tensors[conv.outputs[0]]
    sh, sw, dh, dw, eh, ew = _extent(graph, conv)
    top, _, left, _ = pads
    h, wd, oh, ow = x.shape[1], x.shape[2], y.shape[1], y.shape[2]
    conv.options.pop("explicit_padding", None)
    if top == left == 0 and oh == (h - eh) // sh + 1 and ow == (wd - ew) // sw + 1:
        conv.options["padding"] = "VALID"
    elif (oh == -(-h // sh) and ow == -(-wd // sw)
          and top == same_padding(h, (eh - 1) // dh + 1, sh, dh, oh)
          and left == same_padding(wd, (ew - 1) // dw + 1, sw, dw, ow)):
        conv.options["padding"] = "SAME"
    else:
        conv.options["padding"] = "EXPLICIT"
        conv.options["explicit_padding"] = tuple(int(v) for v in pads)
    return conv.options["padding"]


def lower_explicit(graph: Graph) -> Graph:
    """A copy of ``graph`` in which every EXPLICIT conv reads a PAD of its input (VALID)."""
    if not any(op.options.get("padding") == "EXPLICIT" for op in graph.operators):
        return graph
    g = copy.deepcopy(graph)
    ops: list[Operator] = []
    for op in g.operators:
        if op.options.get("padding") == "EXPLICIT":
            top, bottom, left, right = (int(v) for v in op.options.pop("explicit_padding"))
            x = g.tensors[op.inputs[0]]
            paddings = np.array([[0, 0], [top, bottom], [left, right], [0, 0]], np.int32)
            pool = op.opcode == "MAX_POOL_2D"
            p_index = len(g.tensors)
            g.tensors.append(Tensor(index=p_index, name=f"{x.name}/explicit_paddings",
                                    shape=(4, 2), dtype=np.dtype(np.int32), data=paddings))
            padded = Tensor(index=p_index + 1, name=f"{x.name}/explicit_pad",
                            shape=(x.shape[0], x.shape[1] + top + bottom,
                                   x.shape[2] + left + right, x.shape[3]),
                            dtype=x.dtype, quant=copy.deepcopy(x.quant))
            g.tensors.append(padded)
            if pool:   # the padded taps must never win: the type's lowest value
                low = np.array([np.iinfo(np.int8).min if x.dtype == np.int8
                                else np.finfo(np.float32).min], x.dtype)
                v_index = len(g.tensors)
                g.tensors.append(Tensor(index=v_index, name=f"{x.name}/explicit_pad_value",
                                        shape=(1,), dtype=x.dtype, data=low,
                                        quant=copy.deepcopy(x.quant)))
                ops.append(Operator(index=0, opcode="PADV2",
                                    inputs=[x.index, p_index, v_index], outputs=[padded.index],
                                    options={}, options_type="PadV2Options", version=2,
                                    origins=op.origins))
            else:
                ops.append(Operator(index=0, opcode="PAD", inputs=[x.index, p_index],
                                    outputs=[padded.index], options={},
                                    options_type="PadOptions", version=2, origins=op.origins))
            op.inputs = [padded.index] + op.inputs[1:]
            op.options["padding"] = "VALID"
        ops.append(op)
    for k, op in enumerate(ops):
        op.index = k
    g.operators = ops
    return g
