"""A real ControlServer on a real socket in the test's private runtime folder.

The handler is a miniature daemon: a settings dict that only commands change, plus
commands that fail, hang or answer badly on purpose.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support.daemon import wait_for

from breakd.control import (
    CommandError,
    ControlError,
    ControlServer,
    DaemonNotRunning,
    Request,
    ping,
    request,
    socket_path,
)
from breakd.control.protocol import ERROR_CODES, MAX_LINE

pytestmark = pytest.mark.linux_desktop

SETTABLE = ("interval", "snooze")


class MiniDaemon:
    """State in a dict, changed only by commands; a few commands misbehave on purpose."""

    commands = ("get", "set", "incr", "boom", "hang", "slow", "unjson", "late", "notdict")

    def __init__(self) -> None:
        self.state: dict[str, Any] = {"interval": "45m", "snooze": "10m", "count": 0}
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.entered = threading.Event()
        self.peers: list[int | None] = []

    def __call__(self, request: Request) -> dict[str, Any]:
        self.peers.append(request.peer_pid)
        if request.cmd == "get":
            with self.lock:
                return dict(self.state)
        if request.cmd == "set":
            key, value = request.args.get("key"), request.args.get("value")
            if key not in SETTABLE or not isinstance(value, str):
                raise CommandError("bad-arguments", f"set needs key in {SETTABLE} and a value")
            with self.lock:
                self.state[key] = value
                return dict(self.state)
        if request.cmd == "incr":
            with self.lock:
                self.state["count"] += 1
                return {"count": self.state["count"]}
        if request.cmd == "boom":
            raise RuntimeError("the handler broke")
        if request.cmd == "hang":
            self.entered.set()
            self.release.wait(30)
            return {"late": True}
        if request.cmd == "slow":
            self.entered.set()
            time.sleep(0.3)
            return {"slow": True}
        if request.cmd == "unjson":
            return {"when": object()}
        if request.cmd == "late":
            raise TimeoutError
        return ["not", "a", "dict"]  # type: ignore[return-value]  # "notdict", on purpose


Serve = Callable[..., tuple[ControlServer, MiniDaemon]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    started: list[tuple[ControlServer, MiniDaemon]] = []

    def start(**options: Any) -> tuple[ControlServer, MiniDaemon]:
        daemon = MiniDaemon()
        server = ControlServer(socket_path(), daemon, allowed_commands=daemon.commands, **options)
        server.start()
        started.append((server, daemon))
        return server, daemon

    yield start
    for server, daemon in started:
        daemon.release.set()
        server.stop()


_clients: list[socket.socket] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    yield
    while _clients:
        _clients.pop().close()


class Line:
    """A raw client: bytes out, reply lines in."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        _clients.append(self.sock)
        self.sock.settimeout(timeout)
        # The listen queue is as short as the connection cap: on a busy machine a connect
        # finds it full until the server has taken the one before. Wait for the turn, as
        # breakd's own client does; the server's answer is what the tests look at.
        wait_for(self._connected, 20, "room in the server's listen queue")
        self.buffer = b""

    def _connected(self) -> bool:
        try:
            self.sock.connect(str(socket_path()))
        except BlockingIOError:
            return False
        return True

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        self.send(json.dumps(message).encode() + b"\n")
        return self.reply()

    def reply(self) -> dict[str, Any]:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            assert chunk, f"connection closed; unterminated data: {self.buffer[:200]!r}"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        value = json.loads(line)
        assert isinstance(value, dict)
        return value

    def rest_until_closed(self) -> bytes:
        """Everything the server sends until it hangs up (fails if it does not)."""
        data = self.buffer
        while True:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return data
            if not chunk:
                return data
            data += chunk

    def close(self) -> None:
        self.sock.close()


def error_code(reply: dict[str, Any]) -> str:
    assert reply["ok"] is False, reply
    code = reply["error"]["code"]
    assert isinstance(code, str)
    return code


# --- round trips --------------------------------------------------------------------------


def test_a_request_gets_exactly_one_reply_with_its_id(serve: Serve) -> None:
    serve()
    client = Line()
    client.send(b'{"v": 1, "id": "abc", "cmd": "incr"}\n')
    client.sock.shutdown(socket.SHUT_WR)
    lines = client.rest_until_closed().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"v": 1, "id": "abc", "ok": True, "result": {"count": 1}}
    ]


def test_pipelined_requests_are_answered_in_order(serve: Serve) -> None:
    _, daemon = serve()
    client = Line()
    batch = [
        {"v": 1, "id": 1, "cmd": "incr"},
        {"v": 1, "id": 2, "cmd": "set", "args": {"key": "interval", "value": "30m"}},
        {"v": 1, "id": 3, "cmd": "ping"},
        {"v": 1, "id": 4, "cmd": "nope"},
        {"v": 1, "id": 5, "cmd": "slow"},
        {"v": 1, "id": 6, "cmd": "incr"},
        {"v": 1, "id": 7, "cmd": "get"},
    ]
    client.send(b"".join(json.dumps(m).encode() + b"\n" for m in batch))
    replies = [client.reply() for _ in batch]
    assert [r["id"] for r in replies] == [1, 2, 3, 4, 5, 6, 7]
    assert replies[0]["result"] == {"count": 1}
    assert replies[1]["result"]["interval"] == "30m"
    assert replies[2]["result"] == {"pid": os.getpid(), "version": "0.1.0"}
    assert error_code(replies[3]) == "unknown-command"
    assert replies[4]["result"] == {"slow": True}
    assert replies[5]["result"] == {"count": 2}
    assert replies[6]["result"] == {"interval": "30m", "snooze": "10m", "count": 2}
    assert daemon.state["interval"] == "30m"


def test_the_handler_learns_the_peer_pid(serve: Serve) -> None:
    _, daemon = serve()
    request("incr")
    assert daemon.peers == [os.getpid()]


def test_ping_is_answered_by_the_server_not_the_handler(serve: Serve) -> None:
    _, daemon = serve()
    assert ping() == os.getpid()
    assert daemon.peers == []


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"{this is not json\n", "bad-json"),
        (b"\xc3\x28\xa0\xa1 not utf-8\n", "bad-json"),
        (b"\n", "bad-json"),
        (b"[1, 2, 3]\n", "not-an-object"),
        (b'"ping"\n', "not-an-object"),
        (b'{"v": 2, "id": 1, "cmd": "get"}\n', "bad-version"),
        (b'{"id": 1, "cmd": "get"}\n', "bad-version"),
        (b'{"v": 1, "id": 1, "cmd": "reboot"}\n', "unknown-command"),
        (b'{"v": 1, "id": 1, "cmd": "get", "args": []}\n', "bad-arguments"),
        (b'{"v": 1, "id": 1, "cmd": "set", "args": {"key": "root"}}\n', "bad-arguments"),
        (b'{"v": 1, "id": {}, "cmd": "get"}\n', "bad-request"),
    ],
)
def test_each_bad_line_gets_its_error_and_serving_goes_on(
    serve: Serve, line: bytes, code: str
) -> None:
    serve()
    client = Line()
    client.send(line)
    reply = client.reply()
    assert error_code(reply) == code
    assert reply["error"]["message"]
    # The same connection, and a new one, are still served.
    assert client.ask({"v": 1, "id": 2, "cmd": "incr"})["result"] == {"count": 1}
    assert request("incr") == {"count": 2}


def test_unknown_command_reply_lists_what_is_allowed(serve: Serve) -> None:
    serve()
    with pytest.raises(ControlError) as caught:
        request("reboot")
    assert caught.value.code == "unknown-command"
    assert "get, hang, incr, late, notdict, ping, set, slow, unjson" in caught.value.message


def test_a_line_of_exactly_the_limit_is_served_one_byte_more_is_refused_and_hung_up(
    serve: Serve,
) -> None:
    serve()
    head = b'{"v": 1, "id": 1, "cmd": "incr"}'
    client = Line()
    client.send(head + b" " * (MAX_LINE - len(head)) + b"\n")
    assert client.reply()["result"] == {"count": 1}
    client.send(head + b" " * (MAX_LINE - len(head) + 1) + b"\n")
    reply = client.reply()
    assert error_code(reply) == "too-large"
    assert client.rest_until_closed() == b""
    assert request("incr") == {"count": 2}


def test_an_endless_line_is_cut_off_without_being_buffered(serve: Serve) -> None:
    serve()
    client = Line()
    chunk = b"x" * 65536
    sent = 0
    try:
        while sent < 64 * 1024 * 1024:
            client.sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    # The server stopped reading soon after the limit: the kernel buffers hold the rest.
    assert sent < 8 * 1024 * 1024
    data = client.rest_until_closed()
    assert json.loads(data.split(b"\n")[0])["error"]["code"] == "too-large"
    assert ping() == os.getpid()


def test_an_unterminated_last_line_is_answered_when_the_client_half_closes(serve: Serve) -> None:
    serve()
    client = Line()
    client.send(b'{"v": 1, "id": 9, "cmd": "incr"}')
    client.sock.shutdown(socket.SHUT_WR)
    assert json.loads(client.rest_until_closed()) == {
        "v": 1,
        "id": 9,
        "ok": True,
        "result": {"count": 1},
    }


# --- slow, silent and greedy clients ------------------------------------------------------


def test_a_client_stuck_in_the_middle_of_a_line_does_not_block_others(serve: Serve) -> None:
    serve()
    stuck = Line()
    stuck.send(b'{"v": 1, "id": "stuck", "cmd": "in')
    started = time.monotonic()
    for _ in range(5):
        assert request("incr", timeout=1.0)["count"] > 0
    assert time.monotonic() - started < 3.0
    stuck.send(b'cr"}\n')  # its half line was kept, not lost
    assert stuck.reply() == {"v": 1, "id": "stuck", "ok": True, "result": {"count": 6}}


def test_idle_connections_are_closed(serve: Serve) -> None:
    serve(idle_timeout=0.3)
    silent, half = Line(), Line()
    half.send(b'{"v": 1, "cmd"')
    started = time.monotonic()
    assert silent.rest_until_closed() == b""
    assert half.rest_until_closed() == b""
    assert 0.25 < time.monotonic() - started < 3.0
    assert request("incr") == {"count": 1}


def test_too_many_connections_get_busy_and_the_server_recovers(serve: Serve) -> None:
    serve(max_connections=3)
    held = [Line() for _ in range(3)]
    for client in held:  # make sure all three are accepted before the next one
        assert client.ask({"v": 1, "cmd": "ping"})["ok"]
        client.send(b'{"v": 1, "cmd"')  # mid-request, so none is idle enough to evict
    extra = Line()
    reply = json.loads(extra.rest_until_closed())
    assert reply["error"]["code"] == "busy"
    held.pop().close()
    wait_for(lambda: ping() is not None, 10, "the server to notice the closed connection")
    assert request("incr") == {"count": 1}


def test_a_refusal_over_the_limit_carries_the_request_id(serve: Serve) -> None:
    """Before: the refusal had id null and breakd's client called it "a different request"."""
    serve(max_connections=1)
    busy = Line()
    busy.send(b'{"v": 1, "id": "half", "cmd"')  # mid-request: never evicted
    extra = Line()
    extra.send(b'{"v": 1, "id": "mine", "cmd": "incr"}\n')
    reply = json.loads(extra.rest_until_closed())
    assert (reply["id"], error_code(reply)) == ("mine", "busy")
    silent = Line()  # says nothing: refused after a short wait, with the id it never sent
    assert json.loads(silent.rest_until_closed())["id"] is None
    busy.send(b': "incr"}\n')
    assert busy.reply()["result"] == {"count": 1}


def test_a_connection_over_every_cap_is_told_why_in_words(serve: Serve) -> None:
    """The refusal at accept time is a sentence for the user (translated where it is
    made); before, a local name in the accept loop hid the translation function."""
    serve(max_connections=1)
    serving, refusing = Line(), Line()
    serving.send(b'{"v": 1, "id": "half", "cmd"')  # mid-request: never evicted
    refusing.send(b'{"v": 1, "id": "also", "cmd"')
    extra = Line()
    reply = json.loads(extra.rest_until_closed())
    assert error_code(reply) == "busy"
    assert reply["error"]["message"] == "breakd has too many open connections; try again shortly"
    serving.send(b': "incr"}\n')
    assert serving.reply()["result"] == {"count": 1}


def test_a_full_server_evicts_the_longest_idle_connection_for_a_new_one(serve: Serve) -> None:
    """Idle connections left open must not lock the user out of their own breakd."""
    serve(max_connections=2)
    oldest, newer = Line(), Line()
    assert oldest.ask({"v": 1, "cmd": "ping"})["ok"]
    assert newer.ask({"v": 1, "cmd": "ping"})["ok"]
    # The client retries its busy refusals until the idle ones are old enough to evict.
    assert request("incr") == {"count": 1}
    assert oldest.rest_until_closed() == b""
    assert newer.ask({"v": 1, "cmd": "get"})["ok"]


# --- handlers that fail or hang -----------------------------------------------------------


def test_a_handler_that_raises_gives_internal_and_is_logged(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    serve()
    with (
        caplog.at_level(logging.ERROR, logger="breakd.control"),
        pytest.raises(ControlError) as caught,
    ):
        request("boom")
    assert caught.value.code == "internal"
    assert "the handler broke" in caught.value.message
    assert any(r.exc_info and "boom" in r.getMessage() for r in caplog.records)
    assert request("incr") == {"count": 1}


@pytest.mark.parametrize(
    ("cmd", "code"), [("unjson", "internal"), ("notdict", "internal"), ("late", "timeout")]
)
def test_bad_handler_results_become_error_replies(serve: Serve, cmd: str, code: str) -> None:
    serve()
    with pytest.raises(ControlError) as caught:
        request(cmd)
    assert caught.value.code == code
    assert request("incr") == {"count": 1}


def test_a_hanging_handler_gets_a_bounded_timeout_and_others_are_served(serve: Serve) -> None:
    _, daemon = serve(handler_timeout=0.5)
    hung = Line()
    started = time.monotonic()
    hung.send(b'{"v": 1, "id": "h", "cmd": "hang"}\n')
    assert daemon.entered.wait(2)
    assert request("incr", timeout=1.0) == {"count": 1}
    assert ping(timeout=1.0) == os.getpid()
    reply = hung.reply()
    waited = time.monotonic() - started
    assert (reply["id"], error_code(reply)) == ("h", "timeout")
    assert 0.4 < waited < 3.0
    # The connection goes on; the hung call's late result is dropped, not sent.
    assert hung.ask({"v": 1, "id": "next", "cmd": "incr"})["id"] == "next"
    daemon.release.set()
    assert hung.ask({"v": 1, "id": "after", "cmd": "get"})["id"] == "after"


def test_when_every_handler_thread_is_stuck_new_commands_get_busy(serve: Serve) -> None:
    _, daemon = serve(max_calls=1)
    hung = Line()
    hung.send(b'{"v": 1, "id": "h", "cmd": "hang"}\n')
    assert daemon.entered.wait(2)
    with pytest.raises(ControlError) as caught:
        request("incr", timeout=1.0)
    assert caught.value.code == "busy"
    assert ping(timeout=1.0) == os.getpid()
    daemon.release.set()
    assert hung.reply() == {"v": 1, "id": "h", "ok": True, "result": {"late": True}}
    assert request("incr") == {"count": 1}


def test_stop_lets_a_reply_in_progress_go_out(serve: Serve) -> None:
    server, daemon = serve()

    def stop_while_the_handler_works() -> None:
        daemon.entered.wait(2)
        server.stop(grace=2.0)

    stopper = threading.Thread(target=stop_while_the_handler_works)
    stopper.start()
    assert request("slow") == {"slow": True}
    stopper.join()
    assert not server.running
    assert not socket_path().exists()
    with pytest.raises(DaemonNotRunning):
        request("get")


# --- the client ---------------------------------------------------------------------------


def test_client_reports_a_missing_daemon_with_how_to_start_it() -> None:
    with pytest.raises(DaemonNotRunning) as caught:
        request("get")
    assert str(caught.value) == "breakd is not running; start it with `breakd start`"
    assert ping() is None


def test_client_error_replies_and_its_own_timeout(serve: Serve) -> None:
    serve()
    assert request("set", {"key": "snooze", "value": "5m"})["snooze"] == "5m"
    with pytest.raises(ControlError) as caught:
        request("set", {"key": "root", "value": "1"})
    assert (caught.value.code, str(caught.value)) == (
        "bad-arguments",
        "set needs key in ('interval', 'snooze') and a value",
    )
    started = time.monotonic()
    with pytest.raises(ControlError) as caught:
        request("hang", timeout=0.3)
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 2.0


def test_client_refuses_a_request_too_large_to_send(serve: Serve) -> None:
    serve()
    with pytest.raises(ControlError) as caught:
        request("set", {"key": "interval", "value": "x" * MAX_LINE})
    assert caught.value.code == "too-large"


# --- fuzz ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)
requests = st.fixed_dictionaries(
    {
        "v": st.sampled_from([1, 1, 1, 2, "1", True, None]),
        "cmd": st.sampled_from(["get", "set", "incr", "boom", "ping", "reboot"])
        | st.text(max_size=8),
    },
    optional={
        "id": st.integers() | st.text(max_size=8) | json_values,
        "args": st.fixed_dictionaries(
            {},
            optional={
                "key": st.sampled_from(["interval", "snooze", "root"]) | json_values,
                "value": st.text(max_size=5) | json_values,
            },
        )
        | json_values,
        "extra": json_values,
    },
)
HUGE = b"h" * (MAX_LINE + 1) + b"\n"
pieces = st.one_of(
    st.binary(max_size=200),
    requests.map(lambda r: json.dumps(r).encode() + b"\n"),
    json_values.map(lambda v: json.dumps(v).encode() + b"\n"),
    st.sampled_from([b"\n", b"\xff\xfe\n", b"{", b"}\n", b"\x00"]),
    st.just(HUGE),
)


def expected_id(line: bytes) -> object:
    """What an independent reader would call the line's id, or None."""
    try:
        value = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    rid = value.get("id")
    return rid if isinstance(rid, int | str) and not isinstance(rid, bool) else None


def test_fuzzed_lines_each_get_one_well_formed_reply_and_the_server_survives(
    serve: Serve,
) -> None:
    server, daemon = serve()
    increments = 0

    @settings(
        max_examples=250,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(pieces, min_size=1, max_size=6))
    def check(parts: list[bytes]) -> None:
        nonlocal increments
        payload = b"".join(parts)
        *complete, tail = payload.split(b"\n")
        lines = [*complete, tail] if tail else complete
        huge_at = next((i for i, line in enumerate(lines) if len(line) > MAX_LINE), None)
        client = Line()
        try:
            client.send(payload)
            client.sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            assert huge_at is not None
        replies = [json.loads(r) for r in client.rest_until_closed().splitlines()]
        client.close()
        answered = lines if huge_at is None else lines[: huge_at + 1]
        event("a line over the limit" if huge_at is not None else "lines within the limit")
        assert len(replies) == len(answered)
        for line, reply in zip(answered, replies, strict=True):
            assert reply["v"] == 1
            if len(line) > MAX_LINE:
                assert error_code(reply) == "too-large"
            elif reply["ok"]:
                event("served")
                assert reply["id"] == expected_id(line)
                increments += reply["result"].keys() == {"count"}  # only incr answers so
            else:
                assert error_code(reply) in ERROR_CODES
                assert isinstance(reply["error"]["message"], str)
                if reply["id"] is not None:
                    assert reply["id"] == expected_id(line)

    check()
    assert server.running
    assert ping() == os.getpid()
    assert daemon.state["count"] == increments
