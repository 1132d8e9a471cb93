"""The device side of verification: the serial protocol, the runners that start a board (QEMU,
the host program, a serial port) and connect to it, and the byte-for-byte check against the
simulator."""
