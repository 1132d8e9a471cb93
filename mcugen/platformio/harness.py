"""mcugen's firmware harness (``templates/firmware/``) as the ``src/`` of a PlatformIO project.

The same files the Makefile build compiles: startup, linker script, counter, the board's UART
driver, the protocol server, and ``board_config.h`` rendered from the board file. Only the files
are laid out here; PlatformIO compiles them with the flags ``platformio.ini`` gets from the build
recipe (:mod:`mcugen.firmware.flags`).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def write_harness(board, rendered, out_dir) -> list[Path]:
    """Write the harness for ``board`` (a name or a Board) around ``rendered`` into ``out_dir``;
    returns the files (one of them ``linker.ld``)."""
    from ..boards import load_board
    from ..firmware.build import write_harness_sources
    from ..firmware.flags import build_description

    board = load_board(board)
    if board.is_host:
        raise InputError("the host board has no PlatformIO project", board.name)
    out = Path(out_dir)
    names = write_harness_sources(board, out, rendered,
                                  build_description(board, rendered.kernels, "platformio"))
    return [out / "board_config.h", out / "linker.ld"] + [out / n for n in names]
