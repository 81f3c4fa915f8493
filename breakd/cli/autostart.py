"""``breakd autostart enable|disable|status`` and ``breakd install-desktop-entry``.

Start at login is what makes a break reminder useful: these commands do from a terminal
what the tray's "Start at login" checkbox does, and say exactly which file they wrote or
removed. ``status`` exits 1 when the entry would fail at login (its launcher is gone),
so a broken entry is noticed before the next login silently does nothing.
"""

from __future__ import annotations

import argparse
import json
import sys

from breakd.autostart import AutostartError, AutostartStatus, default_backend, remember_choice
from breakd.cli.exits import EXIT_ERROR, EXIT_OK, EXIT_USAGE, Subcommands
from breakd.i18n import _, pgettext


def register(subparsers: Subcommands) -> None:
    """Add ``autostart``, ``install-desktop-entry`` and ``uninstall-desktop-entry``."""
    autostart = subparsers.add_parser(
        "autostart",
        help=_("start breakd at login, silently (enable, disable, status)"),
        description=_(
            "Start breakd when you log in, with no window and no output. Linux: an XDG"
            " autostart entry (or a systemd user unit with --systemd); macOS: a"
            " LaunchAgent; Windows: the Run registry key. With no action, show the status."
        ),
    )
    autostart.set_defaults(func=cmd_status, json=False)
    actions = autostart.add_subparsers(dest="autostart_command", metavar="ACTION")

    enable = actions.add_parser("enable", help=_("start breakd at every login"))
    enable.add_argument(
        "--systemd",
        action="store_true",
        help=_(
            "Linux: a systemd user unit started with the graphical session, instead of"
            " an XDG autostart entry"
        ),
    )
    enable.set_defaults(func=cmd_enable)

    disable = actions.add_parser("disable", help=_("stop starting breakd at login"))
    disable.set_defaults(func=cmd_disable)

    status = actions.add_parser(
        "status", help=_("is it on, what file, what it runs (exit 1 if the entry is broken)")
    )
    status.add_argument("--json", action="store_true", help=_("print JSON"))
    status.set_defaults(func=cmd_status)

    install = subparsers.add_parser(
        "install-desktop-entry",
        help=_("Linux: add breakd to the applications menu, with its icon"),
    )
    install.set_defaults(func=cmd_install_desktop_entry)
    uninstall = subparsers.add_parser(
        "uninstall-desktop-entry",
        help=_("Linux: remove what install-desktop-entry wrote"),
    )
    uninstall.set_defaults(func=cmd_uninstall_desktop_entry)


def _error(message: str) -> int:
    print(f"breakd: {message}", file=sys.stderr)
    return EXIT_ERROR


def cmd_enable(args: argparse.Namespace) -> int:
    try:
        backend = default_backend(systemd=args.systemd)
    except AutostartError as error:
        print(f"breakd: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        written = backend.enable()
        remember_choice()
    except AutostartError as error:
        return _error(str(error))
    except OSError as error:
        return _error(_("cannot turn on start at login: {reason}").format(reason=error))
    state = backend.status()
    if state.points_to:
        done = _("breakd will start at login: wrote the {kind} {path} (runs {program})")
    else:
        done = _("breakd will start at login: wrote the {kind} {path}")
    print(done.format(kind=_(backend.kind), path=written, program=state.points_to))
    for note in backend.notes:
        print(note)
    if state.problem:
        return _error(state.problem)
    return EXIT_OK


def cmd_disable(args: argparse.Namespace) -> int:
    backend = default_backend()
    try:
        removed = backend.disable()
        remember_choice()
    except (AutostartError, OSError) as error:
        return _error(_("cannot turn off start at login: {reason}").format(reason=error))
    if not removed:
        print(_("start at login was already off; nothing to remove"))
    for path in removed:
        print(_("removed {path}").format(path=path))
    for note in backend.notes:
        print(note)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    try:
        state = default_backend().status()
    except AutostartError as error:
        return _error(str(error))
    if args.json:
        print(json.dumps(status_as_dict(state), indent=2))
    else:
        print(describe(state))
    if state.problem:
        print(f"breakd: {state.problem}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def status_as_dict(state: AutostartStatus) -> dict[str, object]:
    return {
        "enabled": state.enabled,
        "where": None if state.where is None else str(state.where),
        "points_to": None if state.points_to is None else str(state.points_to),
        "problem": state.problem,
        "note": state.note,
    }


def describe(state: AutostartStatus) -> str:
    """One or two lines saying whether breakd starts at login, from what, running what."""
    if state.where is None:
        return _("start at login: off (`breakd autostart enable` turns it on)")
    if state.enabled and state.problem:
        # Translators: start at login is turned on, but its entry cannot start breakd.
        word = pgettext("start at login", "broken")
    elif state.enabled:
        word = pgettext("start at login", "on")
    else:
        word = pgettext("start at login", "off")
    if state.points_to:
        line = _("start at login: {state} ({path}, runs {program})")
    else:
        line = _("start at login: {state} ({path})")
    lines = [line.format(state=word, path=state.where, program=state.points_to)]
    if state.note:
        lines.append(state.note)
    return "\n".join(lines)


def cmd_install_desktop_entry(args: argparse.Namespace) -> int:
    if sys.platform in ("win32", "darwin"):
        return _error(_("install-desktop-entry is for Linux desktops"))
    from breakd.autostart.xdg import install_desktop_entry

    try:
        written = install_desktop_entry()
    except (AutostartError, OSError) as error:
        return _error(
            _("cannot add breakd to the applications menu: {reason}").format(reason=error)
        )
    for path in written:
        print(_("wrote {path}").format(path=path))
    return EXIT_OK


def cmd_uninstall_desktop_entry(args: argparse.Namespace) -> int:
    if sys.platform in ("win32", "darwin"):
        return _error(_("uninstall-desktop-entry is for Linux desktops"))
    from breakd.autostart.xdg import uninstall_desktop_entry

    try:
        removed = uninstall_desktop_entry()
    except (AutostartError, OSError) as error:
        return _error(_("cannot remove the applications menu entry: {reason}").format(reason=error))
    if not removed:
        print(_("no applications menu entry was installed; nothing to remove"))
    for path in removed:
        print(_("removed {path}").format(path=path))
    return EXIT_OK
