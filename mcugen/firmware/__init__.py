"""Firmware: the generated model built for a board (with mcugen's harness) or for the host, and
the size report."""
