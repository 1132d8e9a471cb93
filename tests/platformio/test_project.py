"""Generated PlatformIO projects: PlatformIO's own validator, cross-compilation per real board,
and a full `pio run` / `pio run -t upload` on an emulated board (mcugen's local platform)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mcugen.errors import InputError
from mcugen.boards import board_names, load_board
from mcugen.platformio import (build_with_platformio, flash_with_platformio, validate_project,
                               write_platformio_project)
from tests.platformio.conftest import cmsis_nn_tree, fake_rendered

# The boards' official PlatformIO ids (docs.platformio.org/page/boards/) and the architecture
# their core implies (datasheets): written out here, independent of the board files.
REAL_BOARDS = {
    "nucleo_l4r5zi": ("ststm32", "nucleo_l4r5zi", "7E-M", True),
    "nucleo_f746zg": ("ststm32", "nucleo_f746zg", "7E-M", True),
    "nucleo_h743zi2": ("ststm32", "nucleo_h743zi", "7E-M", True),
    "pico": ("raspberrypi", "pico", "6S-M", False),
    "nrf52840_dk": ("nordicnrf52", "nrf52840_dk", "7E-M", True),
}
GCC = shutil.which("arm-none-eabi-gcc")


def _expected_output(n=16):
    """The fixture model's function (x ^ 0x5a) on the example program's input pattern."""
    out = []
    for i in range(n):
        v = ((i * 7 + 3) & 0x7F) ^ 0x5A
        out.append(v - 256 if v > 127 else v)
    return out


def test_board_files_carry_the_platformio_facts():
    """PlatformIO's ids, upload protocol, monitor speed and the QEMU machine come from the board
    files only (mcugen has no second board table)."""
    for name in board_names("platformio"):
        board = load_board(name)
        platform, pio_board, _, _ = REAL_BOARDS[name]
        assert (board.platformio_platform, board.platformio_board) == (platform, pio_board)
        assert board.platformio_upload_protocol and board.monitor_speed == 115200
    for name in board_names("qemu"):
        board = load_board(name)
        assert board.platformio_platform == "mcugen-qemu" and board.qemu_machine
        assert board.platformio_upload_protocol == "qemu" and board.clock_hz


def test_every_real_board_known():
    assert sorted(REAL_BOARDS) == board_names("platformio")


@pytest.mark.parametrize("typed,board", [("nucleo_h743zi", "nucleo_h743zi2"),
                                         ("NUCLEO-L4R5ZI", "nucleo_l4r5zi"),
                                         ("rp2040", "pico"), ("nrf52840dk", "nrf52840_dk")])
def test_aliases_users_type(typed, board, tmp_path):
    assert load_board(typed).name == board
    project = write_platformio_project(fake_rendered(tmp_path), typed, tmp_path / "proj")
    assert project.board.name == board and project.env == board


@pytest.mark.parametrize("board", sorted(REAL_BOARDS))
def test_real_board_project_validates(board, tmp_path):
    from platformio.project.config import ProjectConfig

    project = write_platformio_project(fake_rendered(tmp_path), board, tmp_path / "proj")
    assert validate_project(project.path) == []  # no warnings either
    config = ProjectConfig(str(project.ini))
    section = f"env:{project.env}"
    platform, pio_board, _, _ = REAL_BOARDS[board]
    assert config.get(section, "platform") == platform
    assert config.get(section, "board") == pio_board
    assert config.get(section, "monitor_speed") == 115200
    assert config.get(section, "upload_protocol")
    assert config.get(section, "lib_deps") == ["fake"]
    assert (project.path / "lib" / "fake" / "library.json").is_file()
    assert (project.path / "src" / "protocol.c").is_file()  # mcugen's firmware harness
    assert config.get(section, "board_build.ldscript") == "src/linker.ld"


def _sources(project_dir: Path):
    return sorted(project_dir.glob("lib/*/src/**/*.c")) + sorted(project_dir.glob("src/*.c"))


@pytest.mark.skipif(GCC is None, reason="arm-none-eabi-gcc not installed")
@pytest.mark.parametrize("board", sorted(REAL_BOARDS))
def test_real_board_sources_compile_for_its_cpu(board, tmp_path):
    """Every C file of the project compiles with the ini's own flags, warnings as errors, and the
    objects carry the board's architecture and float ABI."""
    from platformio.project.config import ProjectConfig

    project = write_platformio_project(fake_rendered(tmp_path), board, tmp_path / "proj")
    config = ProjectConfig(str(project.ini))
    section = f"env:{project.env}"
    flags = config.get(section, "build_flags") + config.get(section, "build_src_flags")
    includes = [f"-I{d}" for d in sorted(project.path.glob("lib/*/include"))]
    _, _, arch, hard_float = REAL_BOARDS[board]
    for src in _sources(project.path):
        obj = tmp_path / (src.stem + ".o")
        subprocess.run([GCC, *flags, *includes, "-c", str(src), "-o", str(obj)], check=True,
                       timeout=120)
        attrs = subprocess.run(["arm-none-eabi-readelf", "-A", str(obj)], capture_output=True,
                               text=True, check=True, timeout=60).stdout
        assert f'Tag_CPU_name: "{arch}"' in attrs, (src, attrs)
        assert ("Tag_ABI_VFP_args: VFP registers" in attrs) == hard_float, (src, attrs)


# Datasheet memory maps: (flash origin, end of the contiguous RAM the stack starts from).
MEMORY = {
    "nucleo_l4r5zi": (0x08000000, 0x20000000 + 640 * 1024),
    "nucleo_f746zg": (0x08000000, 0x20000000 + 320 * 1024),
    "nucleo_h743zi2": (0x08000000, 0x24000000 + 512 * 1024),
    "pico": (0x10000000, 0x20000000 + 256 * 1024),  # SRAM0-3 (striped); SRAM4/5 not used
    "nrf52840_dk": (0x00000000, 0x20000000 + 256 * 1024),
}


@pytest.mark.skipif(GCC is None, reason="arm-none-eabi-gcc not installed")
@pytest.mark.parametrize("board", sorted(REAL_BOARDS))
def test_real_board_example_links_at_the_boards_addresses(board, tmp_path):
    """Without a harness the project is the example program with its own startup and linker
    script: it links, with the vector table at the flash origin and the stack at the RAM end."""
    from platformio.project.config import ProjectConfig

    project = write_platformio_project(fake_rendered(tmp_path), board, tmp_path / "proj",
                                       example=True)
    config = ProjectConfig(str(project.ini))
    section = f"env:{project.env}"
    flags = config.get(section, "build_flags") + config.get(section, "build_src_flags")
    ldscript = project.path / config.get(section, "board_build.ldscript")
    includes = [f"-I{d}" for d in sorted(project.path.glob("lib/*/include"))]
    elf, binary = tmp_path / "fw.elf", tmp_path / "fw.bin"
    subprocess.run([GCC, *flags, *includes, *map(str, _sources(project.path)), "-T", str(ldscript),
                    "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs",
                    "-Wl,--gc-sections", "-o", str(elf)], check=True, timeout=120)
    symbols = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True,
                             check=True, timeout=60).stdout
    addresses = {ln.split()[-1]: int(ln.split()[0], 16) for ln in symbols.splitlines()
                 if len(ln.split()) == 3}
    flash_origin, ram_end = MEMORY[board]
    assert addresses["vector_table"] == flash_origin
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", "-j", ".isr_vector", str(elf),
                    str(binary)], check=True, timeout=60)
    words = binary.read_bytes()
    assert int.from_bytes(words[0:4], "little") == ram_end  # initial stack pointer
    assert int.from_bytes(words[4:8], "little") == addresses["Reset_Handler"] | 1  # thumb bit


def test_project_is_deterministic(tmp_path):
    rendered = fake_rendered(tmp_path)
    a = write_platformio_project(rendered, "nucleo_f746zg", tmp_path / "a").path
    b = write_platformio_project(rendered, "nucleo_f746zg", tmp_path / "b").path
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_unknown_board_is_a_one_line_input_error(tmp_path):
    with pytest.raises(InputError, match="unknown board 'arduino_uno'"):
        write_platformio_project(fake_rendered(tmp_path), "arduino_uno", tmp_path / "p")


def test_project_path_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        write_platformio_project(fake_rendered(tmp_path), "pico", tmp_path / "f")


@pytest.mark.qemu
@pytest.mark.timeout(300)
def test_emulated_project_builds_and_runs_with_pio(tmp_path, pio_core):
    """`pio run` then `pio run -t upload` (= run in QEMU) on the generated mps2-an386 project."""
    project = write_platformio_project(fake_rendered(tmp_path), "mps2-an386",
                                       tmp_path / "proj", upload_timeout=60, example=True)
    assert validate_project(project.path) == []
    out = build_with_platformio(project.path, core_dir=pio_core, timeout=240)
    assert "[SUCCESS]" in out
    assert project.elf().is_file()
    out = flash_with_platformio(project.path, core_dir=pio_core, timeout=120)
    line = next(ln for ln in out.splitlines() if ln.startswith("output:"))
    assert [int(v) for v in line.split()[1:]] == _expected_output()
    assert "QEMU exited with code 0" in out


@pytest.mark.qemu
@pytest.mark.cmsis_nn
@pytest.mark.timeout(300)
def test_cmsis_nn_dependency_builds_from_the_users_tree(tmp_path, pio_core):
    tree = cmsis_nn_tree()
    if tree is None:
        pytest.skip("MCUGEN_CMSIS_NN is not set to a CMSIS-NN tree")
    rendered = fake_rendered(tmp_path)
    rendered.kernels = "cmsis-nn 7.0.0"
    rendered.library_sources = [
        rendered.library_sources[0],  # the fixture's own kernel stays part of the library
        tree / "Source" / "BasicMathFunctions" / "arm_elementwise_add_s8.c",
        tree / "Source" / "SoftmaxFunctions" / "arm_softmax_s8.c",
    ]
    project = write_platformio_project(rendered, "mps2-an386", tmp_path / "proj",
                                       upload_timeout=60, example=True)
    script = project.path / "lib" / project.library.name / "mcugen_cmsis_nn.py"
    assert script.is_file() and str(tree) in script.read_text()
    assert not (project.path / "lib" / "CMSIS-NN").exists()    # the library builds on its own
    assert not list((project.path / "lib").rglob("arm_*.c"))  # CMSIS-NN is referenced, not copied
    assert validate_project(project.path) == []
    out = build_with_platformio(project.path, core_dir=pio_core, timeout=240)
    assert "arm_elementwise_add_s8.o" in out and "arm_softmax_s8.o" in out
    assert "arm_convolve_s8.o" not in out  # only the listed sources


def test_verify_on_a_real_board_flashes_through_platformio(tmp_path, monkeypatch):
    """`verify --board <real board> --port P` writes the PlatformIO project and flashes it with
    `pio run -t upload` before talking to P (here the official platform cannot be installed, so
    the flashing step is observed, not performed)."""
    from mcugen.boards import load_board
    from mcugen.firmware.build import build_firmware
    from mcugen.errors import InfrastructureError
    from mcugen.model import load_model
    import mcugen.platformio.device as device_module
    from mcugen.device.runner import open_device
    from tests.oracle import shared_model

    flashed = []

    def fake_flash(path, port=None, **kwargs):
        flashed.append(path)
        raise InfrastructureError("offline: the ststm32 platform cannot be installed here")
    monkeypatch.setattr(device_module, "flash_with_platformio", fake_flash)
    graph = load_model(shared_model("tflm/hello_world_int8.tflite"))
    fw = build_firmware(graph, load_board("nucleo_l4r5zi"), tmp_path / "fw")
    with pytest.raises(InfrastructureError, match="offline"):
        with open_device(fw, port="/dev/ttyACM0", graph=graph):
            pass
    assert flashed and (tmp_path / "fw" / "platformio" / "platformio.ini").exists()
