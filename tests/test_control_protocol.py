"""The control channel's wire format, without sockets: decoding, encoding, line splitting."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from breakd.control.protocol import (
    MAX_LINE,
    PROTOCOL_VERSION,
    LineSplitter,
    ProtocolError,
    Request,
    check_command,
    decode_reply,
    decode_request,
    encode_error,
    encode_reply,
    encode_request,
)


def code_of(line: bytes) -> tuple[str, object]:
    with pytest.raises(ProtocolError) as caught:
        decode_request(line)
    return caught.value.code, caught.value.request_id


def test_a_full_request_decodes() -> None:
    request = decode_request(b'{"v": 1, "id": 7, "cmd": "snooze", "args": {"duration": "10m"}}\n')
    assert request == Request(cmd="snooze", args={"duration": "10m"}, id=7)


def test_id_and_args_are_optional_and_crlf_is_tolerated() -> None:
    assert decode_request(b'{"v":1,"cmd":"status"}\r\n') == Request(cmd="status", args={}, id=None)
    assert decode_request(b'{"v":1,"cmd":"status","id":"a","args":null}').id == "a"


@pytest.mark.parametrize(
    ("line", "code", "request_id"),
    [
        (b"{not json", "bad-json", None),
        (b"", "bad-json", None),
        (b"   ", "bad-json", None),
        (b"\xff\xfe{}", "bad-json", None),
        (b'{"v":1,"cmd":"x","n":NaN}', "bad-json", None),
        (b'{"v":1,"cmd":"x","n":1e999}', "bad-json", None),
        (b"[" * 50_000 + b"]" * 50_000, "too-large", None),
        (b"[" * 30_000 + b"]" * 30_000, "bad-json", None),
        (b'"status"', "not-an-object", None),
        (b"[1, 2]", "not-an-object", None),
        (b"null", "not-an-object", None),
        (b'{"id": 3, "cmd": "status"}', "bad-version", 3),
        (b'{"v": 2, "id": 3, "cmd": "status"}', "bad-version", 3),
        (b'{"v": true, "cmd": "status"}', "bad-version", None),
        (b'{"v": 1.0, "cmd": "status"}', "bad-version", None),
        (b'{"v": 1, "id": true, "cmd": "status"}', "bad-request", None),
        (b'{"v": 1, "id": 1.5, "cmd": "status"}', "bad-request", None),
        (b'{"v": 1, "id": 4}', "bad-request", 4),
        (b'{"v": 1, "id": 4, "cmd": ""}', "bad-request", 4),
        (b'{"v": 1, "id": 4, "cmd": 12}', "bad-request", 4),
        (b'{"v": 1, "id": 4, "cmd": "status", "arg": {}}', "bad-request", 4),
        (b'{"v": 1, "id": 5, "cmd": "snooze", "args": ["10m"]}', "bad-arguments", 5),
    ],
)
def test_malformed_requests_get_their_code_and_keep_the_id_when_readable(
    line: bytes, code: str, request_id: object
) -> None:
    assert code_of(line) == (code, request_id)


def test_line_length_limit_is_exact() -> None:
    head = b'{"v":1,"cmd":"status"}'
    assert decode_request(head + b" " * (MAX_LINE - len(head))).cmd == "status"
    assert code_of(head + b" " * (MAX_LINE - len(head) + 1))[0] == "too-large"


def test_unknown_command_names_the_known_ones() -> None:
    with pytest.raises(ProtocolError) as caught:
        check_command(Request(cmd="sleep", id=9), {"status", "pause"})
    assert caught.value.code == "unknown-command"
    assert caught.value.request_id == 9
    assert "pause, status" in caught.value.message
    check_command(Request(cmd="pause"), {"status", "pause"})


def test_replies_are_single_ascii_lines_in_the_documented_shape() -> None:
    ok = encode_reply("x", {"note": "caf\u00e9\nline", "n": 1})
    assert ok.endswith(b"\n") and ok.count(b"\n") == 1
    ok.decode("ascii")
    assert json.loads(ok) == {
        "v": 1,
        "id": "x",
        "ok": True,
        "result": {"note": "caf\u00e9\nline", "n": 1},
    }
    error = encode_error(None, "busy", "try again")
    assert json.loads(error) == {
        "v": 1,
        "id": None,
        "ok": False,
        "error": {"code": "busy", "message": "try again"},
    }


def test_lone_surrogates_in_an_id_still_make_a_valid_utf8_reply() -> None:
    request = decode_request(b'{"v":1,"id":"\\ud800","cmd":"status"}')
    reply = encode_reply(request.id, {})
    assert json.loads(reply.decode("utf-8"))["id"] == "\ud800"


def test_results_that_are_not_json_are_refused() -> None:
    with pytest.raises(TypeError):
        encode_reply(1, {"when": object()})
    with pytest.raises(ValueError):
        encode_reply(1, {"n": float("nan")})


def test_request_encoding_round_trips_and_is_bounded() -> None:
    line = encode_request("set", {"key": "interval", "value": "45m"}, 3)
    assert decode_request(line) == Request("set", {"key": "interval", "value": "45m"}, 3)
    assert json.loads(encode_request("status")) == {"v": PROTOCOL_VERSION, "cmd": "status"}
    with pytest.raises(ValueError):
        encode_request("set", {"value": "x" * MAX_LINE})


def test_replies_decode_and_bad_ones_are_refused() -> None:
    reply = decode_reply(encode_reply(2, {"a": 1}).rstrip(b"\n"))
    assert (reply.ok, reply.id, reply.result) == (True, 2, {"a": 1})
    reply = decode_reply(encode_error(2, "timeout", "slow"))
    assert (reply.ok, reply.error_code, reply.error_message) == (False, "timeout", "slow")
    for bad in (
        b"",
        b"[]",
        b'{"v":2,"ok":true,"result":{}}',
        b'{"v":1,"ok":true}',
        b'{"v":1,"ok":false,"error":{"code":1}}',
        b'{"v":1,"id":[],"ok":true,"result":{}}',
        b'{"v":1,"id":1}',
    ):
        with pytest.raises(ProtocolError) as caught:
            decode_reply(bad)
        assert caught.value.code == "bad-reply"


def test_splitter_returns_lines_across_chunk_boundaries() -> None:
    splitter = LineSplitter(limit=10)
    splitter.feed(b"ab")
    assert splitter.next_line() is None
    splitter.feed(b"c\nde\n\nf")
    assert [splitter.next_line(), splitter.next_line(), splitter.next_line()] == [
        b"abc",
        b"de",
        b"",
    ]
    assert splitter.next_line() is None
    assert splitter.rest() == b"f"
    assert splitter.pending == 0


def test_splitter_refuses_an_overlong_line_before_it_ends() -> None:
    splitter = LineSplitter(limit=10)
    splitter.feed(b"0123456789")
    assert splitter.next_line() is None
    splitter.feed(b"x")
    with pytest.raises(ProtocolError) as caught:
        splitter.next_line()
    assert caught.value.code == "too-large"
    complete = LineSplitter(limit=10)
    complete.feed(b"0123456789x\nnext\n")
    with pytest.raises(ProtocolError):
        complete.next_line()


@given(st.lists(st.binary(max_size=40), max_size=20), st.integers(1, 64))
def test_splitter_matches_a_plain_split_however_the_bytes_arrive(
    pieces: list[bytes], chunk: int
) -> None:
    stream = b"".join(pieces)
    splitter = LineSplitter(limit=1000)
    lines: list[bytes] = []
    for start in range(0, len(stream), chunk):
        splitter.feed(stream[start : start + chunk])
        while (line := splitter.next_line()) is not None:
            lines.append(line)
    *complete, tail = stream.split(b"\n")
    assert lines == complete
    assert splitter.rest() == tail


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
            max_leaves=8,
        ),
        max_size=4,
    ),
    st.one_of(st.none(), st.integers(), st.text(max_size=10)),
    st.text(min_size=1, max_size=20),
)
def test_any_encoded_request_decodes_back(args: dict[str, object], rid: object, cmd: str) -> None:
    assert isinstance(rid, int | str | None)
    request = decode_request(encode_request(cmd, args, rid))
    assert (request.cmd, request.args, request.id) == (cmd, args, rid)
