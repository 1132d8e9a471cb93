"""16x8 models through code generation: mcugen's portable int16 kernels, bit-exact with the
simulator and TFLM on the host (also under ASan/UBSan) and on mps2-an386 (QEMU), with int16 and
float I/O through the model ABI and the firmware protocol. mcugen's own kernels and CMSIS-NN
refuse int16 layers (their per-instance checks), which then fall to the portable kernels."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from mcugen.codegen import render_model
from mcugen.model import load_model, parse_model, serialize_model
from mcugen.quantize import quantize_model
from mcugen.sim import Simulator
from tests.oracle import SHARED_MODELS, Tflm
from tests.sim.compare import random_inputs

DSCNN = SHARED_MODELS / "real_data" / "digits_dscnn"
TF_MODELS = ["tf_16x8", "tf_16x8_floatio"]


@functools.lru_cache(maxsize=None)
def _mcugen_16x8(io: str) -> bytes:
    calib = [[s[None].astype(np.float32)] for s in np.load(DSCNN / "calib.npy")]
    return serialize_model(quantize_model(load_model(DSCNN / "float.tflite"), calib, io=io,
                                          activations="int16").graph)


def _graph(name: str):
    if name.startswith("mcugen_"):
        return parse_model(_mcugen_16x8(name.split("_", 1)[1]))
    return load_model(DSCNN / f"{name}.tflite")


def _samples(graph, count: int) -> list[list[np.ndarray]]:
    """Real test digits in the model's input type, then random inputs."""
    t = graph.tensors[graph.inputs[0]]
    x = np.load(DSCNN / "test.npz")["x"][:count].astype(np.float32)
    if t.dtype == np.float32:
        real = [[s.reshape(t.shape)] for s in x]
    else:
        info, s = np.iinfo(t.dtype), float(t.quant.scale[0])
        z = int(t.quant.zero_point[0])
        real = [[np.clip(np.round(v / s) + z, info.min, info.max).astype(t.dtype)
                 .reshape(t.shape)] for v in x]
    rng = np.random.default_rng(5)
    return real + [random_inputs(graph, rng) for _ in range(count)]


@pytest.mark.parametrize("sanitize", [False, True], ids=["O2", "asan-ubsan"])
@pytest.mark.parametrize("name", TF_MODELS + ["mcugen_int16", "mcugen_int8", "mcugen_float"])
def test_host_build_is_bit_exact(name, sanitize, host_build):
    graph = _graph(name)
    model = host_build(graph, "portable", sanitize)
    assert set(model.rendered.plan.backends.values()) == {"portable"}
    inputs = _samples(graph, 6)
    sim, tflm = Simulator(graph), Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e, o in zip(got, sim.run(x).outputs, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()


def test_mcugen_kernels_leave_int16_layers_to_portable(tmp_path):
    """mcugen's own kernels are int8: their per-instance checks refuse 16x8 layers (which then
    go to CMSIS-NN when a tree is found, else to the portable kernels)."""
    rendered = render_model(_graph("tf_16x8"), tmp_path, kernels="mcugen")
    assert "mcugen" not in set(rendered.plan.backends.values())


# -- CMSIS-NN's s16 convolutions, where the per-instance check proves them exact -------------------
CMSIS_TREES = ["/work/cmsis-nn-v7.0.0", "/work/cmsis-nn-4ab83cc3"]


def _tree(tree: str | None = None) -> str:
    import os
    tree = tree if tree and os.path.isdir(tree) else os.environ.get("MCUGEN_CMSIS_NN")
    if not tree:
        pytest.skip("set MCUGEN_CMSIS_NN to a CMSIS-NN source tree")
    return tree


def _trees():
    """With MCUGEN_CMSIS_NN set (the CMSIS-NN tier), that tree and the two known ones present on
    this machine; else one parameter that skips."""
    import os
    env = os.environ.get("MCUGEN_CMSIS_NN")
    if not env:
        return [None]
    return list(dict.fromkeys([env] + [t for t in CMSIS_TREES if os.path.isdir(t)]))


@pytest.mark.cmsis_nn
def test_cmsis_nn_takes_the_16x8_convolutions(tmp_path):
    """DS-CNN 16x8 with a CMSIS-NN tree: its three CONV_2D, two DEPTHWISE_CONV_2D and the
    AVERAGE_POOL_2D run CMSIS-NN's s16 kernels; reshape, FC (per-channel: arm_fully_connected_s16
    is per-tensor) and softmax stay portable."""
    graph = _graph("tf_16x8")
    rendered = render_model(graph, tmp_path, kernels="cmsis-nn", cmsis_nn=_tree())
    got = {op.index: rendered.plan.backends[op.index] for op in graph.operators}
    on_cmsis = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D")
    assert got == {op.index: "cmsis-nn" if op.opcode in on_cmsis else "portable"
                   for op in graph.operators}


@pytest.mark.cmsis_nn
@pytest.mark.parametrize("tree", _trees())
@pytest.mark.parametrize("name", TF_MODELS + ["mcugen_int16"])
def test_cmsis_nn_16x8_host_build_is_bit_exact(name, tree, host_build):
    graph = _graph(name)
    model = host_build(graph, "cmsis-nn", True, cmsis_nn=_tree(tree))
    assert "cmsis-nn" in set(model.rendered.plan.backends.values())
    inputs = _samples(graph, 6)
    sim, tflm = Simulator(graph), Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e, o in zip(got, sim.run(x).outputs, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()


def test_int16_io_model_runs_no_float(tmp_path):
    r = render_model(_graph("tf_16x8"), tmp_path)
    for path in r.sources:
        text = path.read_text()
        for word in ("malloc", "float", "double"):
            assert word not in text, f"{word} in {path.name}"
    assert "int16_t" in (tmp_path / f"{r.name}_model.h").read_text()


@pytest.mark.qemu
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", TF_MODELS + ["mcugen_int8"])
def test_bit_exact_on_mps2_an386(name, tmp_path):
    from mcugen.boards import load_board
    from mcugen.device.runner import open_device
    from mcugen.device.verify import verify_on_device
    from mcugen.firmware.build import build_firmware
    from tests.device.conftest import need_tools
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    graph = _graph(name)
    fw = build_firmware(graph, load_board("mps2-an386"), tmp_path, kernels="portable")
    with open_device(fw) as device:
        result = verify_on_device(device, graph, _samples(graph, 3))
    assert result.bit_exact, result.mismatches


# -- single int16 operators through the C path (ASan/UBSan host build) vs simulator and TFLM -----
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mcugen.model.builder import GraphBuilder  # noqa: E402
from tests.sim.single_op import unary_graph  # noqa: E402
from tests.sim.test_int16_props import bias_kinds, conv16_graph, fc16_graph, int16_scales  # noqa: E402,E501
from tests.sim.test_elementwise_props import _int16, binary_graph  # noqa: E402
from tests.strategies import (add_sub_case, conv_case, examples, fc_case, mul_case,  # noqa: E402
                              pool_case)

C_EXAMPLES = 3


def _check(graph, host_build):
    model = host_build(graph, "portable", True)
    rng = np.random.default_rng(0)
    inputs = [random_inputs(graph, rng) for _ in range(3)]
    sim, tflm = Simulator(graph), Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e, o in zip(got, sim.run(x).outputs, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()


@examples(C_EXAMPLES)
@given(data=st.data(), depthwise=st.booleans())
def test_conv_16x8_in_c(host_build, data, depthwise):
    c = data.draw(conv_case(depthwise), label="case")
    c.update(s_in=data.draw(int16_scales), s_out=data.draw(int16_scales))
    bias = "int64" if depthwise else data.draw(bias_kinds, label="bias")
    _check(conv16_graph(c, depthwise, bias), host_build)


@examples(C_EXAMPLES)
@given(data=st.data())
def test_fully_connected_16x8_in_c(host_build, data):
    c = data.draw(fc_case(), label="case")
    if len(c["batch_dims"]) > 2:
        c["batch_dims"] = c["batch_dims"][:2]
    c.update(s_in=data.draw(int16_scales), s_out=data.draw(int16_scales))
    _check(fc16_graph(c, data.draw(bias_kinds, label="bias")), host_build)


@examples(C_EXAMPLES)
@given(data=st.data(), opcode=st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]))
def test_pool_int16_in_c(host_build, data, opcode):
    c = data.draw(pool_case(), label="case")
    scale = data.draw(int16_scales)
    b = GraphBuilder(opcode.lower() + "_int16_c")
    x = b.input("x", (c["batch"], *c["hw"], c["c"]), np.int16, scale=scale, zero_point=0)
    y = b.tensor("y", (c["batch"], *c["out"], c["c"]), np.int16, scale=scale, zero_point=0)
    b.op(opcode, [x], [y], "Pool2DOptions", padding=c["padding"], stride_h=c["s"][0],
         stride_w=c["s"][1], filter_height=c["f"][0], filter_width=c["f"][1],
         fused_activation_function=c["act"])
    b.output(y)
    _check(b.build(), host_build)


@examples(C_EXAMPLES)
@given(shape=st.lists(st.integers(1, 12), min_size=1, max_size=3).map(tuple),
       scale=st.floats(-14.0, -4.0).map(lambda e: float(np.float32(2.0 ** e))),
       beta=st.sampled_from([1.0, 0.5, 2.0]))
def test_softmax_int16_in_c(host_build, shape, scale, beta):
    graph = unary_graph("SOFTMAX", shape, np.int16, np.int16, (scale, 0), (1.0 / 32768, 0),
                        "SoftmaxOptions", beta=beta)
    graph.name = "softmax_int16_c"
    _check(graph, host_build)


@examples(C_EXAMPLES)
@given(shape=st.lists(st.integers(1, 12), min_size=1, max_size=3).map(tuple),
       scale=st.floats(-8.0, 0.0).map(lambda e: float(np.float32(2.0 ** e))),
       zero_point=st.integers(-128, 127), beta=st.sampled_from([1.0, 0.5, 2.0]))
def test_softmax_int8_to_int16_in_c(host_build, shape, scale, zero_point, beta):
    """int8 in, int16 out at TFLM's 1/65536 and -32768 (a keyword model's head)."""
    graph = unary_graph("SOFTMAX", shape, np.int8, np.int16, (scale, zero_point),
                        (1.0 / 65536, -32768), "SoftmaxOptions", beta=beta)
    graph.name = "softmax_s8_s16_c"
    _check(graph, host_build)


@pytest.mark.parametrize("pair", [("int16", "int16"), ("int16", "int8"), ("int8", "int16"),
                                  ("int16", "int32"),
                                  ("float32", "int16"), ("int16", "float32")])
def test_int16_adapters_in_c(host_build, pair):
    src, dst = (np.dtype(d) for d in pair)
    q = lambda d, s: None if d == np.float32 else (s, 0 if d == np.int16 else 3)  # noqa: E731
    opcode = "DEQUANTIZE" if dst == np.float32 else "QUANTIZE"
    graph = unary_graph(opcode, (64,), src, dst, q(src, 0.0123), q(dst, 0.00071), version=2)
    graph.name = f"{opcode.lower()}_{src.name}_{dst.name}_c"
    _check(graph, host_build)


@examples(C_EXAMPLES)
@given(data=st.data(), opcode=st.sampled_from(["ADD", "SUB", "MUL"]))
def test_binary_int16_in_c(host_build, data, opcode):
    case = data.draw(mul_case() if opcode == "MUL" else add_sub_case(), label="case")
    graph = binary_graph(opcode, *_int16(case), dtype=np.int16)
    graph.name = f"{opcode.lower()}_int16_c"
    _check(graph, host_build)


# -- the rest of the 16x8 operators in C: activations (every int16 value), data movement, MEAN,
# -- TRANSPOSE_CONV (int8 too: the same gathered kernel) --------------------------------------
from tests.sim import test_data_movement_props as dm  # noqa: E402
from tests.sim.test_activation_props import ALL_INT16, sigmoid16_graph  # noqa: E402
from tests.sim.test_int16_props import _deconv_case, transpose_conv_graph  # noqa: E402
from tests.sim.test_mean_props import mean_graph  # noqa: E402
from tests.strategies import (activation_case, concat_case, mean_case, pad_case,  # noqa: E402
                              slice_case, transpose_case)

INT16 = st.just(np.int16)


def _check_values(graph, host_build, values):
    """As _check, on the given input sets (e.g. every int16 value) besides random ones."""
    model = host_build(graph, "portable", True)
    rng = np.random.default_rng(0)
    inputs = [random_inputs(graph, rng)] + values
    sim, tflm = Simulator(graph), Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e, o in zip(got, sim.run(x).outputs, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()


@pytest.mark.parametrize("opcode", ["RELU", "RELU6", "LEAKY_RELU", "LOGISTIC", "TANH"])
@examples(2)
@given(data=st.data())
def test_activation_int16_in_c(host_build, opcode, data):
    """Every int16 input value through the C kernel (its constants are the simulator's)."""
    if opcode in ("LOGISTIC", "TANH"):
        s_in = data.draw(st.one_of(st.integers(-13, -10).map(lambda e: 2.0 ** e),
                                   st.floats(-20.0, 2.0).map(lambda e: float(np.float32(2 ** e)))))
        graph = sigmoid16_graph(opcode, s_in)
    else:
        _, (s_in, _), q_out, options_type, options = data.draw(activation_case(opcode))
        s_in = s_in / 256.0
        q_out = (s_in if opcode == "RELU6" else q_out[0] / 256.0, 0)
        graph = unary_graph(opcode, (256, 256), np.int16, np.int16, (s_in, 0), q_out,
                            options_type, **options)
    graph.name = f"{opcode.lower()}_int16_c"
    _check_values(graph, host_build, [[ALL_INT16]])


DATA_MOVEMENT_16 = {
    "PAD": (pad_case, dm.pad_graph),
    "CONCATENATION": (concat_case, dm.concat_graph),
    "TRANSPOSE": (transpose_case, dm.transpose_graph),
    "STRIDED_SLICE": (slice_case, lambda c: dm.slice_graph(c, dm.selecting_slice_shape(c))),
}


@pytest.mark.parametrize("opcode", DATA_MOVEMENT_16)
@examples(2)
@given(data=st.data())
def test_data_movement_int16_in_c(host_build, opcode, data):
    case, graph_of = DATA_MOVEMENT_16[opcode]
    c = data.draw(case(dtypes=INT16), label="case")
    if opcode == "PAD":
        c["v2"] = data.draw(st.booleans(), label="v2")     # PADV2's int16 pad value too
    graph = graph_of(c)
    graph.name = f"{opcode.lower()}_int16_c"
    _check(graph, host_build)


@examples(2)
@given(case=mean_case())
def test_mean_int16_in_c(host_build, case):
    shape, axes, keep_dims, q_in, q_out, _ = case
    graph = mean_graph(shape, axes, keep_dims, (q_in[0] / 256, 0), (q_out[0] / 256, 0),
                       np.int16)
    graph.name = "mean_int16_c"
    _check(graph, host_build)


@pytest.mark.parametrize("dtype", ["int16", "int8"])
@examples(2)
@given(data=st.data())
def test_transpose_conv_in_c(host_build, dtype, data):
    c = _deconv_case(data)
    if dtype == "int16":
        c.update(s_in=data.draw(int16_scales), s_out=data.draw(int16_scales))
        bias = data.draw(st.sampled_from(["int64", "int16", "none"]), label="bias")
    else:
        bias = data.draw(st.sampled_from(["int32", "none"]), label="bias")
    graph = transpose_conv_graph(c, np.dtype(dtype), bias)
    graph.name = f"transpose_conv_{dtype}_c"
    _check(graph, host_build)


def test_transpose_conv_with_shape_input_is_not_generated(tmp_path):
    """The output_shape fed at run time: simulated (values checked), not generated: one line
    naming the operator, its dtype and index."""
    from mcugen.errors import UnsupportedOperatorError
    from tests.sim.test_int16_props import _fixed_deconv
    graph = transpose_conv_graph(_fixed_deconv(), np.int16, "int64", shape_input=True)
    with pytest.raises(UnsupportedOperatorError,
                       match=r"TRANSPOSE_CONV \(int16\) at index 0.*output_shape is not a "
                             r"constant"):
        render_model(graph, tmp_path)


# -- one small 16x8 model through the operators above, on the host and on mps2-an386 ----------
def mixed16_graph():
    """x [1,4,4,3] -> TRANSPOSE_CONV (2x) -> LEAKY_RELU -> PAD -> STRIDED_SLICE; a RELU6 branch;
    CONCATENATION -> TRANSPOSE -> RELU -> MEAN -> LOGISTIC and TANH outputs; a RESHAPE too.
    int16 activations with zero point 0, int8 weights, int64 bias (as the TF converter writes
    16x8), outputs at 2^-15."""
    rng = np.random.default_rng(16)
    b = GraphBuilder("mixed16")
    q = lambda s: {"scale": s, "zero_point": 0}                       # noqa: E731
    i32 = lambda name, v: b.const(name, np.asarray(v, np.int32))      # noqa: E731
    x = b.input("x", (1, 4, 4, 3), np.int16, **q(2.0 ** -10))
    w_scales = rng.uniform(0.005, 0.02, 4).astype(np.float32)
    w = b.const("w", rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8), scale=w_scales,
                zero_point=0, axis=0)
    bias = b.const("b", rng.integers(-4000, 4000, 4).astype(np.int64),
                   scale=(np.float32(2.0 ** -10) * w_scales).astype(np.float32), zero_point=0)
    s1 = 0.0007
    t = b.tensor("deconv", (1, 8, 8, 4), np.int16, **q(s1))
    b.op("TRANSPOSE_CONV", [i32("output_shape", [1, 8, 8, 4]), w, x, bias], [t],
         "TransposeConvOptions", padding="SAME", stride_h=2, stride_w=2,
         fused_activation_function="NONE")
    s2 = 0.0005
    lr = b.tensor("leaky", (1, 8, 8, 4), np.int16, **q(s2))
    b.op("LEAKY_RELU", [t], [lr], "LeakyReluOptions", alpha=0.1)
    pd = b.tensor("pad", (1, 10, 9, 4), np.int16, **q(s2))
    b.op("PAD", [lr, i32("paddings", [[0, 0], [1, 1], [0, 1], [0, 0]])], [pd], "PadOptions")
    sl = b.tensor("slice", (1, 5, 9, 2), np.int16, **q(s2))
    b.op("STRIDED_SLICE", [pd, i32("begin", [0, 0, 0, 1]), i32("end", [1, 10, 9, 4]),
                           i32("strides", [1, 2, 1, 2])], [sl], "StridedSliceOptions",
         begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0,
         offset=False)
    r6 = b.tensor("relu6", (1, 5, 9, 2), np.int16, **q(s2))
    b.op("RELU6", [sl], [r6])
    cat = b.tensor("concat", (1, 5, 9, 4), np.int16, **q(s2))
    b.op("CONCATENATION", [sl, r6], [cat], "ConcatenationOptions", axis=3,
         fused_activation_function="NONE")
    tr = b.tensor("transpose", (1, 4, 5, 9), np.int16, **q(s2))
    b.op("TRANSPOSE", [cat, i32("perm", [0, 3, 1, 2])], [tr], "TransposeOptions")
    rl = b.tensor("relu", (1, 4, 5, 9), np.int16, **q(0.0004))
    b.op("RELU", [tr], [rl])
    mn = b.tensor("mean", (1, 4, 1, 1), np.int16, **q(0.0002))
    b.op("MEAN", [rl, i32("axis", [2, 3])], [mn], "ReducerOptions", keep_dims=True)
    rs = b.tensor("flat", (1, 4), np.int16, **q(0.0002))
    b.op("RESHAPE", [mn, i32("shape", [1, 4])], [rs], "ReshapeOptions", new_shape=[1, 4])
    lo = b.tensor("logistic", (1, 4), np.int16, **q(1.0 / 32768))
    b.op("LOGISTIC", [rs], [lo])
    th = b.tensor("tanh", (1, 5, 9, 4), np.int16, **q(1.0 / 32768))
    b.op("TANH", [cat], [th])
    b.output(lo)
    b.output(th)
    return b.build()


def test_mixed16_model_on_the_host(host_build):
    graph = mixed16_graph()
    model = host_build(graph, "portable", True)
    assert set(model.rendered.plan.backends.values()) == {"portable"}
    rng = np.random.default_rng(1)
    inputs = [random_inputs(graph, rng) for _ in range(4)]
    sim, tflm = Simulator(graph), Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e, o in zip(got, sim.run(x).outputs, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()


@pytest.mark.qemu
@pytest.mark.timeout(600)
def test_mixed16_model_on_mps2_an386(tmp_path):
    from mcugen.boards import load_board
    from mcugen.device.runner import open_device
    from mcugen.device.verify import verify_on_device
    from mcugen.firmware.build import build_firmware
    from tests.device.conftest import need_tools
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    graph = mixed16_graph()
    fw = build_firmware(graph, load_board("mps2-an386"), tmp_path, kernels="portable")
    rng = np.random.default_rng(2)
    with open_device(fw) as device:
        result = verify_on_device(device, graph, [random_inputs(graph, rng) for _ in range(3)])
    assert result.bit_exact, result.mismatches


@pytest.mark.cmsis_nn
@examples(4)
@given(data=st.data(), depthwise=st.booleans())
def test_conv_16x8_on_cmsis_nn(host_build, data, depthwise):
    """Single 16x8 conv layers with the CMSIS-NN tree: those the check takes run CMSIS-NN and
    match the simulator and TFLM; the others fall to the portable kernels."""
    from mcugen.ops.registry import why_not
    c = data.draw(conv_case(depthwise), label="case")
    c.update(s_in=data.draw(int16_scales), s_out=data.draw(int16_scales))
    bias = "int64" if depthwise else data.draw(bias_kinds, label="bias")
    graph = conv16_graph(c, depthwise, bias)
    graph.name = "conv16_cmsis"
    model = host_build(graph, "cmsis-nn", True, cmsis_nn=_tree())
    op = graph.operators[0]
    expected = "cmsis-nn" if why_not(graph, op, "cmsis-nn") is None else "portable"
    assert model.rendered.plan.backends[op.index] == expected
    rng = np.random.default_rng(0)
    inputs = [random_inputs(graph, rng) for _ in range(3)]
    sim, tflm = Simulator(graph), Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e, o in zip(got, sim.run(x).outputs, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()


def _overflowing_conv16():
    """A 3x3 conv over 64 channels with weights +-127: sum |w| * 32768 = 576 * 127 * 32768 >=
    2^31, so CMSIS-NN's int32 partial sums wrap where TFLM's int64 ones do not."""
    b = GraphBuilder("conv16_overflow")
    rng = np.random.default_rng(4)
    x = b.input("x", (1, 3, 3, 64), np.int16, scale=2.0 ** -8, zero_point=0)
    w = b.const("w", np.full((2, 3, 3, 64), 127, np.int8), scale=np.full(2, 0.01, np.float32),
                zero_point=0, axis=0)
    bias = b.const("b", rng.integers(-100, 100, 2).astype(np.int64),
                   scale=np.full(2, 0.01 * 2.0 ** -8, np.float32), zero_point=0)
    y = b.tensor("y", (1, 1, 1, 2), np.int16, scale=2.0 ** 4, zero_point=0)
    b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions", padding="VALID", stride_h=1, stride_w=1,
         dilation_hfactor=1, dilation_wfactor=1, fused_activation_function="NONE")
    b.output(y)
    return b.build()


@pytest.mark.cmsis_nn
def test_cmsis_nn_s16_where_not_exact(host_build, monkeypatch):
    """Why the check refuses a layer: forced onto CMSIS-NN (the check bypassed), the
    overflowing conv gives other values than TFLM on an all-32767 input; with the check, the
    layer is portable and exact."""
    from mcugen.ops import registry
    from mcugen.ops.conv import cmsis_s16_check
    graph = _overflowing_conv16()
    reason = cmsis_s16_check(graph, graph.operators[0])
    assert reason is not None and reason.startswith("int32 partial sums may overflow")
    x = [np.full((1, 3, 3, 64), 32767, np.int16)]
    expected = Tflm(serialize_model(graph), preserve_all=False).run(x)[0]
    exact = host_build(graph, "cmsis-nn", True, cmsis_nn=_tree())
    assert exact.rendered.plan.backends[0] == "portable"
    assert exact.run([x])[0][0].tobytes() == expected.tobytes()
    record = registry.lookup("CONV_2D")
    forced = dict(record.backends)
    forced["cmsis-nn"] = None
    monkeypatch.setitem(registry._RECORDS, "CONV_2D",
                        registry.OpRecord(**{**record.__dict__, "backends": forced}))
    graph.name = "conv16_overflow_forced"
    wrong = host_build(graph, "cmsis-nn", False, cmsis_nn=_tree())
    assert wrong.rendered.plan.backends[0] == "cmsis-nn"
    got = wrong.run([x])[0][0]
    # TFLM: 576 * 127 * 32767 = 2.4e9 in int64 -> 5852 per channel; CMSIS-NN's int32 sum wraps
    assert expected.ravel().tolist() == [5852, 5852]
    assert got.tolist() != expected.ravel().tolist()
    print("CMSIS-NN s16 forced on the overflowing conv:", got.tolist(), "TFLM:",
          expected.ravel().tolist())


@pytest.mark.qemu
@pytest.mark.cmsis_nn
@pytest.mark.timeout(900)
@pytest.mark.parametrize("name, board", [(m, "mps2-an386") for m in TF_MODELS]
                         + [("tf_16x8", "mps3-an547")])
def test_cmsis_nn_16x8_on_mps2_an386(name, board, tmp_path):
    """CMSIS-NN's s16 convolutions bit-exact in QEMU: the DSP path (Cortex-M4, mps2-an386) and
    the Helium path (Cortex-M55, mps3-an547)."""
    from mcugen.boards import load_board
    from mcugen.device.runner import open_device
    from mcugen.device.verify import verify_on_device
    from mcugen.firmware.build import build_firmware
    from tests.device.conftest import need_tools
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    graph = _graph(name)
    fw = build_firmware(graph, load_board(board), tmp_path, kernels="cmsis-nn",
                        cmsis_nn=_tree())
    with open_device(fw) as device:
        result = verify_on_device(device, graph, _samples(graph, 3))
    assert result.bit_exact, result.mismatches


@pytest.mark.cmsis_nn
@examples(3)
@given(data=st.data(), opcode=st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]))
def test_pool_int16_on_cmsis_nn(host_build, data, opcode):
    """arm_avgpool_s16 / arm_max_pool_s16 on single 16x8 pools: exact with TFLM."""
    c = data.draw(pool_case(), label="case")
    scale = data.draw(int16_scales)
    b = GraphBuilder(opcode.lower() + "_int16_cmsis")
    x = b.input("x", (c["batch"], *c["hw"], c["c"]), np.int16, scale=scale, zero_point=0)
    y = b.tensor("y", (c["batch"], *c["out"], c["c"]), np.int16, scale=scale, zero_point=0)
    b.op(opcode, [x], [y], "Pool2DOptions", padding=c["padding"], stride_h=c["s"][0],
         stride_w=c["s"][1], filter_height=c["f"][0], filter_width=c["f"][1],
         fused_activation_function=c["act"])
    b.output(y)
    graph = b.build()
    model = host_build(graph, "cmsis-nn", True, cmsis_nn=_tree())
    assert model.rendered.plan.backends[0] == "cmsis-nn"
    rng = np.random.default_rng(0)
    inputs = [random_inputs(graph, rng) for _ in range(3)]
    sim, tflm = Simulator(graph), Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e, o in zip(got, sim.run(x).outputs, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()
