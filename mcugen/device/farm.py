"""Boards booked through a labgrid farm (labgrid >= 25: a gRPC coordinator, exporters on the
hosts that own the boards, places that are reserved and locked).

What a command with ``--place NAME`` (or ``--places A,B,C``) does here:

1. connect to the coordinator (``--coordinator``, else ``$LG_COORDINATOR``, else labgrid's
   default ``127.0.0.1:20408``) with labgrid's own client session;
2. **reserve** each place (a labgrid reservation filtered on the place's name: the coordinator
   queues it fairly behind other users) and wait until it is allocated — at most
   ``--place-timeout`` seconds, then exit 3 naming the place and who holds it;
3. **acquire** it (the lock other users see in ``labgrid-client who``) and read its resources: one
   ``NetworkSerialPort`` (the board's UART: ``protocol: raw`` is ``socket://host:port``,
   ``rfc2217`` as ser2net exports USB serial ports) and, to flash, one ``McugenFlasher``
   (``host``, ``port``: the flash service of :mod:`mcugen.device.farm_agent` on the exporter
   host, which boots the ELF in QEMU for an emulated place or runs OpenOCD/pyOCD for a real one);
4. **flash** by sending the ELF to that service, then speak mcugen's protocol over the port;
5. **release** every place and cancel its reservation on every exit path: success, error,
   Ctrl-C and SIGTERM (the CLI turns SIGTERM into KeyboardInterrupt, which unwinds through
   :meth:`Farm.close`). Only SIGKILL can leave a place acquired; ``labgrid-client -p NAME release
   --kick`` frees it.

labgrid's client is asyncio; its loop runs in a daemon thread for the whole command so the
coordinator's stream (keepalives, place updates) is served while boards run, and the blocking
parts of mcugen (serial I/O, several boards in threads) call into it with a deadline.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fnmatch
import hashlib
import logging
import os
import socket
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InfrastructureError, InputError

DEFAULT_COORDINATOR = "127.0.0.1:20408"
DEFAULT_PLACE_TIMEOUT = 600.0
RPC_TIMEOUT = 20.0
FLASH_TIMEOUT = 300.0
FLASHER_CLASS = "McugenFlasher"


class FarmError(InfrastructureError):
    """The farm could not give, flash or take back a board (exit 3)."""


@dataclass
class FarmBoard:
    """An acquired place: where its UART is and how to flash it."""

    place: str
    serial_url: str
    speed: int = 115200
    flasher: tuple[str, int] | None = None
    tags: dict = field(default_factory=dict)


def coordinator_address(given: str | None) -> str:
    return given or os.environ.get("LG_COORDINATOR") or DEFAULT_COORDINATOR


def _labgrid():
    try:
        from labgrid.remote import client
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb2
    except ImportError as exc:
        # a missing tool, like a missing QEMU: exit 3
        raise FarmError(f"--place needs labgrid: pip install 'mcugen[farm]' ({exc})") from None
    return client, pb2


class Farm:
    """One labgrid client session; the places it acquired are released by :meth:`close`."""

    def __init__(self, address: str | None = None):
        self.client, self.pb2 = _labgrid()
        self.address = coordinator_address(address)
        root = logging.getLogger()
        if not root.handlers:       # labgrid logs to the root logger: keep stderr to one line
            root.addHandler(logging.NullHandler())
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="labgrid", daemon=True)
        self.thread.start()
        self.session = None
        self.acquired: list[str] = []
        self.tokens: dict[str, str] = {}
        try:
            self.session = self._call(self._start(), RPC_TIMEOUT)
        except BaseException:
            self._stop_loop()
            raise

    # -- plumbing ------------------------------------------------------------------------
    def _call(self, coro, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:     # not the builtin before Python 3.11
            future.cancel()
            raise FarmError(f"the coordinator did not answer within {timeout:.0f} s",
                            self.address) from None
        except self.client.Error as exc:
            raise FarmError(str(exc), self.address) from None
        except Exception as exc:
            import grpc
            if isinstance(exc, grpc.aio.AioRpcError):
                raise FarmError(f"coordinator: {exc.details()}", self.address) from None
            raise

    async def _start(self):
        address = self.client.proxymanager.get_grpc_address(self.address, default_port=20408)
        session = self.client.ClientSession(address, self.loop)
        try:
            await asyncio.wait_for(session.start(), RPC_TIMEOUT)
        except (asyncio.TimeoutError, self.client.Error):
            session.stopping.set()
            await _quietly(session.stop())
            await _quietly(session.close())
            raise self.client.ServerError("cannot reach the labgrid coordinator") from None
        return session

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    # -- places --------------------------------------------------------------------------
    def place_names(self, patterns: list[str]) -> list[str]:
        """Place names for names or fnmatch patterns (``emu-*``), in the given order."""
        known = sorted(self.session.places)
        names: list[str] = []
        for pattern in patterns:
            hits = [pattern] if pattern in known else fnmatch.filter(known, pattern)
            if not hits:
                raise InputError(f"no place '{pattern}' on the coordinator (places: "
                                 f"{', '.join(known) or 'none'})", self.address)
            names += [h for h in hits if h not in names]
        return names

    def check_boards(self, names: list[str], board: str | None) -> None:
        """A place tagged ``board=B`` holds a B: refuse to flash another board's build there."""
        for name in names:
            tags = self.session.places[name].tags
            if board and tags.get("board") and tags["board"] != board:
                raise InputError(f"place {name} holds a {tags['board']} board, not {board}",
                                 name)

    def acquire(self, names: list[str], timeout: float, board: str | None = None
                ) -> list[FarmBoard]:
        """Reserve, wait for and acquire every place (all or none), then read its resources."""
        self.check_boards(names, board)
        for name in names:
            self.tokens[name] = self._call(self._reserve(name), RPC_TIMEOUT)
        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting:
            states = {n: self._call(self._poll(self.tokens[n]), RPC_TIMEOUT) for n in waiting}
            waiting = [n for n, s in states.items() if s not in ("allocated", "acquired")]
            if not waiting:
                break
            if time.monotonic() > deadline:
                name = waiting[0]
                place = self.session.places[name]
                if place.acquired:
                    why = f"acquired by {place.acquired}"
                elif place.reservation and place.reservation != self.tokens[name]:
                    why = "reserved for another user"
                else:
                    why = f"not allocated (reservation {states[name]})"
                raise FarmError(f"the farm gave no board within {timeout:g} s: place {name} is "
                                f"{why}", name)
            time.sleep(min(0.5, max(0.05, deadline - time.monotonic())))
        boards = []
        for name in names:
            self.acquired.append(name)    # before the call: an interrupt mid-call still releases
            self._call(self._acquire(name), RPC_TIMEOUT)
            boards.append(self._board(name))
        return boards

    async def _reserve(self, name: str) -> str:
        pb2 = self.pb2
        request = pb2.CreateReservationRequest(
            filters={"main": pb2.Reservation.Filter(filter={"name": name})}, prio=0.0)
        response = await self.session.stub.CreateReservation(request)
        return response.reservation.token

    async def _poll(self, token: str) -> str:
        response = await self.session.stub.PollReservation(
            self.pb2.PollReservationRequest(token=token))
        from labgrid.remote.common import Reservation
        return Reservation.from_pb2(response.reservation).state.name

    async def _acquire(self, name: str) -> None:
        await self.session.stub.AcquirePlace(self.pb2.AcquirePlaceRequest(placename=name))
        await self.session.sync_with_coordinator()

    def _board(self, name: str) -> FarmBoard:
        place = self.session.places[name]
        serial, flasher = [], []
        for path in place.acquired_resources:
            exporter, group, cls, rname = path
            entry = self.session.resources.get(exporter, {}).get(group, {}).get(rname)
            if entry is None or not entry.avail:
                continue
            if cls == "NetworkSerialPort":
                serial.append(entry.params)
            elif cls == FLASHER_CLASS:
                flasher.append(entry.params)
        if len(serial) != 1:
            raise FarmError(f"place {name} has {len(serial)} available NetworkSerialPort "
                            "resources; mcugen needs exactly one (the board's UART)", name)
        p = serial[0]
        scheme = "socket" if p.get("protocol") == "raw" else "rfc2217"
        url = f"{scheme}://{p['host']}:{p['port']}"
        flash = (flasher[0]["host"], int(flasher[0]["port"])) if flasher else None
        return FarmBoard(name, url, int(p.get("speed") or 115200), flash, dict(place.tags))

    def close(self) -> None:
        """Release every acquired place and cancel every reservation; never raises (a failure
        is one line on stderr naming the place, so it can be released by hand)."""
        for name in list(self.acquired):
            try:
                self._call(self._release(name), RPC_TIMEOUT)
                self.acquired.remove(name)
            except BaseException as exc:  # noqa: BLE001 - cleanup goes on
                print(f"mcugen: warning: place {name} not released ({exc}); release it with "
                      f"`labgrid-client -p {name} release`", file=sys.stderr)
        for name, token in list(self.tokens.items()):
            try:
                self._call(self._cancel(token), RPC_TIMEOUT)
            except BaseException:  # noqa: BLE001 - an expired reservation is gone anyway
                pass
            self.tokens.pop(name, None)
        if self.session is not None:
            try:
                self._call(self._end(), RPC_TIMEOUT)
            except BaseException:  # noqa: BLE001
                pass
            self.session = None
        self._stop_loop()

    async def _release(self, name: str) -> None:
        # only if we hold it (``fromuser``): an acquire that failed or was interrupted must not
        # release a place someone else holds; a place not acquired at all is no error then
        me = f"{self.session.gethostname()}/{self.session.getuser()}"
        await self.session.stub.ReleasePlace(
            self.pb2.ReleasePlaceRequest(placename=name, fromuser=me))

    async def _cancel(self, token: str) -> None:
        await self.session.stub.CancelReservation(self.pb2.CancelReservationRequest(token=token))

    async def _end(self):
        await _quietly(self.session.stop())
        await _quietly(self.session.close())


async def _quietly(coro):
    try:
        await coro
    except BaseException:  # noqa: BLE001 - closing a session that failed
        pass


def flash_board(board: FarmBoard, elf: Path, timeout: float = FLASH_TIMEOUT) -> None:
    """Put ``elf`` on the place's board through its flash service (see farm_agent)."""
    if board.flasher is None:
        raise FarmError(f"place {board.place} has no {FLASHER_CLASS} resource: mcugen cannot "
                        "flash it (flash it yourself and pass --no-flash)", board.place)
    data = Path(elf).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    host, port = board.flasher
    try:
        with socket.create_connection((host, port), timeout=10) as s:
            s.settimeout(timeout)
            s.sendall(f"FLASH {len(data)} {digest}\n".encode() + data)
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
    except OSError as exc:
        raise FarmError(f"flashing failed: {host}:{port}: {exc}", board.place) from None
    text = reply.decode(errors="replace").strip()
    if text != f"OK {digest}":
        raise FarmError(f"flashing failed: {text or 'no answer'}", board.place)


class Holder:
    """The CLI's farm for one command. :meth:`check` (before the build) reaches the coordinator
    and resolves the place names, so a typo or an unreachable farm fails at once; :meth:`get`
    reserves and acquires them when the first board is needed (after the build, so a shared
    board is not held while compiling); :meth:`close` releases them."""

    def __init__(self, coordinator: str | None, places: list[str], timeout: float,
                 board: str | None):
        self.coordinator, self.patterns, self.timeout, self.board = (
            coordinator, places, timeout, board)
        self.farm: Farm | None = None
        self.names: list[str] | None = None
        self.boards: list[FarmBoard] | None = None

    def check(self) -> list[str]:
        if self.names is None:
            self.farm = Farm(self.coordinator)
            self.names = self.farm.place_names(self.patterns)
            self.farm.check_boards(self.names, self.board)
        return self.names

    def get(self) -> list[FarmBoard]:
        if self.boards is None:
            names = self.check()
            self.boards = self.farm.acquire(names, self.timeout, self.board)
        return self.boards

    def close(self) -> None:
        if self.farm is not None:
            self.farm.close()
            self.farm = None


@contextmanager
def open_farm_device(board: FarmBoard, firmware, flash: bool = True, timeout: float = 30.0):
    """The protocol Device of an acquired place's board, flashed with ``firmware`` first."""
    from .protocol import Device
    if flash:
        flash_board(board, firmware.elf)
    try:
        device = Device.open(board.serial_url, timeout=timeout, baudrate=board.speed)
        try:
            yield device
        finally:
            device.close()
    except InfrastructureError as exc:         # name the place, not only its port
        if board.place not in str(exc.where):
            exc.where = f"place {board.place}, {exc.where}" if exc.where else board.place
        raise
