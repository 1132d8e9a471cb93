"""`mcugen profile`: per-layer counts on every emulated board and the host; the layers' sum equals
the whole inference within the documented overhead."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mcugen.boards import all_boards, load_board
from mcugen.cli import main
from mcugen.cli.profile import overhead_bound, peer_input
from mcugen.model import load_model
from tests.device.conftest import need_tools

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]
HELLO_WORLD = ROOT / "examples" / "hello_world_int8.tflite"
KWS = ROOT / "examples" / "kws_ref_model.tflite"
BOARDS = sorted(n for n in all_boards() if load_board(n).run_method == "qemu")


def _profile(capsys, model, *args) -> dict:
    capsys.readouterr()
    assert main(["profile", str(model), "--kernels", "portable", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _check_sum(data: dict, graph) -> None:
    unit = data["unit"]
    total, layers = data[f"{unit}_per_inference"], data[f"{unit}_sum_of_layers"]
    assert layers == sum(r[unit] for r in data["layers"])
    assert abs(total - layers) <= overhead_bound(graph) == data["overhead_bound"]
    assert all(r[unit] >= 0 for r in data["layers"])


@pytest.mark.qemu
@pytest.mark.parametrize("board", BOARDS)
def test_profile_every_emulated_board(capsys, board):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    graph = load_model(HELLO_WORLD)
    data = _profile(capsys, HELLO_WORLD, "--board", board)
    assert [r["operator"] for r in data["layers"]] == ["FULLY_CONNECTED"] * 3
    assert [r["macs"] for r in data["layers"]] == [16, 256, 16]
    assert {r["backend"] for r in data["layers"]} == {"portable"}
    if board == "netduinoplus2":          # no counter under QEMU there: order, backends, MACs
        assert data["unit"] is None and "instructions" not in data["layers"][0]
        return
    assert data["unit"] == "instructions"
    _check_sum(data, graph)
    assert data["layers"][1]["instructions"] > data["layers"][0]["instructions"]


def test_profile_host(capsys):
    need_tools("cc")
    data = _profile(capsys, HELLO_WORLD, "--board", "host")
    assert data["unit"] is None and len(data["layers"]) == 3
    assert data["total_macs"] == 288


@pytest.mark.qemu
def test_profile_kws_matches_the_unprofiled_count(capsys, tmp_path):
    """13 layers on the M4: the layers' sum within the documented overhead of the whole, and the
    whole (stamps removed) within the same bound of a build without stamps."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    graph = load_model(KWS)
    x = tmp_path / "x.npy"
    np.save(x, peer_input(graph)[0])
    data = _profile(capsys, KWS, "--board", "mps2-an386", "--input", str(x))
    _check_sum(data, graph)
    assert len(data["layers"]) == 13
    shares = sum(r["share"] for r in data["layers"])
    assert abs(shares - 1) < 1e-3
    conv = [r for r in data["layers"] if r["operator"] == "CONV_2D"]
    assert all(r["instructions_per_mac"] > 1 for r in conv)
    capsys.readouterr()
    assert main(["run", str(KWS), "--board", "mps2-an386", "--kernels", "portable", "--input",
                 str(x), "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)["instructions"]
    assert abs(plain - data["instructions_per_inference"]) <= overhead_bound(graph)
    default = _profile(capsys, KWS, "--board", "mps2-an386")      # the peer's input by default
    # Same input, same code: the counts agree to the counter's resolution (the CMSDK timer ticks
    # once per 3.2 instructions, and the phase of the first tick depends on how long the board
    # idled waiting for the upload, so two runs can differ by a tick or two).
    assert abs(default["instructions_per_inference"] - data["instructions_per_inference"]) <= 8


@pytest.mark.qemu
@pytest.mark.timeout(300)
def test_profile_names_mcugen_kernel_variants(capsys):
    """On mcugen's kernels the profile names the variant each layer runs (the fused tiles where
    the generator proved them exact) and the layers still sum to the whole."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    data = _profile(capsys, KWS, "--board", "mps2-an386", "--kernels", "mcugen")
    _check_sum(data, load_model(KWS))
    variants = {(r["operator"], r["backend"], r["variant"]) for r in data["layers"]}
    assert ("CONV_2D", "mcugen", "fused 2x2 tile") in variants
    assert ("DEPTHWISE_CONV_2D", "mcugen", "fused depthwise 3x3") in variants
    assert ("AVERAGE_POOL_2D", "mcugen", "4 channels per word") in variants
    softmax = [r for r in data["layers"] if r["operator"] == "SOFTMAX"]
    assert softmax and softmax[0]["variant"] == ""       # another backend's kernel
