"""A PlatformIO project as a verification device: ``pio run -t upload``, then the serial protocol.

For an emulated board "upload" runs the firmware in QEMU with its UART on a TCP port (mcugen's
local platform); for a real board it flashes through PlatformIO and the harness answers on the
board's serial port. Either way the caller gets the same :class:`mcugen.device.protocol.Device`
that ``mcugen verify`` uses with its other routes.
"""

from __future__ import annotations

import socket
import time
from contextlib import contextmanager

from ..errors import InfrastructureError
from .pio import flash_with_platformio


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def platformio_target(project, *, port: str | None = None, core_dir=None,
                      timeout: float = 30.0, flash_timeout: float = 600.0):
    """Yield a connected Device for a :class:`PlatformioProject` (or its directory).

    Real board: flash with ``pio run -t upload`` (``port`` is the serial port, also the upload
    port when PlatformIO needs one), then open ``port``. Emulated board: upload in the background
    on a free TCP port and connect to it; the pio/QEMU process group ends when the block exits.
    """
    from ..device.protocol import Device

    path = getattr(project, "path", project)
    board = getattr(project, "board", None)
    emulated = board.run_method == "qemu" if board is not None else port is None
    if not emulated:
        if not port:
            raise InfrastructureError("a real board needs --port (e.g. /dev/ttyACM0)", str(path))
        flash_with_platformio(path, port=None, core_dir=core_dir, timeout=flash_timeout)
        device = Device.open(port, timeout=timeout, baudrate=board.monitor_speed or 115200
                             if board is not None else 115200)
        try:
            yield device
        finally:
            device.close()
        return
    url = f"socket://127.0.0.1:{_free_port()}"
    with flash_with_platformio(path, port=url, core_dir=core_dir, wait=False) as upload:
        deadline = time.monotonic() + flash_timeout
        while True:  # pio builds if needed, then QEMU opens the port and waits for us
            if upload.proc.poll() is not None:
                _, out = upload.wait(timeout=10)
                tail = " | ".join(out.strip().splitlines()[-3:])
                raise InfrastructureError(f"pio run -t upload ended before the board answered: "
                                          f"{tail}", str(path))
            try:
                device = Device.open(url, timeout=timeout)
                break
            except InfrastructureError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        try:
            yield device
        finally:
            device.close()
