"""mcugen's local PlatformIO platform: real `pio run` / `pio run -t upload` through QEMU."""

from __future__ import annotations

import json
import socket
import time

import pytest
import serial

from mcugen.errors import InfrastructureError
from mcugen.boards import board_names
from mcugen.platformio import flash_with_platformio, run_pio, write_local_platform

HELLO = r"""
#include <stdio.h>
int main(void) { printf("hello %d\n", 6 * 7); return EXIT_CODE; }
"""
# Writes to the CMSDK APB UART0 of the mps2 boards (emulated-boards.md: DATA +0, STATE +4 bit0 TX
# full, CTRL +8 bit0 TX enable, BAUDDIV +0x10 >= 16).
UART = r"""
#include <stdint.h>
#define UART0 0x40004000u
#define REG(off) (*(volatile uint32_t *)(UART0 + (off)))
int main(void)
{
    const char *text = "mcugen-uart-ok\n";
    REG(0x10) = 16;
    REG(0x08) = 1;
    for (const char *c = text; *c; c++) {
        while (REG(0x04) & 1u) {
        }
        REG(0x00) = (uint32_t)*c;
    }
    return 0;
}
"""


def _project(tmp_path, platform, source, envs, extra=""):
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "src" / "main.c").write_text(source)
    ini = []
    for env, board, code in envs:
        ini.append(f"[env:{env}]\nplatform = symlink://{platform}\nboard = {board}\n"
                   f"build_flags = -DEXIT_CODE={code}\nboard_upload.timeout = 60\n{extra}")
    (proj / "platformio.ini").write_text("\n".join(ini))
    return proj


def test_platform_files(tmp_path):
    plat = write_local_platform(tmp_path / "plat")
    manifest = json.loads((plat / "platform.json").read_text())
    assert manifest["name"] == "mcugen-qemu"
    boards = sorted(p.stem for p in (plat / "boards").glob("*.json"))
    assert boards == sorted("mcugen_" + b.replace("-", "_") for b in board_names("qemu"))
    for b in boards:
        data = json.loads((plat / "boards" / f"{b}.json").read_text())
        assert (plat / "ldscripts" / data["build"]["ldscript"]).is_file()


def test_one_recipe_one_startup_one_linker_script(tmp_path):
    """The platform, a harness project and the Makefile build share mcugen's one build recipe,
    startup and linker script: nothing is written twice."""
    from mcugen.boards import load_board
    from mcugen.firmware.build import linker_script, startup_source
    from mcugen.firmware.flags import platform_board_flags, platformio_flags
    from mcugen.platformio import write_platformio_project
    from mcugen.resources import templates_dir
    from tests.platformio.conftest import fake_rendered

    board = load_board("mps2-an386")
    project = write_platformio_project(fake_rendered(tmp_path), board, tmp_path / "proj")
    plat = project.platform_dir
    manifest = json.loads((plat / "boards" / "mcugen_mps2_an386.json").read_text())
    assert manifest["build"]["mcugen"] == platform_board_flags(board)
    assert (plat / "ldscripts" / "mcugen_mps2_an386.ld").read_text() == linker_script(board)
    assert (project.path / "src" / "linker.ld").read_text() == linker_script(board)
    assert (plat / "startup" / "mcugen_startup.c").read_bytes() == startup_source().read_bytes()
    assert (project.path / "src" / "startup.c").read_bytes() == startup_source().read_bytes()
    from platformio.project.config import ProjectConfig
    config = ProjectConfig(str(project.ini))
    build, src = platformio_flags(board, harness=True)
    assert config.get(f"env:{project.env}", "build_flags") == build
    assert config.get(f"env:{project.env}", "build_src_flags") == src
    builder = (templates_dir() / "platformio" / "platform" / "builder" / "main.py").read_text()
    for flag in ("-mcpu", "-O2", "-std=", "--specs", "-Wall"):
        assert flag not in builder
    assert not list((templates_dir() / "platformio").rglob("*.ld*"))
    assert not list((templates_dir() / "platformio").rglob("*.c"))


@pytest.mark.qemu
@pytest.mark.timeout(300)
def test_pio_run_and_upload_exit_codes(tmp_path, pio_core):
    plat = write_local_platform(tmp_path / "plat", ["mps2-an386", "microbit"])
    proj = _project(tmp_path, plat, HELLO, [("ok", "mcugen_mps2_an386", 0),
                                            ("m0", "mcugen_microbit", 0),
                                            ("fails", "mcugen_mps2_an386", 7)])
    for env in ("ok", "m0"):
        code, out = run_pio(["run", "-d", str(proj), "-e", env, "-t", "upload"],
                            core_dir=pio_core, timeout=240)
        assert "hello 42" in out and "QEMU exited with code 0" in out
    # main() returning 7 is QEMU's exit code and a failed upload step
    with pytest.raises(InfrastructureError, match="exit code"):
        flash_with_platformio(proj, environment="fails", core_dir=pio_core, timeout=240)
    code, out = run_pio(["run", "-d", str(proj), "-e", "fails", "-t", "upload"],
                        core_dir=pio_core, timeout=240, check=False)
    assert code != 0 and "QEMU exited with code 7" in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.qemu
@pytest.mark.timeout(300)
def test_upload_port_is_the_boards_uart_over_tcp(tmp_path, pio_core):
    """The route `mcugen verify` takes: upload in the background, talk to the UART over TCP."""
    plat = write_local_platform(tmp_path / "plat", ["mps2-an386"])
    proj = _project(tmp_path, plat, UART, [("uart", "mcugen_mps2_an386", 0)])
    run_pio(["run", "-d", str(proj)], core_dir=pio_core, timeout=240)  # build first
    port = _free_port()
    with flash_with_platformio(proj, port=f"socket://127.0.0.1:{port}", core_dir=pio_core,
                               wait=False) as upload:
        deadline = time.monotonic() + 60
        while True:
            try:
                link = serial.serial_for_url(f"socket://127.0.0.1:{port}", timeout=10)
                break
            except serial.SerialException:
                if time.monotonic() > deadline or upload.proc.poll() is not None:
                    raise
                time.sleep(0.2)
        with link:
            assert link.readline() == b"mcugen-uart-ok\n"
        code, out = upload.wait(timeout=60)
    assert code == 0, out
    assert "QEMU exited with code 0" in out


@pytest.mark.timeout(120)
def test_pio_timeout_ends_the_process_group(tmp_path, pio_core):
    plat = write_local_platform(tmp_path / "plat", ["mps2-an386"])
    # a firmware that never exits: only the timeout stops it
    proj = _project(tmp_path, plat, "int main(void) { for (;;) { } }\n",
                    [("hang", "mcugen_mps2_an386", 0)])
    run_pio(["run", "-d", str(proj)], core_dir=pio_core, timeout=100)
    proc = None
    with pytest.raises(InfrastructureError, match="did not finish within"):
        from mcugen.platformio import PioProcess
        proc = PioProcess(["run", "-d", str(proj), "-t", "upload"], core_dir=pio_core)
        proc.wait(timeout=8)
    assert proc.proc.poll() is not None
