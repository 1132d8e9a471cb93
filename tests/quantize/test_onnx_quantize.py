"""Float ONNX models quantized by mcugen: top-1 on the shared labelled digits within 1 point of
onnxruntime's float model, and the generated firmware bit-exact with the simulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")

from mcugen.model import load_model  # noqa: E402
from mcugen.optimize import optimize_graph  # noqa: E402
from mcugen.quantize import quantize_model  # noqa: E402
from mcugen.quantize.data import load_samples  # noqa: E402
from mcugen.sim import Simulator  # noqa: E402

ONNX_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "models" / "onnx"
MODELS = ["pt_digits_mlp", "pt_digits_cnn", "pt_digits_resnet", "pt_digits_misc"]


def _folder(name: str) -> Path:
    folder = ONNX_DIR / name
    if not (folder / "float.onnx").exists():
        pytest.skip("shared ONNX models not present")
    return folder


@pytest.mark.parametrize("name", MODELS)
def test_quantized_top1_within_one_point_of_onnxruntime_float(name):
    folder = _folder(name)
    graph = load_model(folder / "float.onnx")
    q = optimize_graph(quantize_model(graph, load_samples(str(folder / "calib.npy"),
                                                          graph)).graph)
    test = np.load(folder / "test.npz")
    t = q.tensors[q.inputs[0]]
    s, z = float(t.quant.scale[0]), int(t.quant.zero_point[0])
    sim = Simulator(q)
    pred = np.array([int(sim.run([np.clip(np.round(x / s) + z, -128, 127).astype(np.int8)
                                  .reshape(t.shape)]).outputs[0].argmax()) for x in test["x"]])
    top1 = float((pred == test["y"]).mean())
    float_top1 = float((test["ort_float_out"].argmax(-1) == test["y"]).mean())
    assert top1 >= float_top1 - 0.01, (top1, float_top1)


def _cli(*args, timeout=280):
    return subprocess.run([sys.executable, "-m", "mcugen", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.timeout(300)
def test_verify_onnx_with_calib_on_host_bit_exact():
    folder = _folder("pt_digits_misc")
    proc = _cli("verify", str(folder / "float.onnx"), "--calib", str(folder / "calib.npy"),
                "--board", "host", "--kernels", "portable", "--inputs", "3")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.qemu
@pytest.mark.timeout(300)
def test_verify_onnx_with_calib_on_mps2_an386_bit_exact():
    from tests.device.conftest import need_tools
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    folder = _folder("pt_digits_cnn")
    proc = _cli("verify", str(folder / "float.onnx"), "--calib", str(folder / "calib.npy"),
                "--kernels", "portable", "--inputs", "3")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("calib", [False, True], ids=["float", "int8"])
def test_export_tflite_runs_in_tflm_like_the_simulator(tmp_path, calib):
    from tests.oracle import Tflm
    folder = _folder("pt_digits_misc")
    out = tmp_path / "m.tflite"
    proc = _cli("export", str(folder / "float.onnx"), "--tflite", str(out),
                *(["--calib", str(folder / "calib.npy")] if calib else []))
    assert proc.returncode == 0, proc.stderr
    graph = load_model(out)
    t = graph.tensors[graph.inputs[0]]
    tflm, sim = Tflm(out), Simulator(graph)
    for x in np.load(folder / "test.npz")["x"][:5]:
        x = x.reshape(t.shape).astype(np.float32)
        if calib:
            x = np.clip(np.round(x / t.quant.scale[0]) + t.quant.zero_point[0], -128,
                        127).astype(np.int8)
        a, b = tflm.run([x])[0], sim.run([x]).outputs[0]
        if calib:
            assert np.array_equal(a, b)
        else:   # float: the simulator's documented float agreement
            assert np.abs(a - b).max() <= 1e-4 * max(np.abs(a).max(), 1.0)
