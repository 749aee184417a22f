"""Who holds which lead: open leads against caps, round-robin, and reassignment with a reason.

**Open leads** of a rep are the live contacts she owns in the stages she must work now:
lead, IQL, MQL and SQL (:data:`OPEN_STAGES`). Nurture is left out on purpose: a nurtured
lead is kept warm by marketing's content until it is ready, and comes back into the count
when it is qualified again; counting it would fill a rep's cap with leads nobody calls
(the domain brief's overload: reps with 1,000+ leads ignored the old ones). Contacts that
became opportunities, customers or were disqualified are not leads any more.

**The cap** of a rep: her entry in the team setting ``lead_cap_by_rep``, else her team's
entry in ``lead_cap_by_team``, else the team setting ``lead_cap`` (500). A rep at or over
her cap is skipped. Caps are settings, i.e. managers' configuration (``team_setting`` is
CONFIG in models/access.py): a manager sets them without any power over user or team rows,
which stay the admins'. The old ``app_user.lead_cap`` / ``team.lead_cap`` columns are no
longer read (revision 0016 copied them into the settings).

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
from leaddesk.services.records import Changes, as_uuid, get_row

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
    #: Her entry in the ``lead_cap_by_rep`` setting (None: none).
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
    #: The team's own cap (its entry in ``lead_cap_by_team``; None: the setting's), and the setting's.
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


@dataclass(frozen=True)
class Caps:
    """The three cap settings, read once: per rep, per team (by id) and the team-wide one."""

    setting: int
    by_rep: dict[uuid.UUID, int]
    by_team: dict[uuid.UUID, int]

    def of(self, user_id: uuid.UUID, team_id: uuid.UUID | None) -> tuple[int, str]:
        if user_id in self.by_rep:
            return self.by_rep[user_id], CAP_REP
        if team_id is not None and team_id in self.by_team:
            return self.by_team[team_id], CAP_TEAM
        return self.setting, CAP_SETTING


def _by_id(mapping) -> dict[uuid.UUID, int]:
    """The setting's entries that are an id and a cap >= 1; a row written past the app
    (a manager's raw SQL: the server checks who writes, not what) may hold others, skipped."""
    out = {}
    for key, cap in (mapping.items() if isinstance(mapping, dict) else ()):
        try:
            ident, number = uuid.UUID(str(key)), int(cap)
        except (TypeError, ValueError):
            continue
        if number >= 1 and not isinstance(cap, bool):
            out[ident] = number
    return out


def caps_in(s: Session) -> Caps:
    values = team_settings.read_in(s, "lead_cap", "lead_cap_by_rep", "lead_cap_by_team")
    return Caps(int(values["lead_cap"]), _by_id(values["lead_cap_by_rep"]), _by_id(values["lead_cap_by_team"]))


def _loads(s: Session, users: Sequence[User], teams: dict[uuid.UUID, Team], caps: Caps) -> list[RepLoad]:
    ids = [u.id for u in users]
    counts, last = _open_counts(s, ids), _last_assigned(s, ids)
    out = []
    for u in users:
        cap, source = caps.of(u.id, u.team_id)
        team = teams.get(u.team_id)
        out.append(RepLoad(u.id, u.name, Role(u.role), u.team_id, counts.get(u.id, 0), cap, source,
                           caps.by_rep.get(u.id), last.get(u.id), team.name if team is not None else None))
    return out


def _members(s: Session, team_id: uuid.UUID, *, reps_only: bool) -> list[User]:
    stmt = select(User).where(User.team_id == team_id, User.deleted.is_(False), User.active.is_(True))
    if reps_only:
        stmt = stmt.where(User.role == Role.REP)
    return list(s.scalars(stmt.order_by(User.name, User.id)))


def team_load_in(s: Session, team_id) -> TeamLoad:
    """The loads of a team's active members (managers too: they may hold leads), in name order."""
    team = get_row(s, Team, team_id)
    caps = caps_in(s)
    reps = _loads(s, _members(s, team.id, reps_only=False), {team.id: team}, caps)
    return TeamLoad(team.id, team.name, caps.by_team.get(team.id), caps.setting, team.version, tuple(reps))


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
        return _loads(s, users, teams, caps_in(s))


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
    reps = _loads(s, _members(s, team.id, reps_only=True), {team.id: team}, caps_in(s))
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
                      if target.team_id else {}, caps_in(s))[0]
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
    """Caps are team settings (configuration): managers and admins change them, reps read them."""
    return subject is None or subject.is_admin or subject.role == access.MANAGER


def _refuse_reps(db: Database) -> None:
    if not may_edit_caps(db.write.subject):
        raise PermissionDenied("Only a manager or an admin can change lead caps; nothing was changed.")


def _clean_cap(cap) -> int | None:
    cap = v.non_negative_int(None if cap == "" else cap, field="lead_cap")
    if cap is not None and cap < 1:
        raise ValidationError("A cap must be at least 1 open lead (leave it empty for none).", field="lead_cap")
    return cap


def _set_entry(s: Session, key: str, ident: uuid.UUID, cap: int | None) -> None:
    """Set (or with None remove) one entry of a cap setting, read and written in the same
    unit of work: the row's other entries are kept as they are."""
    current = {str(i): cap for i, cap in _by_id(team_settings.read_in(s, key)[key]).items()}
    if cap is None:
        current.pop(str(ident), None)
    else:
        current[str(ident)] = cap
    team_settings.set_in(s, key, current)
    s.flush()


def set_rep_cap(db: Database, user_id, cap: int | None) -> RepLoad:
    """A rep's own cap (None: her team's), as her entry in the ``lead_cap_by_rep`` setting.
    Managers and admins; a rep is refused (PermissionDenied)."""
    _refuse_reps(db)
    cap = _clean_cap(cap)
    with db.unit_of_work() as s:
        user = get_row(s, User, user_id)
        _set_entry(s, "lead_cap_by_rep", user.id, cap)
    return rep_loads(db, [user.id])[0]


def set_team_cap(db: Database, team_id, cap: int | None) -> TeamLoad:
    """A team's cap for each of its reps (None: the ``lead_cap`` setting's), as its entry in
    the ``lead_cap_by_team`` setting. Managers and admins; a rep is refused."""
    _refuse_reps(db)
    cap = _clean_cap(cap)
    with db.unit_of_work() as s:
        team = get_row(s, Team, team_id)
        _set_entry(s, "lead_cap_by_team", team.id, cap)
    return team_load(db, team.id)
