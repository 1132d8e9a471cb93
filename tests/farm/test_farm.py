"""mcugen through a labgrid farm: a coordinator, mcugen's flash agent with two emulated
mps2-an386 places and an exporter, all on loopback in a temporary directory (tests/farm/
local_farm.py). Checks: kws on both places in parallel, bit-exact, one report and JUnit per
board; a place locked by someone else is waited for and then reported (exit 3, the place
named), or taken when it is released in time; a board dying mid-run and a SIGTERM release the
place; nothing is left running. Skipped, with the reason, where the ``farm`` extra (labgrid) or
QEMU/the cross compiler are not installed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from tests.device.conftest import need_tools
from tests.farm.local_farm import REPO, LocalFarm

pytest.importorskip("labgrid", reason="the farm extra is not installed: pip install -e '.[farm]'")
pytestmark = [pytest.mark.qemu, pytest.mark.timeout(240)]

KWS = str(REPO / "examples" / "kws_ref_model.tflite")
HELLO = str(REPO / "examples" / "hello_world_int8.tflite")
PLACES = ["emu-a", "emu-b"]


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    need_tools("qemu-system-arm", "arm-none-eabi-gcc")
    lab = LocalFarm(tmp_path_factory.mktemp("farm"), PLACES).start()
    try:
        yield lab
    finally:
        lab.stop()
        time.sleep(0.2)
        assert lab.leftovers() == [], "processes left behind by the farm"


def mcugen(farm, *args, timeout=180):
    return subprocess.run([sys.executable, "-m", "mcugen", *args, "--coordinator", farm.address],
                          env=farm.env, capture_output=True, text=True, timeout=timeout)


def spawn(farm, *args):
    return subprocess.Popen([sys.executable, "-m", "mcugen", *args, "--coordinator",
                             farm.address], env=farm.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def assert_released(farm):
    for place in PLACES:
        assert farm.acquired_by(place) is None, f"{place} left acquired"
    deadline = time.monotonic() + 10          # the agent stops QEMU when the client goes
    while any(farm.qemu_pid(p) for p in PLACES) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(farm.qemu_pid(p) for p in PLACES), "a QEMU outlived its session"


def wait_for_qemu(farm, place, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while farm.qemu_pid(place) is None:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the board never started"
        time.sleep(0.05)
    return farm.qemu_pid(place)


def test_kws_on_two_places_in_parallel_bit_exact(farm, tmp_path):
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    r = mcugen(farm, "verify", KWS, "--kernels", "portable", "--places", "emu-*",
               "--inputs", "3", "--json", str(report), "--junit", str(junit))
    assert r.returncode == 0, r.stderr
    data = json.loads(report.read_text())
    assert data["bit_exact"] is True
    assert [b["place"] for b in data["boards"]] == PLACES
    assert all(b["bit_exact"] and b["n_inputs"] == 3 for b in data["boards"])
    counts = {b["instructions_per_inference"] for b in data["boards"]}
    assert len(counts) == 1 and counts.pop() > 1_000_000      # same firmware, same count
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == [f"mcugen verify {p}" for p in PLACES]
    assert all(len(s.findall("testcase")) == 3 and s.get("failures") == "0" for s in suites)
    assert "emu-a" in r.stdout and "emu-b" in r.stdout
    assert_released(farm)


def test_busy_place_is_waited_for_then_exit_3(farm):
    assert farm.client("-p", "emu-a", "acquire").returncode == 0
    try:
        start = time.monotonic()
        r = mcugen(farm, "verify", HELLO, "--kernels", "portable", "--place", "emu-a",
                   "--place-timeout", "2")
        assert r.returncode == 3, r.stderr
        assert time.monotonic() - start >= 2
        err = r.stderr.strip().splitlines()
        assert len(err) == 1 and "emu-a" in err[0] and "otherhost/alice" in err[0], r.stderr
        assert "Traceback" not in r.stderr
        assert farm.acquired_by("emu-a") == "otherhost/alice"     # ours was never taken
        assert "Reservation" not in farm.client("reservations").stdout   # ours was cancelled
    finally:
        assert farm.client("-p", "emu-a", "release").returncode == 0


def test_busy_place_released_in_time_is_taken(farm, tmp_path):
    import numpy as np
    np.save(tmp_path / "x.npy", np.array([[42]], dtype=np.int8))
    assert farm.client("-p", "emu-b", "acquire").returncode == 0
    proc = spawn(farm, "run", HELLO, "--kernels", "portable", "--place", "emu-b",
                 "--input", str(tmp_path / "x.npy"),
                 "--place-timeout", "60")
    try:
        time.sleep(2)
        assert proc.poll() is None           # still waiting for the place
        assert farm.client("-p", "emu-b", "release").returncode == 0
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "output 'StatefulPartitionedCall:0'" in out and "values:" in out
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert_released(farm)


def test_board_dying_mid_run_releases_its_place(farm):
    proc = spawn(farm, "verify", KWS, "--kernels", "portable", "--place", "emu-b",
                 "--inputs", "40")
    try:
        pid = wait_for_qemu(farm, "emu-b", proc)
        time.sleep(0.5)
        os.kill(pid, signal.SIGKILL)          # the board dies
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 3, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "place emu-b" in lines[0], err
    assert_released(farm)


def test_sigterm_releases_every_place(farm):
    proc = spawn(farm, "verify", KWS, "--kernels", "portable", "--places", "emu-a,emu-b",
                 "--inputs", "40")
    try:
        wait_for_qemu(farm, "emu-a", proc)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)      # CI cancelling the job
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert_released(farm)


def test_unknown_place_and_unreachable_coordinator(farm):
    r = mcugen(farm, "verify", HELLO, "--place", "nosuch")
    assert r.returncode == 2 and "nosuch" in r.stderr and "emu-a" in r.stderr, r.stderr
    with socket.socket() as s:                 # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"
    r = subprocess.run([sys.executable, "-m", "mcugen", "verify", HELLO, "--place", "emu-a",
                        "--coordinator", dead], env=farm.env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 3, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and dead in r.stderr, r.stderr


def test_flash_service_refuses_a_corrupted_image(farm):
    from mcugen.device.farm import FarmBoard, FarmError, flash_board
    config = (farm.root / "exporter.yaml").read_text()
    port = int(config.split("McugenFlasher:")[1].split("port:")[1].split()[0])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"FLASH 4 " + b"0" * 64 + b"\nELF!")
        assert s.makefile().readline().startswith("ERR image corrupted")
    with pytest.raises(FarmError, match="no McugenFlasher"):
        flash_board(FarmBoard("emu-x", "socket://127.0.0.1:1"), farm.root / "exporter.yaml")


def test_without_labgrid_the_place_options_say_what_to_install(monkeypatch, capsys):
    import builtins

    from mcugen.cli import main
    real_import = builtins.__import__

    def no_labgrid(name, *args, **kwargs):
        if name.startswith("labgrid"):
            raise ImportError("No module named 'labgrid'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_labgrid)
    assert main(["verify", HELLO, "--place", "emu-a"]) == 3
    err = capsys.readouterr().err
    assert "pip install 'mcugen[farm]'" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow           # two builds; keeps the default tier's farm tests near a minute
def test_mismatch_on_a_place_reflashes_the_debug_build_there(farm, monkeypatch, tmp_path,
                                                            capsys):
    """A simulator that disagrees (outputs shifted by one) makes a mismatch: exit 1, the place
    named, the debug build flashed to the same place and read back, the place released."""
    import numpy as np

    from mcugen.cli import main
    from mcugen.device import verify as dv
    real = dv.Simulator

    class Skewed(real):
        def run(self, sample, **kw):
            result = super().run(sample, **kw)
            if not kw.get("keep_all"):
                result.outputs = [(o.astype(np.int16) + 1).astype(o.dtype)
                                  for o in result.outputs]
            return result
    monkeypatch.setattr(dv, "Simulator", Skewed)
    report = tmp_path / "r.json"
    assert main(["verify", HELLO, "--kernels", "portable", "--places", "emu-a", "--inputs", "2",
                 "--coordinator", farm.address, "--json", str(report)]) == 1
    err = capsys.readouterr().err
    assert "emu-a" in err and "first diverging layer" in err, err
    board = json.loads(report.read_text())["boards"][0]
    assert board["bit_exact"] is False and len(board["mismatches"]) == 2
    assert_released(farm)
