"""Issue 18, point 4: builds reuse compiled objects (a cache keyed by compiler, flags and the
bytes of each source and the headers it can include), compile only the CMSIS-NN sources the
model's calls reach, and the generated Makefile links the same objects."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mcugen.boards import load_board
from mcugen.codegen.cmsis_nn import find_cmsis_nn
from mcugen.firmware import objcache
from mcugen.firmware.build import build_firmware
from mcugen.model import load_model
from tests.oracle import shared_model


def _cmsis_nn():
    root = os.environ.get("MCUGEN_CMSIS_NN")
    if not root or not (Path(root) / "Include" / "arm_nnfunctions.h").is_file():
        pytest.skip("set MCUGEN_CMSIS_NN to a CMSIS-NN tree")
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc is not installed (scripts/bootstrap.sh installs it)")
    return find_cmsis_nn(root)


def test_object_keys(tmp_path, monkeypatch):
    """Same bytes, same object (whatever the folder); another flag, or a changed header the
    source includes, another object; a header it does not include changes nothing."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler")
    monkeypatch.setenv(objcache.ENV_VAR, str(tmp_path / "cache"))
    objects = []
    for folder in ("a", "b"):
        d = tmp_path / folder
        d.mkdir()
        (d / "k.h").write_text("#define K 3\n")
        (d / "other.h").write_text("#define OTHER 1\n")
        (d / "k.c").write_text('#include "k.h"\nint k(void) { return K; }\n')
        objects.append(objcache.cached_object(cc, ["-O2"], d / "k.c", [d]))
    assert objects[0] == objects[1] and objects[0].is_file()
    d = tmp_path / "a"
    assert objcache.cached_object(cc, ["-O1"], d / "k.c", [d]) != objects[0]
    (d / "other.h").write_text("#define OTHER 2\n")
    assert objcache.cached_object(cc, ["-O2"], d / "k.c", [d]) == objects[0]
    (d / "k.h").write_text("#define K 4\n")
    assert objcache.cached_object(cc, ["-O2"], d / "k.c", [d]) != objects[0]
    assert str(objcache.objects_dir()).startswith(str(tmp_path / "cache"))


@pytest.mark.cmsis_nn
@pytest.mark.timeout(300)
def test_second_build_and_make_compile_nothing(tmp_path, monkeypatch):
    """kws with CMSIS-NN: ~20 of the tree's 100+ sources; a second build into a new folder
    compiles nothing (no new object in the cache); the Makefile links the cached objects and has
    nothing to do after the build; with a cached object deleted, make compiles that one."""
    lib = _cmsis_nn()
    monkeypatch.setenv(objcache.ENV_VAR, str(tmp_path / "cache"))
    graph = load_model(shared_model("mlperf_tiny/kws_ref_model.tflite"))
    board = load_board("mps2-an386")
    first = build_firmware(graph, board, tmp_path / "one", kernels="cmsis-nn", cmsis_nn=lib.root)
    library = first.rendered.library_sources
    assert 10 <= len(library) <= 30 < len(lib.sources())
    assert set(library) <= set(lib.sources())
    cached = {p: p.stat().st_mtime_ns for p in objcache.objects_dir().rglob("*.o")}
    second = build_firmware(graph, board, tmp_path / "two", kernels="cmsis-nn",
                            cmsis_nn=lib.root)
    assert {p: p.stat().st_mtime_ns for p in objcache.objects_dir().rglob("*.o")} == cached
    assert second.size.flash_bytes == first.size.flash_bytes
    makefile = (tmp_path / "two" / "Makefile").read_text()
    lib_objects = re.findall(r"^(/\S+\.o): ", makefile, re.M)
    assert len(lib_objects) == len(library)           # the source scan needed no link retry
    assert all(Path(o) in cached for o in lib_objects)
    assert subprocess.run(["make", "-q", "-C", str(tmp_path / "two")]).returncode == 0
    Path(lib_objects[0]).unlink()
    proc = subprocess.run(["make", "-C", str(tmp_path / "two")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(" -c ") == 1 and Path(lib_objects[0]).is_file()


@pytest.mark.slow
@pytest.mark.cmsis_nn
@pytest.mark.timeout(600)
@pytest.mark.parametrize("board", ["mps2-an385", "mps3-an547"])   # plain C and Helium paths
def test_source_scan_is_enough_on_every_code_path(board, tmp_path):
    """The CMSIS-NN sources picked for a core link without the undefined-symbol retry (the
    M4's DSP path is the test above), with the user's object cache."""
    lib = _cmsis_nn()
    graph = load_model(shared_model("mlperf_tiny/kws_ref_model.tflite"))
    fw = build_firmware(graph, load_board(board), tmp_path, kernels="cmsis-nn",
                        cmsis_nn=lib.root)
    lib_objects = re.findall(r"^(/\S+\.o): ", (tmp_path / "Makefile").read_text(), re.M)
    assert 0 < len(lib_objects) == len(fw.rendered.library_sources) < len(lib.sources())
