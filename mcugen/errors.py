"""Exception types the CLI turns into one-line messages and exit codes.

The exit codes are a contract for hardware-in-the-loop CI, which must tell a wrong answer from a
broken rack:

====  =====================================================================
0     success
1     verification mismatch: the device computed something else
2     bad input or usage: the model, the data or the command line is wrong
3     infrastructure failure: toolchain or QEMU missing, serial timeout, crash
====  =====================================================================
"""

from __future__ import annotations


class McugenError(Exception):
    """Base class. ``where`` names the file, operator, tensor or board the problem is in."""

    exit_code = 2

    def __init__(self, message: str, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.message} ({self.where})" if self.where else self.message


class InputError(McugenError):
    """Bad input or usage: malformed model, wrong data shape, unknown board, model too big."""

    exit_code = 2


class UnsupportedOperatorError(InputError):
    """An operator mcugen cannot handle in the stage that met it."""

    def __init__(self, opcode: str, index: int, where: str | None = None, stage: str = ""):
        what = f"unsupported operator {opcode} at index {index}"
        if stage:
            what += f" ({stage})"
        super().__init__(what, where)
        self.opcode = opcode
        self.index = index


class VerificationMismatch(McugenError):
    """The device's outputs differ from the simulator's."""

    exit_code = 1


class InfrastructureError(McugenError):
    """Something outside the model failed: toolchain, emulator, serial link, device."""

    exit_code = 3
