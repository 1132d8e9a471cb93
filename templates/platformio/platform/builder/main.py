# SCons build script of mcugen's local PlatformIO platform "mcugen-qemu".
#
# Builds with the system arm-none-eabi-* tools (no registry package needed) and makes
# `pio run -t upload` run the ELF in qemu-system-arm. Written by mcugen; PlatformIO runs it.
# The compiler and linker flags are not written here: each board manifest carries them under
# "build.mcugen", rendered from mcugen's build recipe (mcugen/firmware/flags.py).
#
# Project options it reads (all optional):
#   upload_port     socket://127.0.0.1:PORT or tcp:127.0.0.1:PORT: the board's UART becomes a TCP
#                   server QEMU waits on (connect with pyserial/`pio device monitor`); without it
#                   the UART goes to the console.
#   upload_flags    extra qemu-system-arm arguments, e.g. -icount shift=7
#   board_upload.timeout            seconds before QEMU is stopped (default: none)
#   board_build.mcugen_startup = no the project brings its own startup and vector table
#   board_build.ldscript            the project's own linker script

import os
import shutil
import subprocess
import sys

from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
platform = env.PioPlatform()
board = env.BoardConfig()

env.Replace(
    AR="arm-none-eabi-gcc-ar",
    AS="arm-none-eabi-as",
    CC="arm-none-eabi-gcc",
    CXX="arm-none-eabi-g++",
    GDB="gdb-multiarch",
    OBJCOPY="arm-none-eabi-objcopy",
    RANLIB="arm-none-eabi-gcc-ranlib",
    SIZETOOL="arm-none-eabi-size",
    ARFLAGS=["rc"],
    SIZEPROGREGEXP=r"^(?:\.isr_vector|\.text|\.data|\.rodata|\.ARM\.exidx|\.init_array)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.bss|\.noinit|\.stack)\s+(\d+).*",
    SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
    SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
    PROGNAME="firmware",
    PROGSUFFIX=".elf",
)

flags = board.get("build.mcugen")
env.Append(
    ASFLAGS=flags["cpu_flags"],
    ASPPFLAGS=flags["cpu_flags"] + ["-x", "assembler-with-cpp"],
    CCFLAGS=flags["ccflags"],
    CFLAGS=flags["cflags"],
    CXXFLAGS=flags["cxxflags"],
    LINKFLAGS=flags["linkflags"],
    LIBS=flags["libs"],
)

if shutil.which(env.subst("$CC")) is None:
    sys.stderr.write("Error: arm-none-eabi-gcc not found; install gcc-arm-none-eabi and "
                     "libnewlib-arm-none-eabi\n")
    env.Exit(1)

if env.GetProjectOption("board_build.mcugen_startup", "yes").lower() not in ("no", "false", "0"):
    env.BuildSources(os.path.join("$BUILD_DIR", "mcugen_startup"),
                     os.path.join(platform.get_dir(), "startup"))

target_elf = env.BuildProgram()
target_size = env.Alias("size", target_elf,
                        env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE"))
AlwaysBuild(target_size)


def _serial_argument(port):
    """QEMU's -serial argument for an upload_port: a TCP server QEMU waits on, or the console."""
    if not port:
        return "stdio"
    for prefix in ("socket://", "tcp:", "tcp://"):
        if port.startswith(prefix):
            port = port[len(prefix):]
    host, _, number = port.rpartition(":")
    if not number.isdigit():
        sys.stderr.write("Error: upload_port for QEMU must be socket://HOST:PORT, got %r\n" % port)
        return None
    return "tcp:%s:%s,server=on,wait=on" % (host or "127.0.0.1", number)


def run_in_qemu(target, source, env):
    serial = _serial_argument(env.subst("$UPLOAD_PORT"))
    if serial is None:
        return 2
    qemu = shutil.which("qemu-system-arm")
    if qemu is None:
        sys.stderr.write("Error: qemu-system-arm not found; install qemu-system-arm\n")
        return 3
    cmd = [qemu, "-M", board.get("upload.qemu_machine"), "-display", "none", "-monitor", "none",
           "-semihosting-config", "enable=on,target=native", "-no-reboot",
           "-serial", serial, "-kernel", str(source[0])]
    cmd += [env.subst(flag) for flag in env.get("UPLOAD_FLAGS", [])]
    timeout = float(board.get("upload.timeout", 0) or 0) or None
    print(" ".join(cmd))
    sys.stdout.flush()
    try:
        code = subprocess.call(cmd, timeout=timeout)  # kills QEMU when the time is up
    except subprocess.TimeoutExpired:
        sys.stderr.write("Error: QEMU stopped after %g s (board_upload.timeout)\n" % timeout)
        return 124
    print("QEMU exited with code %d" % code)
    return code


upload = env.Alias("upload", target_elf, env.VerboseAction(run_in_qemu, "Running $SOURCE in QEMU"))
AlwaysBuild(upload)

Default([env.Alias("buildprog", target_elf)])
