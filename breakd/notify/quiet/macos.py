"""macOS: Focus (do not disturb), read where each macOS version keeps it.

Apple documents no API for a program to ask whether the user is in a Focus: the
Intents framework's ``INFocusStatusCenter`` answers only an app bundle with the
Communication Notifications capability that the user has authorised, which a Python
process is not. What each version keeps, readable by the user's own processes, is:

* macOS 12 (Monterey) and later: ``~/Library/DoNotDisturb/DB/Assertions.json``. A
  Focus turned on by hand (Control Centre, the menu bar, a shortcut, another device
  sharing Focus) is a record under ``data[].storeAssertionRecords``; with none on, the
  list is empty or missing. Limits: a Focus that a *schedule* or an automation turned
  on is not an assertion (it is worked out from ``ModeConfigurations.json``'s triggers,
  in a format Apple has changed between versions), so breakd does not see it; and on
  some versions the folder is protected, so reading it needs Full Disk Access for the
  program running breakd (System Settings, Privacy & Security, Full Disk Access); until
  then the check is off, with one log line saying so.
* macOS 11 (Big Sur): ``com.apple.ncprefs``'s ``dnd_prefs``, a property list inside the
  preferences whose ``userPref`` ``enabled`` is the switch in Control Centre.
* macOS 10.15 and earlier: ``com.apple.notificationcenterui``'s ``doNotDisturb`` in the
  current host's preferences.

The preferences are read with ``defaults export`` (through cfprefsd, so never a stale
file), the assertions file directly; each reading is a short process or a small file,
made only when a reminder is due and at the daemon's periodic check while one is held
(macOS announces Focus changes to no process outside Apple's frameworks). The parsers
are plain functions, tested on every platform with sample documents.
"""

from __future__ import annotations

import json
import platform
import plistlib
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from breakd.activity.base import CALL_TIMEOUT
from breakd.notify.quiet.base import LocalQuietSource, SourceFailed

ASSERTIONS = Path("Library/DoNotDisturb/DB/Assertions.json")
FULL_DISK_ACCESS = (
    "macOS allows it only with Full Disk Access for the program running breakd"
    " (System Settings, Privacy & Security, Full Disk Access)"
)


def focus_from_assertions(document: object) -> bool:
    """Whether ``Assertions.json`` (macOS 12+) holds a Focus turned on."""
    if not isinstance(document, dict):
        raise ValueError("Assertions.json is not a JSON object")
    entries = document.get("data")
    if not isinstance(entries, list):
        return False
    return any(
        isinstance(entry, dict) and bool(entry.get("storeAssertionRecords")) for entry in entries
    )


def dnd_from_ncprefs(preferences: object) -> bool:
    """Whether ``com.apple.ncprefs`` (macOS 11) says do not disturb is on by hand."""
    if not isinstance(preferences, dict):
        raise ValueError("com.apple.ncprefs is not a dictionary")
    blob = preferences.get("dnd_prefs")
    if not isinstance(blob, bytes):
        return False  # never switched: no such key
    inner = plistlib.loads(blob)
    user = inner.get("userPref") if isinstance(inner, dict) else None
    return isinstance(user, dict) and user.get("enabled") is True


def dnd_from_notificationcenterui(preferences: object) -> bool:
    """Whether ``com.apple.notificationcenterui`` (macOS 10.15 and earlier) says so."""
    if not isinstance(preferences, dict):
        raise ValueError("com.apple.notificationcenterui is not a dictionary")
    return preferences.get("doNotDisturb") is True


def major_version(release: str) -> int:
    """The major version of a ``platform.mac_ver()`` release ("14.2.1" -> 14, "10.15" -> 10)."""
    try:
        return int(release.split(".")[0])
    except ValueError:
        return 0


class MacFocusSource(LocalQuietSource):
    name = "macOS Focus"

    def __init__(self, home: Path | None = None, release: str | None = None) -> None:
        self._home = Path.home() if home is None else home
        version = major_version(platform.mac_ver()[0] if release is None else release)
        self._read: Callable[[], bool]
        if version >= 12:
            self._read = self._assertions
        elif version == 11:
            self._read = lambda: dnd_from_ncprefs(self._defaults("com.apple.ncprefs"))
        else:  # 10.x, or a version this could not tell: the oldest place
            self._read = lambda: dnd_from_notificationcenterui(
                self._defaults("com.apple.notificationcenterui", current_host=True)
            )

    def read_local(self) -> bool:
        try:
            return self._read()
        except (ValueError, plistlib.InvalidFileException) as error:
            raise SourceFailed(f"an unexpected Focus record: {error}") from None

    def _assertions(self) -> bool:
        path = self._home / ASSERTIONS
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False  # Focus never used on this account
        except PermissionError:
            raise SourceFailed(f"cannot read {path}: {FULL_DISK_ACCESS}") from None
        return focus_from_assertions(json.loads(text))

    def _defaults(self, domain: str, current_host: bool = False) -> Any:
        host = ["-currentHost"] if current_host else []
        try:
            answer = subprocess.run(
                ["defaults", *host, "export", domain, "-"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=CALL_TIMEOUT * 5,
                check=False,
            )
        except (subprocess.TimeoutExpired, OSError) as error:
            raise SourceFailed(f"defaults did not answer: {error}") from None
        if answer.returncode != 0:
            return {}  # the domain does not exist yet: never switched
        return plistlib.loads(answer.stdout)
