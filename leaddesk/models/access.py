"""Who may see and change which rows: the rules, written once.

Roles (``app_user.role``): **rep**, **manager**, **admin**. The defaults of issue #4:

* reps see the team's accounts and contacts, and change their own (and unassigned ones:
  the team's pool of leads); they see and change only their own (or unassigned)
  opportunities and activities;
* managers see and change everything of their team;
* admins see and change everything, and alone manage users, teams and team settings;
* configuration (pipelines, stages, lost reasons, campaigns, personas, scoring rules,
  HPIs, stage definitions) is read by all and changed by managers and admins.

"Team" = the users of my team (``app_user.team_id``), me included; a row's team is its
owner's. Child rows (e-mails, phones, lifecycle and opportunity history, BANT, engagement)
follow their parent.

The rules are data (:data:`RULES`) compiled three ways, so they cannot drift apart:

* :func:`can_read` / :func:`can_write`: Python predicates over a row's values, used by
  the journal to refuse a forbidden save in the app (SQLite replica or standalone), and
  by the hub to turn a forbidden pushed change into a visible "rejected" conflict
  instead of failing the whole batch;
* :func:`read_clause`: a SQLAlchemy expression for ``with_loader_criteria`` (the in-app
  read filter);
* :func:`~leaddesk.models.access_sql.policy_sql`: PostgreSQL row-level-security policies (installed by migration
  0005 with ``FORCE``), evaluated against ``session_user`` through ``ld_me()``,
  ``ld_role()`` and ``ld_team()``. Per-user LOGIN roles, never a shared role with
  ``SET app.user``, which a user could spoof (sync notes 6.2).

No Qt, no services: models-level declarations.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import and_, exists, false, or_, select, true

REP, MANAGER, ADMIN = "rep", "manager", "admin"


@dataclass(frozen=True)
class Subject:
    """Who is asking: a user, their role and their team (themselves included)."""

    user_id: uuid.UUID
    role: str
    team: frozenset[uuid.UUID]

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


# --- the rules ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TeamShared:
    """Seen by the owner's team; changed by the owner, by managers of the team, and by
    anyone in the team when unassigned."""

    owner: str = "owner_id"


@dataclass(frozen=True)
class Private:
    """Seen and changed by the owner and managers of the team (unassigned: the team)."""

    owner: str = "owner_id"


@dataclass(frozen=True)
class Child:
    """Follows a parent row (seen/changed when the parent is)."""

    parent: str
    fk: str


@dataclass(frozen=True)
class Reference:
    """Seen by all; changed by ``writers``."""

    writers: frozenset[str]


@dataclass(frozen=True)
class Pair:
    """A pair of records (duplicate candidates, merges): seen and changed by whoever sees
    the records; ``entity_col`` names their table."""

    ids: tuple[str, ...]
    entity_col: str = "entity"


CONFIG = Reference(frozenset({MANAGER, ADMIN}))
ADMIN_ONLY = Reference(frozenset({ADMIN}))

RULES: dict[str, object] = {
    "team": ADMIN_ONLY,
    "app_user": ADMIN_ONLY,
    "team_setting": CONFIG,
    "campaign": CONFIG,
    "persona": CONFIG,
    "pipeline": CONFIG,
    "pipeline_stage": CONFIG,
    "lost_reason": CONFIG,
    "scoring_rule": CONFIG,
    "indicator": CONFIG,
    "funnel_stage_definition": CONFIG,
    "account": TeamShared(),
    "contact": TeamShared(),
    "contact_email": Child("contact", "contact_id"),
    "contact_phone": Child("contact", "contact_id"),
    "contact_card": Child("contact", "contact_id"),
    "lifecycle_event": Child("contact", "contact_id"),
    "engagement_event": Child("contact", "contact_id"),
    "bant": Child("contact", "contact_id"),
    "opportunity": Private(),
    "opportunity_event": Child("opportunity", "opportunity_id"),
    "activity": Private(),
    "duplicate_candidate": Pair(("a_id", "b_id")),
    "record_merge": Pair(("survivor_id", "loser_id")),
}

#: Tables a Pair may point at.
PAIR_TARGETS = ("contact", "account")


def rule(entity: str):
    return RULES[entity]


# --- Python predicates --------------------------------------------------------------------

#: (entity, id) -> that row's values (None when absent or invisible), for child rules.
Lookup = Callable[[str, uuid.UUID], Mapping | None]


def _owned_read(rule_, subject: Subject, row: Mapping) -> bool:
    owner = row.get(rule_.owner)
    if owner is None or subject.is_admin:
        return True
    if isinstance(rule_, TeamShared):
        return owner in subject.team
    return owner == subject.user_id or (subject.role == MANAGER and owner in subject.team)


def _owned_write(rule_, subject: Subject, row: Mapping) -> bool:
    owner = row.get(rule_.owner)
    return (subject.is_admin or owner is None or owner == subject.user_id
            or (subject.role == MANAGER and owner in subject.team))


def can_read(subject: Subject | None, entity: str, row: Mapping, lookup: Lookup) -> bool:
    if subject is None or subject.is_admin:
        return True
    r = RULES[entity]
    if isinstance(r, Reference):
        return True
    if isinstance(r, (TeamShared, Private)):
        return _owned_read(r, subject, row)
    if isinstance(r, Child):
        parent = lookup(r.parent, row.get(r.fk))
        return parent is not None and can_read(subject, r.parent, parent, lookup)
    if isinstance(r, Pair):
        target = row.get(r.entity_col)
        for col in r.ids:
            other = lookup(target, row.get(col)) if target in PAIR_TARGETS else None
            if other is None or not can_read(subject, target, other, lookup):
                return False
        return True
    raise KeyError(entity)


def can_write(subject: Subject | None, entity: str, row: Mapping, lookup: Lookup) -> bool:
    if subject is None or subject.is_admin:
        return True
    r = RULES[entity]
    if isinstance(r, Reference):
        return subject.role in r.writers
    if isinstance(r, (TeamShared, Private)):
        return _owned_write(r, subject, row)
    if isinstance(r, Child):
        parent = lookup(r.parent, row.get(r.fk))
        return parent is not None and can_write(subject, r.parent, parent, lookup)
    if isinstance(r, Pair):
        return can_read(subject, entity, row, lookup)
    raise KeyError(entity)


def denial(entity: str) -> str:
    """A sentence saying who may change rows of ``entity``."""
    r = RULES[entity]
    what = entity.replace("_", " ")
    if isinstance(r, Reference):
        who = "admins" if r.writers == {ADMIN} else "managers and admins"
        return f"Only {who} can change the team's {what} settings."
    if isinstance(r, Child):
        return f"Only the owner of the {r.parent} (or their manager) can change its {what.split()[-1]}s."
    if isinstance(r, Pair):
        return f"You cannot see both records of this {what}."
    return f"Only the owner of this {what} (or their manager) can change it."


# --- SQLAlchemy (in-app read filter) -------------------------------------------------------

def read_clause(model, subject: Subject | None, models: Mapping[str, type] | None = None):
    """A WHERE clause limiting ``model`` to the rows ``subject`` may see."""
    if subject is None or subject.is_admin:
        return true()
    from sqlalchemy import inspect as sa_inspect

    r = RULES.get(sa_inspect(model).mapper.class_.__tablename__)
    if r is None or isinstance(r, Reference):
        return true()
    if isinstance(r, (TeamShared, Private)):
        owner = getattr(model, r.owner)
        if isinstance(r, TeamShared) or subject.role == MANAGER:
            return or_(owner.is_(None), owner.in_(subject.team))
        return or_(owner.is_(None), owner == subject.user_id)
    from sqlalchemy.orm import aliased

    models = models or _models()
    # Parents are aliased: a query that already selects from the parent table (a join of
    # contacts and their e-mails) would otherwise swallow the subquery's FROM by correlation.
    if isinstance(r, Child):
        parent = aliased(models[r.parent])
        return exists(select(parent.id).where(parent.id == getattr(model, r.fk),
                                              read_clause(parent, subject, models)))
    if isinstance(r, Pair):
        parts = []
        for target in PAIR_TARGETS:
            tm = aliased(models[target])
            parts.append(and_(model.entity == target, *[
                exists(select(tm.id).where(tm.id == getattr(model, col), read_clause(tm, subject, models)))
                for col in r.ids]))
        return or_(*parts) if parts else false()
    return true()


def _models() -> dict[str, type]:
    from leaddesk.models import SYNCED_MODELS

    return {m.__tablename__: m for m in SYNCED_MODELS}


# --- the acting user ------------------------------------------------------------------------

def load_subject(session, user_id: uuid.UUID | None) -> Subject | None:
    """The Subject for ``user_id`` from ``app_user`` (None: unknown user, no rules)."""
    if user_id is None:
        return None
    from leaddesk.models import User

    me = session.get(User, user_id)
    if me is None or me.deleted or not me.active:
        return None
    team = {me.id}
    if me.team_id is not None:
        team |= set(session.scalars(select(User.id).where(User.team_id == me.team_id)))
    return Subject(me.id, str(me.role), frozenset(team))


@functools.lru_cache(maxsize=16)
def _filter_options(subject: Subject) -> tuple:
    """The loader criteria of one subject, built once (building them, with their aliased
    parents, costs far more than the query they filter)."""
    from sqlalchemy.orm import with_loader_criteria

    models = _models()
    # A fixed expression (not a lambda: the subject is no SQL value a cached lambda could
    # track), so it applies to the plain entity, not to aliases of it.
    return tuple(with_loader_criteria(model, read_clause(model, subject, models), include_aliases=False)
                 for name, model in models.items() if not isinstance(RULES.get(name), Reference))


def install_read_filter(factory) -> None:
    """In-app read filter (sync notes 6.4): every ORM SELECT of a session whose
    ``info["subject"]`` is a non-admin gets ``with_loader_criteria`` for each ruled table.
    Core statements on a plain connection bypass it, as the notes warn: the services use
    the ORM, and on a replica the hub has already filtered what reached the laptop."""
    from sqlalchemy import event

    if getattr(factory, "_leaddesk_read_filter", False):
        return

    def _filter(state) -> None:
        subject = state.session.info.get("subject")
        if (subject is None or subject.is_admin or not state.is_select
                or state.execution_options.get("leaddesk_all_rows")):
            return
        state.statement = state.statement.options(*_filter_options(subject))

    event.listen(factory, "do_orm_execute", _filter)
    factory._leaddesk_read_filter = True
