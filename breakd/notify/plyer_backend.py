"""Notifications through plyer: shown everywhere plyer reaches, but never clickable.

plyer cannot report a click on any platform, so the reminder's text says how to start
the break instead (from the tray or with ``breakd break``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from breakd import APP_NAME
from breakd.notify.base import Notifier, NotifierUnavailable, Reminder, how_to_start

log = logging.getLogger(__name__)


class PlyerNotifier(Notifier):
    name = "plyer"

    def __init__(self, app_icon: Path) -> None:
        try:
            from plyer import notification
        except ImportError as error:
            raise NotifierUnavailable(f"plyer is not installed ({error})") from None
        self._notification = notification
        self._icon = str(app_icon)

    def _send(self, title: str, body: str) -> None:
        try:
            self._notification.notify(
                title=title, message=body, app_name=APP_NAME, app_icon=self._icon, timeout=15
            )
        except Exception as error:
            log.warning("plyer could not show a notification: %s", error)

    def show_reminder(self, reminder: Reminder) -> None:
        self._send(reminder.title, f"{reminder.body}\n{how_to_start()}")

    def withdraw_reminder(self) -> None:
        """plyer cannot take a notification back; it times out on its own."""

    def tell(self, title: str, body: str) -> None:
        self._send(title, body)

    def close(self) -> None:
        pass
