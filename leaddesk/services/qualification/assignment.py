"""Who holds which lead: open leads against caps, round-robin, and reassignment with a reason.

**Open leads** of a rep are the live contacts she owns in the stages she must work now:
lead, IQL, MQL and SQL (:data:`OPEN_STAGES`). Nurture is left out on purpose: a nurtured
lead is kept warm by marketing's content until it is ready, and comes back into the count
when it is qualified again; counting it would fill a rep's cap with leads nobody calls
(the domain brief's overload: reps with 1,000+ leads ignored the old ones). Contacts that
became opportunities, customers or were disqualified are not leads any more.

**The cap** of a rep: her own ``app_user.lead_cap``, else her team's ``team.lead_cap``,
else the team setting ``lead_cap`` (500). A rep at or over her cap is skipped.

**Round-robin** within a team: the team's active reps (role rep) in name order, starting
after the rep assigned most recently (the latest ``assigned_at`` among the team's
contacts); a batch gives each next lead to the next rep with room, so N leads spread
over the reps. Assignments of one batch are stamped one microsecond apart, so the next
batch continues where this one stopped. When every rep is full the whole call is
refused (:class:`LeadCapReached`) and nothing is written.

Everything is set-based: one query for the reps, one grouped count of open leads, one
grouped ``max(assigned_at)``, whatever the number of leads.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError, NotFound, PermissionDenied, ValidationError
from leaddesk.models import Contact, Team, User, access
from leaddesk.models.enums import LifecycleStage, Role
from leaddesk.services import settings as team_settings
from leaddesk.services import validation as v
from leaddesk.services.records import Changes, as_uuid, check_version, get_row

#: Stages whose contacts count against a rep's cap (see the module docstring).
OPEN_STAGES = (LifecycleStage.LEAD, LifecycleStage.IQL, LifecycleStage.MQL, LifecycleStage.SQL)
#: Where a cap comes from.
CAP_REP, CAP_TEAM, CAP_SETTING = "rep", "team", "setting"


class LeadCapReached(LeadDeskError):
    """Assigning would put a rep (or every rep of a team) over the open-lead cap."""


@dataclass(frozen=True)
class RepLoad:
    """One rep's open leads against her cap, and when she was last given a lead."""

    user_id: uuid.UUID
    name: str
    role: Role
    team_id: uuid.UUID | None
    open_leads: int
    cap: int
    #: CAP_REP (her own), CAP_TEAM (the team's) or CAP_SETTING (the team setting).
    cap_source: str
    own_cap: int | None
    last_assigned_at: dt.datetime | None
    team_name: str | None = None

    @property
    def room(self) -> int:
        return max(0, self.cap - self.open_leads)

    @property
    def full(self) -> bool:
        return self.open_leads >= self.cap


@dataclass(frozen=True)
class TeamLoad:
    team_id: uuid.UUID
    name: str
    #: The team's own cap (None: the setting's), and the setting's.
    team_cap: int | None
    setting_cap: int
    version: int
    reps: tuple[RepLoad, ...]


# --- reading loads ----------------------------------------------------------------------

def _open_counts(s: Session, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not user_ids:
        return {}
    rows = s.execute(select(Contact.owner_id, func.count())
                     .where(Contact.owner_id.in_(list(user_ids)), Contact.deleted.is_(False),
                            Contact.lifecycle_stage.in_(OPEN_STAGES))
                     .group_by(Contact.owner_id))
    return {owner: int(n) for owner, n in rows}


def _last_assigned(s: Session, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dt.datetime]:
    if not user_ids:
        return {}
    rows = s.execute(select(Contact.owner_id, func.max(Contact.assigned_at))
                     .where(Contact.owner_id.in_(list(user_ids)), Contact.deleted.is_(False))
                     .group_by(Contact.owner_id))
    return {owner: at for owner, at in rows if at is not None}


def _cap_of(user: User, team: Team | None, setting_cap: int) -> tuple[int, str]:
    if user.lead_cap is not None:
        return int(user.lead_cap), CAP_REP
    if team is not None and team.lead_cap is not None:
        return int(team.lead_cap), CAP_TEAM
    return setting_cap, CAP_SETTING


def _loads(s: Session, users: Sequence[User], teams: dict[uuid.UUID, Team], setting_cap: int) -> list[RepLoad]:
    ids = [u.id for u in users]
    counts, last = _open_counts(s, ids), _last_assigned(s, ids)
    out = []
    for u in users:
        cap, source = _cap_of(u, teams.get(u.team_id), setting_cap)
        team = teams.get(u.team_id)
        out.append(RepLoad(u.id, u.name, Role(u.role), u.team_id, counts.get(u.id, 0), cap, source, u.lead_cap,
                           last.get(u.id), team.name if team is not None else None))
    return out


def _members(s: Session, team_id: uuid.UUID, *, reps_only: bool) -> list[User]:
    stmt = select(User).where(User.team_id == team_id, User.deleted.is_(False), User.active.is_(True))
    if reps_only:
        stmt = stmt.where(User.role == Role.REP)
    return list(s.scalars(stmt.order_by(User.name, User.id)))


def _setting_cap(s: Session) -> int:
    return int(team_settings.read_in(s, "lead_cap")["lead_cap"])


def team_load_in(s: Session, team_id) -> TeamLoad:
    """The loads of a team's active members (managers too: they may hold leads), in name order."""
    team = get_row(s, Team, team_id)
    setting_cap = _setting_cap(s)
    reps = _loads(s, _members(s, team.id, reps_only=False), {team.id: team}, setting_cap)
    return TeamLoad(team.id, team.name, team.lead_cap, setting_cap, team.version, tuple(reps))


def team_load(db: Database, team_id) -> TeamLoad:
    with db.reader() as s:
        return team_load_in(s, team_id)


def team_loads(db: Database) -> list[TeamLoad]:
    """Every live team's loads, by team name (the Assignment & caps screen)."""
    with db.reader() as s:
        ids = list(s.scalars(select(Team.id).where(Team.deleted.is_(False)).order_by(Team.name, Team.id)))
        return [team_load_in(s, t) for t in ids]


def rep_loads(db: Database, user_ids: Iterable | None = None) -> list[RepLoad]:
    """Loads of the given users (default: every active user), by name (the rep chooser)."""
    with db.reader() as s:
        stmt = select(User).where(User.deleted.is_(False), User.active.is_(True))
        if user_ids is not None:
            stmt = stmt.where(User.id.in_([as_uuid(u) for u in user_ids]))
        users = list(s.scalars(stmt.order_by(User.name, User.id)))
        teams = {t.id: t for t in s.scalars(select(Team).where(Team.id.in_({u.team_id for u in users if u.team_id})))}
        return _loads(s, users, teams, _setting_cap(s))


def actor_team(s: Session, actor_id) -> uuid.UUID | None:
    """The acting user's team (None: no actor, or an actor in no team)."""
    if actor_id is None:
        return None
    user = s.get(User, actor_id)
    return user.team_id if user is not None else None


# --- round-robin ------------------------------------------------------------------------

def full_message(team_name: str, reps: Sequence[RepLoad]) -> str:
    caps = sorted({r.cap for r in reps})
    if len(caps) == 1:
        cap_text = f"{caps[0]} open lead{'s' if caps[0] != 1 else ''}"
    else:
        cap_text = f"caps of {', '.join(map(str, caps))} open leads"
    return (f"All {len(reps)} reps of {team_name} are at their cap ({cap_text}): raise a cap or reassign "
            "leads. Nothing was assigned.")


def round_robin(s: Session, team_id, count: int) -> list[uuid.UUID]:
    """The owners of ``count`` new leads of the team, in order: each is the next rep (name
    order) after the previous one with room under her cap. Raises :class:`LeadCapReached`
    when the reps are full before ``count`` leads are placed (nothing is assigned then),
    ValidationError when the team has no active rep."""
    team = get_row(s, Team, team_id)
    reps = _loads(s, _members(s, team.id, reps_only=True), {team.id: team}, _setting_cap(s))
    if not reps:
        raise ValidationError(f"{team.name} has no active rep to give leads to (Team ▸ Users).", field="team_id")
    if count <= 0:
        return []
    latest = max((r for r in reps if r.last_assigned_at is not None),
                 key=lambda r: r.last_assigned_at, default=None)
    pointer = (reps.index(latest) + 1) % len(reps) if latest is not None else 0
    held = [r.open_leads for r in reps]
    owners: list[uuid.UUID] = []
    for _ in range(count):
        for step in range(len(reps)):
            i = (pointer + step) % len(reps)
            if held[i] < reps[i].cap:
                owners.append(reps[i].user_id)
                held[i] += 1
                pointer = (i + 1) % len(reps)
                break
        else:
            raise LeadCapReached(full_message(team.name, reps))
    return owners


# --- reassignment -----------------------------------------------------------------------

@dataclass(frozen=True)
class ReassignResult:
    moved: tuple[uuid.UUID, ...]
    #: Already owned by the target: left as they were.
    unchanged: tuple[uuid.UUID, ...]
    to_user_id: uuid.UUID
    over_cap: bool
    changes: Changes


def _row(obj) -> dict:
    return {"owner_id": obj.owner_id}


def _check_may_move(subject, contact: Contact, to_user: uuid.UUID) -> None:
    if subject is None or subject.is_admin:
        return
    no_lookup = lambda *_: None  # noqa: E731 - contacts are no child rows
    if not access.can_write(subject, "contact", _row(contact), no_lookup):
        raise PermissionDenied(f"You may not reassign {contact.display_name}: it belongs to someone else "
                               "(only its owner or a manager of the team can). Nothing was reassigned.")
    if not access.can_write(subject, "contact", {"owner_id": to_user}, no_lookup):
        raise PermissionDenied(f"You may not give {contact.display_name} to someone else: only a manager can. "
                               "Nothing was reassigned.")


def reassign(db: Database, contact_ids: Iterable, to_user_id, reason: str | None, *, override_cap: bool = False,
             now: dt.datetime | None = None) -> ReassignResult:
    """Give the contacts to ``to_user_id`` with a reason (required), all or nothing.

    Records owner, ``assigned_at`` and ``assignment_reason``; the journal keeps who did it
    and when, so the contact's history shows who/when/why. Refuses (PermissionDenied) a
    contact the acting user may not change or may not give to that person (the access
    rules of models/access.py, as the team server's row-level security does), and
    (LeadCapReached) a move that would put the target over her cap, unless
    ``override_cap`` by a manager or admin."""
    reason = v.clean_text(reason, field="reason", max_len=2000)
    if not reason:
        raise ValidationError("Say why these leads change hands (the history keeps the reason).", field="reason")
    ids = list(dict.fromkeys(as_uuid(c, field="contact_ids") for c in contact_ids))
    if not ids:
        raise ValidationError("Choose at least one contact to reassign.", field="contact_ids")
    target_id = as_uuid(to_user_id, field="to_user_id")
    now = now or dt.datetime.now(dt.timezone.utc)
    subject = db.write.subject
    if override_cap and subject is not None and not subject.is_admin and subject.role != access.MANAGER:
        raise PermissionDenied("Only a manager can assign past a rep's lead cap.")
    with db.unit_of_work() as s:
        target = get_row(s, User, target_id)
        if not target.active:
            raise ValidationError(f"{target.name} is not active any more; choose someone else.", field="to_user_id")
        rows = list(s.scalars(select(Contact).where(Contact.id.in_(ids), Contact.deleted.is_(False))))
        found = {c.id for c in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound("contact", missing[0])
        moving = [c for c in rows if c.owner_id != target.id]
        for c in moving:
            _check_may_move(subject, c, target.id)
        load = _loads(s, [target], {t.id: t for t in s.scalars(select(Team).where(Team.id == target.team_id))}
                      if target.team_id else {}, _setting_cap(s))[0]
        added = sum(1 for c in moving if c.lifecycle_stage in OPEN_STAGES)
        over = load.open_leads + added > load.cap and added > 0
        if over and not override_cap:
            raise LeadCapReached(
                f"{target.name} holds {load.open_leads} open leads of a cap of {load.cap}; {added} more would put "
                f"her over it. Choose someone with room{', or override the cap' if _may_override(subject) else ''}. "
                "Nothing was reassigned.")
        position = {cid: i for i, cid in enumerate(ids)}
        moving.sort(key=lambda c: position[c.id])  # stamped in the order given
        for i, c in enumerate(moving):
            c.owner_id = target.id
            c.assigned_at = now + dt.timedelta(microseconds=i)
            c.assignment_reason = reason
        s.flush()
        moved = tuple(c.id for c in moving)
        moved_set = set(moved)
        kept = tuple(sorted((c.id for c in rows if c.id not in moved_set), key=position.__getitem__))
        return ReassignResult(moved, kept, target.id, over, Changes(frozenset({"contact"}), frozenset(moved)))


def _may_override(subject) -> bool:
    return subject is None or subject.is_admin or subject.role == access.MANAGER


# --- caps -------------------------------------------------------------------------------

def may_edit_caps(subject) -> bool:
    """Caps live on users and teams, which only admins change (models/access.py)."""
    return subject is None or subject.is_admin


def set_rep_cap(db: Database, user_id, cap: int | None, *, expected_version: int | None = None) -> RepLoad:
    """A rep's own cap (None: her team's). Admins only, as every change of a user."""
    if not may_edit_caps(db.write.subject):
        raise PermissionDenied("Only an admin can change lead caps (they are part of the users and teams); "
                               "nothing was changed.")
    cap = v.non_negative_int(cap, field="lead_cap")
    if cap is not None and cap < 1:
        raise ValidationError("A cap must be at least 1 open lead.", field="lead_cap")
    with db.unit_of_work() as s:
        user = get_row(s, User, user_id)
        check_version(user, expected_version)
        if user.lead_cap != cap:
            user.lead_cap = cap
            s.flush()
    return rep_loads(db, [user_id])[0]
