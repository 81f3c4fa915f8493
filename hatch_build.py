"""Build hook: compile the message catalogs (``breakd/locale/*/LC_MESSAGES/breakd.po``)
into the ``.mo`` files gettext reads, inside the wheel only.

A small hook of our own rather than the hatch-babel plugin, because that one compiles
into the source tree (leaving ``.mo`` files beside the ``.po`` files of a checkout); this
one writes them to a temporary folder and force-includes them, with Babel's own reader
and writer, so building needs no system gettext. The ``.po`` files stay out of the
wheel: an installed breakd reads only ``.mo``. An editable install compiles nothing here:
``breakd/i18n.py`` compiles a stale catalog of a checkout when it is first needed.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        root = Path(self.root)
        self._compiled = Path(tempfile.mkdtemp(prefix="breakd-mo-"))
        for po in sorted((root / "breakd" / "locale").glob("*/LC_MESSAGES/breakd.po")):
            language = po.parent.parent.name
            with po.open("rb") as source:
                catalog = read_po(source, locale=language, domain="breakd")
            mo = self._compiled / language / "breakd.mo"
            mo.parent.mkdir(parents=True)
            with mo.open("wb") as target:
                write_mo(target, catalog)
            build_data["force_include"][str(mo)] = f"breakd/locale/{language}/LC_MESSAGES/breakd.mo"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        compiled = getattr(self, "_compiled", None)
        if compiled is not None:
            shutil.rmtree(compiled, ignore_errors=True)
