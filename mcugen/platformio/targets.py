"""PlatformIO's view of a board: platform and board ids, compiler flags, memory, how to upload.

mcugen's boards are data (``boards/*.toml``, loaded by :mod:`mcugen.boards`). PlatformIO needs a
few facts the board files do not have to carry — the official platform and board ids, the upload
protocol, the monitor speed — so they live here, keyed by mcugen board name; a board file may
override any of them with a ``[platformio]`` table. For the emulated boards the QEMU memory maps
of ``shared/docs/emulated-boards.md`` are the fallback while no board file is installed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError

# Official PlatformIO ids of the real boards mcugen knows (docs.platformio.org/page/boards/).
_REAL = {
    "nucleo_l4r5zi": dict(platform="ststm32", board="nucleo_l4r5zi", cpu="cortex-m4",
                          fpu="fpv4-sp-d16", float_abi="hard", upload_protocol="stlink",
                          flash=(0x08000000, 2048 * 1024), ram=(0x20000000, 640 * 1024)),
    "nucleo_f746zg": dict(platform="ststm32", board="nucleo_f746zg", cpu="cortex-m7",
                          fpu="fpv5-sp-d16", float_abi="hard", upload_protocol="stlink",
                          flash=(0x08000000, 1024 * 1024), ram=(0x20000000, 320 * 1024)),
    "nucleo_h743zi2": dict(platform="ststm32", board="nucleo_h743zi", cpu="cortex-m7",
                           fpu="fpv5-d16", float_abi="hard", upload_protocol="stlink",
                           flash=(0x08000000, 2048 * 1024), ram=(0x24000000, 512 * 1024)),
    "pico": dict(platform="raspberrypi", board="pico", cpu="cortex-m0plus", fpu=None,
                 float_abi="soft", upload_protocol="picotool",
                 flash=(0x10000000, 2048 * 1024), ram=(0x20000000, 264 * 1024)),
    "nrf52840_dk": dict(platform="nordicnrf52", board="nrf52840_dk", cpu="cortex-m4",
                        fpu="fpv4-sp-d16", float_abi="hard", upload_protocol="jlink",
                        flash=(0x00000000, 1024 * 1024), ram=(0x20000000, 256 * 1024)),
}
# Aliases users type: the board's marketing name, or PlatformIO's id for it.
_ALIASES = {"nucleo_h743zi": "nucleo_h743zi2", "nrf52840dk": "nrf52840_dk",
            "rp2040": "pico", "raspberry_pi_pico": "pico"}

# QEMU machines (emulated-boards.md): link address and size of code and data memory.
_EMULATED = {
    "mps2-an385": dict(cpu="cortex-m3", fpu=None, float_abi="soft", machine="mps2-an385",
                       flash=(0x00000000, 4 << 20), ram=(0x20000000, 4 << 20)),
    "mps2-an386": dict(cpu="cortex-m4", fpu="fpv4-sp-d16", float_abi="hard",
                       machine="mps2-an386", flash=(0x00000000, 4 << 20),
                       ram=(0x20000000, 4 << 20)),
    "mps2-an500": dict(cpu="cortex-m7", fpu="fpv5-d16", float_abi="hard", machine="mps2-an500",
                       flash=(0x00000000, 4 << 20), ram=(0x20000000, 4 << 20)),
    "mps2-an505": dict(cpu="cortex-m33", fpu="fpv5-sp-d16", float_abi="hard",
                       machine="mps2-an505", flash=(0x10000000, 4 << 20),
                       ram=(0x38000000, 4 << 20)),
    "mps3-an547": dict(cpu="cortex-m55", fpu="auto", float_abi="hard", machine="mps3-an547",
                       flash=(0x10000000, 512 << 10), ram=(0x30000000, 512 << 10)),
    "lm3s6965evb": dict(cpu="cortex-m3", fpu=None, float_abi="soft", machine="lm3s6965evb",
                        flash=(0x00000000, 256 << 10), ram=(0x20000000, 64 << 10)),
    "microbit": dict(cpu="cortex-m0", fpu=None, float_abi="soft", machine="microbit",
                     flash=(0x00000000, 256 << 10), ram=(0x20000000, 16 << 10)),
    "netduinoplus2": dict(cpu="cortex-m4", fpu="fpv4-sp-d16", float_abi="hard",
                          machine="netduinoplus2", flash=(0x08000000, 1 << 20),
                          ram=(0x20000000, 128 << 10)),
}

MONITOR_SPEED = 115200


@dataclass(frozen=True)
class PioTarget:
    """Everything the PlatformIO generators need to know about one board."""

    name: str                      # mcugen board name
    cpu: str                       # gcc -mcpu value, also what the code generator takes
    fpu: str | None                # gcc -mfpu value; None: no FPU; "auto": -mcpu implies it
    float_abi: str                 # soft | softfp | hard
    emulated: bool
    platform: str                  # PlatformIO platform id ("mcugen-qemu" for emulated boards)
    board: str                     # PlatformIO board id
    upload_protocol: str | None
    flash: tuple[int, int]         # (origin, bytes)
    ram: tuple[int, int]
    qemu_machine: str | None = None
    monitor_speed: int = MONITOR_SPEED
    features: tuple[str, ...] = field(default_factory=tuple)

    @property
    def cpu_flags(self) -> list[str]:
        """gcc flags selecting the core: the same for compiling and linking."""
        flags = [f"-mcpu={self.cpu}", "-mthumb"]
        if self.fpu and self.fpu != "auto":
            flags.append(f"-mfpu={self.fpu}")
        flags.append(f"-mfloat-abi={self.float_abi if self.fpu else 'soft'}")
        return flags


def known_targets() -> list[str]:
    return sorted(_REAL) + sorted(_EMULATED)


def real_targets() -> list[str]:
    return sorted(_REAL)


def emulated_targets() -> list[str]:
    return sorted(_EMULATED)


def _board_file(name: str):
    """The mcugen board definition, when the boards module and a board file for it exist."""
    try:
        from ..boards import load_board  # the boards stage; absent in older checkouts
    except ImportError:
        return None
    try:
        return load_board(name)
    except InputError:
        return None


def _region(board, key: str):
    direct = getattr(board, key, None)  # mcugen.boards.Board: Region(origin, length)
    if direct is not None and hasattr(direct, "length"):
        return int(direct.origin), int(direct.length)
    memory = getattr(board, "memory", None) or {}
    region = memory.get(key) if isinstance(memory, dict) else getattr(memory, key, None)
    if region is None:
        return None
    if isinstance(region, dict):
        return int(region.get("origin", 0)), int(region["size"])
    return int(getattr(region, "origin", 0)), int(getattr(region, "size"))


def resolve_target(board) -> PioTarget:
    """A :class:`PioTarget` for a board name or a board object from :mod:`mcugen.boards`."""
    if isinstance(board, PioTarget):
        return board
    obj = None
    if isinstance(board, str):
        name = _ALIASES.get(board.lower().replace("-", "_"), board)
        if name not in _REAL and name.lower().replace("-", "_") in _REAL:
            name = name.lower().replace("-", "_")
        obj = _board_file(name)
    else:
        obj, name = board, getattr(board, "name")
    facts = dict(_REAL.get(name) or _EMULATED.get(name) or {})
    emulated = name in _EMULATED
    if obj is not None:  # the board file wins over the built-in table
        emulated = bool(getattr(obj, "emulated", emulated))
        for key in ("cpu", "fpu", "float_abi"):
            value = getattr(obj, key, None)
            if value not in (None, ""):
                facts[key] = None if value in ("none", False) else value
        if getattr(obj, "is_host", False):
            raise InputError("the host board has no PlatformIO project; use a Cortex-M board",
                             "--board")
        for key in ("flash", "ram"):
            region = _region(obj, key)
            if region:
                facts[key] = region
        machine = getattr(obj, "qemu_machine", None)
        if machine:
            facts["machine"] = machine
        for key, attr in (("platform", "platformio_platform"), ("board", "platformio_board")):
            if getattr(obj, attr, None):
                facts[key] = getattr(obj, attr)
        overrides = getattr(obj, "platformio", None) or {}
        facts.update({k: v for k, v in dict(overrides).items() if v is not None})
        facts.setdefault("features", tuple(getattr(obj, "features", ()) or ()))
    if "cpu" not in facts or "flash" not in facts:
        raise InputError(f"no PlatformIO target for board '{name}'; known: "
                         + ", ".join(known_targets()), "--board")
    return PioTarget(
        name=name, cpu=facts["cpu"], fpu=facts.get("fpu"), float_abi=facts.get("float_abi", "soft"),
        emulated=emulated,
        platform=facts.get("platform", "mcugen-qemu"),
        board=facts.get("board", f"mcugen_{name.replace('-', '_')}"),
        upload_protocol=facts.get("upload_protocol", "qemu" if emulated else None),
        flash=tuple(facts["flash"]), ram=tuple(facts["ram"]),
        qemu_machine=facts.get("machine") if emulated else None,
        monitor_speed=int(facts.get("monitor_speed", MONITOR_SPEED)),
        features=tuple(facts.get("features", ())),
    )
