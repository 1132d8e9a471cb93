"""Numbers the firmware and the host share are defined once, in C headers, and read by Python:
both sides see the same values (the C side as the compiler sees them)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from mcugen.device import protocol
from mcugen.resources import c_constants, templates_dir

HEADERS = ["firmware/mcugen_protocol.h", "runtime/mcugen_model_api.h"]


def _compiled_values(tmp_path, header: str, names: list[str]) -> dict[str, int]:
    """What a C compiler makes of each name in ``header``."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler")
    src = tmp_path / "print.c"
    src.write_text(f'#include <stdio.h>\n#include "{header.split("/")[1]}"\nint main(void)\n{{\n'
                   + "".join(f'    printf("{n} %lld\\n", (long long)({n}));\n' for n in names)
                   + "    return 0;\n}\n")
    exe = tmp_path / "print"
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror",
                    f"-I{templates_dir() / header.split('/')[0]}", str(src), "-o", str(exe)],
                   check=True, timeout=60)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True, timeout=10).stdout
    return {name: int(value) for name, value in (line.split() for line in out.splitlines())}


@pytest.mark.parametrize("header", HEADERS)
def test_python_reads_what_the_compiler_sees(header, tmp_path):
    parsed = c_constants(header)
    assert parsed
    assert _compiled_values(tmp_path, header, sorted(parsed)) == parsed


def test_every_protocol_number_comes_from_the_header():
    c = c_constants("firmware/mcugen_protocol.h")
    commands = {k[len("MCUGEN_CMD_"):]: v for k, v in c.items() if k.startswith("MCUGEN_CMD_")}
    assert commands == {name: getattr(protocol, name) for name in commands}
    statuses = {v: k[len("MCUGEN_ST_"):] for k, v in c.items() if k.startswith("MCUGEN_ST_")}
    assert protocol.STATUS == {v: protocol.STATUS_TEXT[name] for v, name in statuses.items()}
    assert protocol.SYNC == bytes([c["MCUGEN_SYNC0"], c["MCUGEN_SYNC1"]])
    assert protocol.CHUNK + 4 <= c["MCUGEN_MAX_PAYLOAD"]   # an upload frame fits the device
    # the C side uses the header's names, never its own numbers
    server = (templates_dir() / "firmware" / "protocol.c").read_text()
    assert '#include "mcugen_protocol.h"' in server
    assert not re.search(r"\b0x(A5|5A|80|7F)u?\b|enum\s*\{\s*CMD_", server, re.IGNORECASE)


def test_defines_the_parser_ignores_are_not_numbers():
    """Every #define MCUGEN_* with a value in the shared headers is an integer the parser reads."""
    for header in HEADERS:
        text = (templates_dir() / header).read_text()
        defined = set(re.findall(r"^[ \t]*#[ \t]*define[ \t]+(MCUGEN_\w+)[ \t]+\S", text, re.M))
        assert defined == set(c_constants(header)), header
