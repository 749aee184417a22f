"""Why a laptop refuses a pulled change: pure rules on one change, no database.

:func:`leaddesk.sync._pull_screening.screen_pulled` reads what they need (which LeadDesk
user each login is) and applies them to every change of a page; apart so the rules read,
and can be tested, on their own.
"""

from __future__ import annotations

import uuid

from leaddesk.clock import millis_of
from leaddesk.sync.protocol import MAX_SKEW_MS, Change


def _pulled_problem(c: Change, logins: dict[str, uuid.UUID]) -> str | None:
    received = getattr(c, "received_at", None)
    if received is not None:
        ahead = millis_of(c.hlc) - int(received.timestamp() * 1000)
        if ahead > MAX_SKEW_MS:
            return (f"This laptop did not apply this change: its clock is {_duration(ahead)} ahead of "
                    "the time the team server received it (made on a computer with a wrong date, or written "
                    "into the server by hand). Tell your admin; “Use other” makes the value your own edit.")
    pushed_by = getattr(c, "pushed_by", None)
    if pushed_by is not None and pushed_by in logins and c.author != logins[pushed_by]:
        return ("This laptop did not apply this change: it names someone other than the login that sent it as "
                "its author (written into the team server by hand). Tell your admin.")
    return None


def _duration(ms: int) -> str:
    minutes = ms / 60_000
    if minutes < 120:
        return f"{minutes:.0f} minutes"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} hours"
    return f"{minutes / 1440:.0f} days"
