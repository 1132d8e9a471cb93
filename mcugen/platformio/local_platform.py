"""mcugen's local PlatformIO development platform for the QEMU-emulated boards.

PlatformIO's registry is not always reachable (CI, air-gapped labs), and QEMU boards have no
official platform anyway. ``write_local_platform(DIR)`` writes a complete development platform —
``platform.json``, one ``boards/<id>.json`` per emulated board (with the build recipe's flags), a
linker script per board and the startup file (mcugen's one linker script and startup, as the
firmware harness uses them) and ``builder/main.py`` — that compiles with the system ``arm-none-eabi-gcc`` and makes
``pio run -t upload`` run the firmware in ``qemu-system-arm``. A project uses it with
``platform = symlink:///abs/DIR``.

PlatformIO always installs its ``tool-scons`` package from the registry; offline,
``install_scons_standin(core_dir)`` lays out a stand-in that runs the SCons already installed in
this Python (the ``test`` extra brings it).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .. import __version__
from ..boards import Board, all_boards, load_board
from ..errors import InputError
from ..firmware.build import linker_script, startup_source
from ..firmware.flags import platform_board_flags
from ._render import render, template_root, write_if_changed

PLATFORM_NAME = "mcugen-qemu"
# PlatformIO reinstalls a symlinked platform only when its version changes; tie it to mcugen's.
PLATFORM_VERSION = __version__


def on_local_platform(board: Board) -> bool:
    """Whether the board's file puts it on this platform (the QEMU boards)."""
    return board.platformio_platform == PLATFORM_NAME


def local_platform_boards() -> list[str]:
    return sorted(b.name for b in all_boards().values() if on_local_platform(b))


def ldscript_name(board: Board) -> str:
    return f"{board.platformio_board}.ld"


def write_local_platform(out_dir, boards=None) -> Path:
    """Write the platform into ``out_dir`` for ``boards`` (default: every emulated board)."""
    out = Path(out_dir).resolve()
    chosen = [load_board(b) for b in (boards or local_platform_boards())]
    for b in chosen:
        if not on_local_platform(b):
            where = (f"the official PlatformIO platform '{b.platformio_platform}'"
                     if b.platformio_platform else "no PlatformIO platform")
            raise InputError(f"board '{b.name}' is not emulated; its project uses {where}",
                             "local platform")
    write_if_changed(out / "platform.json", render(
        "platform/platform.json.j2", mcugen_version=__version__, platform_version=PLATFORM_VERSION))
    for b in chosen:
        write_if_changed(out / "boards" / f"{b.platformio_board}.json",
                         render("platform/board.json.j2", board=b, ldscript=ldscript_name(b),
                                flags=platform_board_flags(b)))
        write_if_changed(out / "ldscripts" / ldscript_name(b), linker_script(b))
    write_if_changed(out / "builder" / "main.py",
                     (template_root() / "platform" / "builder" / "main.py").read_text())
    # mcugen's one startup (templates/firmware/startup.c), compiled into every project unless it
    # sets board_build.mcugen_startup = no
    write_if_changed(out / "startup" / "mcugen_startup.c", startup_source().read_text())
    # The platform must parse: a broken JSON here would surface as a confusing PlatformIO error.
    for path in [out / "platform.json", *(out / "boards").glob("*.json")]:
        json.loads(path.read_text())
    return out


def install_scons_standin(core_dir) -> Path:
    """Lay out ``tool-scons`` in a PlatformIO core dir so ``pio run`` works without the registry."""
    try:
        import SCons  # noqa: F401  (only to fail early and clearly)
    except ImportError as exc:
        raise InputError("SCons is not installed in this Python; pip install 'mcugen[test]' "
                         "or pip install scons", "tool-scons") from exc
    pkg = Path(core_dir) / "packages" / "tool-scons"
    pkg.mkdir(parents=True, exist_ok=True)
    version = "4.41101.0"  # PlatformIO Core 6.2 requires ~4.41101.0 from owner "platformio"
    # PlatformIO runs scons.py with this same Python, where the SCons package is importable.
    (pkg / "scons.py").write_text(
        "import sys\nimport SCons.Script\n\nif __name__ == '__main__':\n"
        "    sys.exit(SCons.Script.main())\n")
    (pkg / "package.json").write_text(json.dumps(
        {"name": "tool-scons", "version": version, "system": "*"}))
    (pkg / ".piopm").write_text(json.dumps(
        {"type": "tool", "name": "tool-scons", "version": version,
         "spec": {"owner": "platformio", "id": None, "name": "tool-scons",
                  "requirements": None, "uri": None}}))
    return pkg


def remove_tree(path) -> None:
    shutil.rmtree(path, ignore_errors=True)
