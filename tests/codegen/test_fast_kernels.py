"""mcugen's own kernels (``--kernels mcugen``) through the C path: generated single-layer models
against the simulator (itself checked against TFLM by tests/sim), byte for byte.

On the host the kernels build with the plain-C twins of the DSP instructions (mcugen_simd.h)
under ASan/UBSan, which checks the constants and the data layout; the QEMU tier runs the same
layers on mps2-an386 (Cortex-M4), which checks the instructions themselves.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mcugen.boards import load_board
from mcugen.model.builder import GraphBuilder
from mcugen.ops.registry import why_not
from mcugen.sim import Simulator
from tests.sim.compare import random_inputs
from tests.sim.test_conv_props import conv_graph, fc_graph, pool_graph
from tests.sim.test_elementwise_props import binary_graph
from tests.strategies import add_sub_case, conv_case, examples, fc_case, pool_case


def _check_host(host_build, graph, runs: int = 3, seed: int = 0):
    model = host_build(graph, "mcugen", True)
    rng = np.random.default_rng(seed)
    inputs = [random_inputs(graph, rng) for _ in range(runs)]
    sim = Simulator(graph)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e in zip(got, sim.run(x).outputs):
            assert g.tobytes() == e.tobytes()
    return model.rendered.plan.backends


@st.composite
def fast_conv_case(draw, depthwise: bool):
    """conv_case with channel counts the fast kernels care about: odd and even, multiples of 4
    for depthwise (else it falls back), a single input channel as in first layers."""
    c = draw(conv_case(depthwise))
    if depthwise:
        c["multiplier"] = 1
        c["c_in"] = c["c_out"] = draw(st.sampled_from([4, 8, 12]))
    else:
        c["c_in"] = draw(st.sampled_from([1, 3, 4, 8, 5]))
        c["c_out"] = draw(st.sampled_from([1, 2, 3, 7, 8]))
    c["zp_in"] = draw(st.sampled_from([c["zp_in"], -128, 127]))
    c["zp_out"] = draw(st.sampled_from([c["zp_out"], -128, 127]))
    return c


@pytest.mark.parametrize("depthwise", [False, True], ids=["CONV_2D", "DEPTHWISE_CONV_2D"])
@examples(10)
@given(data=st.data())
def test_conv_c_path(host_build, depthwise, data):
    c = data.draw(fast_conv_case(depthwise))
    backends = _check_host(host_build, conv_graph(c, depthwise), seed=c["seed"])
    assume(backends[0] == "mcugen")       # the cases a fallback took prove nothing here


@examples(10)
@given(fc_case())
def test_fully_connected_c_path(host_build, c):
    backends = _check_host(host_build, fc_graph(c), seed=c["seed"])
    assume(backends[0] == "mcugen")


@examples(10)
@given(c=pool_case(), channels=st.sampled_from([4, 8, 3]))
def test_average_pool_c_path(host_build, c, channels):
    """4 channels per word (channels a multiple of 4), one per channel otherwise; borders."""
    c = {**c, "c": channels}
    backends = _check_host(host_build, pool_graph("AVERAGE_POOL_2D", c), seed=c["seed"])
    assume(backends[0] == "mcugen")


@pytest.mark.parametrize("hw", [(5, 5), (25, 5), (4, 6)])
def test_global_average_pool_c_path(host_build, hw):
    """A window as wide as the image (kws' global pool): one run of taps, odd and even counts."""
    c = dict(f=hw, s=(1, 1), padding="VALID", hw=hw, c=8, batch=1, out=(1, 1),
             q=(0.05, -3), act="NONE", seed=4)
    assert _check_host(host_build, pool_graph("AVERAGE_POOL_2D", c))[0] == "mcugen"


@pytest.mark.parametrize("opcode", ["ADD", "SUB"])
@examples(8)
@given(case=add_sub_case())
def test_add_sub_c_path(host_build, opcode, case):
    """Equal shapes only (a broadcasting instance falls to the next backend)."""
    _, _, out, q1, q2, qo, act = case
    backends = _check_host(host_build, binary_graph(opcode, out, out, out, q1, q2, qo, act))
    assume(backends[0] == "mcugen")


def _conv(cin, cout, k, stride, padding, s_in, s_out, zp_in=-3, zp_out=5, bias_value=None,
          depthwise=False, hw=(7, 6), act="NONE", seed=1):
    rng = np.random.default_rng(seed)
    b = GraphBuilder("fast")
    x = b.input("x", (1, *hw, cin), np.int8, scale=s_in, zero_point=zp_in)
    shape = (1, k, k, cout) if depthwise else (cout, k, k, cin)
    w_scales = rng.uniform(0.002, 0.05, cout).astype(np.float32)
    w = b.const("w", rng.integers(-127, 128, shape).astype(np.int8), scale=w_scales,
                zero_point=0, axis=3 if depthwise else 0)
    bias = (rng.integers(-5000, 5000, cout) if bias_value is None
            else np.full(cout, bias_value)).astype(np.int32)
    bb = b.const("b", bias, scale=(np.float32(s_in) * w_scales).astype(np.float32), zero_point=0)
    out = [(hw[i] + stride - 1) // stride if padding == "SAME" else (hw[i] - k) // stride + 1
           for i in range(2)]
    y = b.tensor("y", (1, *out, cout), np.int8, scale=s_out, zero_point=zp_out)
    opts = dict(padding=padding, stride_h=stride, stride_w=stride, dilation_hfactor=1,
                dilation_wfactor=1, fused_activation_function=act)
    if depthwise:
        b.op("DEPTHWISE_CONV_2D", [x, w, bb], [y], "DepthwiseConv2DOptions",
             depth_multiplier=cout // cin, **opts)
    else:
        b.op("CONV_2D", [x, w, bb], [y], "Conv2DOptions", **opts)
    b.output(y)
    return b.build()


EDGES = {
    "1x1 even": dict(cin=8, cout=6, k=1, stride=1, padding="VALID", s_in=0.05, s_out=0.1),
    "1x1 odd channels": dict(cin=5, cout=7, k=1, stride=1, padding="VALID", s_in=0.05,
                             s_out=0.1),
    "3x3 stride 2 SAME": dict(cin=4, cout=5, k=3, stride=2, padding="SAME", s_in=0.05, s_out=0.2),
    "first layer, 1 channel": dict(cin=1, cout=8, k=3, stride=2, padding="SAME", s_in=0.5,
                                   s_out=0.2),
    "left shift": dict(cin=4, cout=4, k=1, stride=1, padding="VALID", s_in=1.0, s_out=0.0005),
    "zero points at the ends": dict(cin=4, cout=3, k=3, stride=1, padding="SAME", s_in=0.05,
                                    s_out=0.1, zp_in=-128, zp_out=127, act="RELU"),
    "depthwise 3x3 SAME": dict(cin=8, cout=8, k=3, stride=1, padding="SAME", s_in=0.05,
                               s_out=0.1, depthwise=True),
    "depthwise 3x3 stride 2": dict(cin=12, cout=12, k=3, stride=2, padding="SAME", s_in=0.05,
                                   s_out=0.1, depthwise=True, zp_in=127),
    "depthwise 5x5 VALID": dict(cin=4, cout=4, k=5, stride=1, padding="VALID", s_in=0.05,
                                s_out=0.1, depthwise=True),
    "depthwise 1 -> 8 channels": dict(cin=1, cout=8, k=3, stride=2, padding="SAME", s_in=0.05,
                                      s_out=0.1, depthwise=True, zp_in=-128),
    "1x1 RELU6 clamp": dict(cin=8, cout=6, k=1, stride=1, padding="VALID", s_in=0.05,
                            s_out=0.01, act="RELU6"),
    "depthwise 3x3 RELU6 clamp": dict(cin=8, cout=8, k=3, stride=1, padding="SAME", s_in=0.05,
                                      s_out=0.01, depthwise=True, act="RELU6"),
}

# which variant each edge case must take: the fused tiles where their proof holds
FUSED = {"1x1 even": True, "1x1 odd channels": True, "3x3 stride 2 SAME": True,
         "first layer, 1 channel": True, "left shift": False, "zero points at the ends": True,
         "depthwise 3x3 SAME": True, "depthwise 3x3 stride 2": True,
         "depthwise 5x5 VALID": False, "depthwise 1 -> 8 channels": True,
         "1x1 RELU6 clamp": True, "depthwise 3x3 RELU6 clamp": True}


@pytest.mark.parametrize("name", list(EDGES))
def test_edge_cases_take_the_fast_kernels(host_build, name):
    from mcugen.ops.conv import fused_conv, fused_depthwise, single_channel_depthwise
    graph = _conv(**EDGES[name])
    op = graph.operators[0]
    as_depthwise = op.opcode == "DEPTHWISE_CONV_2D" and not single_channel_depthwise(graph, op)
    fused = fused_depthwise(graph, op) if as_depthwise else fused_conv(graph, op)
    assert fused == FUSED[name]
    assert _check_host(host_build, graph)[0] == "mcugen"


def test_left_shift_channels_are_exact(host_build):
    graph = _conv(**EDGES["left shift"])
    from mcugen.ops.conv import prepare_conv
    assert (prepare_conv(graph, graph.operators[0]).shifts > 0).any()
    assert _check_host(host_build, graph)[0] == "mcugen"


@pytest.mark.parametrize("case", ["large bias", "right shift beyond 22"])
def test_exactness_proof_failure_picks_an_exact_slower_path(host_build, case):
    """A layer outside the fast kernels' int32 proof (|2h| < 2^30 needs the accumulator bound,
    the folded output offset needs e <= 22) goes to the next backend (mcugen's portable kernel,
    or CMSIS-NN where a tree is found and its own check takes the layer) and stays bit-exact."""
    if case == "large bias":
        graph = _conv(cin=4, cout=4, k=1, stride=1, padding="VALID", s_in=0.05, s_out=0.0005,
                      bias_value=2 ** 29)
    else:
        graph = _conv(cin=4, cout=4, k=1, stride=1, padding="VALID", s_in=0.05, s_out=1e4)
    assert "accumulator" in why_not(graph, graph.operators[0], "mcugen")
    assert _check_host(host_build, graph)[0] in ("cmsis-nn", "portable")


def test_depthwise_with_channel_multiplier_falls_back(host_build):
    c = dict(k=(3, 3), s=(1, 1), d=(1, 1), padding="SAME", hw=(5, 5), c_in=2, c_out=4,
             multiplier=2, per_channel=True, out=(5, 5), batch=1, seed=3, s_in=0.05, s_out=0.1,
             zp_in=1, zp_out=-2, act="NONE", with_bias=True)
    assert _check_host(host_build, conv_graph(c, True))[0] == "portable"


# -- the instructions themselves, on an emulated Cortex-M4 ----------------------------------------
@pytest.mark.qemu
@pytest.mark.timeout(300)
def test_fast_layers_on_cortex_m4(tmp_path):
    from mcugen.device.runner import open_device
    from mcugen.device.verify import verify_on_device
    from mcugen.firmware.build import build_firmware
    from tests.device.conftest import need_tools
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    # one model holding every edge layer would need matching shapes; instead a small chain
    board = load_board("mps2-an386")
    for i, name in enumerate(["1x1 odd channels", "3x3 stride 2 SAME", "first layer, 1 channel",
                              "left shift", "depthwise 3x3 SAME", "depthwise 3x3 stride 2",
                              "depthwise 1 -> 8 channels", "1x1 RELU6 clamp",
                              "depthwise 3x3 RELU6 clamp", "zero points at the ends"]):
        graph = _conv(**EDGES[name])
        fw = build_firmware(graph, board, tmp_path / str(i), kernels="mcugen")
        assert fw.rendered.plan.backends[0] == "mcugen", name
        rng = np.random.default_rng(i)
        samples = [random_inputs(graph, rng) for _ in range(2)]
        with open_device(fw) as device:
            assert verify_on_device(device, graph, samples).bit_exact, name
    # batch-1 fully connected: channel quads (tile_1x4), then a pair, then an odd channel
    fc = fc_graph(dict(batch_dims=[], depth=36, units=7, per_channel=True, keep_num_dims=False,
                       with_bias=True, seed=5, s_in=0.05, s_out=0.1, zp_in=-7, zp_out=3,
                       act="RELU"))
    fw = build_firmware(fc, board, tmp_path / "fc", kernels="mcugen")
    assert fw.rendered.plan.backends[0] == "mcugen"
    with open_device(fw) as device:
        assert verify_on_device(device, fc, [random_inputs(fc, np.random.default_rng(9))
                                             for _ in range(2)]).bit_exact


@pytest.mark.qemu
@pytest.mark.timeout(300)
@pytest.mark.parametrize("board", ["host", "mps2-an386"])
def test_wide_weights(tmp_path, board):
    """--wide-weights: the fused tiles read pre-widened int16 weights (the C twin on the host,
    the generated assembly on the M4), bit-exact, clamping variant included."""
    from mcugen.device.runner import open_device
    from mcugen.device.verify import verify_on_device
    from mcugen.firmware.build import build_firmware
    from tests.device.conftest import need_tools
    if board != "host":
        need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    for i, name in enumerate(["1x1 odd channels", "first layer, 1 channel", "1x1 RELU6 clamp"]):
        graph = _conv(**EDGES[name])
        fw = build_firmware(graph, load_board(board), tmp_path / str(i), kernels="mcugen",
                            wide_weights=True)
        source = (tmp_path / str(i) / "model" / "fast_model.c").read_text()
        assert "_wide" in source, name
        rng = np.random.default_rng(i)
        with open_device(fw) as device:
            assert verify_on_device(device, graph, [random_inputs(graph, rng)
                                                    for _ in range(2)]).bit_exact, name
