"""Kernel scratch needs: CMSIS-NN's ``*_get_buffer_size`` formulas, re-implemented in Python.

CMSIS-NN is not present in CI, yet the arena must hold the scratch each CMSIS-NN call asks for.
These functions reproduce the C functions of CMSIS-NN (checked against commit 4ab83cc3, the one
TFLM pins, and tag v7.0.0, whose s8 formulas agree) for GCC builds: where the C code depends on
``__ARMCC_VERSION`` (armclang only) the GCC branch is taken. ``tests/plan/test_scratch.py``
compiles the real functions (env ``MCUGEN_CMSIS_NN``) and compares on many shapes.

One case matters beyond size: on MVE a depthwise conv with one input channel and more than one
output channel is run as a regular conv (GCC builds: threshold 1), and the kernel writes the
transposed filter into the scratch buffer, so that scratch is required, not optional.

Which variant a core uses ("plain", "dsp", "mve") follows the CMSIS-NN build defines
(``ARM_MATH_DSP``, ``ARM_MATH_MVEI``) and comes from the boards' ``features``
(:func:`mcugen.plan.scratch.variant`). The functions at the end are the operators' ``scratch``
entries in the registry (``mcugen/ops/``).

The dims follow TFLM's CMSIS-NN glue (kernels/cmsis_nn/*.cc): conv filter_dims = {n=1, h, w,
c=filter's last dim}; depthwise filter_dims = {1, h, w, c=output depth}; fully connected
filter_dims = {n=accum depth, 1, 1, c=output depth}; padding as TFLM computes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..model.graph import Graph, Operator

# arm_nnsupportfunctions.h
CH_IN_BLOCK_MVE = 124
# The GCC value; armclang uses 8 (CONVERT_DW_CONV_WITH_ONE_INPUT_CH_AND_OUTPUT_CH_ABOVE_THRESHOLD).
DW_ONE_IN_CH_THRESHOLD = 1


@dataclass(frozen=True)
class Dims:
    n: int
    h: int
    w: int
    c: int


@dataclass(frozen=True)
class ConvParams:
    stride_h: int = 1
    stride_w: int = 1
    pad_h: int = 0
    pad_w: int = 0
    dil_h: int = 1
    dil_w: int = 1


# -- convolution ---------------------------------------------------------------------------------
def _is_1x1(p: ConvParams, i: Dims, f: Dims) -> bool:
    return (p.pad_w == 0 and p.pad_h == 0 and f.w == 1 and f.h == 1 and p.dil_w == 1
            and p.dil_h == 1 and i.c == f.c)


def _is_1x1_fast(p: ConvParams) -> bool:
    return p.stride_w == 1 and p.stride_h == 1


def _is_1_x_n(p: ConvParams, i: Dims, f: Dims) -> bool:
    return (i.h == 1 and p.dil_w == 1 and f.h == 1 and (p.stride_w * i.c) % 4 == 0
            and i.c == f.c)


def convolve_s8_get_buffer_size(i: Dims, f: Dims) -> int:
    """arm_convolve_s8_get_buffer_size, non-MVE build: two int16 im2col columns."""
    rhs_cols = f.w * f.h * i.c
    aligned = rhs_cols + (4 - rhs_cols % 4 if rhs_cols % 4 else 0)
    return 2 * aligned * 2


def convolve_s8_get_buffer_size_mve(i: Dims, f: Dims) -> int:
    col_length = (i.c * f.w * f.h + 15) // 16
    return 4 * col_length * 16


def _c_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _c_mod(a: int, b: int) -> int:
    return a - b * _c_div(a, b)


def convolve_1_x_n_s8_get_buffer_size_mve(p: ConvParams, i: Dims, f: Dims, o: Dims) -> int:
    total_pad = (o.w - 1) * p.stride_w + f.w - i.w
    asym_pad = _c_mod(total_pad, 2)
    right = max(1, _c_div(p.pad_w + asym_pad + p.stride_w - 1, p.stride_w)) \
        if p.pad_w + asym_pad != 0 else 0
    left = max(1, _c_div(p.pad_w + p.stride_w - 1, p.stride_w)) if p.pad_w != 0 else 0
    no_pad = max(o.w - (right + left), 0)
    if right + no_pad + left != o.w:
        return convolve_s8_get_buffer_size_mve(i, f)
    pad_left = p.pad_w * i.c
    pad_right = right * i.c if asym_pad else pad_left
    elem_left = f.w * i.c
    elem_right = elem_left - i.c
    return max(elem_left + pad_left, elem_right + pad_right)


def convolve_wrapper_s8_get_buffer_size(variant: str, p: ConvParams, i: Dims, f: Dims,
                                        o: Dims) -> int:
    """arm_convolve_wrapper_s8_get_buffer_size (plain) and its _dsp / _mve variants."""
    if _is_1x1(p, i, f):
        # 1x1 fast: only armclang builds of the DSP path ask for a buffer; GCC asks for none.
        return 0
    if _is_1_x_n(p, i, f):
        if variant == "mve":
            return convolve_1_x_n_s8_get_buffer_size_mve(p, i, f, o)
        return convolve_s8_get_buffer_size(i, f)
    if variant == "mve":
        return convolve_s8_get_buffer_size_mve(i, f)
    return convolve_s8_get_buffer_size(i, f)


# -- depthwise -----------------------------------------------------------------------------------
def depthwise_conv_s8_opt_get_buffer_size(variant: str, i: Dims, f: Dims) -> int:
    if variant == "mve":
        return 4 * CH_IN_BLOCK_MVE * f.w * f.h
    if variant == "dsp":
        return i.c * f.w * f.h * 2
    return 0


def _dw_one_in_ch_mve(p: ConvParams, i: Dims, f: Dims, o: Dims) -> int:
    conv_filter = Dims(f.c, f.h, f.w, f.n)
    return (convolve_wrapper_s8_get_buffer_size("mve", p, i, conv_filter, o)
            + f.c * f.h * f.w * f.n)


def depthwise_conv_wrapper_s8_get_buffer_size(variant: str, p: ConvParams, i: Dims, f: Dims,
                                              o: Dims) -> int:
    """arm_depthwise_conv_wrapper_s8_get_buffer_size (plain) and its _dsp / _mve variants."""
    size = 0
    if variant == "mve":
        if i.c == o.c and i.n == 1 and p.dil_w == 1 and p.dil_h == 1:
            size = depthwise_conv_s8_opt_get_buffer_size("mve", i, f)
        if i.c == 1 and o.c > DW_ONE_IN_CH_THRESHOLD:
            size = max(size, _dw_one_in_ch_mve(p, i, f, o))
        return size
    if i.c == o.c and i.n == 1 and p.dil_w == 1 and p.dil_h == 1:
        if f.w == 3 and f.h == 3 and p.pad_h <= 1 and p.pad_w <= 1:
            return 0
        size = depthwise_conv_s8_opt_get_buffer_size(variant, i, f)
    return size


# -- 16x8 (s16) convolutions: the same formulas in v7.0.0 and 4ab83cc3 ----------------------------
def convolve_wrapper_s16_get_buffer_size(variant: str, i: Dims, f: Dims) -> int:
    """arm_convolve_wrapper_s16_get_buffer_size (plain, dsp) and _mve: im2col columns of int16
    (two; on MVE four, each rounded up to 8 elements)."""
    if variant == "mve":
        return 4 * ((i.c * f.w * f.h + 7) // 8) * 8 * 2
    return 2 * i.c * f.w * f.h * 2


def depthwise_conv_wrapper_s16_get_buffer_size(variant: str, p: ConvParams, i: Dims, f: Dims,
                                               ch_mult: int) -> int:
    """arm_depthwise_conv_wrapper_s16_get_buffer_size*: only the fast kernel (channel multiplier
    1, no dilation, KH * KW < 512) asks for a buffer, and only with DSP (MVE: four of them)."""
    if not (ch_mult == 1 and p.dil_w == 1 and p.dil_h == 1 and f.w * f.h < 512):
        return 0
    if variant == "mve":
        return 4 * i.c * f.w * f.h * 2 + 8
    if variant == "dsp":
        return i.c * f.w * f.h * 2
    return 0


# -- fully connected, pooling --------------------------------------------------------------------
def fully_connected_s8_get_buffer_size(variant: str, f: Dims) -> int:
    """arm_fully_connected_s8_get_buffer_size: on MVE the kernel sums, one int32 per output."""
    return f.c * 4 if variant == "mve" else 0


def avgpool_s8_get_buffer_size(variant: str, output_x: int, ch_src: int) -> int:
    return ch_src * 4 if variant == "dsp" else 0


# -- graph glue ----------------------------------------------------------------------------------
def _nhwc(shape: tuple[int, ...]) -> Dims:
    if len(shape) != 4:
        raise ValueError(shape)
    return Dims(*shape)


def _conv_params(graph: Graph, op: Operator) -> ConvParams:
    from .conv import geometry  # the padding TFLM (and the kernels) use
    sh, sw, dh, dw, pad_top, pad_left = geometry(graph, op)
    return ConvParams(stride_h=sh, stride_w=sw, pad_h=pad_top, pad_w=pad_left, dil_h=dh, dil_w=dw)


def _shapes(graph: Graph, op: Operator):
    ins = graph.op_inputs(op)
    try:
        return _nhwc(ins[0].shape), _nhwc(graph.op_outputs(op)[0].shape), ins
    except (ValueError, IndexError, TypeError, AttributeError):
        raise InputError(f"operator {op.opcode} has tensor shapes the CMSIS-NN scratch formula "
                         "cannot read", f"op {op.index}") from None


def conv_2d(graph: Graph, op: Operator, variant: str) -> int:
    """What TFLM's CMSIS-NN glue asks arm_convolve_wrapper_s8_get_buffer_size* for."""
    i, o, ins = _shapes(graph, op)
    w = ins[1]
    f = Dims(1, w.shape[1], w.shape[2], w.shape[3])
    if ins[0].dtype.name == "int16":
        return convolve_wrapper_s16_get_buffer_size(variant, i, f)
    return convolve_wrapper_s8_get_buffer_size(variant, _conv_params(graph, op), i, f, o)


def depthwise_conv_2d(graph: Graph, op: Operator, variant: str) -> int:
    i, o, ins = _shapes(graph, op)
    w = ins[1]
    f = Dims(1, w.shape[1], w.shape[2], o.c)
    if ins[0].dtype.name == "int16":
        return depthwise_conv_wrapper_s16_get_buffer_size(variant, _conv_params(graph, op), i, f,
                                                          o.c // i.c)
    return depthwise_conv_wrapper_s8_get_buffer_size(variant, _conv_params(graph, op), i, f, o)


def fully_connected(graph: Graph, op: Operator, variant: str) -> int:
    """None in the arena: on MVE the buffer holds the kernel sums, which the code generator
    precomputes and stores as const data (as TFLM does with a persistent buffer)."""
    return 0


def average_pool_2d(graph: Graph, op: Operator, variant: str) -> int:
    """arm_avgpool_s8_get_buffer_size*; arm_avgpool_s16_get_buffer_size* is the same formula
    (one int32 per channel on DSP, none otherwise)."""
    _, o, _ = _shapes(graph, op)
    return avgpool_s8_get_buffer_size(variant, o.w, o.c)
