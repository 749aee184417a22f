"""Users of LeadDesk and the teams they work in."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from leaddesk.models.base import Base, Synced, str_enum
from leaddesk.models.enums import Role


class Team(Synced, Base):
    __tablename__ = "team"

    name: Mapped[str] = mapped_column(String(200))
    #: UNUSED since revision 0016: a team's cap is its entry in the team setting
    #: ``lead_cap_by_team`` (managers set it; this row is the admins'). Kept because laptops
    #: on an older version may still sync it; nothing reads it.
    lead_cap: Mapped[int | None]


class User(Synced, Base):
    __tablename__ = "app_user"

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    #: Lower-cased, IDNA-normalised e-mail used for matching (the shown one stays as typed).
    email_normalized: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"), default=Role.REP)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    team_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("team.id"))
    #: PostgreSQL LOGIN role of this person when the team database is shared.
    db_role: Mapped[str | None] = mapped_column(String(63))
    #: UNUSED since revision 0016: a rep's own cap is her entry in the team setting
    #: ``lead_cap_by_rep`` (managers set it; this row is the admins'). Kept because laptops
    #: on an older version may still sync it; nothing reads it.
    lead_cap: Mapped[int | None]

    __table_args__ = (
        Index("ix_app_user_email_normalized", "email_normalized"),
        Index("ix_app_user_db_role", "db_role"),
    )
