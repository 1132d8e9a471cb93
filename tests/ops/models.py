"""One small single-operator model per operator of the registry, int8 (or another activation
dtype, to check refusals), built with GraphBuilder. ``single_op_models()`` yields the
representative instances plus the instances whose backend choice differs (a broadcasting ADD)."""

from __future__ import annotations

import numpy as np

from mcugen.model.builder import GraphBuilder

Q_IN, Q_OUT = (0.05, -3), (0.08, 4)


def _q(dtype, q):
    if np.dtype(dtype) == np.float32:
        return {}
    scale, zp = q
    return {"scale": scale, "zero_point": 0 if np.dtype(dtype) == np.int16 else zp}


def _bias_dtype(dtype):
    """16x8 layers carry an int64 bias (what the TF converter writes; TFLM's int16 depthwise
    reads no other)."""
    return np.int64 if np.dtype(dtype) == np.int16 else np.int32


def single_op(opcode: str, dtype=np.int8, broadcast: bool = False):
    """A valid model of ``opcode`` whose activations are ``dtype`` (weights stay int8)."""
    if opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM":
        from tests.sim.single_op import lstm_graph
        return lstm_graph(dtype, seed=7)
    if opcode == "SVDF":
        from tests.sim.single_op import svdf_graph
        return svdf_graph(dtype, seed=7)
    rng = np.random.default_rng(7)
    b = GraphBuilder(f"{opcode.lower()}_{np.dtype(dtype).name}")
    x = b.input("x", (1, 6, 6, 4), dtype, **_q(dtype, Q_IN))
    out = lambda shape, q=Q_OUT: b.tensor("y", shape, dtype, **_q(dtype, q))   # noqa: E731
    i32 = lambda name, v: b.const(name, np.asarray(v, np.int32))               # noqa: E731
    if opcode in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        dw = opcode == "DEPTHWISE_CONV_2D"
        shape = (1, 3, 3, 4) if dw else (5, 3, 3, 4)
        c_out = 4 if dw else 5
        w = b.const("w", rng.integers(-127, 128, shape).astype(np.int8),
                    scale=np.full(c_out, 0.01, np.float32), zero_point=0, axis=3 if dw else 0)
        bias = b.const("b", rng.integers(-500, 500, c_out).astype(_bias_dtype(dtype)),
                       scale=np.full(c_out, 0.05 * 0.01, np.float32), zero_point=0)
        y = out((1, 6, 6, c_out))
        opts = dict(padding="SAME", stride_h=1, stride_w=1, dilation_hfactor=1,
                    dilation_wfactor=1, fused_activation_function="NONE")
        if dw:
            b.op(opcode, [x, w, bias], [y], "DepthwiseConv2DOptions", depth_multiplier=1, **opts)
        else:
            b.op(opcode, [x, w, bias], [y], "Conv2DOptions", **opts)
    elif opcode == "TRANSPOSE_CONV":
        w = b.const("w", rng.integers(-127, 128, (3, 3, 3, 4)).astype(np.int8),
                    scale=np.full(3, 0.01, np.float32), zero_point=0, axis=0)
        bias = b.const("b", rng.integers(-500, 500, 3).astype(_bias_dtype(dtype)),
                       scale=np.full(3, 0.05 * 0.01, np.float32), zero_point=0)
        y = out((1, 12, 12, 3))
        b.op(opcode, [i32("output_shape", [1, 12, 12, 3]), w, x, bias], [y],
             "TransposeConvOptions", padding="SAME", stride_h=2, stride_w=2,
             fused_activation_function="NONE")
    elif opcode == "FULLY_CONNECTED":
        w = b.const("w", rng.integers(-127, 128, (3, 144)).astype(np.int8), scale=0.01,
                    zero_point=0)
        bias = b.const("b", np.arange(3, dtype=_bias_dtype(dtype)), scale=0.05 * 0.01,
                       zero_point=0)
        y = out((1, 3))
        b.op(opcode, [x, w, bias], [y], "FullyConnectedOptions", fused_activation_function="NONE",
             weights_format=0, keep_num_dims=False, asymmetric_quantize_inputs=False)
    elif opcode in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        y = out((1, 3, 3, 4), Q_IN)
        b.op(opcode, [x], [y], "Pool2DOptions", padding="VALID", stride_h=2, stride_w=2,
             filter_height=2, filter_width=2, fused_activation_function="NONE")
    elif opcode in ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"):
        shape2 = (1, 1, 1, 4) if broadcast else (1, 6, 6, 4)
        same = opcode in ("MAXIMUM", "MINIMUM")
        x2 = b.input("x2", shape2, dtype, **_q(dtype, Q_IN if same else (0.07, 1)))
        y = out((1, 6, 6, 4), Q_IN if same else Q_OUT)
        options = {"fused_activation_function": "NONE"} if not same else {}
        kind = {"MAXIMUM": "MaximumMinimumOptions", "MINIMUM": "MaximumMinimumOptions"}
        b.op(opcode, [x, x2], [y], kind.get(opcode, opcode.capitalize() + "Options"), **options)
    elif opcode == "SOFTMAX":
        y = out((1, 6, 6, 4), (1 / 256, -128) if np.dtype(dtype) != np.int16 else (1 / 32768, 0))
        b.op(opcode, [x], [y], "SoftmaxOptions", beta=1.0)
    elif opcode in ("LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH"):
        fixed = {"LOGISTIC": (1 / 256, -128), "TANH": (1 / 128, 0)} \
            if np.dtype(dtype) != np.int16 else {"LOGISTIC": (1 / 32768, 0), "TANH": (1 / 32768, 0)}
        y = out((1, 6, 6, 4), fixed.get(opcode, Q_OUT))
        if opcode == "LEAKY_RELU":
            b.op(opcode, [x], [y], "LeakyReluOptions", alpha=0.2)
        else:
            b.op(opcode, [x], [y])
    elif opcode in ("PAD", "PADV2"):
        pads = i32("paddings", [[0, 0], [1, 1], [0, 2], [0, 0]])
        y = out((1, 8, 8, 4), Q_IN)
        if opcode == "PADV2":
            value = b.const("v", np.array([-3], np.dtype(dtype)), **_q(dtype, Q_IN))
            b.op(opcode, [x, pads, value], [y], "PadV2Options")
        else:
            b.op(opcode, [x, pads], [y], "PadOptions")
    elif opcode == "CONCATENATION":
        x2 = b.input("x2", (1, 6, 6, 2), dtype, **_q(dtype, Q_IN))
        y = out((1, 6, 6, 6), Q_IN)
        b.op(opcode, [x, x2], [y], "ConcatenationOptions", axis=3, fused_activation_function="NONE")
    elif opcode == "TRANSPOSE":
        y = out((1, 4, 6, 6), Q_IN)
        b.op(opcode, [x, i32("perm", [0, 3, 1, 2])], [y], "TransposeOptions")
    elif opcode == "STRIDED_SLICE":
        y = out((1, 3, 6, 2), Q_IN)
        b.op(opcode, [x, i32("begin", [0, 0, 0, 1]), i32("end", [1, 6, 6, 4]),
                      i32("strides", [1, 2, 1, 2])], [y], "StridedSliceOptions", begin_mask=0,
             end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0, offset=False)
    elif opcode == "MEAN":
        y = out((1, 1, 1, 4))
        b.op(opcode, [x, i32("axis", [1, 2])], [y], "ReducerOptions", keep_dims=True)
    elif opcode == "RESHAPE":
        y = out((1, 144), Q_IN)
        b.op(opcode, [x, i32("shape", [1, 144])], [y], "ReshapeOptions", new_shape=[1, 144])
    elif opcode == "SQUEEZE":
        y = out((6, 6, 4), Q_IN)
        b.op(opcode, [x], [y], "SqueezeOptions", squeeze_dims=[0])
    elif opcode == "EXPAND_DIMS":
        y = out((1, 6, 6, 4, 1), Q_IN)
        b.op(opcode, [x, i32("axis", [4])], [y], "ExpandDimsOptions")
    elif opcode == "QUANTIZE":
        y = out((1, 6, 6, 4))
        b.op(opcode, [x], [y], "QuantizeOptions")
    elif opcode == "DEQUANTIZE":
        y = b.tensor("y", (1, 6, 6, 4), np.float32)
        b.op(opcode, [x], [y], "DequantizeOptions")
    elif opcode == "SPACE_TO_BATCH_ND":
        y = out((4, 3, 3, 4), Q_IN)
        b.op(opcode, [x, i32("block", [2, 2]), i32("pads", [[0, 0], [0, 0]])], [y],
             "SpaceToBatchNDOptions")
    elif opcode == "BATCH_TO_SPACE_ND":
        y = out((1, 6, 5, 4), Q_IN)
        b.op(opcode, [x, i32("block", [1, 1]), i32("crops", [[0, 0], [1, 0]])], [y],
             "BatchToSpaceNDOptions")
    else:
        raise KeyError(opcode)
    b.output(y)
    return b.build()


def single_op_models():
    """(label, graph) for every simulated operator, int8, plus a broadcasting ADD."""
    from mcugen.ops.registry import records
    for name, r in sorted(records().items()):
        if "int8" in r.dtypes:
            yield name, single_op(name)
    yield "ADD-broadcast", single_op("ADD", broadcast=True)
