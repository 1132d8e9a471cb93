"""Records and constants of SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (TFLM space_to_batch_nd.cc /
batch_to_space_nd.cc with reference_ops::SpaceToBatchND / BatchToSpaceND), for the cases the
optimiser cannot fold into a dilated convolution (mcugen/optimize/dilated_conv.py).

Both move bytes: a rank-3 input [B, H, C] is taken as [B, H, 1, C] with block [bh, 1], as TFLM
does. SPACE_TO_BATCH_ND's output batch (sh * bw + sw) * B + b holds padded rows sh, sh + bh, ...
and columns sw, sw + bw, ... of batch b; BATCH_TO_SPACE_ND is its inverse, then crops.

Refused, with one line: int16 (the pinned TFLM has no int16 kernel, so there is no oracle); a
SPACE_TO_BATCH_ND with padding (measured: the pinned TFLM writes into the padding a value it
never initialises, often 0, sometimes bytes left in the arena; TFLite writes the zero point; so
there is no oracle, and mcugen imitates neither); a declared output shape other than the one
computed (the TF converter declares a dynamic batch as 1). A padded SPACE_TO_BATCH_ND before a
conv and a BATCH_TO_SPACE_ND is folded into a dilated conv by the optimiser instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, McugenError, UnsupportedOperatorError
from ..model.graph import Graph, Operator
from .common import constant_input
from .registry import SameParams, int8_tensors, record


@dataclass
class SpaceBatchParams:
    block: tuple[int, int]          # (bh, bw)
    before: tuple[int, int]         # STB: paddings before (top, left); BTS: crops before
    after: tuple[int, int]          # STB: paddings after; BTS: crops after
    in_dims: tuple[int, int, int, int]    # as 4-D
    out_dims: tuple[int, int, int, int]
    pad_value: int | float          # STB only: what TFLM writes into the padding


def _fail(op: Operator, graph: Graph, what: str):
    raise UnsupportedOperatorError(op.opcode, op.index, graph.name, stage=what)


def prepare_space_batch(graph: Graph, op: Operator) -> SpaceBatchParams:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    where = f"operator {op.index} {op.opcode}"
    if x.dtype not in (np.dtype(np.int8), np.dtype(np.float32)):
        _fail(op, graph, f"{x.dtype}: int8 and float32 only (TFLM has no int16 kernel, so no "
                         "oracle)")
    rank = len(x.shape)
    if rank not in (3, 4):
        raise InputError(f"input has rank {rank}; {op.opcode} takes rank 3 or 4", where)
    block = constant_input(graph, op, 1, "block_shape").astype(np.int64).ravel()
    what = "paddings" if op.opcode == "SPACE_TO_BATCH_ND" else "crops"
    pads = constant_input(graph, op, 2, what).astype(np.int64).ravel()
    if pads.size % 2:
        raise InputError(f"{what} has {pads.size} values, not a (before, after) pair per "
                         "spatial dimension", where)
    pads = pads.reshape(-1, 2)
    spatial = rank - 2
    if block.size != spatial or pads.shape[0] != spatial or np.any(block < 1) \
            or np.any(pads < 0):
        raise InputError(f"block {block.tolist()} and paddings/crops {pads.tolist()} do not "
                         f"fit a rank-{rank} input (one positive block and one non-negative "
                         "pair per spatial dimension)", where)
    if rank == 3:
        block = np.append(block, 1)
        pads = np.vstack([pads, [[0, 0]]])
    n, h, w, c = (x.shape[0], x.shape[1], 1, x.shape[2]) if rank == 3 else tuple(x.shape)
    bh, bw = int(block[0]), int(block[1])
    if op.opcode == "SPACE_TO_BATCH_ND":
        ph, pw = h + pads[0].sum(), w + pads[1].sum()
        if ph % bh or pw % bw:
            raise InputError(f"padded size {ph}x{pw} is not a multiple of the block "
                             f"{bh}x{bw}", where)
        out = (n * bh * bw, int(ph // bh), int(pw // bw), c)
        pad_value: int | float = 0.0 if x.dtype == np.float32 else 0
        if pads.any():
            _fail(op, graph, "padding: the pinned TFLM fills it with an uninitialised value "
                  "(TFLite: the zero point), so there is no oracle; mcugen folds it only into "
                  "a dilated conv (SPACE_TO_BATCH_ND -> conv -> BATCH_TO_SPACE_ND)")
    else:
        if n % (bh * bw):
            raise InputError(f"batch {n} is not a multiple of the block {bh}x{bw}", where)
        oh, ow = h * bh - pads[0].sum(), w * bw - pads[1].sum()
        if oh < 1 or ow < 1:
            raise InputError(f"crops {pads.tolist()} leave no output", where)
        out = (n // (bh * bw), int(oh), int(ow), c)
        pad_value = 0
    declared = tuple(y.shape) if rank == 4 else (y.shape[0], y.shape[1], 1, y.shape[2])
    if len(y.shape) != rank or declared != out:
        shown = list(out) if rank == 4 else [out[0], out[1], out[3]]
        raise InputError(f"declared output shape {list(y.shape)}, the operator computes "
                         f"{shown} (a dynamic batch declared as its example size?)", where)
    if x.quant is not None and y.quant is not None and not (
            np.array_equal(x.quant.scale, y.quant.scale)
            and np.array_equal(x.quant.zero_point, y.quant.zero_point)):
        raise InputError("input and output quantization differ (the kernel copies bytes)", where)
    return SpaceBatchParams((bh, bw), (int(pads[0][0]), int(pads[1][0])),
                            (int(pads[0][1]), int(pads[1][1])), (n, h, w, c), out, pad_value)


def space_batch_check(graph: Graph, op: Operator) -> str | None:
    """int8 only in C; the refusals of :func:`prepare_space_batch` named here too, so that
    ``inspect`` says what code generation would."""
    reason = int8_tensors(graph, op)
    if reason is None:
        try:
            prepare_space_batch(graph, op)
        except McugenError as exc:
            reason = exc.message if hasattr(exc, "message") else str(exc)
    return reason


RECORDS = (
    record("SPACE_TO_BATCH_ND", "space_batch", dtypes=("int8", "float32"),
           prepare=prepare_space_batch, quant=SameParams((0,)), version=3,
           backends={"portable": space_batch_check}, float_kernel=True,
           parameter_inputs=(1, 2)),
    record("BATCH_TO_SPACE_ND", "space_batch", dtypes=("int8", "float32"),
           prepare=prepare_space_batch, quant=SameParams((0,)), version=3,
           backends={"portable": space_batch_check}, float_kernel=True,
           parameter_inputs=(1, 2)),
)
