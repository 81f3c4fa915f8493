"""The feed behind ``breakd status --follow``: the status, pushed when what it shows changes.

Status bars used to run ``breakd status`` every few seconds; a follower instead holds
one connection and gets a line at once and one whenever its words would change: the
state, the minute of sitting, the minute of the next reminder, a snooze's or a pause's
end, the day's breaks. The daemon pushes; nobody polls.

Everything here runs on the daemon's owner thread (a :class:`~breakd.daemon.StatusWatcher`):
it is told after every change, as the tray is, and asks for a look only at the next
moment its words change by time alone (:func:`breakd.status.next_change`), a moment
the owner's one sleep already takes into account. However many follow, it takes one
snapshot per change and publishes one line; the control server hands that line to
every follower without blocking, and drops one that stopped reading.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from breakd.control.protocol import STATUS_EVENT, encode_event
from breakd.daemon import Daemon
from breakd.status import (
    LOOK_MARGIN,
    DaemonStatus,
    ShownStatus,
    next_change,
    shown_status,
    status_json,
)

log = logging.getLogger(__name__)

#: At most this many follow at once: the control channel serves 32 connections, and
#: ``breakd status`` and the other commands keep the rest.
MAX_FOLLOWERS = 24


class FollowerChannel(Protocol):
    """The control server as the feed sees it (``breakd.control.dispatch.ServerBase``)."""

    @property
    def followers(self) -> int: ...

    def publish(self, line: bytes, *, newcomers_only: bool = False) -> None: ...

    def follow_with(self, on_follow: Callable[[], bool], max_followers: int) -> bool: ...


def serve_followers(daemon: Daemon, channel: FollowerChannel) -> StatusFeed | None:
    """Let ``breakd status --follow`` follow ``daemon`` over ``channel``; None (and a log
    line) where the channel cannot push lines."""
    feed = StatusFeed(daemon, channel)
    if not channel.follow_with(feed.on_follow, MAX_FOLLOWERS):
        log.info("`breakd status --follow` is not available on this control channel")
        return None
    feed.attach()
    return feed


class StatusFeed:
    """Publishes the daemon's status to ``channel``'s followers when what it shows changes."""

    def __init__(self, daemon: Daemon, channel: FollowerChannel) -> None:
        self._daemon = daemon
        self._channel = channel
        #: What the followers were last sent; None while nobody has been sent anything.
        self._shown: ShownStatus | None = None
        self._next_look: float | None = None

    def attach(self) -> None:
        """Follow the daemon from now on (before it runs, or on its owner thread)."""
        self._daemon.watchers.append(self)

    def on_follow(self) -> bool:
        """Someone subscribed (the server's thread): their first line comes from the
        owner thread, in order with every later one."""
        self._daemon.submit(self.welcome)
        return True

    def welcome(self) -> None:
        """A new follower's first line (owner thread): to newcomers only."""
        status = self._daemon.status()
        self._channel.publish(_event_line(status), newcomers_only=True)
        if self._shown is None:
            self._shown = shown_status(status)
        self._plan(status)

    def status_changed(self) -> None:
        if not self._channel.followers:
            self._forget()
            return
        status = self._daemon.status()
        shown = shown_status(status)
        if shown != self._shown:
            log.debug("status for %d follower(s): %s", self._channel.followers, shown)
            self._shown = shown
            self._channel.publish(_event_line(status))
        self._plan(status)

    def next_look(self) -> float | None:
        if not self._channel.followers:
            self._forget()  # the last one left: no more looks until someone follows
        return self._next_look

    def _plan(self, status: DaemonStatus) -> None:
        change = next_change(status)
        self._next_look = (
            None if change is None else self._daemon.clock.monotonic() + change + LOOK_MARGIN
        )

    def _forget(self) -> None:
        self._shown = None
        self._next_look = None


def _event_line(status: DaemonStatus) -> bytes:
    return encode_event(STATUS_EVENT, status_json(status))
