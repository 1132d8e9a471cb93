"""Issue 18, point 8: the README tells the truth. Every console example (a fenced block whose
first line is ``$ mcugen …``) is run as written, from a folder laid out like the repository
(``examples/`` and ``../shared``), on a machine without CMSIS-NN, and every output line it
shows must appear in what mcugen prints today — numbers included. Lines that are only
``…``/``...`` mark elided output. Table borders and line wrapping are not compared (another
terminal width draws them differently); every word and number is. The command blocks without
output (export, ONNX, PlatformIO) are run by the tests named in ``COMMAND_BLOCKS``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
SHARED = REPO.parent / "shared"
BORDERS = re.compile(r"[│┃┏┓┗┛━─┡┩╇┳┻└┘┴┬├┤┼╋╭╮╰╯]")


def console_examples() -> list[tuple[str, list[str]]]:
    """(command, shown output lines) of every ``$ mcugen`` block in the README."""
    examples = []
    for indent, body in re.findall(r"^( *)```\w*\n(.*?)^ *```", README.read_text(),
                                   re.S | re.M):
        lines = [line[len(indent):] for line in body.splitlines()]
        if not lines or not lines[0].startswith(("$ mcugen ", "$ python ")):
            continue
        command, rest = lines[0][2:], lines[1:]
        while command.endswith("\\") and rest:
            command = command[:-1].rstrip() + " " + rest.pop(0).strip()
        examples.append((command, rest))
    return examples


def normalized(text: str) -> str:
    return " ".join(BORDERS.sub(" ", text).split())


def run_example(command: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """``command`` in a folder where examples/ and ../shared are the repository's."""
    if not SHARED.is_dir():
        pytest.skip("the shared models (../shared) are absent")
    work = tmp_path / "repo"
    work.mkdir()
    for folder in ("examples", "benchmarks"):
        (work / folder).symlink_to(REPO / folder)
    (tmp_path / "shared").symlink_to(SHARED)
    env = {k: v for k, v in os.environ.items() if k != "MCUGEN_CMSIS_NN"}
    env.update(PYTHONPATH=str(REPO), COLUMNS="200")
    words = command.split()
    argv = [sys.executable, *(["-m", "mcugen"] if words[0] == "mcugen" else []), *words[1:]]
    return subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=300)


def check_output(command: str, shown: list[str], proc) -> None:
    printed = normalized(proc.stdout + proc.stderr)
    for line in shown:
        # "..." or "…" inside a line elides part of it: the parts must appear in order
        at = 0
        for part in filter(None, (normalized(p) for p in re.split(r"\.\.\.|…", line))):
            found = printed.find(part, at)
            assert found >= 0, (f"README shows {line!r} for `{command}`; mcugen prints:\n"
                                f"{proc.stdout}{proc.stderr}")
            at = found + len(part)


# examples that run for a minute or more (450 real samples on QEMU): the slow tier
SLOW_EXAMPLES = ("real_data/digits_dscnn/test.npz",)


def _starts_qemu(command: str) -> bool:
    words = command.split()
    return (len(words) > 1 and words[1] in ("verify", "run", "profile")
            and "host" not in words)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("command,shown", [
    pytest.param(c, shown, id=c.split(" --")[0][7:50],
                 marks=([pytest.mark.qemu] if _starts_qemu(c) else [])
                 + ([pytest.mark.slow] if any(k in c for k in SLOW_EXAMPLES) else []))
    for c, shown in console_examples()])
def test_console_example_prints_what_the_readme_shows(command, shown, tmp_path):
    if _starts_qemu(command) and shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm is not installed (scripts/bootstrap.sh installs it)")
    proc = run_example(command, tmp_path)
    if any(line.startswith("mcugen: error:") for line in shown):    # an example of a refusal
        assert proc.returncode == 2, proc.stdout
    else:
        assert proc.returncode == 0, proc.stderr
    check_output(command, shown, proc)


def test_there_are_console_examples():
    commands = [c.split()[1] for c, _ in console_examples()]
    for name in ("verify", "profile", "plan", "simulate", "inspect", "build",
                 "examples/python_api.py"):
        assert name in commands


# -- the command blocks without output ------------------------------------------------------------
def command_block(first: str) -> list[str]:
    """The commands of the README block whose first command starts with ``first`` (comments
    stripped)."""
    for body in re.findall(r"^```\w*\n(.*?)^```", README.read_text(), re.S | re.M):
        lines = [re.sub(r"\s+#\s.*$", "", line).strip() for line in body.splitlines()]
        lines = [line for line in lines if line]
        if lines and lines[0].startswith(first):
            return lines
    raise AssertionError(f"no README block starts with {first!r}")


def run_block(lines: list[str], tmp_path: Path, timeout: float = 300):
    """The lines as a bash script in a folder laid out like the repository, ``mcugen`` and
    ``python`` being this checkout's."""
    if not SHARED.is_dir():
        pytest.skip("the shared models (../shared) are absent")
    work, bin_dir = tmp_path / "repo", tmp_path / "bin"
    work.mkdir(parents=True)
    bin_dir.mkdir()
    for folder in ("examples", "benchmarks"):
        (work / folder).symlink_to(REPO / folder)
    (tmp_path / "shared").symlink_to(SHARED)
    for name, target in (("mcugen", f'"{sys.executable}" -m mcugen'),
                         ("python", f'"{sys.executable}"')):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec {target} "$@"\n')
        (bin_dir / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if k not in ("MCUGEN_CMSIS_NN", "PLATFORMIO_CORE_DIR")}
    env.update(PYTHONPATH=str(REPO), COLUMNS="200",
               PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    script = "set -e\n" + "\n".join(lines) + "\n"
    proc = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return work, proc


def test_export_block_writes_the_layout_the_readme_describes(tmp_path):
    work, _ = run_block(command_block("mcugen export examples/kws_ref_model.tflite"), tmp_path)
    lib = work / "lib" / "kws"
    for rel in ("library.json", "include/kws_ref_model_model.h", "include/mcugen_model_api.h",
                "src/kws_ref_model_model.c", "src/kws_ref_model_weights.c",
                "examples/kws_ref_model_example/main.c"):
        assert (lib / rel).is_file(), rel
    assert list((lib / "src" / "kernels").glob("*.c"))     # mcugen's kernels, by the rule
    assert (work / "third_party" / "kws" / "CMakeLists.txt").is_file()
    assert (work / "mcugen-qemu" / "platform.json").is_file()


def test_nucleo_walkthrough_writes_its_project(tmp_path):
    """The mcugen commands of the walk-through; the others need the board or the registry."""
    lines = command_block("mcugen build examples/kws_ref_model.tflite --board nucleo_l4r5zi")
    needs_hardware_or_network = ["cd kws-l4r5", "pio run", "pio run -t upload",
                                 "pio device monitor", "mcugen verify examples/kws_ref_model."
                                 "tflite --board nucleo_l4r5zi --port /dev/ttyACM0"]
    assert lines[1:] == needs_hardware_or_network
    from mcugen.platformio import validate_project
    work, _ = run_block(lines[:1], tmp_path)
    assert validate_project(work / "kws-l4r5") == []
    assert (work / "kws-l4r5" / "src" / "uart_stm32_isr.c").is_file()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_offline_platformio_steps_build(tmp_path):
    if shutil.which("pio") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("PlatformIO and arm-none-eabi-gcc are needed (scripts/bootstrap.sh)")
    lines = command_block("mcugen build examples/kws_ref_model.tflite --board mps2-an386 "
                          "--platformio")
    work, _ = run_block(lines, tmp_path, timeout=500)
    assert (work / "kws-qemu" / ".pio" / "build" / "mps2_an386" / "firmware.elf").is_file()


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.timeout(900)
def test_onnx_block_with_a_shared_pytorch_model(tmp_path):
    """The ONNX walk-through with ``model.onnx`` = the shared PyTorch MLP, ``calib.npy`` its
    calibration set and ``x.npy`` one of its samples (the first line, the export from PyTorch,
    needs torch and the user's model)."""
    lines = command_block('python -c "import torch')
    folder = SHARED / "models" / "onnx" / "pt_digits_mlp"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    import numpy as np
    x = tmp_path / "x.npy"
    np.save(x, np.load(folder / "calib.npy")[:1])
    subst = {"model.onnx": str(folder / "float.onnx"), "calib.npy": str(folder / "calib.npy"),
             "x.npy": str(x), "model_int8.tflite": str(tmp_path / "model_int8.tflite"),
             "model.tflite": str(tmp_path / "model.tflite")}
    commands = []
    for line in lines[1:]:
        line = re.sub(r"\[(--[^\]]*)\]", r"\1", line)          # optional parts: given
        commands.append(" ".join(subst.get(w, w) for w in line.split()))
    run_block(commands, tmp_path / "run", timeout=800)


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.timeout(600)
def test_quick_start_command(tmp_path):
    """The quick start's first command after scripts/bootstrap.sh has installed everything
    (the bootstrap itself installs packages: CI runs it, `.ci/run`)."""
    lines = command_block("scripts/bootstrap.sh mcugen verify")
    assert lines == ["scripts/bootstrap.sh mcugen verify examples/kws_ref_model.tflite --board "
                     "mps2-an386", "scripts/bootstrap.sh --test python -m pytest -q"]
    run_block([lines[0].removeprefix("scripts/bootstrap.sh ")], tmp_path)


#: the README's command blocks without output, and the test that runs each
# the labgrid farm's blocks are the flows tests/farm runs on an emulated farm on loopback (the
# same coordinator, agent, exporter and client commands; real boards in place of QEMU ones)
FARM_BLOCKS = {
    "export LG_COORDINATOR": "tests/farm/test_farm.py::test_kws_on_two_places_in_parallel_bit_exact",
    "python -m mcugen.device.farm_agent --host":
        "tests/farm/test_agent.py::test_command_places_flash_through_their_command",
    "labgrid-coordinator -l": "tests/farm/local_farm.py (the farm fixture of tests/farm)",
}

TESTED_BLOCKS = {
    **FARM_BLOCKS,
    "scripts/bootstrap.sh mcugen verify": test_quick_start_command,
    "mcugen export examples/kws_ref_model.tflite":
        test_export_block_writes_the_layout_the_readme_describes,
    'python -c "import torch': test_onnx_block_with_a_shared_pytorch_model,
    "mcugen build examples/kws_ref_model.tflite --board nucleo_l4r5zi":
        test_nucleo_walkthrough_writes_its_project,
    "mcugen build examples/kws_ref_model.tflite --board mps2-an386 --platformio":
        test_offline_platformio_steps_build,
}
COMMAND = re.compile(r"^(\$ )?((mcugen|pio|python|make|cd|export) |scripts/\S+ )")


def test_every_command_block_is_run_by_a_test():
    """A new example in the README needs a test: console examples (``$ mcugen``/``$ python``)
    run above by themselves; a block of bare commands must be named in TESTED_BLOCKS."""
    for body in re.findall(r"^ *```\w*\n(.*?)^ *```", README.read_text(), re.S | re.M):
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        if not lines or lines[0].startswith(("$ mcugen ", "$ python ")):
            continue
        if any(COMMAND.match(line) for line in lines):
            assert any(lines[0].startswith(k) for k in TESTED_BLOCKS), (
                f"README block starting {lines[0]!r} is run by no test: add it to "
                "tests/docs/test_readme_examples.py")
