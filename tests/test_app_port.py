"""The port through which the parts built before the daemon reach it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from breakd.app import BreakEventsToDaemon, DaemonPort


class OwnerThread:
    """Stands in for the daemon: runs submitted work at once, records what was done."""

    def __init__(self) -> None:
        self.done: list[str] = []

    def submit(self, function: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(function())
        return future

    def end_break(self, exercises: tuple[str, ...]) -> None:
        self.done.append(f"end {','.join(exercises)}")


def test_work_before_the_daemon_exists_is_dropped_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="breakd.app")
    port = DaemonPort()
    assert port.daemon is None
    assert port.post(lambda daemon: None, "away (locked)") is None
    assert caplog.messages == ["away (locked) before breakd finished starting: ignored"]


def test_once_bound_work_goes_to_the_daemon_and_it_cannot_be_rebound() -> None:
    port = DaemonPort()
    owner = OwnerThread()
    port.bind(owner)  # type: ignore[arg-type]
    assert port.daemon is owner
    events = BreakEventsToDaemon(port)
    events.ended_early(("neck", "back"))
    assert owner.done == ["end neck,back"]
    with pytest.raises(RuntimeError, match="bound already"):
        port.bind(OwnerThread())  # type: ignore[arg-type]
