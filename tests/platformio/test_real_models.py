"""Real models through the PlatformIO and CMake routes, bit-exact against the TFLM interpreter.

The example program feeds a fixed input pattern and prints every output byte; the same pattern goes
through TFLM's reference kernels on the host (tests/oracle.py). Needs the code generator.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from mcugen.boards import load_board
from mcugen.platformio import (build_with_platformio, export_library, flash_with_platformio,
                               write_platformio_project)
from tests.oracle import Tflm, shared_model

codegen = pytest.importorskip("mcugen.codegen", reason="needs the code generator (mcugen.codegen)")

MODELS = ["tflm/hello_world_int8.tflite", "mlperf_tiny/kws_ref_model.tflite"]


def _pattern(shape, dtype):
    """The example program's input: element i = (i * 7 + 3) & 0x7f."""
    n = int(np.prod(shape))
    return ((np.arange(n) * 7 + 3) & 0x7F).astype(dtype).reshape(shape)


def _oracle(path):
    tflm = Tflm(str(path), preserve_all=False)
    detail = tflm.input_details(0)
    return tflm.run([_pattern(detail["shape"], detail["dtype"])])[0].reshape(-1)


def _printed(out: str) -> np.ndarray:
    line = next(ln for ln in out.splitlines() if ln.startswith("output"))
    return np.array([int(v) for v in line.split(":", 1)[1].split()])


def _render(path, tmp_path, name, kernels="portable"):
    from mcugen.model import load_model
    return codegen.render_model(load_model(str(path)), tmp_path / "render", name=name,
                                kernels=kernels, cpu=load_board("mps2-an386").cpu)


@pytest.mark.qemu
@pytest.mark.timeout(600)
@pytest.mark.parametrize("rel", MODELS)
def test_platformio_project_on_emulated_board_is_bit_exact(rel, tmp_path, pio_core):
    path = shared_model(rel)
    rendered = _render(path, tmp_path, "net")
    project = write_platformio_project(rendered, "mps2-an386", tmp_path / "proj", example=True,
                                       upload_timeout=120)
    build_with_platformio(project.path, core_dir=pio_core, timeout=400)
    out = flash_with_platformio(project.path, core_dir=pio_core, timeout=180)
    np.testing.assert_array_equal(_printed(out), _oracle(path).astype(np.int64))


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not installed")
@pytest.mark.timeout(600)
def test_c_library_on_host_is_bit_exact(tmp_path):
    path = shared_model(MODELS[1])
    lib = export_library(_render(path, tmp_path, "kws"), tmp_path / "app" / "kws",
                         flavour="cmake")
    app = tmp_path / "app"
    (app / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.13)\nproject(app C)\nadd_subdirectory(kws)\n"
        f"add_executable(example kws/{lib.example.as_posix()})\n"
        "target_link_libraries(example PRIVATE kws)\n")
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", str(app), "-B", str(build), "-DCMAKE_C_COMPILER=gcc",
                    "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror -O2"], check=True, timeout=120,
                   capture_output=True)
    subprocess.run(["cmake", "--build", str(build)], check=True, timeout=300, capture_output=True)
    run = subprocess.run([str(build / "example")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    np.testing.assert_array_equal(_printed(run.stdout), _oracle(path).astype(np.int64))


@pytest.mark.qemu
@pytest.mark.timeout(600)
@pytest.mark.parametrize("kernels", ["portable",
                                     pytest.param("cmsis-nn", marks=pytest.mark.cmsis_nn)])
def test_verify_through_the_platformio_route_is_bit_exact(kernels, tmp_path, pio_core):
    """`pio run` + `pio run -t upload` of the harness project, then mcugen's serial protocol:
    every output byte equals the simulator's (verify) and TFLM's (the real sample)."""
    from mcugen.model import load_model
    from mcugen.platformio import platformio_target
    from mcugen.device.verify import random_inputs, run_on_device, verify_on_device
    from tests.oracle import shared_input

    if kernels == "cmsis-nn" and not os.environ.get("MCUGEN_CMSIS_NN"):
        pytest.skip("MCUGEN_CMSIS_NN is not set to a CMSIS-NN tree")
    path = shared_model(MODELS[1])
    graph = load_model(str(path))
    project = write_platformio_project(_render(path, tmp_path, "kws", kernels), "mps2-an386",
                                       tmp_path / "proj", upload_timeout=300)
    assert (project.path / "src" / "protocol.c").is_file()
    build_with_platformio(project.path, core_dir=pio_core, timeout=400)
    sample = [shared_input("kws_sample_int8.npy")]
    samples = [sample] + random_inputs(graph, 1, seed=3)
    with platformio_target(project, core_dir=pio_core) as device:
        result = verify_on_device(device, graph, samples)
        got, _ = run_on_device(device, graph, sample)
    assert result.n_inputs == 2 and result.bit_exact, result.mismatches
    np.testing.assert_array_equal(got[0].reshape(-1),
                                  Tflm(str(path), preserve_all=False).run(sample)[0].reshape(-1))


def test_build_cli_writes_a_valid_platformio_project(tmp_path, capsys):
    from mcugen.cli import main as cli_main
    from mcugen.platformio import validate_project

    path = shared_model(MODELS[0])
    out = tmp_path / "proj"
    assert cli_main(["build", str(path), "--board", "nucleo_l4r5zi", "--kernels", "portable",
                     "--platformio", str(out)]) == 0
    assert validate_project(out) == []
    assert (out / "lib").is_dir() and (out / "src" / "uart_stm32_isr.c").is_file()
    assert "pio run -t upload" in capsys.readouterr().out
