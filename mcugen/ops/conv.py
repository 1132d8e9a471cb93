"""Records and constants (``prepare_*``, shared by simulator, code generator and planner) of
CONV_2D and DEPTHWISE_CONV_2D (TFLM reference_integer_ops::ConvPerChannel /
DepthwiseConvPerChannel, and the float reference kernels).

The arithmetic these constants serve is described with the kernels in
``mcugen/sim/kernels/conv.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fixedpoint import quantize_multipliers
from ..model.graph import Graph, Operator
from . import cmsis_nn_scratch
from .fast import fused_requantization_fits, requantization_fits
from .common import (
    activation_range_quantized,
    check_int64_shifts,
    effective_scale,
    int16_accumulator,
    padding_before,
    scale_of,
    zero_point_of,
)
from .registry import Weighted, int8_or_16x8_tensors, int8_tensors, record


@dataclass
class ConvParams:
    """Everything a conv-family kernel needs besides the data; the code generator emits these."""
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int
    depth_multiplier: int
    input_zero_point: int
    output_zero_point: int
    multipliers: np.ndarray      # int32 per output channel
    shifts: np.ndarray           # int32 per output channel (positive = left)
    act_min: int
    act_max: int
    wide: bool = False           # int16 layer with an int64 accumulator (else int32)


def dilations(options: dict) -> tuple[int, int]:
    """(dilation_h, dilation_w). The reader spells the schema's dilationHFactor as
    ``dilation_hfactor``; the underscored spelling is accepted too, for hand-built options."""
    dh = options.get("dilation_hfactor", options.get("dilation_h_factor", 1))
    dw = options.get("dilation_wfactor", options.get("dilation_w_factor", 1))
    return int(dh), int(dw)


def explicit_padding(options: dict) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of a conv whose padding is ``"EXPLICIT"`` (the optimiser folds
    a PAD into it, ``mcugen/optimize/pad_fold.py``), else None. TFLite has no such padding: the
    writer re-creates the PAD (``mcugen/optimize/explicit.py``)."""
    if options.get("padding") != "EXPLICIT":
        return None
    top, bottom, left, right = (int(v) for v in options["explicit_padding"])
    return top, bottom, left, right


def geometry(graph: Graph, op: Operator) -> tuple[int, ...]:
    """(stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left) of a conv-family op.
    The bottom and right padding follow from the output shape (every kernel reads taps outside
    the input as the input zero point), so explicit padding needs only its top and left here."""
    x = graph.tensors[op.inputs[0]]
    w = graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    o = op.options
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    dh, dw = dilations(o)
    kh, kw = w.shape[1], w.shape[2]
    explicit = explicit_padding(o)
    if explicit is not None:
        return sh, sw, dh, dw, explicit[0], explicit[2]
    pad_top = padding_before(o.get("padding", "VALID"), x.shape[1], kh, sh, dh, y.shape[1])
    pad_left = padding_before(o.get("padding", "VALID"), x.shape[2], kw, sw, dw, y.shape[2])
    return sh, sw, dh, dw, pad_top, pad_left


def prepare_conv(graph: Graph, op: Operator) -> ConvParams:
    """TFLM's conv/depthwise Prepare: per-channel multipliers from float32 scales in double."""
    x = graph.tensors[op.inputs[0]]
    w = graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    channels = y.shape[3]
    w_scales = w.quant.scale if w.quant.scale.size > 1 else np.repeat(w.quant.scale, channels)
    mult, shift = quantize_multipliers(effective_scale(scale_of(x), w_scales, scale_of(y)))
    act_min, act_max = activation_range_quantized(op.fused_activation, y)
    sh, sw, dh, dw, pad_top, pad_left = geometry(graph, op)
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    wide = x.dtype == np.int16 and int16_accumulator(graph, op, 3 if depthwise else 0,
                                                     int32_bias=not depthwise)
    if wide:
        check_int64_shifts(graph, op, shift)
    return ConvParams(sh, sw, dh, dw, pad_top, pad_left,
                      y.shape[3] // x.shape[3] if depthwise else 1,
                      zero_point_of(x), zero_point_of(y),
                      mult, shift, act_min, act_max, wide)


# -- mcugen's own kernels (templates/kernels/mcugen/mcugen_fast.c) --------------------------------
def _live_bounds(graph: Graph, op: Operator):
    """(reference accumulator bound |b| + sum |w| * 255, multipliers, shifts) of the live output
    channels (some weight nonzero) of a CONV, DEPTHWISE or FC layer."""
    w = graph.tensors[op.inputs[1]]
    axis = 3 if op.opcode == "DEPTHWISE_CONV_2D" else 0
    by_channel = np.moveaxis(w.data.astype(np.int64), axis, 0).reshape(w.shape[axis], -1)
    bound = np.abs(by_channel).sum(axis=1) * 255
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        bound = bound + np.abs(graph.tensors[op.inputs[2]].data.astype(np.int64))
    if op.opcode == "FULLY_CONNECTED":
        from .fully_connected import prepare_fully_connected
        p = prepare_fully_connected(graph, op)
    else:
        p = prepare_conv(graph, op)
    live = by_channel.any(axis=1)
    mult = np.resize(np.asarray(p.multipliers, np.int64), bound.size)
    shift = np.resize(np.asarray(p.shifts, np.int64), bound.size)
    return bound[live], mult[live], shift[live]


def accumulator_bound_fails(graph: Graph, op: Operator) -> str | None:
    """The exactness proof of mcugen's generated kernels for one layer (else: a slower exact
    backend): the reference accumulator bound of every output channel, |b| + sum |w| * 255,
    must satisfy :func:`mcugen.ops.fast.requantization_fits`."""
    bound, mult, shift = _live_bounds(graph, op)
    if bound.size and not requantization_fits(bound, mult, shift):
        return "the int32 accumulator bound does not hold"
    return None


def fused_conv(graph: Graph, op: Operator) -> bool:
    """Does a CONV or FC layer on mcugen's kernels run the fused 2 x 2 tile
    (mcugen_fast_conv_fused_s8)? Two or more output rows, and the fused requantization proven
    exact for every live channel (:func:`mcugen.ops.fast.fused_requantization_fits`); otherwise
    the general kernel (mcugen_fast_conv_s8), equally exact and slower."""
    y = graph.tensors[op.outputs[0]]
    if y.size // y.shape[-1] < 2:
        return False
    return fused_requantization_fits(*_live_bounds(graph, op))


def single_channel_depthwise(graph: Graph, op: Operator) -> bool:
    """A DEPTHWISE_CONV_2D over one input channel (person_detect's first layer: 1 -> 8) is a
    CONV_2D with weights [M, KH, KW, 1]: the same sums, bias and per-channel requantization, so
    mcugen's kernels run it as one."""
    return (op.opcode == "DEPTHWISE_CONV_2D"
            and graph.tensors[op.inputs[0]].shape[-1] == 1)


def conv_rows(graph: Graph, op: Operator) -> np.ndarray:
    """The weights as rows [C_OUT][K]: the inputs each output channel reads, in im2col order."""
    w = graph.tensors[op.inputs[1]]
    if op.opcode == "DEPTHWISE_CONV_2D":
        return np.moveaxis(w.data, 3, 0).reshape(w.shape[3], -1)
    return w.data.reshape(w.shape[0], -1)


def row_length(graph: Graph, op: Operator) -> tuple[int, int]:
    """(K, K rounded up to 4): the inputs one output of a conv or FC reads."""
    w = graph.tensors[op.inputs[1]]
    if op.opcode == "FULLY_CONNECTED":
        k = int(w.shape[-1])
    elif op.opcode == "DEPTHWISE_CONV_2D":
        k = int(w.shape[1] * w.shape[2])
    else:
        k = int(np.prod(w.shape[1:]))
    return k, (k + 3) // 4 * 4


def rows_are_direct(graph: Graph, op: Operator) -> bool:
    """Output row p reads the K input bytes at p * K: a 1x1 stride-1 unpadded conv, and an FC."""
    if op.opcode == "FULLY_CONNECTED":
        return True
    w = graph.tensors[op.inputs[1]]
    p = prepare_conv(graph, op)
    return (w.shape[1] == w.shape[2] == 1 and p.stride_h == p.stride_w == 1
            and p.pad_top == p.pad_left == 0)


def fast_conv_geometry(graph: Graph, op: Operator) -> tuple[int, int, bool]:
    """(output rows, K4, rows read in place) of a conv or FC on mcugen's kernels: rows are the
    output pixels (or FC batch rows); direct rows whose K is a multiple of 4 are read in place."""
    y = graph.tensors[op.outputs[0]]
    k, k4 = row_length(graph, op)
    return y.size // y.shape[-1], k4, rows_are_direct(graph, op) and k == k4


def fast_conv_scratch(graph: Graph, op: Operator, variant: str) -> int:
    """MCUGEN_FAST_CONV_SCRATCH: per row in flight (2, or 1) cout int32 accumulators and k4
    widened inputs, plus one gathered row unless rows are read in place; the fused kernel
    (MCUGEN_FAST_FUSED_SCRATCH) needs no accumulators."""
    pixels, k4, in_place = fast_conv_geometry(graph, op)
    if fused_conv(graph, op):
        return 4 * k4 + (0 if in_place else k4)
    rows = 2 if pixels > 1 else 1
    cout = graph.tensors[op.inputs[1]].shape[0]
    return rows * (4 * cout + 2 * k4) + (0 if in_place else k4)


def fused_depthwise(graph: Graph, op: Operator) -> bool:
    """Does a DEPTHWISE layer on mcugen's kernels run the fused 3x3 (mcugen_fast_dw3x3_fused_s8)?
    A 3x3 filter, dilation 1, and the fused requantization proven exact for every live channel;
    otherwise the general depthwise kernel, equally exact and slower."""
    w = graph.tensors[op.inputs[1]]
    p = prepare_conv(graph, op)
    return (w.shape[1] == w.shape[2] == 3 and p.dilation_h == p.dilation_w == 1
            and not single_channel_depthwise(graph, op)
            and fused_requantization_fits(*_live_bounds(graph, op)))


def fast_depthwise_scratch(graph: Graph, op: Operator, variant: str) -> int:
    """One pixel of input zero points (read by the taps outside the image), and for the general
    kernel one pixel of int32 accumulators."""
    if single_channel_depthwise(graph, op):
        return fast_conv_scratch(graph, op, variant)
    channels = graph.tensors[op.outputs[0]].shape[3]
    return channels if fused_depthwise(graph, op) else 5 * channels


def fast_conv_check(graph: Graph, op: Operator) -> str | None:
    return int8_tensors(graph, op) or accumulator_bound_fails(graph, op)


def fast_depthwise_check(graph: Graph, op: Operator) -> str | None:
    reason = int8_tensors(graph, op) or accumulator_bound_fails(graph, op)
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if reason is None and single_channel_depthwise(graph, op):
        return None                                    # run as a CONV_2D
    if reason is None and x.shape[3] != y.shape[3]:
        reason = "channel multiplier above 1 (and more than one input channel)"
    if reason is None and y.shape[3] % 4:
        reason = "channels not a multiple of 4"
    return reason


def cmsis_s16_check(graph: Graph, op: Operator) -> str | None:
    """Where CMSIS-NN's s16 convolutions (arm_convolve_s16, arm_depthwise_conv_s16 and its fast
    variant; v7.0.0 and 4ab83cc3 alike) are bit-exact with TFLM's reference for one 16x8 layer.
    They sum the products of each output in an int32 (TFLM: int64) before adding the bias, count
    columns in uint16_t, and narrow ``acc * reduced_multiplier >> (14 - shift)`` to int32 one bit
    earlier than TFLM's int64 requantization. So a layer qualifies when, for every output
    channel, sum |w| * 32768 (+ |bias| with an int32 bias) < 2^31, (sum |w| * 32768 + |bias|) *
    reduced multiplier < 2^(45 - shift), its im2col row (KH * KW * C_IN) < 65536, and it is not a
    grouped conv; the depthwise kernels read an int64 bias only. Else the layer falls to the
    portable kernels (tests/codegen/test_16x8.py shows the values that differ)."""
    x, w = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    if not depthwise and w.shape[3] != x.shape[3]:
        return "grouped convolution (CMSIS-NN's s16 conv takes none)"
    if w.shape[1] * w.shape[2] * (1 if depthwise else w.shape[3]) >= 65536:
        return "im2col row of 65536 or more (CMSIS-NN counts columns in uint16_t)"
    bias = graph.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    p = prepare_conv(graph, op)
    if depthwise and not p.wide:
        return "int32 accumulator (CMSIS-NN's s16 depthwise takes an int64 bias only)"
    axis = 3 if depthwise else 0
    by_channel = np.moveaxis(w.data.astype(np.int64), axis, 0).reshape(w.shape[axis], -1)
    products = np.abs(by_channel).sum(axis=1) * 32768
    b = np.abs(bias.data.astype(np.int64)) if bias is not None else np.zeros_like(products)
    partial = products + (0 if p.wide else b)
    if partial.size and int(partial.max()) >= 1 << 31:
        c = int(np.argmax(partial))
        return (f"int32 partial sums may overflow (channel {c}: bound {int(partial[c])} >= 2^31; "
                "TFLM sums in int64)")
    if p.wide:
        mult = np.resize(np.asarray(p.multipliers, np.int64), products.size)
        shift = np.resize(np.asarray(p.shifts, np.int64), products.size)
        for bound, m, s in zip((products + b).tolist(), mult.tolist(), shift.tolist()):
            reduced = (m + (1 << 15)) >> 16 if m < 0x7FFF0000 else 0x7FFF
            if bound * reduced >= 1 << (45 - s):
                return ("requantization narrows to int32 before TFLM's does (accumulator "
                        "too large)")
    return None


def cmsis_depthwise_check(graph: Graph, op: Operator) -> str | None:
    """int8 layers (rank <= 4), and 16x8 layers :func:`cmsis_s16_check` proves exact."""
    if int8_or_16x8_tensors(graph, op) is None and graph.tensors[op.inputs[0]].dtype == np.int16:
        return cmsis_s16_check(graph, op)
    return int8_tensors(graph, op)


def cmsis_conv_check(graph: Graph, op: Operator) -> str | None:
    """CMSIS-NN's 1xN convolution on MVE (arm_convolve_1_x_n_s8) fails unless the padding is
    TFLite's SAME split (left = total // 2): explicit padding otherwise goes to the next backend.
    16x8 layers: :func:`cmsis_s16_check`."""
    if int8_or_16x8_tensors(graph, op) is None and graph.tensors[op.inputs[0]].dtype == np.int16:
        return cmsis_s16_check(graph, op)
    reason = int8_tensors(graph, op)
    explicit = explicit_padding(op.options)
    if reason is not None or explicit is None:
        return reason
    x, w, y = (graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]],
               graph.tensors[op.outputs[0]])
    sh, sw, dh, dw, _, pad_left = geometry(graph, op)
    one_by_n = (x.shape[1] == 1 and dw == 1 and w.shape[1] == 1 and (sw * x.shape[3]) % 4 == 0
                and x.shape[3] == w.shape[3])
    total = (y.shape[2] - 1) * sw + w.shape[2] - x.shape[2]
    if one_by_n and pad_left * 2 + total % 2 != total:
        return "explicit padding CMSIS-NN's 1xN kernel does not take"
    return None


@dataclass
class TransposeConvParams:
    """TFLM transpose_conv.cc Prepare: padding from the *output* size as a conv's input, per
    output channel multipliers (PopulateConvolutionQuantizationParams), the activation clamp."""
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    output_shape: tuple[int, ...]
    input_zero_point: int
    output_zero_point: int
    multipliers: np.ndarray
    shifts: np.ndarray
    act_min: int
    act_max: int
    wide: bool                     # int16: int64 scratch and requantization


def _transpose_conv_bias(graph: Graph, op: Operator):
    return graph.tensors[op.inputs[3]] if len(op.inputs) > 3 and op.inputs[3] >= 0 else None


def prepare_transpose_conv(graph: Graph, op: Operator) -> TransposeConvParams:
    """Inputs: output_shape (int32), weights [C_out, KH, KW, C_in], data, optional bias."""
    from ..errors import InputError, UnsupportedOperatorError
    shape_t, w, x = (graph.tensors[i] for i in op.inputs[:3])
    y = graph.tensors[op.outputs[0]]
    where = f"operator {op.index}"
    if x.dtype != y.dtype or w.dtype != np.int8 or w.quant is None or len(w.shape) != 4 \
            or len(x.shape) != 4 or len(y.shape) != 4:
        raise InputError("TRANSPOSE_CONV needs 4-D data and output of one type and 4-D int8 "
                         "weights", where)
    if w.shape[0] != y.shape[3] or w.shape[3] != x.shape[3] or x.shape[0] != y.shape[0]:
        raise InputError(f"TRANSPOSE_CONV weights {list(w.shape)} do not fit input "
                         f"{list(x.shape)} and output {list(y.shape)}", where)
    if shape_t.data is not None and tuple(int(v) for v in np.asarray(shape_t.data).ravel()) \
            != tuple(y.shape):
        raise InputError(f"TRANSPOSE_CONV output_shape {np.asarray(shape_t.data).tolist()} is "
                         f"not the output's declared shape {list(y.shape)}", where)
    bias = _transpose_conv_bias(graph, op)
    wide = x.dtype == np.int16
    if wide:
        for t in (x, y):
            if zero_point_of(t) != 0:
                raise InputError(f"int16 tensor '{t.name}' has zero point {zero_point_of(t)}; "
                                 "TFLM's 16x8 kernels take 0", where)
        if bias is not None and bias.dtype not in (np.int64, np.int16):
            raise UnsupportedOperatorError(f"TRANSPOSE_CONV (int16 with {bias.dtype} bias)",
                                           op.index, graph.name, stage="the pinned TFLM "
                                           "computes it wrong: no oracle; give it an int64 bias")
    elif bias is not None and bias.dtype != np.int32:
        raise InputError(f"int8 TRANSPOSE_CONV bias '{bias.name}' is {bias.dtype} (int32)", where)
    sh, sw = int(op.options.get("stride_h", 1)), int(op.options.get("stride_w", 1))
    kh, kw = w.shape[1], w.shape[2]
    padding = op.options.get("padding", "VALID")
    out_h = _conv_out_size(padding, y.shape[1], kh, sh)
    out_w = _conv_out_size(padding, y.shape[2], kw, sw)
    pad_top = max((out_h - 1) * sh + kh - y.shape[1], 0) // 2
    pad_left = max((out_w - 1) * sw + kw - y.shape[2], 0) // 2
    channels = w.shape[0]
    w_scales = w.quant.scale if w.quant.scale.size > 1 else np.repeat(w.quant.scale, channels)
    mult, shift = quantize_multipliers(effective_scale(scale_of(x), w_scales, scale_of(y)))
    act_min, act_max = activation_range_quantized(op.options.get("fused_activation_function",
                                                                 "NONE"), y)
    # every output element sums each weight at most once: the accumulator bound per channel
    bound = np.abs(w.data.astype(np.int64)).reshape(channels, -1).sum(axis=1) * \
        (32768 if wide else 255)
    if bias is not None:
        bound = bound + np.abs(bias.data.astype(np.int64))
    if bound.size and int(bound.max()) >= ((1 << 47) if wide else (1 << 31)):
        raise UnsupportedOperatorError(f"TRANSPOSE_CONV ({x.dtype})", op.index, graph.name,
                                       stage="its accumulator may overflow")
    if wide:
        check_int64_shifts(graph, op, shift)
    return TransposeConvParams(sh, sw, pad_top, pad_left, tuple(y.shape), zero_point_of(x),
                               zero_point_of(y), mult, shift, act_min, act_max, wide)


def _conv_out_size(padding: str, size: int, kernel: int, stride: int) -> int:
    """ComputeOutSize (dilation 1)."""
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size - kernel + stride) // stride


def conv_macs(graph: Graph, op: Operator) -> int:
    """Output elements x filter taps x input channels (weights [Cout, KH, KW, Cin])."""
    w = graph.tensors[op.inputs[1]].shape
    return graph.tensors[op.outputs[0]].size * w[1] * w[2] * w[3]


def depthwise_macs(graph: Graph, op: Operator) -> int:
    """Output elements x filter taps (weights [1, KH, KW, Cout])."""
    w = graph.tensors[op.inputs[1]].shape
    return graph.tensors[op.outputs[0]].size * w[1] * w[2]


def transpose_conv_check(graph: Graph, op: Operator) -> str | None:
    """mcugen's portable TRANSPOSE_CONV (int8, and 16x8) takes a constant output_shape: one the
    graph feeds at run time is simulated (its values checked) but not generated."""
    if graph.tensors[op.inputs[0]].data is None:
        return "output_shape is not a constant"
    return int8_or_16x8_tensors(graph, op)


def transpose_conv_macs(graph: Graph, op: Operator) -> int:
    """inputs: output_shape, weights [Cout, KH, KW, Cin], input."""
    w = graph.tensors[op.inputs[1]].shape
    return graph.tensors[op.inputs[2]].size * w[0] * w[1] * w[2]


RECORDS = (
    record("CONV_2D", "conv", dtypes=("int8", "int16", "float32"), prepare=prepare_conv,
           quant=Weighted(axis=0), version=3,
           backends={"mcugen": fast_conv_check, "cmsis-nn": cmsis_conv_check,
                     "portable": int8_or_16x8_tensors},
           macs=conv_macs, scratch={"cmsis-nn": cmsis_nn_scratch.conv_2d,
                                    "mcugen": fast_conv_scratch}),
    record("DEPTHWISE_CONV_2D", "conv", dtypes=("int8", "int16", "float32"), prepare=prepare_conv,
           quant=Weighted(axis=3), version=3,
           backends={"mcugen": fast_depthwise_check, "cmsis-nn": cmsis_depthwise_check,
                     "portable": int8_or_16x8_tensors},
           macs=depthwise_macs, scratch={"cmsis-nn": cmsis_nn_scratch.depthwise_conv_2d,
                                         "mcugen": fast_depthwise_scratch}),
    # Simulated and generated (int8 and 16x8, portable kernels); not quantized yet.
    record("TRANSPOSE_CONV", "conv", dtypes=("int8", "int16"), prepare=prepare_transpose_conv,
           backends={"portable": transpose_conv_check}, macs=transpose_conv_macs,
           parameter_inputs=(0,)),
)
