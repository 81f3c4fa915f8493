"""``breakd start``: run the daemon in the background and give the terminal back.

The daemon is started the way start at login starts it: in a session of its own
(``setsid``), with stdin, stdout and stderr on /dev/null, and not as a child of the
shell (this command exits, so the daemon is adopted by init or the session's
subreaper). Closing the terminal therefore cannot reach it, and it writes only to its
log. ``breakd start`` returns once the new daemon answers on its control socket, and
says how to reach it; ``--restart`` first stops a running breakd (to pick up newly
installed code), which is what ``scripts/install.sh`` does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from breakd.cli.exits import EXIT_ERROR, EXIT_OK, Subcommands
from breakd.control.client import ControlError, DaemonNotRunning, ping, request
from breakd.i18n import _
from breakd.logsetup import log_file_path

#: How long a new daemon may take to answer. Generous: start-up imports the tray and
#: D-Bus parts, and a login or a busy machine can make that slow.
START_TIMEOUT = 60.0
#: How long a running daemon may take to stop for ``--restart``.
STOP_TIMEOUT = 30.0
#: Between two looks at the socket (a ping costs one connection).
POLL_EVERY = 0.1


def register(commands: Subcommands) -> None:
    start = commands.add_parser(
        "start",
        help=_("start the daemon in the background, detached from this terminal, and return"),
        description=_(
            "Start breakd in the background, as start at login does, and return once it"
            " answers. --set and --no-autostart given before `start` are passed on."
        ),
    )
    start.add_argument(
        "--restart",
        action="store_true",
        help=_("if breakd already runs, stop it and start it again (onto newly installed code)"),
    )
    start.set_defaults(func=cmd_start)


def cmd_start(args: argparse.Namespace) -> int:
    running = ping()
    if running is not None:
        if not args.restart:
            print(_("breakd is already running (pid {pid})").format(pid=running))
            print(how_to_reach())
            return EXIT_OK
        problem = stop_running(running)
        if problem is not None:
            failed = _("breakd: {problem}; nothing was started").format(problem=problem)
            print(failed, file=sys.stderr)
            return EXIT_ERROR
        print(_("stopped the running breakd (pid {pid}) to start it again").format(pid=running))
    child = spawn_detached(daemon_argv(args))
    answered = wait_until_up(child, START_TIMEOUT)
    if answered is None:
        code = child.poll()
        if code is not None:
            print(
                _(
                    "breakd: the daemon could not start (exit status {code}); run `breakd -v`"
                    " to see why, or read the log: {log}"
                ).format(code=code, log=log_file_path()),
                file=sys.stderr,
            )
            return EXIT_ERROR
        print(
            _(
                "breakd (pid {pid}) is starting but has not answered within"
                " {seconds} s; `breakd status` tells when it is up."
            ).format(pid=child.pid, seconds=f"{START_TIMEOUT:g}")
        )
        print(how_to_reach())
        return EXIT_OK
    if answered != child.pid:
        # Another start won the race; that one is the daemon, and ours has left.
        print(_("breakd is already running (pid {pid})").format(pid=answered))
    else:
        print(_("breakd is running in the background (pid {pid}).").format(pid=answered))
    print(how_to_reach())
    return EXIT_OK


def how_to_reach() -> str:
    """What to type next: the status, the log, how to stop it."""
    rows = [
        ("breakd status", _("what it sees now")),
        # Translators: the label of the log file's path in the list after `breakd start`.
        (_("log"), str(log_file_path())),
        ("breakd quit", _("stop it (`breakd start` starts it again)")),
    ]
    width = max(len(name) for name, _what in rows)
    return "\n".join(f"  {name:<{width}}   {what}" for name, what in rows)


def daemon_argv(args: argparse.Namespace) -> list[str]:
    """The command the background daemon runs: this installation's Python, with the
    settings given on this command line."""
    argv = [sys.executable, "-m", "breakd"]
    for override in args.overrides:
        argv += ["--set", override]
    if not args.autostart:
        argv.append("--no-autostart")
    return [*argv, "run"]


#: DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP (Process Creation Flags, winbase.h): no
#: console of its own and no Ctrl+C from the one it was started from.
_WINDOWS_DETACHED = 0x00000008 | 0x00000200


def spawn_detached(argv: list[str]) -> subprocess.Popen[bytes]:
    """Start ``argv`` with nothing tying it to this terminal or this process."""
    home = Path.home()
    cwd = home if home.is_dir() else Path("/")  # never pin the folder it was started from
    windows = sys.platform == "win32"
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        start_new_session=not windows,  # setsid(): no controlling terminal, own group
        creationflags=_WINDOWS_DETACHED if windows else 0,
    )


def wait_until_up(child: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The pid of the daemon that answers ``ping`` and ``status``, once one does.

    Normally that is ``child``; if ``child`` exits first (another breakd won the
    socket), it is the other one. None when nothing answers within ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        pid = ping(timeout=2.0)
        if pid is not None and _answers_status():
            return pid
        if pid is None and child.poll() is not None:
            # Exited: either it failed, or it found another breakd and left.
            return ping(timeout=2.0)
        if time.monotonic() > deadline:
            return None
        time.sleep(POLL_EVERY)


def _answers_status() -> bool:
    """The daemon has finished starting: the socket opens first, ``status`` comes later."""
    try:
        request("status", timeout=5.0)
    except (DaemonNotRunning, ControlError):
        return False
    return True


def stop_running(pid: int) -> str | None:
    """Ask the breakd with ``pid`` to quit and wait until it is gone; None when it is,
    else why not."""
    try:
        request("quit", timeout=10.0)
    except DaemonNotRunning:
        pass  # it stopped on its own meanwhile
    except ControlError as error:
        return _("could not ask the running breakd (pid {pid}) to stop: {reason}").format(
            pid=pid, reason=error.message
        )
    deadline = time.monotonic() + STOP_TIMEOUT
    while not is_gone(pid):
        if time.monotonic() > deadline:
            return _("the running breakd (pid {pid}) did not stop within {seconds} s").format(
                pid=pid, seconds=f"{STOP_TIMEOUT:g}"
            )
        time.sleep(POLL_EVERY)
    return None


def is_gone(pid: int) -> bool:
    """No daemon answers with ``pid`` and, where that can be asked, no such process."""
    if ping(timeout=2.0) == pid:
        return False
    if sys.platform == "win32":
        return True  # os.kill(pid, 0) would send CTRL_C_EVENT there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return True  # the number now belongs to another user's process
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """Exited but not yet reaped (its parent has not waited): as good as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc (macOS): the signal test above is all there is
    # "pid (name) S ...": the name may hold spaces and parentheses, the state follows it.
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
