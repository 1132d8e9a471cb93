"""Single-operator models through the whole C path (render → host build → run) against the
simulator and the TFLM oracle: random shapes, broadcasting, scales, zero points and activations."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcugen.model import serialize_model
from mcugen.model.builder import GraphBuilder
from mcugen.sim import Simulator
from tests.oracle import Tflm
from tests.sim.compare import random_inputs
from tests.sim.single_op import broadcast_pair, unary_graph

SETTINGS = settings(deadline=None, max_examples=6, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
scales = st.floats(0.005, 0.5)
zero_points = st.integers(-100, 100)


def _check(graph, host_build):
    model = host_build(graph, "portable", True)          # the ASan/UBSan build
    rng = np.random.default_rng(0)
    inputs = [random_inputs(graph, rng) for _ in range(4)]
    sim, tflm = Simulator(graph), Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e, o in zip(got, sim.run(x).outputs, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()


@SETTINGS
@given(st.sampled_from(["ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"]), broadcast_pair(),
       scales, zero_points, scales, zero_points, scales, zero_points,
       st.sampled_from(["NONE", "RELU", "RELU6"]))
def test_binary_ops(host_build, opcode, shapes, s1, z1, s2, z2, s3, z3, act):
    a_shape, b_shape, out_shape = shapes
    if opcode in ("MAXIMUM", "MINIMUM"):        # TFLM: one quantization for all three
        s2, z2, s3, z3, act = s1, z1, s1, z1, "NONE"
    b = GraphBuilder(f"{opcode.lower()}_c")
    x = b.input("a", a_shape, np.int8, scale=s1, zero_point=z1)
    y = b.input("b", b_shape, np.int8, scale=s2, zero_point=z2)
    out = b.tensor("out", out_shape, np.int8, scale=s3, zero_point=z3)
    options = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}.get(opcode)
    extra = {"fused_activation_function": act} if options else {}
    if opcode in ("ADD", "SUB"):
        extra["pot_scale_int16"] = False
    b.op(opcode, [x, y], [out], options, **extra)
    b.output(out)
    _check(b.build(), host_build)


@SETTINGS
@given(st.sampled_from(["LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH"]),
       st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple), scales, zero_points,
       scales, zero_points, st.floats(0.01, 0.9))
def test_table_ops(host_build, opcode, shape, s_in, z_in, s_out, z_out, alpha):
    if opcode == "LOGISTIC":
        s_out, z_out = 1 / 256, -128
    elif opcode == "TANH":
        s_out, z_out = 1 / 128, 0
    elif opcode == "HARD_SWISH":
        s_out = max(s_out, s_in / 16)             # TFLM's limit on the scale ratio
    options = {"LEAKY_RELU": ("LeakyReluOptions", {"alpha": alpha})}.get(opcode, (None, {}))
    graph = unary_graph(opcode, shape, np.int8, np.int8, (s_in, z_in), (s_out, z_out),
                        options[0], **options[1])
    graph.name = f"{opcode.lower()}_c"
    _check(graph, host_build)


@SETTINGS
@given(st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple), scales, zero_points,
       scales, zero_points, st.sampled_from([(np.int8, np.int8), (np.uint8, np.int8),
                                             (np.int8, np.uint8)]))
def test_requantize(host_build, shape, s_in, z_in, s_out, z_out, types):
    t_in, t_out = types
    z_in = z_in + 128 if t_in == np.uint8 else z_in
    z_out = z_out + 128 if t_out == np.uint8 else z_out
    graph = unary_graph("QUANTIZE", shape, t_in, t_out, (s_in, z_in), (s_out, z_out))
    graph.name = "requantize_c"
    _check(graph, host_build)


# -- data movement and MEAN, with the simulator tests' own case generators -------------------------

from tests.sim import test_data_movement_props as dm  # noqa: E402
from tests.sim import test_mean_props as mp  # noqa: E402


def _int8_case(case: dict) -> bool:
    return np.dtype(case.get("dtype", np.int8)) == np.int8


@SETTINGS
@given(dm.pad_case())
def test_pad_c(host_build, c):
    if _int8_case(c):
        graph = dm.pad_graph(c)
        graph.name = "pad_c"
        _check(graph, host_build)


@SETTINGS
@given(dm.concat_case())
def test_concatenation_c(host_build, c):
    if _int8_case(c):
        graph = dm.concat_graph(c)
        graph.name = "concat_c"
        _check(graph, host_build)


@SETTINGS
@given(dm.transpose_case())
def test_transpose_c(host_build, c):
    if _int8_case(c):
        graph = dm.transpose_graph(c)
        graph.name = "transpose_c"
        _check(graph, host_build)


@SETTINGS
@given(dm.slice_case())
def test_strided_slice_c(host_build, c):
    out_shape = dm.python_slice_shape(c)
    if _int8_case(c) and out_shape and 0 not in out_shape and len(out_shape) <= 4:
        graph = dm.slice_graph(c, out_shape)
        graph.name = "slice_c"
        _check(graph, host_build)


@SETTINGS
@given(mp.mean_case())
def test_mean_c(host_build, case):
    graph = mp.mean_graph(*case)
    graph.name = "mean_c"
    _check(graph, host_build)
