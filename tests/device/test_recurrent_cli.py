"""Recurrent models on the command line: plan's state region, run/verify --sequence (steps on one
state after a reset) on the host board and on mps2-an386, and the bad requests (wrong sequence
shape, state that does not fit the board, an LSTM variant TFLM refuses) as one line, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from mcugen.model.tflite_io import save_model
from mcugen.sim import Simulator
from mcugen.model import load_model
from tests.device.conftest import need_tools
from tests.oracle import shared_model
from tests.sim.single_op import lstm_graph, svdf_graph

pytestmark = pytest.mark.timeout(300)
MNIST = "tflm/mnist_lstm_int8.tflite"
DIGITS = "real_data/digits_lstm_cols/tf_int8.tflite"


def _cli(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "mcugen", *args], capture_output=True,
                          text=True, timeout=timeout)


def _sequence(tmp_path, rel, steps, seed=3):
    graph = load_model(shared_model(rel))
    t = graph.tensors[graph.inputs[0]]
    x = np.random.default_rng(seed).integers(-128, 128, (steps, *t.shape)).astype(np.int8)
    path = tmp_path / "seq.npy"
    np.save(path, x)
    sim = Simulator(graph)
    return path, graph, [sim.run([s]).outputs[0] for s in x]


def test_plan_reports_the_state_region():
    proc = _cli("plan", str(shared_model(MNIST)), "--kernels", "portable", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["state_bytes"] == 60
    assert [(s["offset"], s["bytes"], s["fill"]) for s in data["state"]] == [(0, 20, 0),
                                                                             (20, 40, 0)]
    text = _cli("plan", str(shared_model(MNIST)), "--kernels", "portable").stdout
    assert "state: 60 bytes at offset 0" in text and "│ state " in text


def test_run_and_verify_sequence_on_host_board(tmp_path):
    path, graph, expected = _sequence(tmp_path, DIGITS, 10)
    proc = _cli("run", str(shared_model(DIGITS)), "--board", "host", "--sequence", str(path),
                "--json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)["outputs"][0]
    assert got == [e.tolist() for e in expected]
    proc = _cli("verify", str(shared_model(DIGITS)), "--board", "host", "--sequence", str(path),
                "--json", str(tmp_path / "v.json"))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    data = json.loads((tmp_path / "v.json").read_text())
    assert data["bit_exact"] and data["n_inputs"] == 10


@pytest.mark.qemu
@pytest.mark.timeout(240)
def test_mnist_lstm_sequence_on_mps2_an386(tmp_path):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    path, graph, expected = _sequence(tmp_path, MNIST, 4)
    proc = _cli("verify", str(shared_model(MNIST)), "--board", "mps2-an386", "--kernels",
                "portable", "--sequence", str(path), "--json", str(tmp_path / "v.json"),
                timeout=200)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    data = json.loads((tmp_path / "v.json").read_text())
    assert data["bit_exact"] and data["n_inputs"] == 4 and data["instructions_per_inference"] > 0


def test_sequence_of_the_wrong_shape_is_one_line(tmp_path):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((4, 8, 7), np.int8))
    for cmd in ("run", "verify"):
        proc = _cli(cmd, str(shared_model(DIGITS)), "--board", "host", "--sequence", str(bad))
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and "expected [steps, 1, 8, 8]" in proc.stderr


def test_state_that_does_not_fit_the_board_is_one_line(tmp_path):
    need_tools("arm-none-eabi-gcc")
    model = tmp_path / "big_svdf.tflite"
    save_model(svdf_graph(np.int8, state_dtype=np.int16, n_input=4, n_unit=10, rank=1,
                          memory=1000), model)
    proc = _cli("build", str(model), "--board", "microbit", "-o", str(tmp_path / "b"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1
    assert "does not fit microbit" in proc.stderr and "20,000 bytes of model state" in proc.stderr


def test_unsupported_lstm_variant_is_one_line(tmp_path):
    graph = lstm_graph(np.int8)
    op = graph.operators[0]
    op.inputs = [-1 if i in (1, 5, 12) else t for i, t in enumerate(op.inputs)]   # CIFG
    model = tmp_path / "cifg.tflite"
    save_model(graph, model)
    proc = _cli("generate", str(model), "-o", str(tmp_path / "g"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in proc.stderr and "CIFG" in proc.stderr


def test_each_input_after_a_reset_on_host_board(tmp_path):
    """Without --sequence every verify input starts from a reset: an int8 state whose zero
    point is not 0 (a .bss start would be wrong) is reset to it, on the board and in the
    simulator."""
    model = tmp_path / "svdf_zp.tflite"
    save_model(svdf_graph(np.int8, state_dtype=np.int8, batch=2, n_input=20, n_unit=6, rank=2,
                          memory=5, input_q=(2 ** -4, 7), state_q=(2 ** -4, 9)), model)
    proc = _cli("verify", str(model), "--board", "host", "--inputs", "4",
                "--json", str(tmp_path / "v.json"))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert json.loads((tmp_path / "v.json").read_text())["bit_exact"]
    out = tmp_path / "y.npy"
    seq = tmp_path / "s.npy"
    np.save(seq, np.random.default_rng(4).integers(-128, 128, (7, 2, 20)).astype(np.int8))
    proc = _cli("run", str(model), "--board", "host", "--sequence", str(seq), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    sim = Simulator(load_model(model))
    expected = np.stack([sim.run([s]).outputs[0] for s in np.load(seq)])
    assert np.load(out).tobytes() == expected.tobytes()
