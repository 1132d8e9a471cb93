"""Running PlatformIO: ``pio run``, ``pio run -t upload``, with hard timeouts and offline settings.

PlatformIO is run as ``python -m platformio`` from this Python (the dependency mcugen installs), in
its own process group, so a timeout or Ctrl-C ends PlatformIO, SCons and QEMU together — and only
them. Telemetry and update checks are off: offline they can stall a run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ..errors import InfrastructureError, InputError

QUIET_SETTINGS = {
    "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "No",
    "PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL": "9999",
    "PLATFORMIO_SETTING_CHECK_PRUNE_SYSTEM_THRESHOLD": "0",
    "PLATFORMIO_DISABLE_PROGRESSBAR": "true",
    "PLATFORMIO_NO_ANSI": "true",
}


def pio_environment(core_dir=None, base=None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update(QUIET_SETTINGS)
    if core_dir is not None:
        env["PLATFORMIO_CORE_DIR"] = str(Path(core_dir).resolve())
    return env


def pio_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "platformio", *args]


class PioProcess:
    """A running ``pio`` command in its own process group; ended by its id, never by name."""

    def __init__(self, args, *, cwd=None, core_dir=None, capture=True):
        try:
            self.proc = subprocess.Popen(
                pio_command(*args), cwd=cwd, env=pio_environment(core_dir),
                stdout=subprocess.PIPE if capture else None,
                stderr=subprocess.STDOUT if capture else None, text=True,
                start_new_session=True)
        except OSError as exc:
            raise InfrastructureError(f"cannot start PlatformIO: {exc}", "pio") from exc
        self.args = list(args)

    def wait(self, timeout: float | None) -> tuple[int, str]:
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise InfrastructureError(f"PlatformIO did not finish within {timeout:g} s",
                                      "pio " + " ".join(self.args)) from None
        except BaseException:
            self.stop()
            raise
        return self.proc.returncode, out or ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group we created: pio, scons, qemu
            except ProcessLookupError:
                pass
        try:
            self.proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, ValueError):
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run_pio(args, *, cwd=None, core_dir=None, timeout: float = 600, check: bool = True):
    """Run ``pio ARGS``; returns (exit code, output). ``check``: a failure raises."""
    code, out = PioProcess(args, cwd=cwd, core_dir=core_dir).wait(timeout)
    if check and code != 0:
        lines = out.strip().splitlines()
        errors = [ln.strip() for ln in lines if "error" in ln.lower()]
        tail = " | ".join(errors[:3] or lines[-3:])
        raise InfrastructureError(f"pio {' '.join(args)} failed with exit code {code}: {tail}",
                                  str(cwd or "."))
    return code, out


def _project(project_dir) -> Path:
    path = Path(project_dir).resolve()
    if not (path / "platformio.ini").is_file():
        raise InputError("not a PlatformIO project (no platformio.ini)", str(path))
    return path


def build_with_platformio(project_dir, *, environment=None, core_dir=None, timeout=600):
    """``pio run``: returns its output."""
    args = ["run", "-d", str(_project(project_dir))]
    if environment:
        args += ["-e", environment]
    return run_pio(args, core_dir=core_dir, timeout=timeout)[1]


def flash_with_platformio(project_dir, port=None, *, environment=None, core_dir=None,
                          timeout: float = 600, wait: bool = True):
    """``pio run -t upload [--upload-port PORT]``: build if needed, then flash.

    On a real board this returns once the board is flashed (its output). On mcugen's emulated
    boards "upload" runs the firmware in QEMU until it exits: with ``wait=False`` this returns the
    :class:`PioProcess` at once (the caller then talks to ``port``, e.g. socket://127.0.0.1:N, and
    ends it with ``.stop()`` or a ``with`` block).
    """
    args = ["run", "-d", str(_project(project_dir)), "-t", "upload"]
    if environment:
        args += ["-e", environment]
    if port:
        args += ["--upload-port", str(port)]
    if not wait:
        return PioProcess(args, core_dir=core_dir)
    return run_pio(args, core_dir=core_dir, timeout=timeout)[1]


def validate_project(project_dir) -> list[str]:
    """PlatformIO's own parser and validator on platformio.ini; returns its warnings."""
    from platformio.project.config import ProjectConfig
    from platformio.exception import PlatformioException

    path = _project(project_dir) / "platformio.ini"
    try:
        config = ProjectConfig(str(path))
        config.validate(silent=True)
    except PlatformioException as exc:
        raise InputError(f"invalid platformio.ini: {exc}", str(path)) from exc
    return list(config.warnings)
