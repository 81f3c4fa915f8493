"""The engine's refusals in the user's words.

The engine answers a request it cannot carry out with a code and its parameters
(:class:`breakd.engine.Refusal`); this is the one place those become English, so that a
translation has exactly one table to follow.
"""

from __future__ import annotations

from breakd.durations import format_duration
from breakd.engine import MAX_PAUSE, Phase, Refusal, RefusalCode

#: "there is nothing to snooze while ..." for each phase.
_WHILE: dict[Phase, str] = {
    Phase.AWAY: "you are away",
    Phase.BREAK: "you are on a break",
    Phase.OFF_HOURS: "outside working hours",
    Phase.SITTING: "sitting",
}


def refusal_text(refusal: Refusal) -> str:
    """What to tell the user about ``refusal``: "no reminder is due"."""
    match refusal.code:
        case RefusalCode.BREAK_RUNNING:
            return "a break is already running"
        case RefusalCode.OUTSIDE_WORKING_HOURS:
            return "it is outside your working hours"
        case RefusalCode.NO_BREAK:
            return "no break is running"
        case RefusalCode.PAUSED:
            return "breakd is paused; resume it first"
        case RefusalCode.NOTHING_TO_SNOOZE:
            phase = refusal.phase if refusal.phase is not None else Phase.SITTING
            return f"there is nothing to snooze while {_WHILE[phase]}"
        case RefusalCode.SNOOZE_LENGTH:
            return f"a snooze must last longer than zero and at most {_longest(refusal)}"
        case RefusalCode.NO_REMINDER_DUE:
            return "no reminder is due"
        case RefusalCode.PAUSE_LENGTH:
            return f"a pause must last longer than zero and at most {_longest(refusal)}"
        case RefusalCode.NOT_PAUSED:
            return "breakd is not paused"
        case RefusalCode.NO_SIT_STAND_DESK:
            return (
                'your desk is set to "sitting"; for standing, set posture.desk to "sit-stand"'
                " in the config file"
            )
        case RefusalCode.NOT_AT_DESK:
            phase = refusal.phase if refusal.phase is not None else Phase.AWAY
            return f"breakd cannot follow your posture while {_WHILE[phase]}"


def _longest(refusal: Refusal) -> str:
    """The bound in a length refusal: "24h", "a year"."""
    if refusal.longest is None:
        return "the limit"
    if refusal.longest >= MAX_PAUSE:
        return "a year"
    return format_duration(refusal.longest)
