"""python-dbusmock template: a freedesktop notification server that declares its signals.

The stock ``notification_daemon`` template leaves ``ActionInvoked`` and
``NotificationClosed`` out of its introspection data and lacks the ``actions``
capability; desktop-notifier subscribes only to signals it finds declared, so with the
stock template no click ever arrives. This one declares them, and records every call
(dbusmock's call log) so tests can check the exact ``Notify`` arguments.

Parameters: ``capabilities`` (space-separated; default includes "actions"), ``inhibited``
(bool, the ``Inhibited`` property of the spec's version 1.3).
"""

from __future__ import annotations

from typing import Any

import dbus
import dbus.service

BUS_NAME = "org.freedesktop.Notifications"
MAIN_OBJ = "/org/freedesktop/Notifications"
MAIN_IFACE = "org.freedesktop.Notifications"
SYSTEM_BUS = False

DEFAULT_CAPS = ["actions", "body", "body-markup", "icon-static", "persistence"]


@dbus.service.signal(MAIN_IFACE, signature="us")
def ActionInvoked(self: Any, id: int, action_key: str) -> None:
    """Declared so that clients subscribe to it."""


@dbus.service.signal(MAIN_IFACE, signature="uu")
def NotificationClosed(self: Any, id: int, reason: int) -> None:
    """Declared so that clients subscribe to it."""


@dbus.service.signal(MAIN_IFACE, signature="us")
def ActivationToken(self: Any, id: int, token: str) -> None:
    """Declared so that clients subscribe to it."""


def load(mock: Any, parameters: dict[str, Any]) -> None:
    caps = parameters["capabilities"].split() if "capabilities" in parameters else DEFAULT_CAPS
    table = mock._dbus_class_table[mock.__class__.__module__ + "." + mock.__class__.__name__]
    signals = table.setdefault(MAIN_IFACE, {})
    for function in (ActionInvoked, NotificationClosed, ActivationToken):
        signals[function.__name__] = function
    mock.next_id = 1
    mock.AddMethods(
        MAIN_IFACE,
        [
            ("GetCapabilities", "", "as", f"ret = {caps!r}"),
            (
                "CloseNotification",
                "u",
                "",
                "if args[0] < self.next_id:"
                " self.EmitSignal('', 'NotificationClosed', 'uu', [args[0], 3])",
            ),
            (
                "GetServerInformation",
                "",
                "ssss",
                'ret = ("mock-notify", "breakd tests", "1.0", "1.2")',
            ),
            (
                "Notify",
                "susssasa{sv}i",
                "u",
                "if args[1]:\n    ret = args[1]\n"
                "else:\n    ret = self.next_id\n    self.next_id += 1\n",
            ),
        ],
    )
    mock.AddProperty(MAIN_IFACE, "Inhibited", dbus.Boolean(parameters.get("inhibited", False)))
