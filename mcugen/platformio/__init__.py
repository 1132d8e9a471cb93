"""PlatformIO integration: generated projects, the model as a library, an emulated-board platform.

- :func:`write_platformio_project` — ``mcugen build MODEL --board B --platformio DIR``
- :func:`export_library` — ``mcugen export MODEL --platformio-lib DIR`` / ``--c-lib DIR``
- :func:`write_local_platform` — ``mcugen export --platformio-platform DIR``: QEMU boards in
  PlatformIO (``pio run -t upload`` runs the firmware in qemu-system-arm)
- :func:`flash_with_platformio` — ``pio run -t upload`` for boards flashed through PlatformIO
- :func:`platformio_target` — flash, then a connected protocol ``Device`` (``mcugen verify``)

PlatformIO's view of a board (platform and board ids, upload protocol, monitor speed, QEMU
machine) is the board's file, ``boards/<name>.toml``, read by :mod:`mcugen.boards`.
"""

from .library import ModelLibrary, export_library
from .local_platform import (PLATFORM_NAME, install_scons_standin, local_platform_boards,
                             write_local_platform)
from .pio import (PioProcess, build_with_platformio, flash_with_platformio, pio_environment,
                  run_pio, validate_project)
from .project import PlatformioProject, pio_board, write_platformio_project
from .device import platformio_target

__all__ = [
    "ModelLibrary", "PLATFORM_NAME", "PioProcess", "PlatformioProject",
    "build_with_platformio", "export_library", "flash_with_platformio",
    "install_scons_standin", "local_platform_boards", "pio_board", "pio_environment",
    "platformio_target", "run_pio", "validate_project",
    "write_local_platform", "write_platformio_project",
]
