"""PlatformIO integration: generated projects, the model as a library, an emulated-board platform.

- :func:`write_platformio_project` — ``mcugen build MODEL --board B --platformio DIR``
- :func:`export_library` — ``mcugen export MODEL --platformio-lib DIR`` / ``--c-lib DIR``
- :func:`write_local_platform` — ``mcugen export --platformio-platform DIR``: QEMU boards in
  PlatformIO (``pio run -t upload`` runs the firmware in qemu-system-arm)
- :func:`flash_with_platformio` — ``pio run -t upload`` for boards flashed through PlatformIO
"""

from .library import ModelLibrary, export_library, write_cmsis_nn_wrapper
from .local_platform import PLATFORM_NAME, install_scons_standin, write_local_platform
from .pio import (PioProcess, build_with_platformio, flash_with_platformio, pio_environment,
                  run_pio, validate_project)
from .project import PlatformioProject, write_platformio_project
from .device import platformio_target
from .targets import PioTarget, emulated_targets, real_targets, resolve_target

__all__ = [
    "ModelLibrary", "PLATFORM_NAME", "PioProcess", "PioTarget", "PlatformioProject",
    "build_with_platformio", "emulated_targets", "export_library", "flash_with_platformio",
    "install_scons_standin", "pio_environment", "platformio_target", "real_targets", "resolve_target", "run_pio",
    "validate_project", "write_cmsis_nn_wrapper", "write_local_platform",
    "write_platformio_project",
]
