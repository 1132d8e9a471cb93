"""Property tests of the rewrites: random graphs containing each pattern; the original agrees
with TFLM tensor by tensor, the rewritten graph's simulator outputs are the original's byte for
byte (and it agrees with TFLM when written back); and the cases where a rewrite must not apply
leave the graph as it was."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcugen.model.builder import GraphBuilder
from mcugen.optimize import optimize
from tests.optimize.helpers import add_conv, check_rewrite, outputs, q
from tests.sim.compare import assert_matches_tflm
from tests.strategies import examples, moderate_scales, moderate_zero_points


# -- RELU / RELU6 into the producer's clamp -------------------------------------------------------
def relu_graph(producer: str, relu: str, scale: float, zp: int, seed: int = 0,
               other_reader: bool = False, out_scale: float | None = None):
    rng = np.random.default_rng(seed)
    b = GraphBuilder("relu_fold")
    x = q(b, "x", (1, 5, 5, 4), zp=3, inp=True)
    t = q(b, "t", (1, 5, 5, 4), scale=scale, zp=zp)
    if producer == "CONV_2D":
        add_conv(b, rng, x, t, 4, 3, 3, 4, padding="SAME")
    elif producer == "DEPTHWISE_CONV_2D":
        add_conv(b, rng, x, t, 4, 3, 3, 4, opcode="DEPTHWISE_CONV_2D", padding="SAME")
    elif producer == "ADD":
        x2 = q(b, "x2", (1, 5, 5, 4), scale=0.07, zp=-9, inp=True)
        b.op("ADD", [x, x2], [t], "AddOptions", fused_activation_function="NONE",
             pot_scale_int16=False)
    else:
        b.op("MAX_POOL_2D", [x], [t], "Pool2DOptions", padding="SAME", stride_h=1, stride_w=1,
             filter_height=2, filter_width=2, fused_activation_function="NONE")
    y = q(b, "y", (1, 5, 5, 4), scale=out_scale or scale, zp=zp)
    b.op(relu, [t], [y])
    b.output(y)
    if other_reader:
        b.output(t)
    return b.build()


@examples(12)
@given(st.sampled_from(["CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MAX_POOL_2D"]),
       st.sampled_from(["RELU", "RELU6"]), moderate_scales, moderate_zero_points,
       st.integers(0, 2 ** 16))
def test_relu_folds_into_the_producer(producer, relu, scale, zp, seed):
    if producer == "MAX_POOL_2D":
        scale, zp = 0.05, 3          # TFLM: max pool keeps the input's quantization
    result = check_rewrite(relu_graph(producer, relu, scale, zp, seed), "relu-fold", seed=seed)
    assert [op.opcode for op in result.graph.operators][-1] == producer
    assert result.graph.operators[-1].fused_activation == relu


@pytest.mark.parametrize("case", ["other-reader", "other-quantization"])
def test_relu_must_not_fold(case):
    graph = relu_graph("CONV_2D", "RELU", 0.04, -10, other_reader=case == "other-reader",
                       out_scale=0.05 if case == "other-quantization" else None)
    check_rewrite(graph, "relu-fold", applies=False)


# -- no-op reshapes and identity requantizations --------------------------------------------------
def noop_graph(opcode: str, scale=0.05, zp=-4, out_scale=None, out_zp=None, as_output=False):
    rng = np.random.default_rng(1)
    b = GraphBuilder("noop")
    x = q(b, "x", (1, 4, 4, 3), zp=2, inp=True)
    t = q(b, "t", (1, 4, 4, 3), scale=scale, zp=zp)
    add_conv(b, rng, x, t, 3, 1, 1, 3)
    m = q(b, "m", (1, 4, 4, 3), scale=out_scale or scale, zp=zp if out_zp is None else out_zp)
    if opcode == "RESHAPE":
        b.op("RESHAPE", [t, b.const("shape", np.array([1, 4, 4, 3], np.int32))], [m],
             "ReshapeOptions", new_shape=[1, 4, 4, 3])
    else:
        b.op("QUANTIZE", [t], [m], "QuantizeOptions")
    if as_output:
        b.output(m)
        return b.build()
    y = q(b, "y", (1, 4, 4, 3), scale=0.1, zp=0)
    add_conv(b, rng, m, y, 3, 1, 1, 3)
    b.output(y)
    return b.build()


@pytest.mark.parametrize("opcode", ["RESHAPE", "QUANTIZE"])
@pytest.mark.parametrize("as_output", [False, True])
def test_noop_is_removed(opcode, as_output):
    graph = noop_graph(opcode, as_output=as_output)
    result = check_rewrite(graph, "no-op")
    assert opcode not in [op.opcode for op in result.graph.operators]
    assert result.graph.operators[0].source == ((0, 1) if as_output else (0,))


@pytest.mark.parametrize("opcode", ["RESHAPE", "QUANTIZE"])
def test_noop_must_not_apply_when_the_quantization_changes(opcode):
    check_rewrite(noop_graph(opcode, out_scale=0.06, out_zp=-1), "no-op", applies=False)


# -- QUANTIZE -> QUANTIZE ------------------------------------------------------------------------
def chain_graph(s1, z1, s2, z2, s3, z3):
    b = GraphBuilder("quantize_chain")
    x = q(b, "x", (2, 128), scale=s1, zp=z1, inp=True)
    m = q(b, "m", (2, 128), scale=s2, zp=z2)
    y = q(b, "y", (2, 128), scale=s3, zp=z3)
    b.op("QUANTIZE", [x], [m], "QuantizeOptions")
    b.op("QUANTIZE", [m], [y], "QuantizeOptions")
    b.output(y)
    return b.build()


@examples(20)
@given(moderate_scales, moderate_zero_points, moderate_scales, moderate_zero_points,
       moderate_scales, moderate_zero_points)
def test_quantize_chains_merge_only_when_all_inputs_agree(s1, z1, s2, z2, s3, z3):
    graph = chain_graph(s1, z1, s2, z2, s3, z3)
    # every input value: 2 x 128 covers all 256 int8 codes
    inputs = [[np.arange(-128, 128, dtype=np.int8).reshape(2, 128)]]
    assert_matches_tflm(graph, inputs)
    result = optimize(graph)
    assert outputs(result.graph, inputs) == outputs(graph, inputs)
    if "quantize-chain" in [a.rewrite for a in result.applied]:
        assert len(result.graph.operators) == 1


def test_quantize_chain_that_rounds_twice_is_kept():
    graph = chain_graph(0.1, 0, 0.3, 0, 0.2, 0)     # 0.1 -> 0.3 -> 0.2 loses a third of the codes
    check_rewrite(graph, "quantize-chain", applies=False)
    assert len(optimize(graph).graph.operators) == 2


def test_quantize_chain_that_is_exact_merges():
    # halving (codes in -64..64: no clamp), then a zero point shift: one requantization
    graph = chain_graph(0.1, 0, 0.2, 0, 0.2, 10)
    result = check_rewrite(graph, "quantize-chain")
    assert len(result.graph.operators) == 1 and result.graph.operators[0].source == (0, 1)
