"""mcugen's firmware harness (``templates/firmware/``) as the ``src/`` of a PlatformIO project.

The same files the Makefile build compiles: startup, linker script, counter, the board's UART
driver, the protocol server, and ``board_config.h`` rendered from the board file. Only the files
are laid out here; PlatformIO compiles them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2

from ..errors import InputError
from ..resources import templates_dir

# UART kinds of boards/*.toml -> the driver in templates/firmware/ (as the firmware build uses).
UART_DRIVERS = {"cmsdk": "uart_cmsdk.c", "pl011": "uart_pl011.c", "nrf51": "uart_nrf51.c",
                "stm32_sr": "uart_stm32_sr.c", "stm32_isr": "uart_stm32_isr.c"}


def write_harness(board_name: str, rendered, out_dir, *, optimization: str = "-O2") -> list[Path]:
    """Write the harness for ``board_name`` around ``rendered`` into ``out_dir``; returns the files
    (one of them ``linker.ld``)."""
    from ..boards import load_board

    board = load_board(board_name)
    if board.is_host:
        raise InputError("the host board has no PlatformIO project", board.name)
    if board.uart_kind not in UART_DRIVERS:
        raise InputError(f"unknown UART kind '{board.uart_kind}'", board.name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    firmware = templates_dir() / "firmware"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    build_flags = " ".join(board.gcc_flags() + [optimization, rendered.kernels, "platformio"])
    files = [out / "board_config.h", out / "linker.ld"]
    files[0].write_text(env.get_template("firmware/board_config.h.j2").render(
        board=board, semihosting=board.run_method == "qemu" or board.emulated,
        input_bytes=sum(n for n, _ in rendered.inputs),
        output_bytes=sum(n for n, _ in rendered.outputs), build_flags=build_flags))
    files[1].write_text(env.get_template("firmware/linker.ld.j2").render(board=board))
    for name in ("harness.h", "protocol.c", "startup.c", "counter.c", UART_DRIVERS[board.uart_kind]):
        shutil.copyfile(firmware / name, out / name)
        files.append(out / name)
    return files
