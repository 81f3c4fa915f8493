#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run all of it:
# lint (ruff), types (mypy) and the tests (pytest), with real X, D-Bus and SQLite parts.
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. Debian packages (installed when root; otherwise the exact command is printed).
mapfile -t packages < <(sed -e 's/#.*//' -e '/^\s*$/d' scripts/system-packages.txt)
if command -v dpkg >/dev/null 2>&1; then
    missing=()
    for package in "${packages[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        if [ "$(id -u)" = 0 ]; then
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        else
            echo "breakd tests need Debian packages that are missing. Run:" >&2
            echo "  sudo apt-get install ${missing[*]}" >&2
            exit 1
        fi
    fi
else
    echo "note: not a Debian system; make sure these are installed: ${packages[*]}" >&2
fi

# 2. A virtualenv with breakd and its test tools.
python=${PYTHON:-python3}
"$python" -c 'import sys; assert sys.version_info >= (3, 11), "breakd needs Python 3.11 or newer"'
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"

# 3. Lint, types, tests.
.venv/bin/ruff check breakd tests benchmarks
.venv/bin/ruff format --check breakd tests benchmarks
.venv/bin/mypy
# The control channel and the quiet rules as mypy sees them on Windows and macOS (each
# platform's transport and quiet source, and all they import; the other platforms'
# modules are skipped there).
.venv/bin/mypy --platform win32 -p breakd.control -p breakd.notify.quiet
.venv/bin/mypy --platform darwin -p breakd.control -p breakd.notify.quiet
# The call watchers likewise (the Windows registry, CoreAudio through pyobjc).
.venv/bin/mypy --platform win32 -p breakd.activity.calls
.venv/bin/mypy --platform darwin -p breakd.activity.calls
mkdir -p test-artifacts
export BREAKD_TEST_ARTIFACTS="$PWD/test-artifacts"
# Two test files at a time (each file's tests in order, on one worker): most tests wait
# on real processes (a daemon's reminder, a window, a bus signal), so two at once halve
# the wall time even on two cores; each test has its own X server, buses and folders.
.venv/bin/pytest -n "${BREAKD_TEST_WORKERS:-2}" --dist loadfile "$@"
