"""Firmware for a board: the generated model, mcugen's harness and a kernel library, compiled and
linked into one ELF (or a native program for the ``host`` board), with a size report that is
checked against the board's memory."""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..boards import Board
from ..codegen import RenderedModel, render_model
from ..codegen.render import environment
from ..errors import InfrastructureError, InputError
from ..model.graph import Graph
from ..resources import templates_dir
from .flags import build_description, firmware_recipe
from .size import SizeReport, size_report

PROFILE_DEFINE = "MCUGEN_PROFILE"    # the model stamps the counter around every layer
UART_SOURCES = {"cmsdk": "uart_cmsdk.c", "pl011": "uart_pl011.c", "nrf51": "uart_nrf51.c",
                "stm32_sr": "uart_stm32_sr.c", "stm32_isr": "uart_stm32_isr.c"}


@dataclass
class Firmware:
    board: Board
    elf: Path                    # the ELF, or the native program for the host board
    rendered: RenderedModel
    size: SizeReport | None      # None for the host board


def toolchain(board: Board) -> str:
    cc = shutil.which("cc") or shutil.which("gcc") if board.is_host \
        else shutil.which("arm-none-eabi-gcc")
    if not cc:
        package = "gcc" if board.is_host else "gcc-arm-none-eabi libnewlib-arm-none-eabi"
        raise InfrastructureError(f"C compiler for {board.name} not found (apt-get install "
                                  f"{package}, or run scripts/bootstrap.sh)")
    return cc


def build_firmware(graph: Graph, board: Board, out_dir: str | Path, *, kernels: str = "portable",
                   cmsis_nn=None, debug_keep_all: bool = False, profile: bool = False,
                   wide_weights: bool = False) -> Firmware:
    """Render ``graph`` for ``board`` and build it into firmware with mcugen's harness
    (``profile``: with the per-layer counter stamps, MCUGEN_PROFILE)."""
    out_dir = Path(out_dir)
    rendered = render_model(graph, out_dir / "model", kernels=kernels,
                            cpu="host" if board.is_host else board.cpu, cmsis_nn=cmsis_nn,
                            debug_keep_all=debug_keep_all, wide_weights=wide_weights,
                            fpu=board.fpu, target=board.name)
    if profile:
        rendered.defines = [*rendered.defines, PROFILE_DEFINE]
    try:
        return build_harness(board, out_dir, rendered)
    except _RegionOverflow as exc:
        region = board.ram if exc.region == "RAM" else board.flash
        raise InputError(
            f"model does not fit {board.name}: {exc.region} needs "
            f"{region.length + exc.overflow:,} bytes (arena {rendered.arena_bytes:,}"
            f"{_state_text(rendered.plan)}, stack "
            f"{board.stack_bytes:,}), the board has {region.length:,}", graph.name) from None


def _state_text(plan) -> str:
    """The persistent state region inside the arena, when the model keeps state."""
    state = getattr(plan, "state_bytes", 0)
    return f" with {state:,} bytes of model state" if state else ""


def linker_script(board: Board) -> str:
    """mcugen's one linker script (``templates/firmware/linker.ld.j2``) for ``board``: the harness,
    mcugen's PlatformIO platform and the example program of a PlatformIO project all link with
    it, against the one startup (``templates/firmware/startup.c``)."""
    return environment().get_template("firmware/linker.ld.j2").render(board=board)


def startup_source() -> Path:
    return templates_dir() / "firmware" / "startup.c"


class _RegionOverflow(Exception):
    def __init__(self, region: str, overflow: int):
        super().__init__(region)
        self.region, self.overflow = region, overflow


def model_symbol(name: str) -> str:
    """The C name of a generated model's ABI descriptor (``templates/model/model.c.j2``)."""
    return f"{name}_model"


def write_harness_sources(board: Board, fw_dir: Path, rendered, build_flags: str) -> list[str]:
    """Lay out mcugen's firmware harness for ``board`` in ``fw_dir``: board_config.h, the linker
    script, startup, counter, the board's UART driver and the protocol server (or the host
    variant). Returns the harness file names. Used by the Makefile build and PlatformIO."""
    fw_dir.mkdir(parents=True, exist_ok=True)
    env = environment()
    (fw_dir / "board_config.h").write_text(env.get_template("firmware/board_config.h.j2").render(
        board=board, semihosting=board.run_method == "qemu",
        input_bytes=sum(n for n, _ in rendered.inputs),
        output_bytes=sum(n for n, _ in rendered.outputs), build_flags=build_flags,
        model_symbol=model_symbol(rendered.name)))
    harness = ["harness.h", "mcugen_protocol.h", "protocol.c"]
    if board.is_host:
        harness += ["host_main.c"]
    else:
        if board.uart_kind not in UART_SOURCES:
            raise InputError(f"board {board.name}: unknown UART kind '{board.uart_kind}'")
        harness += ["startup.c", "counter.c", UART_SOURCES[board.uart_kind]]
        (fw_dir / "linker.ld").write_text(linker_script(board))
    for name in harness:
        shutil.copyfile(templates_dir() / "firmware" / name, fw_dir / name)
    return harness


def build_harness(board: Board, out_dir: Path, rendered) -> Firmware:
    """Compile and link mcugen's harness around any code implementing mcugen_model_api.h
    (``rendered`` needs .sources, .library_sources, .include_dirs, .inputs, .outputs, .name,
    .kernels).

    Every object comes from the shared object cache (:mod:`.objcache`): mcugen's own sources
    are copied from there into ``DIR/obj/own/`` (where the Makefile keeps them), the kernel
    library's objects are linked where the cache holds them, and the Makefile names those same
    cached objects, so ``make`` after a build has nothing to do."""
    fw_dir = out_dir / "firmware"
    env = environment()
    harness = write_harness_sources(board, fw_dir, rendered,
                                    build_description(board, rendered.kernels))

    cc = toolchain(board)
    recipe = firmware_recipe(board, getattr(rendered, "defines", ()))
    include_dirs = [fw_dir, *rendered.include_dirs]
    lib_include_dirs = list(getattr(rendered, "library_include_dirs", None) or include_dirs)
    ldflags = list(recipe.link)
    if not board.is_host:
        ldflags += [f"-T{fw_dir / 'linker.ld'}", f"-Wl,-Map={out_dir / 'firmware.map'}"]
    own = [Path(p) for p in rendered.sources] + [fw_dir / n for n in harness if n.endswith(".c")]
    library = [Path(p) for p in rendered.library_sources]
    elf = out_dir / ("firmware.elf" if not board.is_host else "firmware-host")

    own_flags = [*recipe.compile, *recipe.own]
    lib_flags = [*recipe.compile, *recipe.library]
    where = f"{board.name}"
    own_objects = _compile_all([(cc, own_flags, src, include_dirs) for src in own], where)
    obj_dir = out_dir / "obj" / "own"
    obj_dir.mkdir(parents=True, exist_ok=True)
    objects = []
    for src, cached in zip(own, own_objects):
        local = obj_dir / f"{src.stem}.o"
        shutil.copyfile(cached, local)    # fresh mtime: newer than the source for make
        objects.append(str(local))
    lib_objects: dict[Path, Path] = {}
    while True:
        todo = [s for s in library if s not in lib_objects]
        lib_objects.update(zip(todo, _compile_all(
            [(cc, lib_flags, src, lib_include_dirs) for src in todo], where)))
        proc = subprocess.run([cc, *recipe.compile, *objects,
                               *(str(lib_objects[s]) for s in library), *ldflags,
                               "-o", str(elf)], capture_output=True, text=True, timeout=600)
        missing = _missing_library_sources(proc, rendered, library)
        if not missing:
            break
        library += missing     # a function the source scan missed: add its file, link again
    (out_dir / "Makefile").write_text(env.get_template("firmware/Makefile.j2").render(
        board=board, kernels=rendered.kernels, elf=elf.name, cc=cc, recipe=recipe,
        includes=[f"-I{d}" for d in include_dirs], ldflags=ldflags,
        own_sources=[str(p) for p in own],
        lib_includes=[f"-I{d}" for d in lib_include_dirs],
        lib_objects=[(str(lib_objects[s]), str(s)) for s in library]))
    if proc.returncode != 0:
        overflow = re.search(r"region `(\w+)' overflowed by (\d+) bytes", proc.stderr)
        if overflow:
            raise _RegionOverflow(overflow.group(1), int(overflow.group(2)))
        raise InfrastructureError(f"link failed: {_first_error(proc.stderr)}", str(out_dir))
    size = None if board.is_host else size_report(elf, rendered.name)
    return Firmware(board, elf, rendered, size)


def _missing_library_sources(proc, rendered, library: list[Path]) -> list[Path]:
    """Sources of the kernel library that define what the link found undefined."""
    if proc.returncode == 0 or not getattr(rendered, "library_sources", None):
        return []
    undefined = sorted(set(re.findall(r"undefined reference to `(\w+)'", proc.stderr)))
    if not undefined:
        return []
    from ..codegen.cmsis_nn import find_cmsis_nn
    try:
        lib = find_cmsis_nn(getattr(rendered, "cmsis_nn_root", None))
    except InputError:
        return []
    found = {lib.source_defining(name) for name in undefined}
    return sorted(p for p in found if p is not None and p not in library)


def _compile_all(jobs, where: str) -> list[Path]:
    """Objects for (cc, flags, source, include dirs) jobs from the shared cache, compiling the
    missing ones two at a time (the machines this runs on have few cores)."""
    from .objcache import cached_object

    def compile_one(job):
        cc, flags, src, dirs = job
        return cached_object(cc, flags, src, dirs, where=where)
    if len(jobs) <= 1:
        return [compile_one(j) for j in jobs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(compile_one, jobs))


def _first_error(stderr: str) -> str:
    return next((line.strip() for line in stderr.splitlines() if "error" in line),
                stderr.strip()[:300])
