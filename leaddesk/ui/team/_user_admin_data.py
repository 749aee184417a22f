"""What the user administration reads, apart from its widgets: whether the signed-in user
may manage users (:func:`admin_problem`) and the list's rows, teams and login support
(:func:`load_admin_data`), plus the role words every part of it shows.

These run in ``run_read`` jobs and touch no widget; the dialogs in
:mod:`leaddesk.ui.team.user_admin` and :mod:`leaddesk.ui.team._user_dialogs` show what they
return.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from leaddesk.db import Database
from leaddesk.errors import NotFound
from leaddesk.models.enums import Role
from leaddesk.services.team import users
from leaddesk.services.dto import TeamInfo, UserInfo


def _tr(text: str) -> str:
    return QCoreApplication.translate("UserAdmin", text)


def role_label(role: Role | str) -> str:
    return {Role.REP: _tr("Sales rep"), Role.MANAGER: _tr("Manager"), Role.ADMIN: _tr("Administrator")}[Role(role)]


# --- reading ---------------------------------------------------------------------------

def admin_problem(db: Database) -> str | None:
    """Why the signed-in user may not manage users (None: an active admin). Runs in a job."""
    if db.write.actor_id is None:
        return _tr("No user is signed in on this database, so nobody can manage users here.")
    try:
        me = users.get_user(db, db.write.actor_id)
    except NotFound:
        return _tr("The user you are signed in as no longer exists.")
    if me.role != Role.ADMIN or not me.active:
        return _tr("Only administrators can manage users. You are signed in as {0} ({1}); ask an "
                   "administrator of your team.").format(me.name, role_label(me.role).lower())
    return None


@dataclass(frozen=True)
class UserRow:
    user: UserInfo
    team_name: str | None
    #: The PostgreSQL login, None: none (or unknown: see AdminData.logins_supported).
    login: str | None

    @property
    def id(self) -> uuid.UUID:
        return self.user.id


@dataclass(frozen=True)
class AdminData:
    rows: tuple[UserRow, ...]
    teams: tuple[TeamInfo, ...]
    #: Logins can be created/disabled here (PostgreSQL with team_admin available).
    logins_supported: bool
    #: Why not, for the tooltip and the line under the list.
    logins_note: str | None


def _team_admin():
    """The login service, or None while it is not part of this LeadDesk."""
    try:
        from leaddesk.services.team import admin as team_admin
    except ImportError:
        return None
    return team_admin


def load_admin_data(db: Database) -> AdminData:
    people = users.list_users(db, include_inactive=True)
    teams = tuple(users.list_teams(db))
    team_names = {t.id: t.name for t in teams}
    logins: dict[uuid.UUID, str | None] = {}
    admin = _team_admin()
    supported, note = False, None
    if admin is None:
        note = _tr("This version of LeadDesk cannot manage database logins yet.")
    else:
        # (A replica knows each user's login too: it syncs. It cannot change it.)
        logins = {u.id: admin.login_name(db, u.id) for u in people}
        if db.dialect == "postgresql":
            supported = True
        else:
            note = _tr("Database logins are created and disabled on the team's PostgreSQL database "
                       "(open LeadDesk on it as an administrator); this is a local file.")
    rows = tuple(UserRow(u, team_names.get(u.team_id) if u.team_id else None, logins.get(u.id)) for u in people)
    return AdminData(rows, teams, supported, note)
