"""A whole labgrid farm on loopback, for the farm tests and benchmarks/farm_parallel.py.

``labgrid-coordinator -l 127.0.0.1:0`` in a temporary directory (it writes places.yaml and
resources.yaml to its working directory; the places are written there before it starts), mcugen's
flash agent with emulated places (free ports; it writes the exporter config), and
``labgrid-exporter`` publishing them. Every process runs in its own session and is ended by
process group on exit; :meth:`LocalFarm.leftovers` names any process still running from the
farm's directory (QEMU's command line holds it: ``-kernel DIR/state/PLACE.elf``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXPORTER = "mcugen-farm-test"


def labgrid_tool(name: str) -> str:
    """labgrid's console scripts beside this Python (a venv's bin/), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


class LocalFarm:
    def __init__(self, root: Path, places: list[str], board: str = "mps2-an386",
                 start_timeout: float = 60.0):
        self.root = Path(root)
        self.places = places
        self.board = board
        self.procs: dict[str, subprocess.Popen] = {}
        self.address = None
        self.env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep +
                        os.environ.get("PYTHONPATH", ""))
        self.env.pop("LG_COORDINATOR", None)
        self.start_timeout = start_timeout

    # -- start -----------------------------------------------------------------------------
    def start(self) -> LocalFarm:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        coord_dir = self.root / "coordinator"
        coord_dir.mkdir(parents=True, exist_ok=True)
        lines = []
        for p in self.places:
            lines += [f"{p}:", "  matches:", f"  - {{exporter: {EXPORTER}, group: {p}, cls: '*'}}",
                      f"  tags: {{board: {self.board}}}"]
        (coord_dir / "places.yaml").write_text("\n".join(lines) + "\n")
        self._spawn("coordinator", [labgrid_tool("labgrid-coordinator"), "-l", "127.0.0.1:0"],
                    coord_dir)
        line = self._wait_line("coordinator", re.compile(r"listening on (\S+)"), deadline)
        self.address = line.group(1)
        config = self.root / "exporter.yaml"
        self._spawn("agent", [sys.executable, "-m", "mcugen.device.farm_agent",
                              *[a for p in self.places for a in ("--qemu", f"{p}:{self.board}")],
                              "--exporter-config", str(config),
                              "--state", str(self.root / "state")], self.root)
        self._wait_line("agent", re.compile(r"^ready", re.MULTILINE), deadline)
        self._spawn("exporter", [labgrid_tool("labgrid-exporter"), "-c", self.address,
                                 "-n", EXPORTER, str(config)], self.root)
        self._wait_exported(deadline)

    def _spawn(self, name, cmd, cwd) -> subprocess.Popen:
        # output to a file, never a pipe: the coordinator prints every request, and a full pipe
        # would stop it
        with open(self.root / f"{name}.log", "wb") as out:
            proc = subprocess.Popen(cmd, cwd=cwd, env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        self.procs[name] = proc
        return proc

    def _wait_line(self, name, pattern, deadline):
        log = self.root / f"{name}.log"
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            m = pattern.search(text)
            if m:
                return m
            if self.procs[name].poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not start: {log.read_text(errors='replace')[-400:]}")

    def _wait_exported(self, deadline) -> None:
        from mcugen.device.farm import Farm
        farm = Farm(self.address)
        try:
            while time.monotonic() < deadline:
                groups = farm.session.resources.get(EXPORTER, {})
                if all(len(groups.get(p, {})) >= 2 for p in self.places):
                    return
                time.sleep(0.1)
        finally:
            farm.close()
        raise RuntimeError("the exporter did not publish the places in time")

    # -- use -------------------------------------------------------------------------------
    def qemu_pid(self, place: str) -> int | None:
        try:
            return int((self.root / "state" / f"{place}.qemu.pid").read_text())
        except (OSError, ValueError):
            return None

    def acquired_by(self, place: str) -> str | None:
        from mcugen.device.farm import Farm
        farm = Farm(self.address)
        try:
            return farm.session.places[place].acquired
        finally:
            farm.close()

    def client(self, *args, user: str = "alice", host: str = "otherhost"):
        """labgrid-client as another user on another host."""
        env = dict(self.env, LG_USERNAME=user, LG_HOSTNAME=host, LG_COORDINATOR=self.address)
        return subprocess.run([labgrid_tool("labgrid-client"), *args], env=env, capture_output=True,
                              text=True, timeout=60)

    # -- stop ------------------------------------------------------------------------------
    def stop(self) -> None:
        from mcugen.device.runner import _stop      # TERM the process group, then KILL
        for name in ("exporter", "agent", "coordinator"):
            proc = self.procs.get(name)
            if proc is not None:
                _stop(proc)

    def leftovers(self) -> list[str]:
        """Processes still running whose command line names the farm's directory or pids."""
        root = str(self.root)
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if root in cmd or (self.address and self.address in cmd):
                found.append(f"{pid}: {cmd.strip()}")
        found += [f"{p.pid}: {name}" for name, p in self.procs.items() if p.poll() is None]
        return found

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
