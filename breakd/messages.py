"""The engine's refusals in the user's words.

The engine answers a request it cannot carry out with a code and its parameters
(:class:`breakd.engine.Refusal`); this is the one place those become words, in the
user's language, so that a translation has exactly one table to follow.
"""

from __future__ import annotations

from breakd.durations import format_duration
from breakd.engine import MAX_PAUSE, Phase, Refusal, RefusalCode
from breakd.i18n import N_, _

#: "there is nothing to snooze while ..." for each phase, as whole sentences to translate.
_NOTHING_TO_SNOOZE: dict[Phase, str] = {
    Phase.AWAY: N_("there is nothing to snooze while you are away"),
    Phase.BREAK: N_("there is nothing to snooze while you are on a break"),
    Phase.OFF_HOURS: N_("there is nothing to snooze while outside working hours"),
    Phase.SITTING: N_("there is nothing to snooze while sitting"),
}

#: "breakd cannot follow your posture while ..." for each phase, as whole sentences.
_CANNOT_FOLLOW_POSTURE: dict[Phase, str] = {
    Phase.AWAY: N_("breakd cannot follow your posture while you are away"),
    Phase.BREAK: N_("breakd cannot follow your posture while you are on a break"),
    Phase.OFF_HOURS: N_("breakd cannot follow your posture while outside working hours"),
    Phase.SITTING: N_("breakd cannot follow your posture while sitting"),
}


def refusal_text(refusal: Refusal) -> str:
    """What to tell the user about ``refusal``: "no reminder is due"."""
    match refusal.code:
        case RefusalCode.BREAK_RUNNING:
            return _("a break is already running")
        case RefusalCode.OUTSIDE_WORKING_HOURS:
            return _("it is outside your working hours")
        case RefusalCode.NO_BREAK:
            return _("no break is running")
        case RefusalCode.PAUSED:
            return _("breakd is paused; resume it first")
        case RefusalCode.NOTHING_TO_SNOOZE:
            phase = refusal.phase if refusal.phase is not None else Phase.SITTING
            return _(_NOTHING_TO_SNOOZE[phase])
        case RefusalCode.SNOOZE_LENGTH:
            return _("a snooze must last longer than zero and at most {longest}").format(
                longest=_longest(refusal)
            )
        case RefusalCode.NO_REMINDER_DUE:
            return _("no reminder is due")
        case RefusalCode.PAUSE_LENGTH:
            return _("a pause must last longer than zero and at most {longest}").format(
                longest=_longest(refusal)
            )
        case RefusalCode.NOT_PAUSED:
            return _("breakd is not paused")
        case RefusalCode.NO_SIT_STAND_DESK:
            return _(
                'your desk is set to "sitting"; for standing, set posture.desk to "sit-stand"'
                " in the config file"
            )
        case RefusalCode.NOT_AT_DESK:
            phase = refusal.phase if refusal.phase is not None else Phase.AWAY
            return _(_CANNOT_FOLLOW_POSTURE[phase])


def _longest(refusal: Refusal) -> str:
    """The bound in a length refusal: "24h", "a year"."""
    if refusal.longest is None:
        return _("the limit")
    if refusal.longest >= MAX_PAUSE:
        return _("a year")
    return format_duration(refusal.longest)
