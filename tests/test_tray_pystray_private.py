"""pystray's private names that ``breakd/tray/pystray_tray.py`` builds on are still there.

breakd's tray classes extend pystray's backends (``pystray._base``, ``_xorg``, ``_gtk``,
``_appindicator``) by overriding and calling their private methods and reading their
private attributes. pyproject.toml pins pystray below the next minor version for this
reason; this test says exactly what is gone when someone raises that pin. It reads the
backends' source instead of importing them, as importing ``_gtk`` or ``_appindicator``
needs GTK or an AppIndicator library that the check itself does not.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

#: For each backend module: the methods breakd overrides or calls, and the attributes it
#: reads or writes, that pystray defines.
PRIVATE_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pystray._base": (("_run", "_show", "_update_icon", "_update_menu", "_update_title"), ()),
    "pystray._xorg": (
        (
            "_events",
            "_send_message",
            "_create_window",
            "_run",
            "_dock_window",
            "_draw",
            "_assert_icon_data",
            "_on_destroy_notify",
        ),
        (
            "_thread",
            "_display",
            "_message_handlers",
            "_net_system_tray_sx",
            "_systray_manager",
            "_icon_data",
            "_icon_valid",
            "_window",
        ),
    ),
    "pystray._gtk": (("_on_status_icon_popup_menu",), ("_status_icon",)),
    "pystray._util.gtk": (("_initialize", "_finalize", "_create_menu"), ("_loop",)),
}


def source_of(module: str) -> str:
    """The module's source, found without importing pystray (importing it picks a backend)."""
    spec = importlib.util.find_spec("pystray")
    assert spec is not None and spec.origin, "pystray is not installed"
    path = Path(spec.origin).parent.joinpath(*module.split(".")[1:]).with_suffix(".py")
    assert path.is_file(), f"pystray has no module {module} any more ({path})"
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("module", sorted(PRIVATE_NAMES))
def test_pystrays_private_names_that_breakd_extends_are_there(module: str) -> None:
    text = source_of(module)
    methods, attributes = PRIVATE_NAMES[module]
    missing = [f"method {name}" for name in methods if not re.search(rf"def {name}\(", text)]
    missing += [f"attribute {name}" for name in attributes if f"self.{name}" not in text]
    assert not missing, (
        f"pystray {module} no longer has {', '.join(missing)}: "
        "breakd/tray/pystray_tray.py relies on them; adapt it before raising the pin"
    )


def test_the_gtk_and_appindicator_backends_share_the_gtk_base() -> None:
    """breakd's GtkIcon and AppIndicatorIcon override methods of pystray's GTK mixin."""
    for module in ("pystray._gtk", "pystray._appindicator"):
        assert re.search(r"class Icon\(GtkIcon\)", source_of(module)), module
