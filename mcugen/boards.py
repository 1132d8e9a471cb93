"""Boards are data: one TOML file per board in ``boards/``, loaded into :class:`Board`.

Everything mcugen knows about a board is in its file: core and FPU, memory, UART, counter, how it
runs (QEMU machine, host, PlatformIO), PlatformIO's platform and board ids, upload protocol and
monitor speed, and the other names users type for it (``aliases``). No Python table repeats them.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import InputError
from .resources import boards_dir

DEFAULT_BOARD = "mps2-an386"


@dataclass(frozen=True)
class Region:
    origin: int
    length: int


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    cpu: str
    fpu: str
    float_abi: str
    features: tuple[str, ...]
    emulated: bool
    experimental: bool
    stack_bytes: int
    flash: Region
    ram: Region
    uart_kind: str
    uart_base: int
    counter_kind: str                # cmsdk_timer | systick | dwt | none
    counter_unit: str                # instructions (QEMU -icount) | cycles (silicon) | none
    ticks_per_instruction: float
    counter_base: int
    run_method: str                  # qemu | host | platformio
    qemu_machine: str | None
    qemu_icount: bool = True         # exact instruction counting (-icount) works on this machine
    platformio_board: str | None = None       # PlatformIO's board id
    platformio_platform: str | None = None    # PlatformIO's platform ("mcugen-qemu": mcugen's own)
    platformio_upload_protocol: str | None = None
    monitor_speed: int | None = None          # baud rate of the harness UART on a real board
    clock_hz: int | None = None               # core clock (PlatformIO's f_cpu)
    aliases: tuple[str, ...] = ()
    kernels: str | None = None                # preferred kernel backend (the fastest here)
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_host(self) -> bool:
        return self.run_method == "host"


def _board_from_toml(data: dict) -> Board:
    mem, uart, counter, run = data["memory"], data["uart"], data["counter"], data["run"]
    return Board(
        name=data["name"], description=data.get("description", ""), cpu=data["cpu"],
        fpu=data.get("fpu", "none"), float_abi=data.get("float_abi", "soft"),
        features=tuple(data.get("features", [])), emulated=bool(data.get("emulated", False)),
        experimental=bool(data.get("experimental", False)),
        stack_bytes=int(data.get("stack_bytes", 4096)),
        flash=Region(mem["flash"]["origin"], mem["flash"]["length"]),
        ram=Region(mem["ram"]["origin"], mem["ram"]["length"]),
        uart_kind=uart["kind"], uart_base=int(uart.get("base", 0)),
        counter_kind=counter.get("kind", "none"), counter_unit=counter.get("unit", "none"),
        ticks_per_instruction=float(counter.get("ticks_per_instruction", 0)),
        counter_base=int(counter.get("base", 0)), run_method=run.get("method", "qemu"),
        qemu_machine=run.get("qemu_machine"), qemu_icount=bool(run.get("icount", True)),
        platformio_board=data.get("platformio_board"),
        platformio_platform=data.get("platformio_platform"),
        platformio_upload_protocol=data.get("platformio_upload_protocol"),
        monitor_speed=data.get("monitor_speed"), clock_hz=data.get("clock_hz"),
        aliases=tuple(data.get("aliases", ())), kernels=data.get("kernels"), extra=data)


@lru_cache(maxsize=None)
def all_boards() -> dict[str, Board]:
    boards = {}
    for path in sorted(boards_dir().glob("*.toml")):
        try:
            board = _board_from_toml(tomllib.loads(path.read_text()))
        except (KeyError, tomllib.TOMLDecodeError, ValueError) as exc:
            raise InputError(f"malformed board file: {exc}", str(path)) from None
        boards[board.name] = board
    return boards


def _key(name: str) -> str:
    return name.lower().replace("-", "_")


@lru_cache(maxsize=None)
def _names() -> dict[str, str]:
    """What a user may type (name or alias; case, '-' and '_' do not matter) -> board name."""
    names: dict[str, str] = {}
    for board in all_boards().values():
        for typed in (board.name, *board.aliases):
            other = names.setdefault(_key(typed), board.name)
            if other != board.name:
                raise InputError(f"malformed board file: '{typed}' names both {other} and "
                                 f"{board.name}", str(boards_dir() / f"{board.name}.toml"))
    return names


def load_board(name) -> Board:
    """The board called ``name`` (or one of its aliases); a :class:`Board` is passed through."""
    if isinstance(name, Board):
        return name
    boards = all_boards()
    found = _names().get(_key(str(name)))
    if found is None:
        near = difflib.get_close_matches(_key(str(name)), list(_names()), n=3, cutoff=0.6)
        near = list(dict.fromkeys(_names()[k] for k in near))    # aliases name their board
        hint = f"did you mean {' or '.join(near)}? " if near else ""
        raise InputError(f"unknown board '{name}' ({hint}known: {', '.join(sorted(boards))})",
                         "--board")
    return boards[found]


def board_names(run_method: str) -> list[str]:
    """The boards that run this way: ``qemu`` (emulated), ``platformio`` (real, flashed through
    PlatformIO) or ``host``."""
    return sorted(b.name for b in all_boards().values() if b.run_method == run_method)
