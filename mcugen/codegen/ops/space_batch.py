"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND as strided 4-D copies (int8, or float32 inside a
float island), one per block offset (sh, sw): the rows and columns of the input that land in
output batch (sh * bw + sw) * B (after a fill with the pad value, for SPACE_TO_BATCH_ND with
padding), and back."""

from __future__ import annotations

from ...ops.space_batch import prepare_space_batch
from ..context import LoweringContext, at, element_ctype, element_value, strided_copies
from ..lowering import lowering


def _span(offset: int, step: int, count: int, limit: int) -> tuple[int, int]:
    """(first k, how many k < count) with 0 <= k * step + offset < limit."""
    k0 = 0 if offset >= 0 else (-offset + step - 1) // step
    k1 = min(count, (limit - 1 - offset) // step + 1) if limit - 1 - offset >= 0 else 0
    return k0, max(0, k1 - k0)


def _lower(ctx: LoweringContext, op) -> dict:
    p = prepare_space_batch(ctx.graph, op)
    ctype = element_ctype(ctx, op.outputs[0])
    (bh, bw), (bt, bl) = p.block, p.before
    n = p.out_dims[0] if op.opcode == "SPACE_TO_BATCH_ND" else p.in_dims[0] // (bh * bw)
    copies = []
    if op.opcode == "SPACE_TO_BATCH_ND":
        _, h, w, c = p.in_dims
        _, oh, ow, _ = p.out_dims
        n = p.in_dims[0]
        for sh in range(bh):
            for sw in range(bw):
                h0, nh = _span(sh - bt, bh, oh, h)
                w0, nw = _span(sw - bl, bw, ow, w)
                if nh == 0 or nw == 0:
                    continue
                src = (h0 * bh + sh - bt) * w * c + (w0 * bw + sw - bl) * c
                dst = (sh * bw + sw) * n * oh * ow * c + h0 * ow * c + w0 * c
                copies.append({"input": at(ctx, op.inputs[0], src),
                               "in_strides": [h * w * c, bh * w * c, bw * c, 1],
                               "counts": [n, nh, nw, c],
                               "output": at(ctx, op.outputs[0], dst),
                               "out_strides": [oh * ow * c, ow * c, c, 1]})
        y = ctx.tensor(op.outputs[0])
        fill = {"size": y.size, "value": element_value(ctype, p.pad_value),
                "output": ctx.ptr(op.outputs[0], ctype)} if any(p.before + p.after) else None
        return strided_copies(copies, fill, ctype)
    _, h, w, c = p.in_dims
    _, oh, ow, _ = p.out_dims
    for sh in range(bh):
        for sw in range(bw):
            h0, nh = _span(sh - bt, bh, h, oh)
            w0, nw = _span(sw - bl, bw, w, ow)
            if nh == 0 or nw == 0:
                continue
            src = (sh * bw + sw) * n * h * w * c + h0 * w * c + w0 * c
            dst = (h0 * bh + sh - bt) * ow * c + (w0 * bw + sw - bl) * c
            copies.append({"input": at(ctx, op.inputs[0], src),
                           "in_strides": [h * w * c, w * c, c, 1], "counts": [n, nh, nw, c],
                           "output": at(ctx, op.outputs[0], dst),
                           "out_strides": [oh * ow * c, bh * ow * c, bw * c, 1]})
    return strided_copies(copies, ctype=ctype)


lowering("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND")(_lower)
