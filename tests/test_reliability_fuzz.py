"""Fuzzed control requests against the real daemon, and fuzzed raw config text.

Every request line gets exactly one well-formed reply (a result or an error with a
known shape) and the daemon keeps answering; every config file, however broken, gives
settings plus clear problems naming the file, never an exception.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.daemon import DaemonProcess

from breakd.config import load_config, user_config_file
from breakd.control.paths import socket_path

pytestmark = pytest.mark.linux_desktop

NO_DESKTOP = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "DBUS_SESSION_BUS_ADDRESS": ""}
COMMANDS = ["status", "break", "snooze", "skip", "pause", "resume", "set", "ping", "quit?"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
args = st.fixed_dictionaries(
    {},
    optional={
        "duration": st.sampled_from(["10m", "0s", "-5m", "tomorrow", "forever", "1h", "x"])
        | json_values,
        "key": st.sampled_from(["interval", "snooze", "length", "nope", "log_level"]) | json_values,
        "value": st.sampled_from(["45m", "0", "1s", "99h", "", "\x00"]) | json_values,
    },
)
requests = st.fixed_dictionaries(
    {"v": st.sampled_from([1, 1, 1, 2, None]), "cmd": st.sampled_from(COMMANDS)},
    optional={"id": st.integers(0, 10**6) | st.text(max_size=6), "args": args | json_values},
)


def exchange(line: bytes) -> dict[str, object]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(15)
        client.connect(str(socket_path()))
        client.sendall(line)
        data = b""
        while not data.endswith(b"\n"):
            chunk = client.recv(65536)
            assert chunk, f"no reply to {line!r}"
            data += chunk
    assert data.count(b"\n") == 1
    return dict(json.loads(data))


def test_fuzzed_requests_to_the_real_daemon_get_one_reply_each(
    daemons: list[DaemonProcess],
) -> None:
    daemon = DaemonProcess(
        ["--set", "activity.idle_source=always-present", "--set", "interval=5s"], env=NO_DESKTOP
    )
    daemons.append(daemon)
    daemon.wait_log("breakd started")

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(requests)
    def check(request: dict[str, object]) -> None:
        reply = exchange(json.dumps(request).encode() + b"\n")
        assert reply["v"] == 1
        if reply["ok"]:
            assert isinstance(reply["result"], dict)
        else:
            error = reply["error"]
            assert isinstance(error, dict)
            assert error["code"] != "internal", (request, error)
            assert isinstance(error["message"], str) and error["message"]
        assert daemon.alive()

    check()
    assert exchange(b'{"v": 1, "cmd": "status"}\n')["ok"]
    text = daemon.wait_log("breakd started")
    assert "Traceback" not in text
    # Whatever "set" was asked, the user's file is still one breakd can read.
    assert not [p for p in load_config().problems if str(user_config_file()) in str(p)]
    daemon.stop()


toml_ish = st.lists(
    st.sampled_from(
        [
            "[reminders]", "[breaks]", "[working_hours]", "[x]", "[[reminders]]",
            'interval = "45m"', "interval = 45", 'interval = "-1m"', "interval = ",
            'days = ["mon", "funday"]', 'start = "25:00"', "enabled = maybe",
            "natural_break = 1e400", 'length = """', "= 3", "a.b.c = 1", "\x00", "\ufeff",
        ]
    )
    | st.text(max_size=30),
    max_size=12,
).map("\n".join)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=toml_ish, raw=st.binary(max_size=40))
def test_fuzzed_config_text_gives_settings_and_clear_problems(text: str, raw: bytes) -> None:
    path = user_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    for content in (text.encode("utf-8", "surrogatepass"), raw):
        path.write_bytes(content)
        loaded = load_config()
        assert loaded.settings.interval > 0
        for problem in loaded.problems:
            assert str(path) in str(problem)
        assert path.read_bytes() == content
    Path(path).unlink()
