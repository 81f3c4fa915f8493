#!/usr/bin/env bash
# Install breakd for the current user in its own virtualenv, put `breakd` on the PATH
# (~/.local/bin), and start it in the background, detached from this terminal; then
# return. Run again to upgrade: a breakd that is already running is stopped and started
# again on the new code.
#
# BREAKD_HOME   where the virtualenv goes (default: $XDG_DATA_HOME/breakd/venv, that is
#               ~/.local/share/breakd/venv)
# PYTHON        the Python to build it with (default: python3)
# Arguments are passed to breakd, e.g. --no-autostart or --set interval=45m.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if ! "$python" -c 'import sys, venv; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    echo "breakd needs Python 3.11 or newer with venv; on Debian/Ubuntu: sudo apt-get install python3 python3-venv python3-tk" >&2
    exit 1
fi
home=${BREAKD_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/breakd/venv}
bin_dir=$HOME/.local/bin
"$python" -m venv "$home"
"$home/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$home/bin/python" -m pip install -q --disable-pip-version-check .
mkdir -p "$bin_dir"
ln -sf "$home/bin/breakd" "$bin_dir/breakd"
echo "breakd installed as $bin_dir/breakd"
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) echo "note: $bin_dir is not on your PATH; add it, or run $bin_dir/breakd" ;;
esac
# Detached (its own session, no terminal, output to the log): closing this terminal
# does not stop it, and this script returns as soon as it answers.
"$bin_dir/breakd" "$@" start --restart
