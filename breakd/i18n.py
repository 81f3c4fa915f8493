"""breakd in the user's language: the ``breakd`` gettext domain and locale-aware formatting.

Message lookup is the standard library's :mod:`gettext` and nothing else, so every
command (``breakd status``, ``--help``) stays as quick to start as before; Babel is
imported only when a duration, a time or a date is formatted for a language other than
English. Catalogs live in ``breakd/locale/<lang>/LC_MESSAGES/breakd.po``: a wheel carries
them compiled (``hatch_build.py``); a source checkout compiles a catalog the first time
it is needed and whenever its ``.po`` is newer than its ``.mo``.

The language is, in order: the ``general.language`` setting when it is not "auto"
(:func:`setup`); ``BREAKD_LANGUAGE``, which the daemon hands to its own child processes;
``LANGUAGE``; then on Linux ``LC_ALL``/``LC_MESSAGES``/``LANG`` and on Windows and
macOS the user's interface language. A language without a catalog, or a catalog that
cannot be read, gives English (a broken one with one log line).
"""

from __future__ import annotations

import gettext as _gettext
import os
import sys

# Every command imports this module: it loads only gettext, os and sys, so that `breakd
# status` stays quick (tests/test_cli_imports.py); the rest is imported where used.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import date, datetime, time
    from os import PathLike


def _warn(message: str, *args: object) -> None:
    import logging

    logging.getLogger(__name__).warning(message, *args)


DOMAIN = "breakd"
#: The language the code is written in: no catalog, no Babel.
SOURCE_LANGUAGE = "en"
#: Passed to the daemon's child processes (the break window) so they speak its language.
LANGUAGE_VARIABLE = "BREAKD_LANGUAGE"
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")

_translations: _gettext.NullTranslations | None = None
#: The catalog language in force ("de"), or SOURCE_LANGUAGE.
_language = SOURCE_LANGUAGE


def _(message: str) -> str:
    """``message`` in the user's language (the message itself when there is no translation)."""
    return _current().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message that fits ``count`` in the user's language."""
    return _current().ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """``message`` where the same English word needs another translation (``context``)."""
    return _current().pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog where it is defined; it is translated where shown."""
    return message


def language() -> str:
    """The catalog language in force, e.g. "de"; "en" when messages are not translated."""
    _current()
    return _language


def setup(setting: str = "auto") -> str:
    """Choose the language: ``setting`` ("auto" or a code such as "de") else the environment.

    Returns the catalog language in force. Safe to call again (the settings are read after
    the command line); the new choice replaces the old one.
    """
    global _translations, _language
    if setting and setting != "auto":
        # The break window and the settings window are processes of their own.
        os.environ[LANGUAGE_VARIABLE] = setting
    wanted = requested_languages(setting)
    _translations, _language = _load(wanted)
    return _language


def requested_languages(setting: str = "auto") -> list[str]:
    """The languages asked for, most wanted first, as locale names ("de_DE", "de")."""
    if setting and setting != "auto":
        return [setting]
    for variable in (LANGUAGE_VARIABLE, "LANGUAGE"):
        if value := os.environ.get(variable, "").strip():
            return [part for part in value.split(":") if part]
    if sys.platform == "win32":
        languages = _windows_ui_languages()
    elif sys.platform == "darwin":
        languages = _macos_ui_languages()
    else:
        languages: list[str] = []
    return languages or _posix_locale("LC_MESSAGES")


def _posix_locale(category: str) -> list[str]:
    """The locale the POSIX variables give ``category``; [] for C/POSIX or none."""
    for variable in ("LC_ALL", category, "LANG"):
        if value := os.environ.get(variable, "").strip():
            if value.split(".")[0] in ("C", "POSIX"):
                return []
            return [value]
    return []


def _windows_ui_languages() -> list[str]:
    """The Windows display language: ``GetUserDefaultUILanguage`` (a LANGID), named through
    the locale module's table of Windows locale ids."""
    import ctypes
    import locale

    try:
        langid = int(ctypes.windll.kernel32.GetUserDefaultUILanguage())  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return []
    name = locale.windows_locale.get(langid)
    return [name] if name else []


def _macos_ui_languages() -> list[str]:
    """The macOS preferred languages ("de-DE", "en"), as locale names ("de_DE", "en").

    CoreFoundation's ``CFLocaleCopyPreferredLanguages`` answers in-process; ``defaults read
    -g AppleLanguages`` is the fallback where CoreFoundation cannot be loaded.
    """
    languages = _core_foundation_languages()
    if not languages:
        import subprocess

        try:
            output = subprocess.run(
                ["defaults", "read", "-g", "AppleLanguages"],
                capture_output=True,
                text=True,
                timeout=2,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return []
        # The output is a property list: ( "de-DE", en ).
        languages = [part.strip().strip('"') for part in output.strip().strip("()").split(",")]
    return [part.replace("-", "_") for part in languages if part]


def _core_foundation_languages() -> list[str]:
    import ctypes
    import ctypes.util

    path = ctypes.util.find_library("CoreFoundation")
    if path is None:
        return []
    try:
        cf = ctypes.CDLL(path)
        cf.CFLocaleCopyPreferredLanguages.restype = ctypes.c_void_p
        cf.CFArrayGetCount.argtypes = [ctypes.c_void_p]
        cf.CFArrayGetCount.restype = ctypes.c_long
        cf.CFArrayGetValueAtIndex.argtypes = [ctypes.c_void_p, ctypes.c_long]
        cf.CFArrayGetValueAtIndex.restype = ctypes.c_void_p
        cf.CFStringGetCString.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_long,
            ctypes.c_uint32,
        ]
        cf.CFStringGetCString.restype = ctypes.c_bool
        cf.CFRelease.argtypes = [ctypes.c_void_p]
    except (OSError, AttributeError):
        return []
    k_cf_string_encoding_utf8 = 0x08000100
    array = cf.CFLocaleCopyPreferredLanguages()
    if not array:
        return []
    try:
        names = []
        for index in range(cf.CFArrayGetCount(array)):
            buffer = ctypes.create_string_buffer(64)
            item = cf.CFArrayGetValueAtIndex(array, index)
            if cf.CFStringGetCString(item, buffer, len(buffer), k_cf_string_encoding_utf8):
                names.append(buffer.value.decode("utf-8"))
        return names
    finally:
        cf.CFRelease(array)


def _current() -> _gettext.NullTranslations:
    global _translations, _language
    if _translations is None:
        _translations, _language = _load(requested_languages())
    return _translations


def _load(wanted: list[str]) -> tuple[_gettext.NullTranslations, str]:
    """The first catalog among ``wanted`` (gettext tries "de_DE.UTF-8", "de_DE", "de")."""
    if not wanted or _base(wanted[0]) == SOURCE_LANGUAGE:
        return _gettext.NullTranslations(), SOURCE_LANGUAGE
    _compile_stale_catalogs(wanted)
    try:
        found = _gettext.translation(DOMAIN, LOCALE_DIR, languages=wanted, fallback=True)
    except Exception as error:  # a damaged .mo: struct, Unicode or OS errors alike
        _warn("the %s catalog cannot be read (%s); breakd speaks English", wanted, error)
        return _gettext.NullTranslations(), SOURCE_LANGUAGE
    if not isinstance(found, _gettext.GNUTranslations):
        return found, SOURCE_LANGUAGE
    return found, _base(found.info().get("language", "") or _found_language(wanted))


def shipped_languages() -> list[str]:
    """The languages breakd has a catalog for ("de"), compiled ones or a checkout's."""
    from glob import glob

    pattern = os.path.join(LOCALE_DIR, "*", "LC_MESSAGES", f"{DOMAIN}.[mp]o")
    return sorted(
        {os.path.basename(os.path.dirname(os.path.dirname(path))) for path in glob(pattern)}
    )


def translations_in(name: str) -> _gettext.NullTranslations:
    """The catalog of one language, whatever the user's is (for files that carry every
    language at once, such as a desktop entry's ``Comment[de]``).

    Read afresh, not through ``gettext.translation``: that keeps every catalog it opened
    for the life of the process, and the daemon, which writes such files now and then,
    would hold all of them (about 2 MB) to use one."""
    _compile_stale_catalogs([name])
    found = _gettext.find(DOMAIN, LOCALE_DIR, languages=[name])
    if found is None:
        return _gettext.NullTranslations()
    try:
        with open(found, "rb") as catalog:
            return _gettext.GNUTranslations(catalog)
    except Exception as error:
        _warn("the %s catalog cannot be read (%s)", name, error)
        return _gettext.NullTranslations()


def _found_language(wanted: list[str]) -> str:
    for name in wanted:
        if os.path.exists(os.path.join(LOCALE_DIR, _base(name), "LC_MESSAGES", f"{DOMAIN}.mo")):
            return name
    return SOURCE_LANGUAGE


def _base(name: str) -> str:
    """ "de_DE.UTF-8@euro" -> "de"."""
    return name.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()


def _compile_stale_catalogs(wanted: list[str]) -> None:
    """In a source checkout, (re)compile the catalogs asked for whose ``.po`` is newer.

    A wheel carries no ``.po`` files, so there this costs one ``stat`` per language.
    """
    for name in dict.fromkeys(_base(n) for n in wanted):
        folder = os.path.join(LOCALE_DIR, name, "LC_MESSAGES")
        po, mo = os.path.join(folder, f"{DOMAIN}.po"), os.path.join(folder, f"{DOMAIN}.mo")
        try:
            if not os.path.exists(po) or (
                os.path.exists(mo) and os.stat(mo).st_mtime >= os.stat(po).st_mtime
            ):
                continue
            compile_catalog(po, mo)
        except Exception as error:  # no Babel, a read-only checkout, a broken .po
            _warn("cannot compile %s (%s); breakd speaks English", po, error)


def compile_catalog(po: str | PathLike[str], mo: str | PathLike[str]) -> None:
    """Write ``po`` compiled to ``mo`` (atomically: a reader never sees half a file)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po, mo = os.fspath(po), os.fspath(mo)
    language_name = os.path.basename(os.path.dirname(os.path.dirname(po)))
    with open(po, "rb") as source:
        catalog = read_po(source, locale=language_name, domain=DOMAIN)
    partial = os.path.join(os.path.dirname(mo), f".{os.path.basename(mo)}.{os.getpid()}")
    with open(partial, "wb") as target:
        write_mo(target, catalog)
    os.replace(partial, mo)


# --- formatting --------------------------------------------------------------------------


def formatting_locale() -> str | None:
    """The locale for times and dates, or None for breakd's own 24-hour, ISO-style format.

    POSIX's ``LC_TIME`` (through ``LC_ALL``/``LANG``) is the user's choice of clock; without
    one (C, POSIX, unset) a translated language's own conventions apply.
    """
    for name in _posix_locale("LC_TIME"):
        return name.split(".")[0].split("@")[0]
    current = language()
    return None if current == SOURCE_LANGUAGE else current


def format_clock(moment: datetime | time) -> str:
    """A time of day as the user's locale writes it: "14:30", "2:30 PM"."""
    locale = formatting_locale()
    if locale is None:
        return moment.strftime("%H:%M")
    try:
        from babel.dates import format_time

        return str(format_time(moment, format="short", locale=locale))
    except Exception:  # an unknown locale name: Babel refuses it, breakd still answers
        return moment.strftime("%H:%M")


def format_day(day: date, *, with_year: bool = False, weekday: bool = True) -> str:
    """A date as the user's locale writes it briefly: "Mon 3 Mar" ("Mo., 3. März")."""
    locale = formatting_locale()
    english = (f"{day:%a} " if weekday else "") + f"{day.day} {day:%b}"
    english += f" {day.year}" if with_year else ""
    if locale is None:
        return english
    skeleton = ("y" if with_year else "") + "MMM" + ("Ed" if weekday else "d")
    try:
        from babel.dates import format_skeleton

        return str(format_skeleton(skeleton, day, locale=locale))
    except Exception:
        return english


def format_weekday(moment: date) -> str:
    """The day of the week, abbreviated as the user's locale does ("Tue", "Di.")."""
    locale = formatting_locale()
    if locale is None:
        return moment.strftime("%a")
    try:
        from babel.dates import format_date

        return str(format_date(moment, "EEE", locale=locale))
    except Exception:
        return moment.strftime("%a")


def format_units(parts: list[tuple[int, str]]) -> str:
    """Amounts of time units in the message language: [(1, "hour"), (5, "minute")] ->
    "1 Std., 5 Min."; used by :func:`breakd.durations.humanize` for translated languages."""
    from babel.lists import format_list
    from babel.units import format_unit

    locale = language()
    words = [format_unit(n, f"duration-{unit}", length="short", locale=locale) for n, unit in parts]
    return str(format_list(words, style="unit-short", locale=locale))
