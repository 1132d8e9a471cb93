"""Kernel scratch buffer sizes, per kernel backend and core.

mcugen's portable kernels need none. For CMSIS-NN these re-implement the library's
``*_get_buffer_size`` functions (commit 4ab83cc3, the one TFLM pins; v7.0.0 agrees for s8), whose
plain-C, DSP and MVE variants differ: CMSIS-NN picks the variant by compiler feature macros, so
mcugen picks it by the target core. ``tests/plan/test_scratch.py`` checks these against the real C
functions when a CMSIS-NN tree is given.
"""

from __future__ import annotations

from ..errors import InputError
from ..model.graph import Graph, Operator

CORES = ("cortex-m0", "cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33",
         "cortex-m55", "host")
_DSP = {"cortex-m4", "cortex-m7", "cortex-m33"}
_MVE = {"cortex-m55"}
CH_IN_BLOCK_MVE = 124
KERNELS = ("portable", "cmsis-nn")


def variant(cpu: str) -> str:
    """"mve", "dsp" or "plain": the CMSIS-NN code path a core compiles to."""
    if cpu not in CORES:
        raise InputError(f"unknown core '{cpu}' (known: {', '.join(CORES)})")
    return "mve" if cpu in _MVE else "dsp" if cpu in _DSP else "plain"


def scratch_bytes(graph: Graph, op: Operator, kernels: str, cpu: str) -> int:
    """Bytes of scratch memory ``op`` needs from the arena while it runs."""
    if kernels not in KERNELS:
        raise InputError(f"unknown kernel backend '{kernels}' (known: {', '.join(KERNELS)})")
    path = variant(cpu)
    if kernels == "portable":
        return 0
    if op.opcode == "CONV_2D":
        return _conv_wrapper(graph, op, path)
    if op.opcode == "DEPTHWISE_CONV_2D":
        return _depthwise_wrapper(graph, op, path)
    if op.opcode == "FULLY_CONNECTED":
        # MVE wants per-output kernel sums; mcugen precomputes them as const data (flash), so
        # the arena needs nothing.
        return 0
    if op.opcode == "AVERAGE_POOL_2D":
        return graph.tensors[op.inputs[0]].shape[3] * 4 if path == "dsp" else 0
    return 0


def _conv_geometry(graph: Graph, op: Operator):
    from ..sim.kernels.conv import geometry   # the same padding the kernels use
    x = graph.tensors[op.inputs[0]].shape
    w = graph.tensors[op.inputs[1]].shape
    y = graph.tensors[op.outputs[0]].shape
    sh, sw, dh, dw, pad_top, pad_left = geometry(graph, op)
    return x, w, y, sh, sw, dh, dw, pad_top, pad_left


def _conv_generic(c_in: int, kh: int, kw: int, path: str) -> int:
    rhs_cols = kh * kw * c_in
    if path == "mve":
        return 4 * ((rhs_cols + 15) // 16) * 16
    aligned = rhs_cols + (4 - rhs_cols % 4) % 4
    return 2 * aligned * 2


def _conv_wrapper(graph: Graph, op: Operator, path: str) -> int:
    x, w, y, sh, sw, dh, dw, pad_top, pad_left = _conv_geometry(graph, op)
    c_in, kh, kw = x[3], w[1], w[2]
    if pad_top == 0 and pad_left == 0 and kh == 1 and kw == 1 and dh == 1 and dw == 1 \
            and c_in == w[3]:
        return 0      # 1x1 kernels: the fast path needs scratch only with Arm Compiler 6
    if x[1] == 1 and dw == 1 and kh == 1 and (sw * c_in) % 4 == 0 and c_in == w[3]:
        if path != "mve":
            return _conv_generic(c_in, kh, kw, path)
        return _conv_1xn_mve(x, w, y, sw, pad_left)
    return _conv_generic(c_in, kh, kw, path)


def _conv_1xn_mve(x, w, y, stride_x: int, pad_x: int) -> int:
    input_x, kernel_x, output_x, c = x[2], w[2], y[2], x[3]
    total_pad = (output_x - 1) * stride_x + kernel_x - input_x
    asym_pad = total_pad % 2
    right = max(1, (pad_x + asym_pad + stride_x - 1) // stride_x) if pad_x + asym_pad else 0
    left = max(1, (pad_x + stride_x - 1) // stride_x) if pad_x else 0
    no_pad = max(output_x - (right + left), 0)
    if right + no_pad + left != output_x:
        return _conv_generic(c, w[1], kernel_x, "mve")
    pad_size_left = pad_x * c
    pad_size_right = right * c if asym_pad else pad_size_left
    num_elem_left = kernel_x * c
    return max(num_elem_left + pad_size_left, num_elem_left - c + pad_size_right)


def _depthwise_wrapper(graph: Graph, op: Operator, path: str) -> int:
    x, w, y, sh, sw, dh, dw, pad_top, pad_left = _conv_geometry(graph, op)
    c_in, c_out, kh, kw = x[3], y[3], w[1], w[2]
    one_in_ch_threshold = 8
    if path == "mve" and c_in == 1 and c_out > one_in_ch_threshold:
        return _conv_generic(1, kh, kw, "mve") + c_out * kh * kw
    if c_in == c_out and x[0] == 1 and dh == 1 and dw == 1:
        if path != "mve" and kh == 3 and kw == 3 and pad_top <= 1 and pad_left <= 1:
            return 0
        if path == "mve":
            return 4 * CH_IN_BLOCK_MVE * kh * kw
        if path == "dsp":
            return c_in * kh * kw * 2
    return 0
