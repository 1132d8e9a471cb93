"""Generated C, built for the host, against the simulator and the TFLM oracle, byte for byte."""

from __future__ import annotations

import numpy as np
import pytest

from mcugen.codegen import render_model
from mcugen.model import load_model
from mcugen.sim import Simulator
from tests.oracle import INT8_MODELS, Tflm, shared_input, shared_model
from tests.sim.compare import random_inputs


def _real_samples(rel: str) -> list[list[np.ndarray]]:
    if "kws_ref_model" in rel:
        return [[shared_input("kws_sample_int8.npy")]]
    if "person_detect" in rel:
        return [[shared_input(f).view(np.int8).reshape(1, 96, 96, 1)]
                for f in ("person_96x96_uint8.npy", "no_person_96x96_uint8.npy")]
    return []


@pytest.mark.parametrize("kernels", ["portable", "mcugen"])
@pytest.mark.parametrize("sanitize", [False, True], ids=["O2", "asan-ubsan"])
@pytest.mark.parametrize("rel", INT8_MODELS)
def test_host_build_is_bit_exact(rel, sanitize, kernels, host_build):
    """mcugen's portable kernels, and its generated-layout kernels through their plain-C twins
    of the DSP instructions (the constants and layout the M4/M7/M33 run)."""
    model = host_build(rel, kernels, sanitize)
    graph = model.graph
    rng = np.random.default_rng(42)
    inputs = _real_samples(rel) + [random_inputs(graph, rng) for _ in range(10)]
    device = model.run(inputs)
    sim, tflm = Simulator(graph), Tflm(shared_model(rel), preserve_all=False)
    for x, got in zip(inputs, device):
        expected = sim.run(x).outputs
        oracle = tflm.run(x)
        for g, e, o in zip(got, expected, oracle):
            assert g.tobytes() == e.tobytes() == o.tobytes()


def test_person_detect_scores_published_values(host_build):
    """TFLM's own test: the person image scores [-113, 113], the other [57, -57]."""
    model = host_build("tflm/person_detect_int8.tflite", "portable")
    out = model.run([s for s in _real_samples("tflm/person_detect_int8.tflite")])
    assert out[0][0].tolist() == [-113, 113] and out[1][0].tolist() == [57, -57]


@pytest.mark.parametrize("rel", ["mlperf_tiny/resnet8_int8.tflite",
                                 "tflm/micro_speech_int8.tflite"])
def test_rendering_is_deterministic(rel, tmp_path):
    graph = load_model(shared_model(rel))
    a = render_model(graph, tmp_path / "a")
    b = render_model(load_model(shared_model(rel)), tmp_path / "b")
    files_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files_a == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files_a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert a.arena_bytes == b.arena_bytes


def test_generated_model_has_no_malloc_and_no_float(tmp_path):
    r = render_model(load_model(shared_model("mlperf_tiny/kws_ref_model.tflite")), tmp_path)
    for path in r.sources:
        text = path.read_text()
        for word in ("malloc", "float", "double", "free("):
            assert word not in text, f"{word} in {path.name}"


def test_cross_compiles_warning_free_for_cortex_m(tmp_path):
    """The generated sources and the kernels build for M0, M4 and M55 with -Werror."""
    import shutil
    import subprocess
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc is not installed (scripts/bootstrap.sh installs it)")
    r = render_model(load_model(shared_model("mlperf_tiny/resnet8_int8.tflite")), tmp_path)
    for cpu in ("cortex-m0", "cortex-m4", "cortex-m55"):
        for src in r.sources:
            cmd = ["arm-none-eabi-gcc", f"-mcpu={cpu}", "-mthumb", "-O2", "-std=c99", "-Wall",
                   "-Wextra", "-Werror", f"-I{tmp_path}", "-c", str(src), "-o",
                   str(tmp_path / f"{src.stem}-{cpu}.o")]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, proc.stderr


def test_cli_generate_and_float_model_refused(tmp_path, capsys):
    from mcugen.cli import main
    assert main(["generate", str(shared_model("tflm/hello_world_int8.tflite")), "-o",
                 str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "hello_world_int8_model.h").exists()
    code = main(["generate", str(shared_model("tflm/hello_world_float.tflite")), "-o",
                 str(tmp_path / "f")])
    assert code == 2 and "quantize" in capsys.readouterr().err


def _cmsis_tree():
    import os
    tree = os.environ.get("MCUGEN_CMSIS_NN")
    if not tree:
        pytest.skip("CMSIS-NN is not on this machine: set MCUGEN_CMSIS_NN to a CMSIS-NN tree "
                    "(v7.0.0 or newer) to run the CMSIS-NN backend tests")
    return tree


@pytest.mark.cmsis_nn
@pytest.mark.parametrize("rel", INT8_MODELS)
def test_cmsis_nn_host_build_is_bit_exact(rel, host_build):
    tree = _cmsis_tree()
    model = host_build(rel, "cmsis-nn", cmsis_nn=tree)
    graph = model.graph
    rng = np.random.default_rng(7)
    inputs = _real_samples(rel) + [random_inputs(graph, rng) for _ in range(10)]
    sim = Simulator(graph)
    for x, got in zip(inputs, model.run(inputs)):
        for g, e in zip(got, sim.run(x).outputs):
            assert g.tobytes() == e.tobytes()


def test_missing_cmsis_nn_says_how_to_provide_it(tmp_path, monkeypatch, capsys):
    from mcugen.cli import main
    monkeypatch.delenv("MCUGEN_CMSIS_NN", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "nocache"))
    import importlib

    import mcugen.codegen.cmsis_nn as cn
    importlib.reload(cn)
    code = main(["generate", str(shared_model("tflm/hello_world_int8.tflite")), "-o",
                 str(tmp_path / "o"), "--kernels", "cmsis-nn"])
    err = capsys.readouterr().err
    assert code == 2 and "CMSIS-NN not found" in err and "--cmsis-nn" in err
    assert len(err.strip().splitlines()) == 1
    importlib.reload(cn)
