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


@pytest.mark.parametrize("kernels", ["mcugen", "cmsis-nn"])
def test_other_backends_leave_int16_layers_to_portable(kernels, tmp_path):
    """Their per-instance checks refuse int16 layers (CMSIS-NN's s16 kernels are not proven
    bit-exact here yet); with a CMSIS-NN tree given, still every layer is portable."""
    import os
    tree = os.environ.get("MCUGEN_CMSIS_NN")
    if kernels == "cmsis-nn" and not tree:
        pytest.skip("set MCUGEN_CMSIS_NN to a CMSIS-NN source tree")
    graph = _graph("tf_16x8")
    rendered = render_model(graph, tmp_path, kernels=kernels, cmsis_nn=tree)
    assert set(rendered.plan.backends.values()) == {"portable"}


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
