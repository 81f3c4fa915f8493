"""breakd in the user's language: the catalogs are complete and sound, the template
matches the code, and the real command line and daemon speak German when asked."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from support.daemon import DaemonProcess, wait_for
from support.sessionbus import Bus, MockService, private_bus, spawn_mock

from breakd import i18n
from breakd.durations import humanize
from breakd.engine import Phase, Refusal, RefusalCode
from breakd.messages import refusal_text

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "breakd" / "locale" / "breakd.pot"
CATALOGS = sorted((ROOT / "breakd" / "locale").glob("*/LC_MESSAGES/breakd.po"))
PLACEHOLDER = re.compile(r"\{[a-z_]*(?::[^}]*)?\}|%\([a-z_]+\)[sd]|%[sd]")
GERMAN = {"LANGUAGE": "de"}


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


def test_the_template_holds_every_message_of_the_code(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.pot"
    options = ["-F", str(ROOT / "babel.cfg"), "-k", "N_", "-c", "Translators:", "--no-wrap"]
    CommandLineInterface().run(["pybabel", "-q", "extract", *options, "-o", str(fresh), str(ROOT)])
    wanted = {(m.context, m.id) for m in read_catalog(fresh) if m.id}
    committed = {(m.context, m.id) for m in read_catalog(TEMPLATE) if m.id}
    assert wanted - committed == set(), "run the extraction in README 'Languages'"
    assert committed - wanted == set(), "the template holds messages the code no longer has"


def test_german_is_shipped() -> None:
    assert "de" in [path.parent.parent.name for path in CATALOGS]


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.parent.parent.name)
def test_a_catalog_is_complete_and_sound(path: Path) -> None:
    catalog = read_catalog(path)
    template = {(m.context, m.id) for m in read_catalog(TEMPLATE) if m.id}
    entries: dict[Any, Message] = {(m.context, m.id): m for m in catalog if m.id}
    assert set(entries) >= template, f"missing: {template - set(entries)}"
    expected_forms = get_plural(path.parent.parent.name).num_plurals
    header = catalog.mime_headers
    plural_header = dict(header)["Plural-Forms"]
    assert f"nplurals={expected_forms};" in plural_header.replace(" ", "")
    for (_context, msgid), message in entries.items():
        assert not message.fuzzy, f"fuzzy: {msgid!r}"
        if message.pluralizable:
            singular, plural = msgid
            forms = message.string
            assert len(forms) == expected_forms and all(forms), f"plural forms of {singular!r}"
            for form in forms:
                assert _placeholders(form) == _placeholders(plural), (singular, form)
        else:
            assert message.string, f"untranslated: {msgid!r}"
            assert _placeholders(message.string) == _placeholders(msgid), msgid


def test_messages_follow_the_language() -> None:
    refusal = Refusal(RefusalCode.NOTHING_TO_SNOOZE, phase=Phase.AWAY)
    assert refusal_text(refusal) == "there is nothing to snooze while you are away"
    assert i18n.setup("de") == "de"
    assert refusal_text(refusal) == "es gibt nichts zu schlummern, während Sie weg sind"
    assert humanize(65 * 60) == "1 Std., 5 Min."
    assert i18n.ngettext("{count} break", "{count} breaks", 2) == "{count} Pausen"


def test_an_unknown_language_is_english_without_a_word(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LANGUAGE", "xx")
    with caplog.at_level(logging.DEBUG, logger="breakd.i18n"):
        assert i18n.setup() == "en"
    assert i18n._("Skip") == "Skip" and humanize(120) == "2 min"
    assert caplog.records == []


def test_a_damaged_catalog_gives_english_and_one_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "breakd.mo").write_bytes(b"\xde\x12\x04\x95" + b"\xff" * 40)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with caplog.at_level(logging.WARNING, logger="breakd.i18n"):
        assert i18n.setup("de") == "en"
    assert i18n._("Skip") == "Skip"
    assert len(caplog.records) == 1 and "cannot be read" in caplog.records[0].getMessage()


def test_the_language_setting_overrides_the_desktop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")
    assert i18n.requested_languages("de") == ["de"]
    assert i18n.requested_languages("auto") == ["en"]
    monkeypatch.delenv("LANGUAGE")
    monkeypatch.setenv("LC_ALL", "de_AT.UTF-8")
    assert i18n.requested_languages() == ["de_AT.UTF-8"]
    assert i18n.setup() == "de"


# --- settings problems and the control channel -------------------------------------------


def test_a_settings_problem_is_german_and_keeps_file_line_and_key() -> None:
    from breakd.config import load_config, user_config_file

    path = user_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('# mine\n[reminders]\ninterval = "0s"\n[remind]\nx = 1\n', encoding="utf-8")
    i18n.setup("de")
    by_key = {problem.key: problem for problem in load_config().problems}
    interval = by_key["reminders.interval"]
    assert (interval.source, interval.line) == (str(path), 3)
    assert str(interval) == (
        f'{path}, Zeile 3: reminders.interval: "0s" liegt außerhalb des erlaubten Bereichs;'
        ' erlaubt: eine Dauer wie "30m", "45s" oder "1h30m", von 1s bis 24h'
    )
    assert "unbekannter Abschnitt (meinten Sie [reminders]?)" in str(by_key["[remind]"])


@pytest.mark.parametrize(
    ("data", "german"),
    [
        (b"\xef\xbb\xbf[reminders]\ninterval = 30\n", "erhalten: eine Zahl (30)"),
        (b'[reminders]\ninterval = "\xff"\n', "ist kein UTF-8-Text (Byte 0xff)"),
        (b"a = " + b"[" * 40 + b"]" * 40 + b"\n", "ist mehr als 32 Ebenen tief verschachtelt"),
        (b"#" * (1024 * 1024 + 1), "mehr als die 1 MiB, die eine Einstellungsdatei haben darf"),
        (
            b'[working_hours]\nstart = "19:00"\n',
            "Beginn 19:00, Ende 18:00 aus default); dieser Wert wird ignoriert",
        ),
    ],
    ids=["bom", "utf-8", "nesting", "size", "working-hours"],
)
def test_reading_errors_are_german(data: bytes, german: str) -> None:
    from breakd.config import load_config, user_config_file

    path = user_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    i18n.setup("de")
    [problem] = load_config().problems
    assert problem.source == str(path) and german in str(problem), str(problem)


def test_the_control_client_says_breakd_is_not_running_in_german(tmp_path: Path) -> None:
    from breakd.control.client import DaemonNotRunning, request

    i18n.setup("de")
    with pytest.raises(DaemonNotRunning) as raised:
        request("status", path=tmp_path / "no.sock")
    assert str(raised.value) == "breakd läuft nicht; starten Sie es mit `breakd start`"


def test_an_unsafe_socket_folder_is_refused_in_german(tmp_path: Path) -> None:
    from breakd.control.paths import UnsafeDirectory, check_private_dir

    folder = tmp_path / "run"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    i18n.setup("de")
    refused = re.escape("ist für andere Benutzer offen (Modus 755)")
    with pytest.raises(UnsafeDirectory, match=refused):
        check_private_dir(folder)


def test_the_control_client_loads_no_babel_even_in_german() -> None:
    """Every ``breakd status`` pays for what the client imports: gettext, never Babel."""
    code = (
        "import sys, breakd.control.client as c, breakd.control.errors as e; "
        "print(e.DaemonNotRunning('x')); print(sorted(m for m in sys.modules if 'babel' in m))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **GERMAN},
        check=True,
    )
    assert shown.stdout.splitlines() == [
        "breakd läuft nicht; starten Sie es mit `breakd start`",
        "[]",
    ]


# --- the real command line ---------------------------------------------------------------


def breakd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:

    return subprocess.run(
        [sys.executable, "-m", "breakd", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_the_command_line_help_is_german() -> None:
    shown = breakd("--help", env=GERMAN)
    assert shown.returncode == 0
    assert "Eine leise Pausenerinnerung" in shown.stdout
    assert "den Daemon in diesem Terminal ausführen" in shown.stdout
    assert "A quiet break reminder" in breakd("--help").stdout


def test_the_exercise_list_and_an_exercise_are_german() -> None:
    listed = breakd("exercises", env=GERMAN)
    assert listed.returncode == 0
    assert re.search(r"knee-press\s+sitzend\s+30 s\s+Kniedrücken", listed.stdout)
    shown = breakd("exercises", "show", "knee-press", env=GERMAN)
    assert "1. Sitzen Sie aufrecht, beide Füße flach auf dem Boden." in shown.stdout
    assert "Sicherheit: Gleichmäßig und ohne Ruck bewegen" in shown.stdout
    unknown = breakd("exercises", env={"LANGUAGE": "xx"})
    assert "Knee press" in unknown.stdout and unknown.stderr == ""


@pytest.mark.parametrize(
    ("args", "german"),
    [
        (("autostart", "status"), "Start bei der Anmeldung: aus (`breakd autostart enable`"),
        (("stats", "--days", "0"), "--days muss 1 bis"),
        (("stats", "--from", "gestern"), "'gestern' ist kein Datum; schreiben Sie es als"),
        (("config", "check"), "Einstellungen in Ordnung: keine Einstellungsdatei"),
        (("--set", "interval", "config", "check"), "Befehlszeile: interval: schreiben Sie --set"),
    ],
    ids=["autostart", "stats-days", "stats-date", "config-ok", "config-set"],
)
def test_the_command_lines_answers_and_complaints_are_german(
    args: tuple[str, ...], german: str
) -> None:
    shown = breakd(*args, env=GERMAN)
    assert german in shown.stdout + shown.stderr, shown


def test_a_problem_in_an_own_exercise_file_is_german(tmp_path: Path) -> None:
    from breakd.content import load_exercises

    own = tmp_path / "exercises"
    own.mkdir()
    (own / "mine.toml").write_text('id = "mine"\ntitle = "Mine"\nposition = "lying"\n')
    i18n.setup("de")
    problems = [p for p in load_exercises([own]).problems if "mine.toml" in p]
    assert problems and all(p.startswith(f"{own / 'mine.toml'}: Übung 'mine': ") for p in problems)
    assert f"{own / 'mine.toml'}: Übung 'mine': steps: fehlt" in problems
    wrong = 'position: muss "seated" oder "standing" sein, nicht \'lying\''
    assert any(p.endswith(wrong) for p in problems), problems


# --- the real daemon ---------------------------------------------------------------------

NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATION_TEMPLATE = str(Path(__file__).parent / "support" / "notification_template.py")


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    with private_bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS") as running:
        yield running


def notify_calls(server: MockService) -> list[list[Any]]:
    return [list(args) for _, args in server.mock().GetMethodCalls("Notify")]


@pytest.mark.linux_desktop
def test_the_daemon_reminds_and_reports_in_german(bus: Bus, daemons: list[DaemonProcess]) -> None:
    server = spawn_mock(
        bus,
        NOTIFICATIONS,
        "/org/freedesktop/Notifications",
        NOTIFICATIONS,
        template=NOTIFICATION_TEMPLATE,
        parameters=json.dumps({}),
    )
    daemon = DaemonProcess(["--set", "interval=3s", "--set", "natural_break=10m"], env=GERMAN)
    daemons.append(daemon)
    daemon.wait_log("breakd started")
    [notify] = wait_for(lambda: notify_calls(server), what="a Notify call")
    title, body, actions = notify[3], notify[4], notify[5]
    assert title == "Sie sitzen seit 3 Sekunden"
    assert body.endswith("\nKlicken, um eine Pause zu starten (2 Min.).")
    assert dict(zip(actions[::2], actions[1::2], strict=True)) == {
        "default": "",
        "break": "Pause starten (2 Min.)",
        "snooze": "10 Min. schlummern",
        "skip": "Überspringen",
    }
    status = breakd("status", env=GERMAN)
    assert status.returncode == 0, status.stderr
    assert "Sitzt seit" in status.stdout and "Aktivität von:" in status.stdout
    as_json = json.loads(breakd("status", "--json", env=GERMAN).stdout)
    assert as_json["state"] in ("due", "counting")
    assert daemon.stop() == 0


def test_the_desktop_entry_carries_every_shipped_language(tmp_path: Path) -> None:
    from breakd.autostart import desktop_entry
    from breakd.autostart.launcher import Launcher
    from breakd.autostart.xdg import autostart_entry_text

    text = autostart_entry_text(Launcher(Path("/usr/bin/breakd")), "breakd")
    values = desktop_entry.parse(text)
    assert values["GenericName[de]"] == "Pausenerinnerung"
    assert values["Comment[de]"].startswith("Bietet eine zweiminütige Übungspause an")
    for language in i18n.shipped_languages():
        assert f"Comment[{language}]" in values and f"GenericName[{language}]" in values
    # Writing it keeps none of the catalogs in memory: the daemon writes it now and then.
    code = (
        "import gettext; from pathlib import Path; from breakd.autostart.launcher import Launcher;"
        " from breakd.autostart.xdg import autostart_entry_text;"
        " autostart_entry_text(Launcher(Path('/usr/bin/breakd')), 'breakd');"
        " print(len(gettext._translations))"
    )
    held = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "LANGUAGE": "en"},
    )  # fmt: skip
    assert held.stdout.strip() == "0", held.stderr
    entry = tmp_path / "breakd.desktop"
    entry.write_text(text)
    checked = subprocess.run(
        ["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0 and checked.stdout == "", checked.stdout


def test_why_reminders_wait_is_german_in_status_and_english_in_json() -> None:
    """The daemon sends its reason in English (scripts match on ``--json``'s ``quiet``);
    ``breakd status`` words it in the user's language, a desktop's name kept."""
    from breakd.cli.control import quiet_words
    from breakd.notify.quiet import FULLSCREEN
    from breakd.notify.quiet.base import DO_NOT_DISTURB
    from breakd.notify.quiet.windows import focus_assist_reason

    i18n.setup("de")
    assert quiet_words(DO_NOT_DISTURB.format(source="xfce")) == "„Nicht stören“ (xfce)"
    assert quiet_words(FULLSCREEN) == "ein Fenster im Vollbild ist vorne"
    assert quiet_words("a call is under way") == "ein Anruf läuft"
    assert quiet_words(focus_assist_reason(2) or "") == (
        "„Nicht stören“ (Benachrichtigungsassistent: nur Wecker)"
    )
    assert quiet_words("something newer") == "something newer"
    i18n.setup("en")
    assert quiet_words(DO_NOT_DISTURB.format(source="mako")) == "do not disturb (mako)"
