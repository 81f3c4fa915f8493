"""What can go wrong on the control channel, as exceptions both ends and callers share.

Kept apart from the code that raises them so a transport can raise a client error
(``not-yours``) and the server modules can raise ``AlreadyRunning`` without either
side importing the other.
"""

from __future__ import annotations

from breakd.control.protocol import ProtocolError
from breakd.i18n import _

#: Code of a ControlError for a socket whose server is another user.
NOT_YOURS = "not-yours"


class DaemonNotRunning(Exception):
    """No breakd listens on the control channel (no socket, or nobody accepting).

    ``passed_over`` names folders that had to be ignored (another user's, say), so a
    user wondering why breakd is not found learns why.
    """

    def __init__(self, address: str, passed_over: tuple[str, ...] = ()) -> None:
        message = _("breakd is not running; start it with `breakd start`")
        if passed_over:
            message = _("{message} (ignored: {folders})").format(
                message=message, folders="; ".join(passed_over)
            )
        super().__init__(message)
        self.address = address
        self.passed_over = passed_over


class ControlError(Exception):
    """The request failed: an error reply from the daemon, or a broken exchange.

    ``code`` is the protocol's machine code ("bad-arguments", "timeout", ...) or, for
    failures on this side, "connection-lost", "bad-reply", "permission" or "not-yours".
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AlreadyRunning(Exception):
    """Another breakd already serves this user; ``pid`` is its process id when known."""

    def __init__(self, pid: int | None, address: str) -> None:
        who = _("pid {pid}").format(pid=pid) if pid is not None else _("pid unknown")
        super().__init__(
            _("breakd is already running ({who}, control channel {address})").format(
                who=who, address=address
            )
        )
        self.pid = pid
        self.address = address


class CommandError(ProtocolError):
    """Raised by a handler to answer with its own code, e.g. "bad-arguments" or "refused"."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
