"""python-dbusmock template: a StatusNotifierWatcher that accepts every registration.

A template, not methods added after start: dbusmock defines a template's methods before
it handles the first call, so an item that registers the moment the watcher's name
appears (as breakd does) is never told "no such method".
"""

BUS_NAME = "org.kde.StatusNotifierWatcher"
MAIN_OBJ = "/StatusNotifierWatcher"
MAIN_IFACE = "org.kde.StatusNotifierWatcher"
SYSTEM_BUS = False


def load(mock, parameters):  # type: ignore[no-untyped-def]
    mock.AddMethods(
        MAIN_IFACE,
        [
            ("RegisterStatusNotifierItem", "s", "", ""),
            ("RegisterStatusNotifierHost", "s", "", ""),
        ],
    )
    mock.AddProperties(
        MAIN_IFACE,
        {
            "RegisteredStatusNotifierItems": [],
            "IsStatusNotifierHostRegistered": True,
            "ProtocolVersion": 0,
        },
    )
