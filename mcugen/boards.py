"""Boards are data: one TOML file per board in ``boards/``, loaded into :class:`Board`."""

from __future__ import annotations

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
    platformio_board: str | None = None
    platformio_platform: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_host(self) -> bool:
        return self.run_method == "host"

    def gcc_flags(self) -> list[str]:
        """-mcpu/-mfpu/-mfloat-abi for arm-none-eabi-gcc."""
        if self.is_host:
            return []
        flags = [f"-mcpu={self.cpu}", "-mthumb"]
        if self.fpu not in ("none", "auto"):
            flags.append(f"-mfpu={self.fpu}")
        flags.append(f"-mfloat-abi={self.float_abi}")
        return flags


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
        platformio_platform=data.get("platformio_platform"), extra=data)


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


def load_board(name: str) -> Board:
    boards = all_boards()
    if name not in boards:
        raise InputError(f"unknown board '{name}' (known: {', '.join(sorted(boards))})")
    return boards[name]
