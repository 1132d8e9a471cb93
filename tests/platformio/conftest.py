"""Fixtures for the PlatformIO tests: a stand-in rendered model and an offline PlatformIO core."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mcugen.platformio import install_scons_standin, run_pio
from mcugen.resources import templates_dir

FAKE = Path(__file__).resolve().parent / "fake_model"


@dataclass
class FakeRendered:
    """Duck-typed like mcugen.codegen.RenderedModel; a hand-written fixture, not a real model."""

    out_dir: Path
    name: str = "fake"
    sources: list = field(default_factory=list)
    headers: list = field(default_factory=list)
    include_dirs: list = field(default_factory=list)
    defines: list = field(default_factory=list)
    library_sources: list = field(default_factory=list)
    kernels: str = "portable"
    kernels_version: str = "0.1.0"
    arena_bytes: int = 32
    inputs: list = field(default_factory=lambda: [(16, "int8")])
    outputs: list = field(default_factory=lambda: [(16, "int8")])


def fake_rendered(tmp: Path) -> FakeRendered:
    """The fixture model laid out as the code generator lays out its output directory."""
    out = tmp / "rendered"
    shutil.copytree(FAKE / "model", out)
    shutil.copyfile(templates_dir() / "runtime" / "mcugen_model_api.h",
                    out / "mcugen_model_api.h")
    return FakeRendered(
        out_dir=out, sources=[out / "fake_model.c"],
        headers=[out / "fake_model.h", out / "mcugen_model_api.h"],
        include_dirs=[out, FAKE / "kernels"],
        library_sources=[FAKE / "kernels" / "fake_kernel.c"])


@pytest.fixture
def rendered(tmp_path):
    return fake_rendered(tmp_path)


@pytest.fixture(scope="session")
def pio_core(tmp_path_factory):
    """A throw-away PLATFORMIO_CORE_DIR with the offline tool-scons stand-in (never ~/.platformio)."""
    core = tmp_path_factory.mktemp("pio-core")
    install_scons_standin(core)
    run_pio(["settings", "set", "enable_telemetry", "no"], core_dir=core, timeout=60)
    run_pio(["settings", "set", "check_platformio_interval", "9999"], core_dir=core, timeout=60)
    return core


def cmsis_nn_tree():
    """The CMSIS-NN tree named by MCUGEN_CMSIS_NN (the project-wide convention), or None."""
    tree = os.environ.get("MCUGEN_CMSIS_NN")
    if tree and (Path(tree) / "Include" / "arm_nnfunctions.h").is_file():
        return Path(tree)
    return None
