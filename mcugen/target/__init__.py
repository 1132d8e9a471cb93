"""Targets: serial protocol, transports (pyserial URLs, QEMU, host pty), device verification."""
