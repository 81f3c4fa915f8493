"""The notifier of last resort: with no notification service, reminders go to the log."""

from __future__ import annotations

import logging

from breakd.notify.base import Notifier, Reminder

log = logging.getLogger(__name__)


class LogOnlyNotifier(Notifier):
    """Writes reminders to the log, so a headless daemon still does its job visibly."""

    name = "log"

    def show_reminder(self, reminder: Reminder) -> None:
        log.info("reminder %d: %s - %s", reminder.number, reminder.title, reminder.body)

    def withdraw_reminder(self) -> None:
        log.debug("reminder withdrawn")

    def tell(self, title: str, body: str) -> None:
        log.info("%s - %s", title, body)

    def close(self) -> None:
        pass
