"""Single-operator models through the whole C path (render → host build → run) against the
simulator and the TFLM oracle: random shapes, broadcasting, scales, zero points and activations.

Every example compiles a sanitized host build, so these tests draw few examples (``C_EXAMPLES``
under the ci profile); the cases are the simulator tests' own (tests/strategies.py), int8 only."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.model import serialize_model
from mcugen.model.builder import GraphBuilder
from mcugen.sim import Simulator
from tests.oracle import Tflm
from tests.sim import test_data_movement_props as dm
from tests.sim import test_mean_props as mp
from tests.sim.compare import random_inputs
from tests.sim.single_op import unary_graph
from tests.strategies import (broadcast_pair, concat_case, examples, float_activations, int8_only,
                              mean_case, moderate_scales, moderate_zero_points, pad_case, shapes,
                              slice_case, transpose_case)

C_EXAMPLES = 6


def _check(graph, host_build):
    model = host_build(graph, "portable", True)          # the ASan/UBSan build
    rng = np.random.default_rng(0)
    inputs = [random_inputs(graph, rng) for _ in range(4)]
    sim, tflm = Simulator(graph), Tflm(serialize_model(graph), preserve_all=False)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e, o in zip(got, sim.run(x).outputs, tflm.run(x)):
            assert g.tobytes() == e.tobytes() == o.tobytes()


@examples(C_EXAMPLES)
@given(st.sampled_from(["ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"]), broadcast_pair(),
       moderate_scales, moderate_zero_points, moderate_scales, moderate_zero_points,
       moderate_scales, moderate_zero_points, float_activations)
def test_binary_ops(host_build, opcode, broadcast, s1, z1, s2, z2, s3, z3, act):
    a_shape, b_shape, out_shape = broadcast
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


@examples(C_EXAMPLES)
@given(st.sampled_from(["LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH"]),
       shapes(), moderate_scales, moderate_zero_points, moderate_scales, moderate_zero_points,
       st.floats(0.01, 0.9))
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


@examples(C_EXAMPLES)
@given(shapes(), moderate_scales, moderate_zero_points, moderate_scales, moderate_zero_points,
       st.sampled_from([(np.int8, np.int8), (np.uint8, np.int8), (np.int8, np.uint8)]))
def test_requantize(host_build, shape, s_in, z_in, s_out, z_out, types):
    t_in, t_out = types
    z_in = z_in + 128 if t_in == np.uint8 else z_in
    z_out = z_out + 128 if t_out == np.uint8 else z_out
    graph = unary_graph("QUANTIZE", shape, t_in, t_out, (s_in, z_in), (s_out, z_out))
    graph.name = "requantize_c"
    _check(graph, host_build)


# -- data movement and MEAN: the simulator tests' cases and graphs, int8 only --------------------

DATA_MOVEMENT = {
    "PAD": (pad_case, dm.pad_graph),
    "CONCATENATION": (concat_case, dm.concat_graph),
    "TRANSPOSE": (transpose_case, dm.transpose_graph),
    "STRIDED_SLICE": (slice_case, lambda c: dm.slice_graph(c, dm.selecting_slice_shape(c))),
}


# Half the examples of the others: before the cases were int8-only, about half of these tests'
# examples were float32 ones they skipped.
@pytest.mark.parametrize("opcode", DATA_MOVEMENT)
@examples(C_EXAMPLES // 2)
@given(data=st.data())
def test_data_movement_c(host_build, opcode, data):
    case, graph_of = DATA_MOVEMENT[opcode]
    graph = graph_of(data.draw(case(dtypes=int8_only), label="case"))
    graph.name = f"{opcode.lower()}_c"
    _check(graph, host_build)


@examples(C_EXAMPLES)
@given(mean_case())
def test_mean_c(host_build, case):
    graph = mp.mean_graph(*case)
    graph.name = "mean_c"
    _check(graph, host_build)
