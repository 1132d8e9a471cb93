"""``mcugen build MODEL --board B --platformio DIR``: a complete PlatformIO project.

Layout::

    DIR/platformio.ini         platform, board, flags, upload and monitor settings
    DIR/src/                   the firmware harness (or the example main program)
    DIR/lib/<name>/            the model as a PlatformIO library (library.json)
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
from ..boards import Board, load_board
from ..errors import InputError
from ..firmware.build import linker_script, startup_source
from ..firmware.flags import platformio_flags
from ._render import render, write_if_changed
from .harness import write_harness
from .library import ModelLibrary, export_library
from .local_platform import PLATFORM_NAME, on_local_platform, write_local_platform


@dataclass
class PlatformioProject:
    path: Path
    env: str                 # the [env:...] name
    board: Board
    library: ModelLibrary
    platform_dir: Path | None  # the local platform, for emulated boards

    @property
    def ini(self) -> Path:
        return self.path / "platformio.ini"

    def elf(self) -> Path:
        """Where ``pio run`` puts the firmware."""
        return self.path / ".pio" / "build" / self.env / "firmware.elf"


def env_name(board: Board) -> str:
    return board.name.replace("-", "_")


def pio_board(board) -> Board:
    """The board (a name, an alias or a :class:`Board`) if PlatformIO can build for it."""
    board = load_board(board)
    if not (board.platformio_platform and board.platformio_board):
        raise InputError(f"board '{board.name}' has no PlatformIO project (its board file names "
                         "no platformio_platform/platformio_board); use a Cortex-M board",
                         "--board")
    return board


def render_for(model, board: Board | None, out_dir: Path, *, name=None, kernels="portable",
               cmsis_nn=None, debug_keep_all=False, cpu: str | None = None):
    """The rendered model: passed through if already rendered, else rendered by the code
    generator for ``cpu`` or the board's (a .tflite path is loaded first)."""
    if hasattr(model, "sources") and hasattr(model, "headers"):
        return model
    if isinstance(model, (str, Path)):
        from ..model import load_model
        model = load_model(str(model))
    try:
        from ..codegen import render_model
    except ImportError as exc:  # the code generator is a later stage of the pipeline
        raise InputError("this mcugen has no code generator (mcugen.codegen)", "render") from exc
    return render_model(model, out_dir, name=name, kernels=kernels, cpu=cpu or board.cpu,
                        cmsis_nn=cmsis_nn, debug_keep_all=debug_keep_all,
                        fpu=board.fpu if board is not None else None,
                        target=board.name if board is not None else None)


def write_platformio_project(model, board, out_dir, *, name=None, kernels="portable",
                             cmsis_nn=None, harness=None, platform_dir=None, upload_port=None,
                             upload_timeout: float | None = None, qemu_flags=(),
                             example: bool = False, debug_keep_all=False) -> PlatformioProject:
    """Write a PlatformIO project for ``model`` (a RenderedModel, Graph or .tflite path) on
    ``board`` (a name, an alias or a :class:`mcugen.boards.Board`).

    ``harness``: files for ``src/`` (C sources, headers, and optionally one ``.ld`` linker script,
    which then replaces the platform's); default: mcugen's firmware harness for the board. ``platform_dir``: where the local platform of
    an emulated board goes (default ``DIR/platform-mcugen-qemu``). ``example``: the application is
    the library's example program (one inference, outputs printed), not the harness. ``upload_port``,
    ``upload_timeout``, ``qemu_flags``: QEMU settings of emulated boards.
    """
    board = pio_board(board)
    emulated = on_local_platform(board)
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", str(out))
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="mcugen-render-") as staging:
        rendered = render_for(model, board, Path(staging), name=name, kernels=kernels,
                              cmsis_nn=cmsis_nn, debug_keep_all=debug_keep_all)
        library = export_library(rendered, out / "lib" / rendered.name, flavour="platformio",
                                 cmsis_nn=cmsis_nn)

    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir()
    ldscript = None
    semihosting = None  # the startup's default: semihosting (QEMU)
    harness_dir = None
    if not example and harness is None:
        harness_dir = tempfile.mkdtemp(prefix="mcugen-harness-")
        harness = write_harness(board, rendered, harness_dir)
    files = None if example else harness
    if files is None:  # no firmware harness: the example program is the application
        shutil.copyfile(library.path / library.example, src / "main.c")
        if not emulated:  # the local platform has these; an official one needs them
            shutil.copyfile(startup_source(), src / "mcugen_startup.c")
            ldscript = f"src/{board.platformio_board}.ld"
            write_if_changed(out / ldscript, linker_script(board))
            semihosting = False  # silicon: no semihosting without a debugger
    else:
        for f in map(Path, files):
            shutil.copyfile(f, src / f.name)
            if f.suffix == ".ld":
                ldscript = f"src/{f.name}"
        if harness_dir:
            shutil.rmtree(harness_dir, ignore_errors=True)

    plat = None
    if emulated:
        plat = write_local_platform(platform_dir or out / f"platform-{PLATFORM_NAME}", [board])
    build_flags, src_flags = platformio_flags(board, harness=files is not None,
                                              semihosting=semihosting)
    ini = render("platformio.ini.j2", board=board, emulated=emulated, env=env_name(board),
                 lib=library,
                 mcugen_version=__version__, platform_uri=f"symlink://{plat}" if plat else None,
                 ldscript=ldscript, own_startup=files is not None, build_flags=build_flags,
                 src_flags=src_flags,
                 upload_port=upload_port,
                 upload_timeout=upload_timeout, qemu_flags=list(qemu_flags))
    write_if_changed(out / "platformio.ini", ini)
    write_if_changed(out / ".gitignore", ".pio/\n")
    return PlatformioProject(path=out, env=env_name(board), board=board, library=library,
                             platform_dir=plat)
