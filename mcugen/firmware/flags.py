"""The one build recipe: every compiler and linker flag mcugen uses, computed from the board.

Each build system gets its flags from here and nowhere else:

- the Python firmware build (:mod:`mcugen.firmware.build`) and the ``Makefile`` it writes
  (``templates/firmware/Makefile.j2``): :func:`firmware_recipe`;
- the host check program (:mod:`mcugen.firmware.host`): :func:`host_check_recipe`;
- a PlatformIO project's ``platformio.ini`` (``build_flags`` / ``build_src_flags``):
  :func:`platformio_flags`;
- mcugen's local PlatformIO platform: the board manifests carry :func:`platform_board_flags`,
  which ``builder/main.py`` reads;
- an exported library's ``CMakeLists.txt``: :data:`C_STANDARD` and the model's defines (the core's
  flags come from the user's toolchain file there).
"""

from __future__ import annotations

from dataclasses import dataclass

C_STANDARD = "99"
STD = f"-std=c{C_STANDARD}"
OPTIMIZATION = "-O2"
# hosted flags on purpose (no -ffreestanding): with it GCC stops inlining memcpy, which CMSIS-NN
# calls in its inner loops (3.4x more instructions on kws)
SECTIONS = ("-ffunction-sections", "-fdata-sections")
DEBUG = ("-g",)
# a kernel library: line tables only (backtraces and stepping by line still work); full debug
# information made compiling CMSIS-NN's sources a quarter slower
LIBRARY_DEBUG = ("-g1",)
# mcugen's own C (harness and generated model): warnings are errors
WARNINGS = ("-Wall", "-Wextra", "-Werror")
# a third-party kernel library (CMSIS-NN): its warnings are not ours to fix
LIBRARY_WARNINGS = ("-w",)
# user code built on mcugen's local PlatformIO platform: warnings shown, not errors
PLATFORM_WARNINGS = ("-Wall",)
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g")
GC_SECTIONS = ("-Wl,--gc-sections",)
# bare metal: mcugen's startup (templates/firmware/startup.c) instead of crt0, newlib-nano,
# no system calls but the ones the startup provides
BARE_METAL_LINK = ("-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", *GC_SECTIONS)
BARE_METAL_LIBS = ("c", "gcc")
CXX_FLAGS = ("-fno-rtti", "-fno-exceptions")
# compiles startup.c as part of mcugen's firmware harness (board_config.h, protocol fault report)
HARNESS_DEFINE = "MCUGEN_HARNESS"


def cpu_flags(board) -> list[str]:
    """-mcpu/-mthumb/-mfpu/-mfloat-abi of the board's core, for compiling and linking alike;
    none for the host board."""
    if board.is_host:
        return []
    flags = [f"-mcpu={board.cpu}", "-mthumb"]
    if board.fpu not in ("none", "auto"):     # "auto": -mcpu implies the FPU (Cortex-M55)
        flags.append(f"-mfpu={board.fpu}")
    flags.append(f"-mfloat-abi={board.float_abi}")
    return flags


def define_flag(define: str) -> str:
    return define if define.startswith("-") else f"-D{define}"


@dataclass(frozen=True)
class Recipe:
    """Flags of one build, by role. A compile is ``compile + own`` (mcugen's sources) or
    ``compile + library`` (a kernel library); the link is ``compile + objects + link``."""

    compile: tuple[str, ...]
    own: tuple[str, ...]
    library: tuple[str, ...]
    link: tuple[str, ...]


def firmware_recipe(board, defines=()) -> Recipe:
    """The harness build for ``board`` (an ELF, or the native program of the host board): the
    Python build and the Makefile it writes. The linker script and map file are added per build."""
    compile_ = (*cpu_flags(board), OPTIMIZATION, STD, *SECTIONS)
    link = GC_SECTIONS if board.is_host else BARE_METAL_LINK
    # mcugen's defines go to its own sources only: a kernel library's objects then depend on the
    # core and the flags alone, and one cached object serves every build (objcache.py)
    own = (*DEBUG, *(define_flag(d) for d in (*defines, HARNESS_DEFINE)), *WARNINGS)
    return Recipe(compile=compile_, own=own, library=(*LIBRARY_DEBUG, *LIBRARY_WARNINGS),
                  link=link)


def host_check_recipe(opt: str = OPTIMIZATION, sanitize: bool = False, defines=()) -> Recipe:
    """The host check program (templates/host/host_check.c around a generated model)."""
    compile_ = (opt, STD, *(SANITIZE if sanitize else ()), *(define_flag(d) for d in defines))
    # CMSIS-NN left-shifts negative values (arm_nnsupportfunctions.h, its softmax): GCC defines
    # that as the two's-complement shift, UBSan still reports it; mcugen's own sources keep
    # every check, the third-party library every check but that one
    library = ("-fno-sanitize=shift",) if sanitize else ()
    return Recipe(compile=compile_, own=WARNINGS, library=library, link=())


def build_description(board, kernels: str, *extra: str) -> str:
    """What the firmware reports as its build flags (the protocol's hello)."""
    return " ".join([*cpu_flags(board), OPTIMIZATION, kernels, *extra])


def platformio_flags(board, *, harness: bool, semihosting: bool | None = None
                     ) -> tuple[list[str], list[str]]:
    """``build_flags`` (every source: the core, optimisation, sections, the link flags PlatformIO
    passes to the linker) and ``build_src_flags`` (mcugen's own ``src/``: C standard, warnings as
    errors, the startup's defines) of a generated project."""
    build = [*cpu_flags(board), OPTIMIZATION, *SECTIONS, *GC_SECTIONS]
    src = [STD, *WARNINGS]
    if harness:
        src.append(define_flag(HARNESS_DEFINE))
    if semihosting is not None:
        src.append(f"-DMCUGEN_SEMIHOSTING={int(semihosting)}")
    return build, src


def platform_board_flags(board) -> dict[str, list[str]]:
    """What mcugen's local PlatformIO platform compiles and links every project with, for one of
    its boards (``build.mcugen`` in the board manifest, read by ``builder/main.py``)."""
    cpu = cpu_flags(board)
    return {"cpu_flags": cpu,
            "ccflags": [*cpu, OPTIMIZATION, *SECTIONS, *PLATFORM_WARNINGS],
            "cflags": [STD],
            "cxxflags": list(CXX_FLAGS),
            "linkflags": [*cpu, *BARE_METAL_LINK],
            "libs": list(BARE_METAL_LIBS)}
