"""The exporter-side half of mcugen's labgrid farm: a small agent that runs on the host owning the
boards and gives each place a **flash service** (and, for emulated places, the board itself).

labgrid flashes network resources over SSH to the exporter host; mcugen needs no SSH: the client
sends the ELF to the place's flash service (a ``McugenFlasher`` resource in the exporter config,
``host`` + ``port``), which puts it on the board and answers when it is there.

Flash protocol (one TCP connection per flash)::

    client -> agent   FLASH <size> <sha256 hex>\\n  then <size> bytes of ELF
    agent  -> client  OK <sha256 hex>\\n   |   ERR <one line>\\n

Two kinds of place:

``qemu``  (emulated boards: how the farm is tested on one machine, and CI without hardware)
    The place's UART is a TCP port the agent listens on, exported as labgrid's
    ``NetworkSerialPort`` with ``protocol: raw``. Flashing stores the ELF in the agent's state
    directory (and ends a running session: a reflash resets the board). Each connection to the
    serial port boots the stored ELF in a fresh QEMU (``-serial tcp:…,wait=on``) and relays bytes
    both ways; when either side closes, QEMU is stopped. So an idle place costs no CPU, and every
    session starts from reset, as a real board does after a flash. QEMU's PID is written to
    ``STATE/<place>.qemu.pid`` while it runs.
``command``  (real boards)
    Flashing writes the ELF to a temporary file and runs the place's flash command with ``{elf}``
    replaced, e.g. ``openocd -f board/st_nucleo_f4.cfg -c "program {elf} verify reset exit"`` or
    ``pyocd flash -t stm32f446re {elf}``; its exit status is the answer. The UART is exported by
    labgrid itself (``USBSerialPort``, served by ser2net as a ``NetworkSerialPort``).

Run::

    python -m mcugen.device.farm_agent --qemu emu-a:mps2-an386 --qemu emu-b:mps2-an386 \\
        --exporter-config exporter.yaml --state DIR
    python -m mcugen.device.farm_agent --command 'nucleo-1:openocd … -c "program {elf} …"' \\
        --exporter-config flashers.yaml

Every listener binds a free port (port 0) unless ``--port-base`` is given; the exporter config the
agent writes names the ports, and the agent prints ``ready`` when it listens. It ends on SIGTERM
or SIGINT and stops every QEMU it started.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shlex
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

FLASHER_CLASS = "McugenFlasher"
MAX_ELF = 64 << 20
FLASH_COMMAND_TIMEOUT = 300.0


@dataclass
class Place:
    name: str
    kind: str                       # qemu | command
    board: str | None = None        # qemu: the mcugen board
    command: str | None = None      # command: the flash command with {elf}
    serial_port: int = 0
    flash_port: int = 0
    session: asyncio.Task | None = field(default=None, repr=False)


class Agent:
    def __init__(self, places: list[Place], state: Path, host: str):
        self.places = places
        self.state = state
        self.host = host
        self.qemus: set = set()

    # -- flash service -------------------------------------------------------------------
    async def on_flash(self, place: Place, reader, writer) -> None:
        try:
            reply = await self._flash(place, reader)
        except Exception as exc:  # noqa: BLE001 - reported to the client in one line
            reply = f"ERR {type(exc).__name__}: {exc}"
        try:
            writer.write((reply.replace("\n", " ") + "\n").encode())
            await writer.drain()
            writer.close()
        except OSError:
            pass

    async def _flash(self, place: Place, reader) -> str:
        head = (await asyncio.wait_for(reader.readline(), 30)).decode(errors="replace").split()
        if len(head) != 3 or head[0] != "FLASH" or not head[1].isdigit():
            return "ERR bad request (expected FLASH <size> <sha256>)"
        size, want = int(head[1]), head[2].lower()
        if size > MAX_ELF:
            return f"ERR image of {size} bytes is larger than {MAX_ELF}"
        data = await asyncio.wait_for(reader.readexactly(size), 60)
        got = hashlib.sha256(data).hexdigest()
        if got != want:
            return f"ERR image corrupted in transfer (sha256 {got[:12]}, expected {want[:12]})"
        if place.kind == "qemu":
            elf = self.state / f"{place.name}.elf"
            tmp = elf.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, elf)
            if place.session is not None:          # a reflash resets the board
                task = place.session
                task.cancel()
                await asyncio.wait([task], timeout=10)
            return f"OK {got}"
        with tempfile.TemporaryDirectory(prefix="mcugen-flash-") as tmp_dir:
            elf = Path(tmp_dir) / "firmware.elf"
            elf.write_bytes(data)
            cmd = place.command.replace("{elf}", shlex.quote(str(elf)))
            proc = await asyncio.create_subprocess_shell(
                cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                start_new_session=True)
            try:
                out, _ = await asyncio.wait_for(proc.communicate(), FLASH_COMMAND_TIMEOUT)
            except asyncio.TimeoutError:
                os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
                return f"ERR flash command timed out after {FLASH_COMMAND_TIMEOUT:.0f} s"
            if proc.returncode != 0:
                last = out.decode(errors="replace").strip().splitlines()
                return f"ERR flash command exited {proc.returncode}: {last[-1] if last else ''}"
        return f"OK {got}"

    # -- emulated board's UART -----------------------------------------------------------
    async def on_serial(self, place: Place, reader, writer) -> None:
        if place.session is not None and not place.session.done():
            # a client that just closed its previous connection: that session is ending
            await asyncio.wait([place.session], timeout=5)
        if place.session is not None and not place.session.done():
            writer.close()                          # one user of a UART at a time
            return
        place.session = asyncio.current_task()
        try:
            await self._serve(place, reader, writer)
        except asyncio.CancelledError:
            pass
        finally:
            place.session = None
            try:
                writer.close()
            except OSError:
                pass

    async def _serve(self, place: Place, reader, writer) -> None:
        from ..boards import load_board
        from .runner import free_port, qemu_command
        elf = self.state / f"{place.name}.elf"
        if not elf.exists():
            return                                  # nothing flashed yet: the client sees EOF
        board = load_board(place.board)
        pid_file = self.state / f"{place.name}.qemu.pid"
        for _attempt in range(3):                   # the free port may be taken meanwhile
            port = free_port()
            proc = await asyncio.create_subprocess_exec(
                *qemu_command(board, elf, port), stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True)
            self.qemus.add(proc)
            pid_file.write_text(f"{proc.pid}\n")
            try:
                q_reader, q_writer = await self._connect(proc, port)
                if q_reader is None:
                    continue
                await self._relay(reader, writer, q_reader, q_writer)
                return
            finally:
                await _stop(proc)
                self.qemus.discard(proc)
                pid_file.unlink(missing_ok=True)

    async def _connect(self, proc, port: int):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while loop.time() < deadline:
            if proc.returncode is not None:
                return None, None
            try:
                return await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
        return None, None

    async def _relay(self, c_reader, c_writer, q_reader, q_writer) -> None:
        async def pump(src, dst):
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
        tasks = [asyncio.create_task(pump(c_reader, q_writer)),
                 asyncio.create_task(pump(q_reader, c_writer))]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            q_writer.close()

    # -- life ----------------------------------------------------------------------------
    async def run(self, config_path: Path | None, port_base: int | None) -> None:
        servers = []
        for n, place in enumerate(self.places):
            def bind(handler, p=place):
                return lambda r, w: handler(p, r, w)
            base = None if port_base is None else port_base + 2 * n
            srv = await asyncio.start_server(bind(self.on_flash), self.host,
                                             0 if base is None else base + 1)
            place.flash_port = srv.sockets[0].getsockname()[1]
            servers.append(srv)
            if place.kind == "qemu":
                srv = await asyncio.start_server(bind(self.on_serial), self.host,
                                                 0 if base is None else base)
                place.serial_port = srv.sockets[0].getsockname()[1]
                servers.append(srv)
        if config_path:
            tmp = config_path.with_suffix(".tmp")
            tmp.write_text(exporter_config(self.places, self.host))
            os.replace(tmp, config_path)
        print("ready", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        for srv in servers:
            srv.close()
        for place in self.places:
            if place.session is not None:
                place.session.cancel()
        await asyncio.gather(*(_stop(p) for p in list(self.qemus)))


async def _stop(proc) -> None:
    if proc.returncode is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 5)
        except (ProcessLookupError, asyncio.TimeoutError):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await proc.wait()


def exporter_config(places: list[Place], host: str) -> str:
    """labgrid exporter config: one resource group per place (the group is the place's name)."""
    # labgrid renders the file with Jinja2 ("#" starts a line statement there): a Jinja comment
    lines = ["{# written by python -m mcugen.device.farm_agent #}", ""]
    for p in places:
        lines.append(f"{p.name}:")
        if p.kind == "qemu":
            lines += ["  NetworkSerialPort:", f"    host: {host}", f"    port: {p.serial_port}",
                      "    protocol: raw", "    speed: 115200"]
        lines += [f"  {FLASHER_CLASS}:", f"    host: {host}", f"    port: {p.flash_port}"]
        if p.board:
            lines.append(f"    board: {p.board}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mcugen.device.farm_agent",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--qemu", action="append", default=[], metavar="PLACE:BOARD",
                    help="an emulated place running the mcugen board BOARD in QEMU")
    ap.add_argument("--command", action="append", default=[], metavar="PLACE:COMMAND",
                    help="a real board's place and its flash command ({elf}: the image)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on and to publish")
    ap.add_argument("--port-base", type=int, help="fixed ports (PLACE n: serial BASE+2n, "
                    "flash BASE+2n+1); default: free ports")
    ap.add_argument("--exporter-config", type=Path, help="write the labgrid exporter config here")
    ap.add_argument("--state", type=Path, help="where emulated places keep their flashed ELF")
    args = ap.parse_args(argv)
    places = []
    for spec in args.qemu:
        name, _, board = spec.partition(":")
        from ..boards import load_board
        b = load_board(board)
        if b.run_method != "qemu":
            ap.error(f"{board} is not an emulated board")
        places.append(Place(name, "qemu", board=b.name))
    for spec in args.command:
        name, _, command = spec.partition(":")
        if "{elf}" not in command:
            ap.error(f"flash command of {name} has no {{elf}}")
        places.append(Place(name, "command", command=command))
    if not places:
        ap.error("no place: give --qemu PLACE:BOARD or --command PLACE:COMMAND")
    state = args.state or Path(tempfile.mkdtemp(prefix="mcugen-farm-"))
    state.mkdir(parents=True, exist_ok=True)
    asyncio.run(Agent(places, state, args.host).run(args.exporter_config, args.port_base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
