"""The model as a library: PlatformIO manifest (PlatformIO's own schema) and plain C via CMake."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from mcugen.cli import main as cli_main
from mcugen.platformio import export_library
from tests.platformio.conftest import fake_rendered
from tests.platformio.test_project import _expected_output

CMAKE = shutil.which("cmake")


def test_platformio_manifest_passes_platformios_schema(tmp_path, monkeypatch):
    from platformio.package.manifest.parser import ManifestParserFactory
    from platformio.package.manifest.schema import ManifestSchema

    # the schema fetches SPDX's license list from the network; offline, the one id we write
    monkeypatch.setattr(ManifestSchema, "load_spdx_licenses",
                        staticmethod(lambda: {"licenses": [{"licenseId": "Apache-2.0"}]}))

    lib = export_library(fake_rendered(tmp_path), tmp_path / "lib", flavour="platformio")
    data = ManifestParserFactory.new_from_file(str(lib.path / "library.json")).as_dict()
    loaded = ManifestSchema().load_manifest(data)
    assert loaded["name"] == "fake"
    raw = json.loads((lib.path / "library.json").read_text())
    assert raw["build"]["srcDir"] == "src" and raw["build"]["includeDir"] == "include"
    assert "dependencies" not in raw  # portable kernels need nothing
    assert raw["license"] == "Apache-2.0" and raw["repository"]["url"].startswith("https://")
    assert "\\u00" not in (lib.path / "library.json").read_text()     # json.dumps, not tojson
    assert (lib.path / "src" / "kernels" / "fake_kernel.c").is_file()
    assert (lib.path / "include" / "mcugen_model_api.h").is_file()
    assert (lib.path / "examples" / "fake_example" / "main.c").is_file()


@pytest.mark.skipif(CMAKE is None, reason="cmake not installed")
@pytest.mark.timeout(300)
def test_c_library_builds_with_cmake_and_the_example_runs(tmp_path):
    """A user's CMake project adds the library with add_subdirectory and runs the example."""
    lib = export_library(fake_rendered(tmp_path), tmp_path / "app" / "fake", flavour="cmake")
    assert (lib.path / "CMakeLists.txt").is_file() and not (lib.path / "library.json").exists()
    app = tmp_path / "app"
    (app / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.13)\nproject(app C)\nadd_subdirectory(fake)\n"
        "add_executable(example fake/examples/fake_example/main.c)\n"
        "target_compile_options(example PRIVATE -Wall -Wextra -Werror)\n"
        "target_link_libraries(example PRIVATE fake)\n")
    build = tmp_path / "build"
    subprocess.run([CMAKE, "-S", str(app), "-B", str(build), "-DCMAKE_C_COMPILER=gcc",
                    "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror"], check=True, timeout=120,
                   capture_output=True)
    subprocess.run([CMAKE, "--build", str(build)], check=True, timeout=120, capture_output=True)
    run = subprocess.run([str(build / "example")], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    line = next(ln for ln in run.stdout.splitlines() if ln.startswith("output:"))
    assert [int(v) for v in line.split()[1:]] == _expected_output()


def test_multi_io_example_passes_one_pointer_per_tensor(tmp_path):
    rendered = fake_rendered(tmp_path)
    rendered.inputs = [(16, "int8"), (8, "float32")]
    rendered.outputs = [(4, "uint8")]
    lib = export_library(rendered, tmp_path / "lib")
    text = (lib.path / lib.example).read_text()
    assert "static int8_t input0[16];" in text
    assert "static float input1[2];" in text
    assert "static uint8_t output[4];" in text
    assert "fake_invoke(input0, input1, output)" in text


def test_export_cli_needs_a_target(capsys):
    assert cli_main(["export"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcugen: error: nothing to export") and err.count("\n") == 1


def test_export_cli_library_needs_a_model(capsys, tmp_path):
    assert cli_main(["export", "--c-lib", str(tmp_path / "x")]) == 2
    assert "a model is needed" in capsys.readouterr().err


def test_export_cli_bad_model_file(capsys, tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer")
    assert cli_main(["export", str(bad), "--c-lib", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mcugen: error:") and "Traceback" not in err


def test_export_cli_platformio_platform(tmp_path, capsys):
    assert cli_main(["export", "--platformio-platform", str(tmp_path / "plat")]) == 0
    assert (tmp_path / "plat" / "platform.json").is_file()
    assert (tmp_path / "plat" / "builder" / "main.py").is_file()
