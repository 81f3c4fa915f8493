"""Settings: layers, clear errors that name file, line and key, and careful writes."""

from __future__ import annotations

import os
import tomllib
from datetime import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from breakd.config import (
    SCHEMA,
    ConfigError,
    default_config_file,
    load_config,
    read_layer,
    user_config_file,
    write_user_setting,
)
from breakd.durations import DurationError, format_duration, parse_duration


def write_user(text: str) -> Path:
    path = user_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_match_the_issue() -> None:
    s = load_config().settings
    assert s.interval == 30 * 60
    assert s.break_length == 2 * 60
    assert s.natural_break == 5 * 60
    assert s.remind_again == 5 * 60 and s.max_reminders == 3
    assert s.snooze == 10 * 60
    assert s.exercise_mix == "alternate"
    assert s.working_hours_enabled is False
    assert s.working_days == frozenset(range(5))
    assert (s.work_start, s.work_end) == (time(9, 0), time(18, 0))


def test_every_schema_key_is_documented_with_a_comment() -> None:
    text = default_config_file().read_text(encoding="utf-8")
    document = tomllib.loads(text)
    lines = text.splitlines()
    for spec in SCHEMA:
        assert spec.name in document[spec.section], f"{spec.key} missing from default.toml"
        index = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{spec.name} ="))
        assert lines[index - 1].lstrip().startswith("#"), f"{spec.key} has no comment above it"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("2m", 120), ("45s", 45), ("1h30m", 5400), ("1h 5m 3s", 3903), ("1.5h", 5400)],
)
def test_durations_read_the_way_people_write_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["30", "", "m", "5x", "1m1m", "-5m", "1 hour"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10 * 24 * 3600))
def test_durations_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_user_file_overrides_defaults_and_system_file() -> None:
    site = Path(os.environ["XDG_CONFIG_DIRS"]) / "breakd"
    site.mkdir(parents=True)
    (site / "config.toml").write_text('[reminders]\ninterval = "40m"\nsnooze = "15m"\n')
    write_user('[reminders]\ninterval = "45m"\n')
    loaded = load_config()
    assert loaded.settings.interval == 45 * 60
    assert loaded.settings.snooze == 15 * 60
    assert loaded.origins["reminders.interval"] == "user"
    assert loaded.origins["reminders.snooze"] == "system"
    assert loaded.origins["breaks.length"] == "default"
    assert loaded.problems == []


def test_command_line_overrides_everything() -> None:
    write_user('[reminders]\ninterval = "45m"\n')
    loaded = load_config(["interval=5s", "breaks.length=10s"])
    assert loaded.settings.interval == 5
    assert loaded.settings.break_length == 10
    assert loaded.origins["reminders.interval"] == "command line"


def test_bad_value_names_file_line_key_and_what_is_allowed() -> None:
    path = write_user('# mine\n[reminders]\nsnooze = "10m"\ninterval = "0s"\n')
    before = path.read_bytes()
    loaded = load_config()
    [problem] = loaded.problems
    message = str(problem)
    assert str(path) in message
    assert "line 4" in message
    assert "reminders.interval" in message
    assert "from 1s to 24h" in message
    # The bad key falls back; the good one in the same file still applies.
    assert loaded.settings.interval == 30 * 60
    assert loaded.settings.snooze == 10 * 60
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[reminders]\ninterval = 30\n", "got a number"),
        ('[reminders]\nintervall = "30m"\n', "did you mean interval"),
        ('[remind]\ninterval = "30m"\n', "did you mean [reminders]"),
        ('[breaks]\nexercises = "lying"\n', 'one of "alternate", "seated", "standing"'),
        ('[working_hours]\ndays = ["monday"]\n', "not a day name"),
        ('[working_hours]\nstart = "9am"\n', "HH:MM"),
        ('[working_hours]\nstart = "19:00"\n', "start before they end"),
        ("[reminders]\nmax_reminders = 0\n", "from 1 to 20"),
    ],
)
def test_each_kind_of_mistake_is_explained(text: str, expected: str) -> None:
    path = write_user(text)
    problems = load_config().problems
    assert len(problems) == 1
    assert expected in str(problems[0])
    assert str(path) in str(problems[0])


def test_broken_toml_names_the_line_and_keeps_the_file() -> None:
    path = write_user('[reminders]\ninterval = "30m"\nsnooze = \n')
    before = path.read_bytes()
    loaded = load_config()
    [problem] = loaded.problems
    assert problem.line == 3 and "not valid TOML" in str(problem)
    assert loaded.settings == load_config(user_file=Path("/nonexistent")).settings
    with pytest.raises(ConfigError, match="will not overwrite"):
        write_user_setting("interval", "45m")
    assert path.read_bytes() == before


def test_write_keeps_comments_and_order_and_changes_one_key() -> None:
    original = (
        "# my settings\n"
        "[breaks]\n"
        "# I like standing\n"
        'exercises = "standing"   # really\n'
        "\n"
        "[reminders]\n"
        'snooze = "15m"\n'
        'interval = "30m"  # default\n'
    )
    path = write_user(original)
    os.chmod(path, 0o640)
    write_user_setting("interval", "45m")
    text = path.read_text()
    assert text == original.replace('interval = "30m"', 'interval = "45m"')
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    assert load_config().settings.interval == 45 * 60


def test_write_creates_the_file_and_section_when_missing() -> None:
    write_user_setting("breaks.length", "1m")
    assert load_config().settings.break_length == 60
    write_user_setting("working_hours.enabled", "on")
    assert load_config().settings.working_hours_enabled is True
    assert load_config().problems == []


def test_write_refuses_bad_values_and_unknown_keys() -> None:
    with pytest.raises(ConfigError, match="allowed"):
        write_user_setting("interval", "0s")
    with pytest.raises(ConfigError, match="unknown setting"):
        write_user_setting("intervall", "5m")
    assert not user_config_file().exists()


def test_write_leaves_no_temporary_files() -> None:
    write_user_setting("snooze", "5m")
    assert sorted(p.name for p in user_config_file().parent.iterdir()) == ["config.toml"]


toml_scalars = st.one_of(
    st.text(max_size=12), st.integers(-(10**6), 10**6), st.booleans(), st.floats(allow_nan=False)
)
toml_values = st.one_of(toml_scalars, st.lists(toml_scalars, max_size=4))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.dictionaries(
        st.sampled_from(["reminders", "breaks", "working_hours", "history", "logging", "extra"]),
        st.dictionaries(
            st.sampled_from([s.name for s in SCHEMA] + ["bogus"]), toml_values, max_size=4
        ),
        max_size=4,
    )
)
def test_fuzzed_files_give_clear_errors_or_values(tmp_path: Path, body: dict) -> None:
    import tomlkit

    path = tmp_path / "fuzz.toml"
    path.write_text(tomlkit.dumps(body), encoding="utf-8")
    layer = read_layer(path, "user")
    for problem in layer.problems:
        assert str(path) in str(problem)
        assert problem.key is not None
    # Each key is either taken or explained once; an unknown section is explained once.
    expected = sum(len(keys) if section != "extra" else 1 for section, keys in body.items())
    assert len(layer.values) + len(layer.problems) == expected


def test_a_file_of_many_mistakes_lists_twenty_and_counts_the_rest() -> None:
    write_user("[reminders]\n" + "".join(f"k{i} = 1\n" for i in range(500)))
    problems = load_config().problems
    assert len(problems) == 21
    assert str(problems[-1]).endswith("480 more problems like these not shown")
    # Mistakes in single keys do not stop breakd from editing the file.
    write_user_setting("interval", "45m")
    assert load_config().settings.interval == 45 * 60
