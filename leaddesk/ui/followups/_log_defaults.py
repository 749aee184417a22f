"""The log dialog's choices and defaults, apart from its widgets: the outcomes a rep picks
(mapped onto the stored ``ActivityOutcome``), the kinds, and when the next step falls."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication

from leaddesk.models.enums import ActivityKind, ActivityOutcome

K, O = ActivityKind, ActivityOutcome


def _tr(text: str) -> str:
    return QCoreApplication.translate("LogActivityDialog", text)


def kinds() -> list[tuple[str, ActivityKind]]:
    return [(_tr("Call"), K.CALL), (_tr("E-mail"), K.EMAIL), (_tr("Meeting"), K.MEETING),
            (_tr("Task"), K.TASK), (_tr("Note"), K.NOTE)]


def outcomes() -> list[tuple[str, ActivityOutcome]]:
    """What the rep says happened. "Connected" and "Meeting held" are both a conversation that
    happened (``completed``, a touch); voicemail and no answer are attempts; no-show and
    rescheduled are kept on record but move no touch time."""
    return [(_tr("Connected"), O.COMPLETED), (_tr("Left voicemail"), O.LEFT_VOICEMAIL),
            (_tr("No answer"), O.NO_ANSWER), (_tr("Meeting held"), O.COMPLETED),
            (_tr("No-show"), O.NO_SHOW), (_tr("Rescheduled"), O.RESCHEDULED)]


def kind_label(kind: ActivityKind) -> str:
    return dict((k, label) for label, k in kinds()).get(kind, str(kind))


def outcome_label(kind: ActivityKind, outcome: ActivityOutcome | None) -> str:
    if outcome is None:
        return ""
    if outcome == O.COMPLETED:
        return {K.MEETING: _tr("Meeting held"), K.CALL: _tr("Connected"), K.EMAIL: _tr("Sent")}.get(kind, _tr("Done"))
    return dict((o, label) for label, o in outcomes()).get(outcome, str(outcome))


def next_working_day(start: dt.date, days: int = 2) -> dt.date:
    """``days`` working days (Monday to Friday) after ``start``."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def default_next_step(now_local: dt.datetime, days: int = 2, hour: int = 10) -> dt.datetime:
    """The next step's default: ``days`` working days from today at ``hour``:00, local."""
    day = next_working_day(now_local.date(), days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=now_local.tzinfo)
