"""Clickable notifications through desktop-notifier (WinRT, UserNotifications, D-Bus).

breakd uses it on Windows and macOS; on Linux it speaks the freedesktop protocol itself
(``breakd.notify.freedesktop``), and this backend is there when chosen by name.

desktop-notifier is asyncio-based, so it gets a loop in a thread of its own. Calls from
the daemon's owner thread are handed to that loop and return at once; clicks and button
presses arrive on the loop thread and only call ``on_action`` (which posts a command to
the daemon). The current notification is kept referenced until it is replaced or
withdrawn, or its callbacks would never fire.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from breakd import APP_NAME
from breakd.i18n import _
from breakd.notify.base import (
    ACTION_BREAK,
    ACTION_SKIP,
    ACTION_SNOOZE,
    ACTION_STAND,
    STAND_LABEL,
    Notifier,
    NotifierUnavailable,
    Reminder,
    start_hint,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How long start-up waits for the notification server to answer.
PROBE_TIMEOUT = 3.0


class DesktopNotifierBackend(Notifier):
    name = "desktop-notifier"

    def __init__(self, app_icon: Path, on_action: Callable[[str], None]) -> None:
        try:
            from desktop_notifier import Capability, DesktopNotifier, Icon
        except ImportError as error:
            raise NotifierUnavailable(f"desktop-notifier is not installed ({error})") from None
        self._on_action = on_action
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="breakd-notifier", daemon=True
        )
        self._thread.start()
        self._notifier = DesktopNotifier(app_name=APP_NAME, app_icon=Icon(path=app_icon))
        self._current: Any = None  # the shown desktop_notifier.Notification
        try:
            capabilities = self._wait(self._notifier.get_capabilities(), PROBE_TIMEOUT)
        except Exception as error:
            self.close()
            raise NotifierUnavailable(f"no notification server answered ({error})") from None
        self.buttons = Capability.BUTTONS in capabilities
        self.clickable = Capability.ON_CLICKED in capabilities

    # --- plumbing -------------------------------------------------------------------

    def _wait(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> Future[Any]:
        """Hand work to the loop without waiting; failures are logged there."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        future.add_done_callback(_log_failure)
        return future

    def _action(self, key: str) -> Callable[[], None]:
        def fire() -> None:
            self._current = None
            self._on_action(key)

        return fire

    # --- the Notifier interface -----------------------------------------------------

    def show_reminder(self, reminder: Reminder) -> None:
        self._spawn(self._show_reminder(reminder))

    def withdraw_reminder(self) -> None:
        self._spawn(self._withdraw())

    def tell(self, title: str, body: str) -> None:
        from desktop_notifier import Notification, Urgency

        self._spawn(
            self._notifier.send_notification(
                Notification(title=title, message=body, urgency=Urgency.Normal, timeout=10)
            )
        )

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(2)

    # --- on the loop thread ----------------------------------------------------------

    async def _withdraw(self) -> None:
        current, self._current = self._current, None
        if current is not None:
            try:
                await self._notifier.clear(current.identifier)
            except Exception as error:  # already gone, or the server restarted
                log.debug("could not withdraw the reminder: %s", error)

    async def _show_reminder(self, reminder: Reminder) -> None:
        from desktop_notifier import Button, Notification, Urgency

        # A repeat replaces the earlier reminder instead of stacking under it.
        await self._withdraw()
        buttons: tuple[Any, ...] = ()
        if self.buttons:
            buttons = (
                Button(reminder.break_label, self._action(ACTION_BREAK), identifier=ACTION_BREAK),
                Button(
                    reminder.snooze_label, self._action(ACTION_SNOOZE), identifier=ACTION_SNOOZE
                ),
                Button(_(STAND_LABEL), self._action(ACTION_STAND), identifier=ACTION_STAND)
                if reminder.offer_stand
                else Button(_("Skip"), self._action(ACTION_SKIP), identifier=ACTION_SKIP),
            )
        # desktop-notifier leaves the click on the bubble out where it knows it does not
        # work (xfce4-notifyd closes the bubble instead): say so rather than promise it.
        hint = start_hint(
            reminder, body_click="Click" if self.clickable else None, buttons=self.buttons
        )
        notification = Notification(
            title=reminder.title,
            message=f"{reminder.body}\n{hint}",
            urgency=Urgency.Normal,
            buttons=buttons,
            on_clicked=self._action(ACTION_BREAK),
            on_dismissed=self._forget,
            timeout=0,  # never expire: a reminder stays until it is answered or replaced
        )
        self._current = notification
        await self._notifier.send_notification(notification)

    def _forget(self) -> None:
        self._current = None


def _log_failure(future: Future[Any]) -> None:
    if not future.cancelled() and (error := future.exception()) is not None:
        log.warning("a notification could not be sent: %s", error)
