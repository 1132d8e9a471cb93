"""Fixtures for the device tests: firmware builds cached per session, toolchain checks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from mcugen.boards import load_board
from mcugen.firmware.build import build_firmware, build_harness
from mcugen.model import load_model
from mcugen.resources import templates_dir
from tests.oracle import shared_model

FIXTURES = Path(__file__).parent / "fixtures"


def need_tools(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/bootstrap.sh installs it)")


@pytest.fixture(scope="session")
def firmware(tmp_path_factory):
    """firmware(model_rel, board, kernels="portable") -> Firmware, built once per session."""
    cache = {}

    def build(rel: str, board: str, kernels: str = "portable", cmsis_nn=None):
        key = (rel, board, kernels)
        if key not in cache:
            need_tools("arm-none-eabi-gcc")
            graph = load_model(shared_model(rel)) if "/" in rel else load_model(rel)
            out = tmp_path_factory.mktemp(f"{Path(rel).stem}-{board}-{kernels}")
            cache[key] = (graph, build_firmware(graph, load_board(board), out, kernels=kernels,
                                                cmsis_nn=cmsis_nn))
        return cache[key]
    return build


@pytest.fixture(scope="session")
def loop_firmware(tmp_path_factory):
    """Test-only firmware around a fixture model (default: the known-length loop)."""
    cache = {}

    def build(board: str, fixture: str = "loop_model.c"):
        if (board, fixture) not in cache:
            need_tools("arm-none-eabi-gcc")
            stand_in = SimpleNamespace(
                name=Path(fixture).stem.removesuffix("_model"), kernels="test",
                sources=[FIXTURES / fixture],
                library_sources=[], include_dirs=[templates_dir() / "runtime", FIXTURES],
                inputs=[(4, "int8")], outputs=[(4, "int8")])
            cache[(board, fixture)] = build_harness(
                load_board(board), tmp_path_factory.mktemp(f"{Path(fixture).stem}-{board}"),
                stand_in)
        return cache[(board, fixture)]
    return build


def qemu_processes() -> list[str]:
    out = subprocess.run(["pgrep", "-a", "qemu-system-arm"], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line.strip()]
