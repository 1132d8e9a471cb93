"""Issue 18, point 1: verify on real data (N samples, float data quantized with the input's scale
and zero point, labels, a float model), `--inputs 0` refused, `run` printing outputs by name."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from mcugen.cli import main
from mcugen.dataset import load_dataset, load_labels
from mcugen.errors import InputError
from mcugen.model import load_model
from tests.device.conftest import need_tools
from tests.oracle import shared_input, shared_model

pytestmark = pytest.mark.timeout(300)
DIGITS = "real_data/digits_dscnn"


def _cli(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "mcugen", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def digits():
    return load_model(shared_model(f"{DIGITS}/tf_int8.tflite"))


def test_npy_with_n_axis_float_quantized_and_said_so(digits, tmp_path):
    x = np.load(shared_model(f"{DIGITS}/test.npz"))["x"][:7]         # float32 (7, 8, 8, 1)
    np.save(tmp_path / "x.npy", x)
    data = load_dataset(str(tmp_path / "x.npy"), digits)
    t = digits.tensors[digits.inputs[0]]
    scale, zp = float(t.quant.scale[0]), int(t.quant.zero_point[0])
    assert len(data) == 7 and data.quantized
    assert "quantized to int8 with its scale" in data.notes[0] and str(zp) in data.notes[0]
    want = np.clip(np.floor(np.abs(x[3] / scale) + 0.5) * np.sign(x[3]) + zp, -128, 127)
    assert np.array_equal(data.samples[3][0], want.reshape(t.shape).astype(np.int8))
    assert np.array_equal(data.real[3][0], x[3].reshape(t.shape))


def test_other_forms_give_the_same_samples(digits, tmp_path):
    x = np.load(shared_model(f"{DIGITS}/test.npz"))["x"][:5]
    ref = load_dataset(str(shared_model(f"{DIGITS}/test.npz")), digits, limit=5)
    (tmp_path / "d").mkdir()
    for k in range(5):                                   # a directory of one-sample .npy files
        np.save(tmp_path / "d" / f"{k:02d}.npy", x[k])
    with open(tmp_path / "x.csv", "w") as f:             # CSV with a header, one row a sample
        f.write(",".join(f"p{k}" for k in range(64)) + "\n")
        for row in x.reshape(5, -1):
            f.write(",".join(repr(float(v)) for v in row) + "\n")
    flat = tmp_path / "flat.npy"                         # flat rows
    np.save(flat, x.reshape(5, 64))
    for spec in (tmp_path / "d", tmp_path / "x.csv", flat):
        got = load_dataset(str(spec), digits)
        assert len(got) == 5 and got.quantized
        for a, b in zip(got.samples, ref.samples):
            assert np.array_equal(a[0], b[0]), spec


def test_integer_data_taken_as_is_or_refused(digits, tmp_path):
    q = np.arange(-128, 128, dtype=np.int8)[:64].reshape(1, 8, 8, 1)
    np.save(tmp_path / "q.npy", np.stack([q, q]))
    data = load_dataset(str(tmp_path / "q.npy"), digits)
    assert len(data) == 2 and not data.quantized and not data.notes
    assert np.array_equal(data.samples[1][0], q)
    np.save(tmp_path / "u.npy", np.zeros((2, 8, 8, 1), np.uint8))
    with pytest.raises(InputError, match="is int8; got uint8 data"):
        load_dataset(str(tmp_path / "u.npy"), digits)
    np.save(tmp_path / "bad.npy", np.zeros((2, 9, 8, 1), np.float32))
    with pytest.raises(InputError, match="per sample"):
        load_dataset(str(tmp_path / "bad.npy"), digits)


def test_labels_forms(tmp_path):
    np.save(tmp_path / "onehot.npy", np.eye(4)[[2, 0, 3]])
    assert load_labels(str(tmp_path / "onehot.npy")).tolist() == [2, 0, 3]
    (tmp_path / "y.txt").write_text("label\n1\n2\n")
    assert load_labels(str(tmp_path / "y.txt")).tolist() == [1, 2]
    with pytest.raises(InputError, match="2 labels for 3 samples"):
        load_labels(str(tmp_path / "y.txt"), 3)


def test_verify_inputs_zero_is_a_usage_error(capsys):
    code = main(["verify", str(shared_model("tflm/hello_world_int8.tflite")), "--board", "host",
                 "--inputs", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "--inputs 0 checks nothing" in err and len(err.splitlines()) == 1


def test_verify_real_data_labels_float_model_on_host(tmp_path):
    """The TF quantization guide's table measured on a device: 60 digits windows on the host
    board, top-1 of device, simulator and float model, SQNR of the device vs float."""
    need_tools("gcc")
    d = shared_model(DIGITS)
    proc = _cli("verify", str(d / "tf_int8.tflite"), "--board", "host", "--kernels", "portable",
                "--inputs", str(d / "test.npz"), "--samples", "60", "--labels",
                str(d / "test.npz"), "--float-model", str(d / "float.tflite"), "--json", "-")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)                    # stdout holds only the JSON
    assert data["bit_exact"] and data["n_inputs"] == 60
    assert data["data"]["samples"] == 60 and data["data"]["quantized"]
    acc = data["accuracy"]
    assert acc["top1"]["device"] == acc["top1"]["simulator"] >= 0.9
    assert acc["top1"]["float"] >= 0.9 and acc["output_sqnr_db"][0] > 25
    assert len(data["per_input"]) == 60
    layers = acc["layers"]             # per-layer SQNR vs float, matched by tensor name
    assert [r["operator"] for r in layers][:2] == ["CONV_2D", "DEPTHWISE_CONV_2D"]
    assert len(layers) == 9 and all(r["sqnr_db"] > 20 for r in layers)
    labels = np.load(d / "test.npz")["y"][:60]
    assert [r["label"] for r in data["per_input"]] == labels.tolist()
    assert sum(r["device_top1"] == r["label"] for r in data["per_input"]) / 60 == \
        pytest.approx(acc["top1"]["device"], abs=1e-6)
    # the table went to stderr, with the note on how the data was converted
    assert "quantized to int8 with its scale 0.00392157 and zero point -128" in proc.stderr
    assert "float model" in proc.stderr and "output SQNR, device vs float" in proc.stderr


def test_run_prints_outputs_by_name_and_writes_them(tmp_path):
    need_tools("gcc")
    np.save(tmp_path / "x.npy", shared_input("kws_sample_int8.npy"))
    proc = _cli("run", str(shared_model("mlperf_tiny/kws_ref_model.tflite")), "--board", "host",
                "--kernels", "portable", "--input", str(tmp_path / "x.npy"),
                "--output", str(tmp_path / "y.npy"), "--json", str(tmp_path / "r.json"))
    assert proc.returncode == 0, proc.stderr
    assert "output 'Identity' int8[1, 12], scale 0.00390625, zero point -128" in proc.stdout
    assert "dequantized: 0 0 0 0 0 0.996094 0" in proc.stdout
    assert "top classes: 5 (0.9961)" in proc.stdout
    y = np.load(tmp_path / "y.npy")
    assert y.shape == (1, 12) and int(np.argmax(y)) == 5
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["outputs"][0] == y.tolist()                      # the old key, unchanged
    assert r["output_details"][0]["top"][0] == {"class": 5, "value": 0.996094}


def test_verify_the_issue_s_196_anomaly_windows(tmp_path):
    """The issue's case: 196 real DCASE windows (float) for ad01's int8 input, refused before,
    now all verified on the host board, with the autoencoder's output SQNR against the float
    model (no top-1: its argmax means nothing)."""
    need_tools("gcc")
    frames = shared_input("ad01_dcase_logmel_float32.npy")
    windows = np.stack([frames[k:k + 5].ravel() for k in range(len(frames) - 4)])
    np.save(tmp_path / "w.npy", windows)
    proc = _cli("verify", str(shared_model("mlperf_tiny/ad01_int8.tflite")), "--board", "host",
                "--kernels", "portable", "--inputs", str(tmp_path / "w.npy"), "--float-model",
                str(shared_model("mlperf_tiny/ad01_float.tflite")), "--json", "-")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["bit_exact"] and data["n_inputs"] == 196 and data["data"]["quantized"]
    acc = data["accuracy"]
    assert acc["output_sqnr_db"][0] > 25 and acc["top1_agreement_float"] is None
    assert acc["top1"] == {"device": None, "simulator": None, "float": None}
