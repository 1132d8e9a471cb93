"""Size report of a firmware ELF: flash and RAM by section, and the model's constant data."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import InfrastructureError

FLASH_SECTIONS = (".isr_vector", ".text", ".rodata", ".ARM.exidx", ".data")
RAM_SECTIONS = (".data", ".bss", ".stack")


@dataclass
class SizeReport:
    flash_bytes: int          # text + rodata + data (initial values live in flash)
    ram_bytes: int            # data + bss (the arena included) + the stack reserve
    stack_bytes: int
    model_data_bytes: int     # weights, biases, requantization tables of the model
    sections: dict[str, int]

    @property
    def code_flash_bytes(self) -> int:
        """Flash without the model's constant data: what the runtime itself costs."""
        return self.flash_bytes - self.model_data_bytes


def size_report(elf: Path, model_prefix: str) -> SizeReport:
    tool = shutil.which("arm-none-eabi-size")
    nm = shutil.which("arm-none-eabi-nm")
    if not tool or not nm:
        raise InfrastructureError("arm-none-eabi binutils not found (apt-get install "
                                  "gcc-arm-none-eabi)")
    out = subprocess.run([tool, "-A", str(elf)], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    sections = {}
    for line in out.splitlines():
        m = re.match(r"^(\.\S+)\s+(\d+)\s+\d+", line)
        if m:
            sections[m.group(1)] = int(m.group(2))
    symbols = subprocess.run([nm, "-S", "--size-sort", str(elf)], capture_output=True,
                             text=True, check=True, timeout=60).stdout
    model_data = 0
    for line in symbols.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "rR" and parts[3].startswith(f"{model_prefix}_op"):
            model_data += int(parts[1], 16)
    return SizeReport(
        flash_bytes=sum(sections.get(s, 0) for s in FLASH_SECTIONS),
        ram_bytes=sum(sections.get(s, 0) for s in RAM_SECTIONS),
        stack_bytes=sections.get(".stack", 0), model_data_bytes=model_data, sections=sections)
