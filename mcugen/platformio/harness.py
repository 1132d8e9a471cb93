"""mcugen's firmware harness (``templates/firmware/``) as the ``src/`` of a PlatformIO project.

The same files the Makefile build compiles: startup, linker script, counter, the board's UART
driver, the protocol server, and ``board_config.h`` rendered from the board file. Only the files
are laid out here; PlatformIO compiles them.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def write_harness(board, rendered, out_dir, *, optimization: str = "-O2") -> list[Path]:
    """Write the harness for ``board`` (a name or a Board) around ``rendered`` into ``out_dir``;
    returns the files (one of them ``linker.ld``)."""
    from ..boards import load_board
    from ..firmware.build import write_harness_sources

    board = load_board(board)
    if board.is_host:
        raise InputError("the host board has no PlatformIO project", board.name)
    out = Path(out_dir)
    flags = " ".join(board.gcc_flags() + [optimization, rendered.kernels, "platformio"])
    names = write_harness_sources(board, out, rendered, flags)
    return [out / "board_config.h", out / "linker.ld"] + [out / n for n in names]
