#!/usr/bin/env bash
# Install breakd for the current user in its own virtualenv, put `breakd` on the PATH
# (~/.local/bin), and start it. Run again to upgrade.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if ! "$python" -c 'import sys, venv; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    echo "breakd needs Python 3.11 or newer with venv; on Debian/Ubuntu: sudo apt-get install python3 python3-venv python3-tk" >&2
    exit 1
fi
home=${XDG_DATA_HOME:-$HOME/.local/share}/breakd/venv
"$python" -m venv "$home"
"$home/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$home/bin/python" -m pip install -q --disable-pip-version-check .
mkdir -p "$HOME/.local/bin"
ln -sf "$home/bin/breakd" "$HOME/.local/bin/breakd"
echo "breakd installed as $HOME/.local/bin/breakd; starting it."
exec "$HOME/.local/bin/breakd" "$@"
