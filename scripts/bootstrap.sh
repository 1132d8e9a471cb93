#!/usr/bin/env bash
# Install what mcugen needs on a Debian/Ubuntu machine, then run the given command in that setup.
#
#   scripts/bootstrap.sh [--test] [COMMAND ...]
#
# System packages: the Arm cross compiler with newlib, QEMU for the emulated boards, a host C
# compiler; with --test also Debian's chromium (a test renders the HTML report headless).
# Python: mcugen itself (editable), with the test and farm extras when --test is given (the farm
# tests start a labgrid coordinator and exporter on loopback). The Python
# environment is the active virtualenv if there is one, else the current python3 when pip may
# install into it, else a .venv beside this script's repository.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extra=""
if [ "${1:-}" = "--test" ]; then extra="[test,farm]"; shift; fi

need=()
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi)
[ -e /usr/lib/arm-none-eabi/newlib/libc.a ] || [ -e /usr/lib/arm-none-eabi/lib/libc.a ] || need+=(libnewlib-arm-none-eabi)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v python3 >/dev/null || need+=(python3 python3-venv python3-pip)
# the test route only: Debian's Chromium renders the --report page in a test (headless)
if [ -n "$extra" ]; then [ -x /usr/bin/chromium ] || need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "bootstrap: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

py=python3
if [ -z "${VIRTUAL_ENV:-}" ] && python3 -c 'import sys,sysconfig,os; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"),"EXTERNALLY-MANAGED")) else 1)'; then
  [ -x "$repo/.venv/bin/python" ] || python3 -m venv "$repo/.venv"
  py="$repo/.venv/bin/python"
fi
install=0
[ -e "$repo/.bootstrap-stamp" ] && [ "$repo/.bootstrap-stamp" -nt "$repo/pyproject.toml" ] || install=1
(cd / && "$py" -c "import mcugen, onnx") 2>/dev/null || install=1
if [ -n "$extra" ] && ! "$py" -c "import pytest, hypothesis, pytest_timeout, onnxruntime, labgrid" 2>/dev/null; then install=1; fi
if [ "$install" = 1 ]; then
  echo "bootstrap: pip install -e .$extra" >&2
  "$py" -m pip install -q --disable-pip-version-check -e "$repo$extra" >&2
  [ -z "$extra" ] || touch "$repo/.bootstrap-stamp"
fi
[ $# -gt 0 ] || exit 0
# Run the command with the environment's bin/ first on PATH (so `mcugen` and `python` resolve).
export PATH="$(dirname "$("$py" -c 'import sys; print(sys.executable)')"):$PATH"
cd "$repo"
exec "$@"
