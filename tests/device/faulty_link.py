"""A fault-injecting proxy between mcugen (a TCP client: ``socket://127.0.0.1:PORT``) and a
board's serial line (any pyserial URL: the host board's pseudo-terminal, QEMU's TCP serial).

Every chunk forwarded, in each direction, is with probability ``rate`` each corrupted (one byte
flipped), shortened (one byte dropped), duplicated (one byte doubled, or the whole chunk sent
twice) or stalled (held back ``stall`` seconds). The faults are drawn from a seeded RNG; what a
chunk is depends on timing, so the faults' exact places do not repeat from run to run, only their
rates do."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter

import serial


class FaultyLink:
    def __init__(self, upstream_url: str, rate: float = 0.01, seed: int = 0,
                 stall: tuple[float, float] = (0.2, 1.0)):
        self.upstream = serial.serial_for_url(upstream_url, timeout=0.01)
        self.rate, self.stall = rate, stall
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.faults: Counter = Counter()
        self.enabled = True
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.url = f"socket://127.0.0.1:{self.server.getsockname()[1]}"
        self.stop = threading.Event()
        self.client = None
        self.threads = [threading.Thread(target=self._serve, daemon=True)]
        self.threads[0].start()

    # -- faults ----------------------------------------------------------------------------
    def _mangle(self, data: bytes, direction: str) -> list[bytes]:
        """What to forward for ``data``: a list of pieces (two for a duplicated chunk)."""
        if not self.enabled or not data:
            return [data]
        with self.lock:
            r = self.rng.random()
            at = self.rng.randrange(len(data))
            flip = self.rng.randrange(1, 256)
            pause = self.rng.uniform(*self.stall)
        kinds = ("corrupt", "drop", "duplicate", "stall")
        for k, kind in enumerate(kinds):
            if r < self.rate * (k + 1):
                break
        else:
            return [data]
        self.faults[f"{direction} {kind}"] += 1
        if kind == "corrupt":
            return [data[:at] + bytes([data[at] ^ flip]) + data[at + 1:]]
        if kind == "drop":
            return [data[:at] + data[at + 1:]]
        if kind == "duplicate":
            return [data, data] if flip & 1 else [data[:at + 1] + data[at:]]
        time.sleep(pause)
        return [data]

    # -- forwarding ------------------------------------------------------------------------
    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self.stop.is_set():
            try:
                self.client, _ = self.server.accept()
                break
            except OSError:
                continue
        if self.client is None:
            return
        self.client.settimeout(0.05)
        up = threading.Thread(target=self._up, daemon=True)
        up.start()
        self.threads.append(up)
        self._down()

    def _down(self) -> None:       # mcugen -> board
        while not self.stop.is_set():
            try:
                data = self.client.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return
            for piece in self._mangle(data, "to board"):
                try:
                    self.upstream.write(piece)
                except (serial.SerialException, OSError):
                    return

    def _up(self) -> None:         # board -> mcugen
        while not self.stop.is_set():
            try:
                data = self.upstream.read(4096)
            except (serial.SerialException, OSError, TypeError):
                return
            if not data:
                continue
            for piece in self._mangle(data, "to host"):
                try:
                    self.client.sendall(piece)
                except OSError:
                    return

    def close(self) -> None:
        self.stop.set()
        for closable in (self.client, self.server):
            if closable is not None:
                try:
                    closable.close()
                except OSError:
                    pass
        for t in self.threads:
            t.join(timeout=2)
        self.upstream.close()
