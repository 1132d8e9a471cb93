"""Float islands kept in float32 (no integer operator replaces them with identical bytes): the
simulator equals TFLM tensor by tensor, float values exactly (not within a tolerance); mcugen's
float32 kernels on the host (ASan/UBSan) and on the emulated Cortex-M4 equal the simulator byte
for byte; a core without an FPU, and a value range TFLM's float arithmetic does not define, are
refused with one line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.errors import InputError
from mcugen.model import save_model, serialize_model
from mcugen.model.builder import GraphBuilder
from mcugen.ops.float_island import check_float_target, float_layers
from mcugen.sim import Simulator
from tests.codegen.test_ops_c import C_EXAMPLES, _check
from tests.oracle import Tflm
from tests.sim.compare import random_inputs
from tests.strategies import broadcast_pair, examples

FLOAT_ACTIVATIONS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def _i32(b, name, values):
    return b.const(name, np.array(values, np.int32))


def island_chain() -> object:
    """Every float32 kernel mcugen generates, in one island between int8 tensors:
    DEQUANTIZE x3 -> ADD, MUL, SUB (broadcast), MAXIMUM, MINIMUM, RELU, LEAKY_RELU, HARD_SWISH,
    RELU6, PAD, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND (cropped), CONCATENATION,
    STRIDED_SLICE, TRANSPOSE, RESHAPE -> QUANTIZE."""
    b = GraphBuilder("island_chain")
    f32 = np.float32

    def t(name, shape):
        return b.tensor(name, shape, f32)

    x = b.input("x", (1, 4, 6, 3), np.int8, scale=0.05, zero_point=3)
    y = b.input("y", (1, 4, 6, 3), np.int8, scale=0.07, zero_point=-5)
    z = b.input("z", (1, 1, 1, 3), np.int8, scale=0.02, zero_point=0)
    fx, fy, fz = t("fx", (1, 4, 6, 3)), t("fy", (1, 4, 6, 3)), t("fz", (1, 1, 1, 3))
    for q, f in ((x, fx), (y, fy), (z, fz)):
        b.op("DEQUANTIZE", [q], [f], "DequantizeOptions")
    shape = (1, 4, 6, 3)
    add, mul, sub = t("add", shape), t("mul", shape), t("sub", shape)
    b.op("ADD", [fx, fy], [add], "AddOptions", fused_activation_function="NONE",
         pot_scale_int16=False)
    b.op("MUL", [add, fy], [mul], "MulOptions", fused_activation_function="RELU")
    b.op("SUB", [mul, fz], [sub], "SubOptions", fused_activation_function="RELU_N1_TO_1",
         pot_scale_int16=False)
    mx, mn, relu = t("max", shape), t("min", shape), t("relu", shape)
    b.op("MAXIMUM", [sub, fx], [mx])
    b.op("MINIMUM", [mx, fy], [mn])
    b.op("RELU", [mx], [relu])
    leaky, swish, relu6 = t("leaky", shape), t("swish", shape), t("relu6", shape)
    b.op("LEAKY_RELU", [mn], [leaky], "LeakyReluOptions", alpha=0.3)
    b.op("HARD_SWISH", [leaky], [swish])
    b.op("RELU6", [swish], [relu6])
    pad = t("pad", (1, 6, 8, 3))
    b.op("PAD", [relu6, _i32(b, "paddings", [[0, 0], [1, 1], [0, 2], [0, 0]])], [pad],
         "PadOptions")
    s2b, b2s = t("s2b", (4, 3, 4, 3)), t("b2s", shape)
    b.op("SPACE_TO_BATCH_ND", [pad, _i32(b, "block", [2, 2]),
                               _i32(b, "pads", [[0, 0], [0, 0]])], [s2b],
         "SpaceToBatchNDOptions")
    b.op("BATCH_TO_SPACE_ND", [s2b, _i32(b, "bblock", [2, 2]),
                               _i32(b, "crops", [[1, 1], [0, 2]])], [b2s],
         "BatchToSpaceNDOptions")
    cat = t("cat", (1, 4, 6, 6))
    b.op("CONCATENATION", [b2s, relu], [cat], "ConcatenationOptions", axis=3,
         fused_activation_function="NONE")
    sl = t("slice", (1, 2, 3, 6))
    b.op("STRIDED_SLICE", [cat, _i32(b, "begin", [0, 0, 1, 0]), _i32(b, "end", [1, 4, 6, 6]),
                           _i32(b, "strides", [1, 2, 2, 1])], [sl], "StridedSliceOptions",
         begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0,
         offset=False)
    tr, flat = t("transpose", (1, 3, 2, 6)), t("flat", (1, 36))
    b.op("TRANSPOSE", [sl, _i32(b, "perm", [0, 2, 1, 3])], [tr], "TransposeOptions")
    b.op("RESHAPE", [tr, _i32(b, "shape", [1, 36])], [flat], "ReshapeOptions",
         new_shape=[1, 36])
    out = b.tensor("out", (1, 36), np.int8, scale=0.01, zero_point=-7)
    b.op("QUANTIZE", [flat], [out], "QuantizeOptions")
    b.output(out)
    b.output(cat)      # float outputs too: every float kernel's values compared bit for bit,
    b.output(flat)     # not only where they change an int8 after rounding
    return b.build()


def assert_float_exact(graph, inputs_list) -> None:
    """Every tensor of the simulator equal to TFLM's: integer bytes, float values (a zero's sign
    aside), each run."""
    tflm, sim = Tflm(serialize_model(graph), preserve_all=True), Simulator(graph)
    for n, inputs in enumerate(inputs_list):
        tflm.run(inputs)
        ours = sim.run(inputs, keep_all=True).tensors
        for op in graph.operators:
            for i in op.outputs:
                a, b = np.asarray(ours[i]).ravel(), tflm.tensor(i).ravel()
                assert a.dtype == b.dtype and np.array_equal(a, b), \
                    f"run {n}: op {op.index} {op.opcode} tensor '{graph.tensors[i].name}'"


def _inputs(graph, runs=4, seed=0):
    rng = np.random.default_rng(seed)
    return [random_inputs(graph, rng) for _ in range(runs)]


def test_every_float_kernel_in_one_island(host_build):
    graph = island_chain()
    assert len(float_layers(graph)) == 16
    assert_float_exact(graph, _inputs(graph))
    _check(graph, host_build)           # host C (ASan/UBSan) == simulator == TFLM, 4 runs


@examples(C_EXAMPLES)
@given(st.sampled_from(["ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"]), broadcast_pair(),
       st.floats(0.005, 0.5), st.integers(-20, 20), st.floats(0.005, 0.5), st.integers(-20, 20),
       st.floats(0.005, 0.5), st.integers(-20, 20), st.sampled_from(FLOAT_ACTIVATIONS))
def test_binary_island(host_build, opcode, broadcast, s1, z1, s2, z2, s3, z3, act):
    a_shape, b_shape, out_shape = broadcast
    b = GraphBuilder(f"island_{opcode.lower()}")
    qa = b.input("a", a_shape, np.int8, scale=s1, zero_point=z1)
    qb = b.input("b", b_shape, np.int8, scale=s2, zero_point=z2)
    fa, fb = b.tensor("fa", a_shape, np.float32), b.tensor("fb", b_shape, np.float32)
    b.op("DEQUANTIZE", [qa], [fa], "DequantizeOptions")
    b.op("DEQUANTIZE", [qb], [fb], "DequantizeOptions")
    g = b.tensor("g", out_shape, np.float32)
    options = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}.get(opcode)
    extra = {"fused_activation_function": act} if options else {}
    if opcode in ("ADD", "SUB"):
        extra["pot_scale_int16"] = False
    b.op(opcode, [fa, fb], [g], options, **extra)
    y = b.tensor("y", out_shape, np.int8, scale=s3, zero_point=z3)
    b.op("QUANTIZE", [g], [y], "QuantizeOptions")
    b.output(y)
    graph = b.build()
    assert_float_exact(graph, _inputs(graph, 2))
    _check(graph, host_build)


def test_16x8_island(host_build):
    """int16 DEQUANTIZE -> float LEAKY_RELU -> int16 QUANTIZE in a 16x8 model."""
    b = GraphBuilder("island_16x8")
    x = b.input("x", (1, 64), np.int16, scale=0.001, zero_point=0)
    f, g = b.tensor("f", (1, 64), np.float32), b.tensor("g", (1, 64), np.float32)
    b.op("DEQUANTIZE", [x], [f], "DequantizeOptions")
    b.op("LEAKY_RELU", [f], [g], "LeakyReluOptions", alpha=0.2)
    y = b.tensor("y", (1, 64), np.int16, scale=0.0007, zero_point=0)
    b.op("QUANTIZE", [g], [y], "QuantizeOptions")
    b.output(y)
    b.output(g)
    graph = b.build()
    assert_float_exact(graph, _inputs(graph, 2))
    _check(graph, host_build)


def _mcugen(*args):
    return subprocess.run([sys.executable, "-m", "mcugen", *args], capture_output=True,
                          text=True, timeout=300)


def test_core_without_fpu_is_refused_in_one_line(tmp_path):
    path = tmp_path / "island.tflite"
    save_model(island_chain(), path)
    r = _mcugen("generate", str(path), "-o", str(tmp_path / "m3"), "--board", "mps2-an385")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert "needs a core with an FPU; mps2-an385 (cortex-m3) has none" in r.stderr
    r = _mcugen("build", str(path), "-o", str(tmp_path / "m0"), "--board", "microbit")
    assert r.returncode == 2 and "needs a core with an FPU" in r.stderr
    r = _mcugen("inspect", str(path))
    assert r.returncode == 0 and "deployable on a core with an FPU" in r.stdout
    r = _mcugen("inspect", str(path), "--board", "mps2-an385")
    assert r.returncode == 0 and "with an FPU; mps2-an385 (cortex-m3) has none" in r.stdout
    # the float edges of a float-I/O model are not an island: they run on any core
    b = GraphBuilder("float_io")
    x, q = b.input("x", (8,), np.float32), b.tensor("q", (8,), np.int8, scale=0.1)
    y = b.tensor("y", (8,), np.float32)
    b.op("QUANTIZE", [x], [q], "QuantizeOptions")
    b.op("DEQUANTIZE", [q], [y], "DequantizeOptions")
    b.output(y)
    check_float_target(b.build(), "cortex-m3", "none", "mps2-an385")


@pytest.mark.parametrize("scale_in,scale_out,where", [
    (1e20, 0.1, "MUL at index 3 may exceed the float32 range"),
    (1e8, 1e-3, "QUANTIZE at index 4 may receive values up to"),
])
def test_undefined_float_range_is_refused(scale_in, scale_out, where):
    b = GraphBuilder("huge")
    qa = b.input("a", (4,), np.int8, scale=scale_in, zero_point=0)
    fa, fb, g = (b.tensor(n, (4,), np.float32) for n in ("fa", "fb", "g"))
    b.op("DEQUANTIZE", [qa], [fa], "DequantizeOptions")
    b.op("DEQUANTIZE", [qa], [fb], "DequantizeOptions")
    s = b.tensor("s", (4,), np.float32)
    b.op("ADD", [fa, fb], [s], "AddOptions", fused_activation_function="NONE",
         pot_scale_int16=False)
    b.op("MUL", [s, fb], [g], "MulOptions", fused_activation_function="NONE")
    y = b.tensor("y", (4,), np.int8, scale=scale_out, zero_point=0)
    b.op("QUANTIZE", [g], [y], "QuantizeOptions")
    b.output(y)
    with pytest.raises(InputError, match=where):
        check_float_target(b.build(), "cortex-m4", "fpv4-sp-d16")


@pytest.mark.qemu
@pytest.mark.timeout(300)
@pytest.mark.parametrize("board", ["mps2-an386", pytest.param("mps3-an547",
                                                              marks=pytest.mark.slow)])
def test_island_on_board_is_bit_exact(board, tmp_path):
    from tests.optimize.test_on_board import _run
    _run(island_chain(), tmp_path, f"island-{board}", board=board)
