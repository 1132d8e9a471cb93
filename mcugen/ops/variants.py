"""Which kernel a layer runs within its backend, in words (the profile's "variant" column): the
generator picks mcugen's fused kernels per layer where their exactness proof holds, so two
layers on the same backend can run different code."""

from __future__ import annotations

from ..model.graph import Graph, Operator


def kernel_variant(graph: Graph, op: Operator, backend: str | None) -> str:
    """A short name of the kernel ``op`` runs on ``backend`` ("" where a backend has one)."""
    if backend != "mcugen":
        return ""
    from .conv import fused_conv, fused_depthwise, single_channel_depthwise
    from .elementwise import fused_add
    if op.opcode == "DEPTHWISE_CONV_2D" and not single_channel_depthwise(graph, op):
        return "fused depthwise 3x3" if fused_depthwise(graph, op) else "general depthwise"
    if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        as_conv = " (as a conv)" if op.opcode == "DEPTHWISE_CONV_2D" else ""
        if fused_conv(graph, op):
            return "fused 2x2 tile" + as_conv
        y = graph.tensors[op.outputs[0]]
        return ("1x4 tile" if y.size // y.shape[-1] == 1 else "general 2x2 tile") + as_conv
    if op.opcode in ("ADD", "SUB"):
        return "fused tables" if fused_add(graph, op) else "tables"
    if op.opcode == "AVERAGE_POOL_2D":
        return "4 channels per word" if graph.tensors[op.inputs[0]].shape[-1] % 4 == 0 \
            else "per channel"
    return ""
