"""The flash agent's command places (real boards): the image reaches the flash command intact,
a failing command is one line naming the place, and the agent stops on SIGTERM. Needs neither
labgrid nor QEMU."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

from mcugen.device.farm import FarmBoard, FarmError, flash_board
from tests.farm.local_farm import REPO

pytestmark = pytest.mark.timeout(60)


def test_command_places_flash_through_their_command(tmp_path):
    out = tmp_path / "flashed.elf"
    config = tmp_path / "exporter.yaml"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    agent = subprocess.Popen(
        [sys.executable, "-m", "mcugen.device.farm_agent",
         "--command", f"good:cp {{elf}} {out}",
         "--command", "bad:sh -c 'echo no probe found; exit 4' {elf}",
         "--exporter-config", str(config)],
        stdout=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        assert agent.stdout.readline().strip() == "ready"
        text = config.read_text()
        assert "McugenFlasher" in text and "NetworkSerialPort" not in text
        good, bad = (int(p) for p in re.findall(r"port: (\d+)", text))
        elf = tmp_path / "fw.elf"
        elf.write_bytes(b"\x7fELF" + bytes(range(256)) * 64)
        flash_board(FarmBoard("good", "socket://127.0.0.1:1", flasher=("127.0.0.1", good)), elf)
        assert out.read_bytes() == elf.read_bytes()
        with pytest.raises(FarmError, match=r"exited 4: no probe found \(bad\)"):
            flash_board(FarmBoard("bad", "socket://127.0.0.1:1", flasher=("127.0.0.1", bad)),
                        elf)
    finally:
        os.killpg(agent.pid, signal.SIGTERM)
        assert agent.wait(10) == 0
