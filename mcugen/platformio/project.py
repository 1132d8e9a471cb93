"""``mcugen build MODEL --board B --platformio DIR``: a complete PlatformIO project.

Layout::

    DIR/platformio.ini         platform, board, flags, upload and monitor settings
    DIR/src/                   the firmware harness (or the example main program)
    DIR/lib/<name>/            the model as a PlatformIO library (library.json)
    DIR/lib/CMSIS-NN/          wrapper manifest for the user's CMSIS-NN tree (cmsis-nn kernels only)
    DIR/platform-mcugen-qemu/  mcugen's local platform (emulated boards only)

Real boards use their official PlatformIO platform (ststm32, raspberrypi, nordicnrf52) without a
framework: the harness is bare metal and brings its own startup and linker script. Emulated boards
use mcugen's local platform, where ``pio run -t upload`` runs the firmware in QEMU.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import InputError
from ._render import render, template_root, write_if_changed
from .harness import write_harness
from .library import ModelLibrary, export_library, write_cmsis_nn_wrapper
from .local_platform import PLATFORM_NAME, write_local_platform
from .targets import PioTarget, resolve_target

# Warnings are errors for mcugen's own C (harness and model), not for the user's other libraries.
OWN_SOURCE_FLAGS = ["-Wall", "-Wextra", "-Werror"]


@dataclass
class PlatformioProject:
    path: Path
    env: str                 # the [env:...] name
    target: PioTarget
    library: ModelLibrary
    platform_dir: Path | None  # the local platform, for emulated boards

    @property
    def ini(self) -> Path:
        return self.path / "platformio.ini"

    def elf(self) -> Path:
        """Where ``pio run`` puts the firmware."""
        return self.path / ".pio" / "build" / self.env / "firmware.elf"


def env_name(target: PioTarget) -> str:
    return target.name.replace("-", "_")


def render_for(model, target: PioTarget, out_dir: Path, *, name=None, kernels="portable",
               cmsis_nn=None, debug_keep_all=False):
    """The rendered model: passed through if already rendered, else rendered by the code
    generator for the board's CPU (a .tflite path is loaded first)."""
    if hasattr(model, "sources") and hasattr(model, "headers"):
        return model
    if isinstance(model, (str, Path)):
        from ..model import load_model
        model = load_model(str(model))
    try:
        from ..codegen import render_model
    except ImportError as exc:  # the code generator is a later stage of the pipeline
        raise InputError("this mcugen has no code generator (mcugen.codegen)", "render") from exc
    return render_model(model, out_dir, name=name, kernels=kernels, cpu=target.cpu,
                        cmsis_nn=cmsis_nn, debug_keep_all=debug_keep_all)


def write_platformio_project(model, board, out_dir, *, name=None, kernels="portable",
                             cmsis_nn=None, harness=None, platform_dir=None, upload_port=None,
                             upload_timeout: float | None = None, qemu_flags=(),
                             example: bool = False, debug_keep_all=False) -> PlatformioProject:
    """Write a PlatformIO project for ``model`` (a RenderedModel, Graph or .tflite path) on
    ``board`` (a name or a board object).

    ``harness``: files for ``src/`` (C sources, headers, and optionally one ``.ld`` linker script,
    which then replaces the platform's); default: the boards stage's firmware harness when it is
    installed, else the library's example program. ``platform_dir``: where the local platform of
    an emulated board goes (default ``DIR/platform-mcugen-qemu``). ``example``: the application is
    the library's example program (one inference, outputs printed), not the harness. ``upload_port``,
    ``upload_timeout``, ``qemu_flags``: QEMU settings of emulated boards.
    """
    target = resolve_target(board)
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", str(out))
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="mcugen-render-") as staging:
        rendered = render_for(model, target, Path(staging), name=name, kernels=kernels,
                              cmsis_nn=cmsis_nn, debug_keep_all=debug_keep_all)
        library = export_library(rendered, out / "lib" / rendered.name, flavour="platformio",
                                 cmsis_nn=cmsis_nn)
    write_cmsis_nn_wrapper(library, out / "lib")

    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir()
    ldscript = None
    own_flags = list(OWN_SOURCE_FLAGS)
    harness_dir = None
    if not example and harness is None and _has_harness(target):
        harness_dir = tempfile.mkdtemp(prefix="mcugen-harness-")
        harness = write_harness(target.name, rendered, harness_dir)
    files = None if example else harness
    if files is None:  # no firmware harness: the example program is the application
        shutil.copyfile(library.path / library.example, src / "main.c")
        if not target.emulated:  # the local platform has these; an official one needs them
            shutil.copyfile(template_root() / "platform" / "startup" / "mcugen_startup.c",
                            src / "mcugen_startup.c")
            ldscript = f"src/{target.board}.ld"
            write_if_changed(out / ldscript, render("platform/ldscript.ld.j2", t=target))
            own_flags.append("-DMCUGEN_SILICON")
    else:
        for f in map(Path, files):
            shutil.copyfile(f, src / f.name)
            if f.suffix == ".ld":
                ldscript = f"src/{f.name}"
        if harness_dir:
            shutil.rmtree(harness_dir, ignore_errors=True)

    plat = None
    if target.emulated:
        plat = write_local_platform(platform_dir or out / f"platform-{PLATFORM_NAME}", [target])
    ini = render("platformio.ini.j2", t=target, env=env_name(target), lib=library,
                 mcugen_version=__version__, platform_uri=f"symlink://{plat}" if plat else None,
                 ldscript=ldscript, own_startup=files is not None, own_flags=own_flags,
                 upload_port=upload_port,
                 upload_timeout=upload_timeout, qemu_flags=list(qemu_flags),
                 cmsis_nn_library="CMSIS-NN" if library.cmsis_nn_root else None)
    write_if_changed(out / "platformio.ini", ini)
    write_if_changed(out / ".gitignore", ".pio/\n")
    return PlatformioProject(path=out, env=env_name(target), target=target, library=library,
                             platform_dir=plat)


def _has_harness(target: PioTarget) -> bool:
    """Whether mcugen's firmware harness knows this board (a board file exists for it)."""
    try:
        from ..boards import load_board
        load_board(target.name)
        return True
    except (ImportError, InputError):
        return False
