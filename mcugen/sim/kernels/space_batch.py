"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (TFLM reference_ops::SpaceToBatchND / BatchToSpaceND).

Byte moves done as numpy reshapes and transposes of the 4-D view (rank 3 is [B, H, 1, C]): the
padded input [B, Ho*bh, Wo*bw, C] viewed as [B, Ho, bh, Wo, bw, C] becomes [bh, bw, B, Ho, Wo, C],
output batch (sh * bw + sw) * B + b; BATCH_TO_SPACE_ND undoes it and crops. A padded
SPACE_TO_BATCH_ND is refused by prepare (no oracle: see mcugen/ops/space_batch.py)."""

from __future__ import annotations

import numpy as np

from ...ops.space_batch import prepare_space_batch
from ..registry import FLOAT, QUANT, KernelCall, register


def _params(call: KernelCall):
    return call.cache.get("params") or call.cache.setdefault(
        "params", prepare_space_batch(call.graph, call.op))


def space_to_batch(call: KernelCall) -> list[np.ndarray]:
    p = _params(call)
    (bh, bw), (pt, pl), (pb, pr) = p.block, p.before, p.after
    x = np.asarray(call.values[0]).reshape(p.in_dims)
    padded = np.pad(x, [(0, 0), (pt, pb), (pl, pr), (0, 0)], constant_values=p.pad_value)
    n, _, _, c = p.in_dims
    _, oh, ow, _ = p.out_dims
    out = padded.reshape(n, oh, bh, ow, bw, c).transpose(2, 4, 0, 1, 3, 5)
    return [np.ascontiguousarray(out).reshape(call.outputs[0].shape)
            .astype(call.outputs[0].dtype, copy=False)]


def batch_to_space(call: KernelCall) -> list[np.ndarray]:
    p = _params(call)
    (bh, bw), (ct, cl), _ = p.block, p.before, p.after
    _, h, w, c = p.in_dims
    n, oh, ow, _ = p.out_dims
    x = np.asarray(call.values[0]).reshape(bh, bw, n, h, w, c).transpose(2, 3, 0, 4, 1, 5)
    full = x.reshape(n, h * bh, w * bw, c)
    out = full[:, ct:ct + oh, cl:cl + ow, :]
    return [np.ascontiguousarray(out).reshape(call.outputs[0].shape)
            .astype(call.outputs[0].dtype, copy=False)]


for _arith in (QUANT, FLOAT):
    register("SPACE_TO_BATCH_ND", _arith)(space_to_batch)
    register("BATCH_TO_SPACE_ND", _arith)(batch_to_space)
