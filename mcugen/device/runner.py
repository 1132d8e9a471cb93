"""Starting a board and connecting to its protocol Device: QEMU for emulated boards, a native process for the
``host`` board, or a serial port for a real board. Each runner owns its process and ends it by
PID on every exit path — normal, exception or Ctrl-C — so no emulator is ever leaked."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from ..boards import Board
from ..errors import InfrastructureError
from .protocol import Device


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_command(board: Board, elf: Path, port: int, icount_shift: int = 7) -> list[str]:
    qemu = shutil.which("qemu-system-arm")
    if not qemu:
        raise InfrastructureError("qemu-system-arm not found (apt-get install qemu-system-arm, "
                                  "or run scripts/bootstrap.sh)")
    icount = ["-icount", f"shift={icount_shift}"] if board.qemu_icount else []
    return [qemu, "-M", board.qemu_machine, "-display", "none", "-monitor", "none",
            "-no-reboot", "-semihosting-config", "enable=on,target=native", *icount,
            "-kernel", str(elf), "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on"]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)


@contextmanager
def qemu_device(board: Board, elf: Path, timeout: float = 30.0):
    """Run ``elf`` on ``board`` in QEMU; yields a connected Device."""
    last_error = None
    for _attempt in range(3):          # the free port may be taken between probe and bind
        port = free_port()
        proc = subprocess.Popen(qemu_command(board, elf, port), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            device = _connect(proc, f"socket://127.0.0.1:{port}", timeout)
        except InfrastructureError as exc:
            _stop(proc)
            last_error = exc
            continue
        try:
            yield device
        finally:
            device.close()
            _stop(proc)
        return
    raise last_error


def _connect(proc: subprocess.Popen, url: str, timeout: float) -> Device:
    deadline = time.monotonic() + 10.0
    while True:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace").strip().splitlines()
            raise InfrastructureError(f"QEMU exited with {proc.returncode}: "
                                      f"{err[-1] if err else 'no message'}")
        try:
            return Device.open(url, timeout=timeout)
        except InfrastructureError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def host_device(program: Path, timeout: float = 30.0):
    """Run the host board's native program; it prints its pseudo-terminal's path first."""
    proc = subprocess.Popen([str(program)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        line = proc.stdout.readline().decode().strip()
        if not line.startswith("/dev/"):
            raise InfrastructureError(f"host program did not open a pseudo-terminal: {line!r}",
                                      str(program))
        device = Device.open(line, timeout=timeout)
        try:
            yield device
        finally:
            device.close()
    finally:
        _stop(proc)


@contextmanager
def open_device(firmware, port: str | None = None, timeout: float = 30.0, flash: bool = True,
                graph=None, cmsis_nn=None):
    """The Device for a built firmware: its emulator or native program, or a real board on
    ``port`` — flashed first through PlatformIO when the board's flashing method is PlatformIO
    (``flash=False``: the board already runs this firmware)."""
    board = firmware.board
    if port and flash and board.run_method == "platformio":
        from ..platformio import platformio_target, write_platformio_project
        project = write_platformio_project(graph if graph is not None else firmware.rendered,
                                           board, firmware.elf.parent / "platformio",
                                           kernels=firmware.rendered.kernels, cmsis_nn=cmsis_nn)
        with platformio_target(project, port=port, timeout=timeout) as device:
            yield device
    elif port:
        device = Device.open(port, timeout=timeout, baudrate=board.monitor_speed or 115200)
        try:
            yield device
        finally:
            device.close()
    elif board.is_host:
        with host_device(firmware.elf, timeout) as device:
            yield device
    elif board.run_method == "qemu":
        with qemu_device(board, firmware.elf, timeout) as device:
            yield device
    else:
        raise InfrastructureError(f"{board.name} is a real board: flash it and pass --port "
                                  "(e.g. /dev/ttyACM0)", board.name)
