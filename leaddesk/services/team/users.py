"""Users and teams."""

from __future__ import annotations

from sqlalchemy import select

from leaddesk.db import Database
from leaddesk.errors import ValidationError
from leaddesk.models import Team, User
from leaddesk.models.enums import Role
from leaddesk.services import validation as v
from leaddesk.services.dto import TeamInfo, UserInfo
from leaddesk.services.records import Changes, as_uuid, assign, check_version, get_row, restore, soft_delete, to_dto


def _role(value) -> Role:
    try:
        return Role(str(value).lower())
    except ValueError as exc:
        raise ValidationError(f"'{value}' is not a role (rep, manager, admin).", field="role") from exc


def create_team(db: Database, name: str) -> TeamInfo:
    """A new team. Its lead cap is a team setting (``assignment.set_team_cap``), not a
    column: ``team.lead_cap`` is no longer read (revision 0016)."""
    name = v.clean_text(name, field="name", max_len=200, required=True)
    with db.unit_of_work() as s:
        team = Team(name=name)
        s.add(team)
        s.flush()
        return to_dto(team, TeamInfo)


def list_teams(db: Database) -> list[TeamInfo]:
    with db.reader() as s:
        return [to_dto(t, TeamInfo) for t in s.scalars(select(Team).where(Team.deleted.is_(False)).order_by(Team.name))]


def create_user(db: Database, name: str, email: str, *, role: Role | str = Role.REP, team_id=None) -> UserInfo:
    name = v.clean_text(name, field="name", max_len=200, required=True)
    shown, norm = v.normalize_email(email)
    with db.unit_of_work() as s:
        clash = s.scalar(select(User.id).where(User.email_normalized == norm, User.deleted.is_(False)))
        if clash:
            raise ValidationError(f"A user with the e-mail {shown} already exists.", field="email")
        if team_id:
            get_row(s, Team, team_id)
        user = User(name=name, email=shown, email_normalized=norm, role=_role(role),
                    team_id=as_uuid(team_id) if team_id else None)
        s.add(user)
        s.flush()
        return to_dto(user, UserInfo)


def update_user(db: Database, user_id, *, expected_version: int | None, **data) -> UserInfo:
    allowed = {"name", "email", "role", "team_id", "active"}
    if set(data) - allowed:
        raise ValidationError(f"Unknown user field(s): {', '.join(sorted(set(data) - allowed))}.")
    values: dict = {}
    if "name" in data:
        values["name"] = v.clean_text(data["name"], field="name", max_len=200, required=True)
    if "email" in data:
        values["email"], values["email_normalized"] = v.normalize_email(data["email"])
    if "role" in data:
        values["role"] = _role(data["role"])
    if "active" in data:
        values["active"] = bool(data["active"])
    with db.unit_of_work() as s:
        user = get_row(s, User, user_id)
        check_version(user, expected_version)
        if "team_id" in data:
            values["team_id"] = as_uuid(data["team_id"]) if data["team_id"] else None
            if values["team_id"]:
                get_row(s, Team, values["team_id"])
        if "email_normalized" in values:
            clash = s.scalar(select(User.id).where(User.email_normalized == values["email_normalized"],
                                                   User.deleted.is_(False), User.id != user.id))
            if clash:
                raise ValidationError(f"A user with the e-mail {values['email']} already exists.", field="email")
        assign(user, values)
        s.flush()
        return to_dto(user, UserInfo)


def list_users(db: Database, *, include_inactive: bool = False) -> list[UserInfo]:
    stmt = select(User).where(User.deleted.is_(False)).order_by(User.name)
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    with db.reader() as s:
        return [to_dto(u, UserInfo) for u in s.scalars(stmt)]


def get_user(db: Database, user_id) -> UserInfo:
    with db.reader() as s:
        return to_dto(get_row(s, User, user_id), UserInfo)


def update_team(db: Database, team_id, *, expected_version: int | None, name: str | None = None) -> TeamInfo:
    """Rename a team (its lead cap: ``assignment.set_team_cap``)."""
    values: dict = {}
    if name is not None:
        values["name"] = v.clean_text(name, field="name", max_len=200, required=True)
    with db.unit_of_work() as s:
        team = get_row(s, Team, team_id)
        check_version(team, expected_version)
        assign(team, values)
        s.flush()
        return to_dto(team, TeamInfo)


def delete_team(db: Database, team_id, *, expected_version: int | None = None):
    """Soft-delete a team that has no active members (move them first)."""
    with db.unit_of_work() as s:
        team = get_row(s, Team, team_id)
        check_version(team, expected_version)
        members = s.scalar(select(User.id).where(User.team_id == team.id, User.deleted.is_(False),
                                                 User.active.is_(True)).limit(1))
        if members is not None:
            raise ValidationError("This team still has active members; move them to another team first.",
                                  field="team_id")
        team.deleted = True
    return Changes.of("team", team.id)


def restore_team(db: Database, team_id, *, expected_version: int | None = None):
    return restore(db, Team, team_id, expected_version=expected_version)


def delete_user(db: Database, user_id, *, expected_version: int | None = None):
    """Soft-delete a user (their records keep pointing at them; restore brings them back).
    Prefer ``update_user(active=False)`` for someone who left: they stay in reports."""
    if db.write.actor_id is not None and str(user_id) == str(db.write.actor_id):
        raise ValidationError("You cannot delete the user you are signed in as.", field="user_id")
    return soft_delete(db, User, user_id, expected_version=expected_version)


def restore_user(db: Database, user_id, *, expected_version: int | None = None):
    return restore(db, User, user_id, expected_version=expected_version)
