"""What is in this database: engine, location, schema revision, row counts."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from leaddesk import migrate
from leaddesk.db import Database
from leaddesk.models import SYNCED_MODELS, Outbox


@dataclass(frozen=True)
class DatabaseInfo:
    engine: str
    location: str
    schema_revision: str | None
    schema_head: str
    up_to_date: bool
    #: table -> live rows (not deleted)
    counts: dict[str, int]
    #: table -> tombstoned rows
    deleted: dict[str, int]
    pending_changes: int
    acting_user: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def database_info(db: Database) -> DatabaseInfo:
    """What ``leaddesk info`` shows. A SQLite file is checked first (``PRAGMA
    quick_check``): a damaged page is reported as such, not as a failing count. On a team
    server there is no outbox (direct edits go straight into its change log), so a
    manager's or rep's own login, which may not read it, is not asked to."""
    migrate.check_integrity(db.engine)
    revision = migrate.current_revision(db.engine)
    head = migrate.head_revision()
    counts: dict[str, int] = {}
    deleted: dict[str, int] = {}
    acting = None
    with db.reader() as s:
        for model in SYNCED_MODELS:
            live, dead = s.execute(
                select(
                    func.count().filter(model.deleted.is_(False)),
                    func.count().filter(model.deleted.is_(True)),
                ).select_from(model)
            ).one()
            counts[model.__tablename__] = int(live)
            deleted[model.__tablename__] = int(dead)
        pending = 0 if db.hub_mode else int(s.scalar(select(func.count()).select_from(Outbox)) or 0)
        if db.write.actor_id is not None:
            from leaddesk.models import User

            user = s.get(User, db.write.actor_id)
            acting = f"{user.name} <{user.email}>" if user else None
    if db.dialect == "sqlite":
        location = db.engine.url.database or ":memory:"
    else:
        location = db.url
    return DatabaseInfo(
        engine=db.dialect,
        location=location,
        schema_revision=revision,
        schema_head=head,
        up_to_date=revision == head,
        counts=counts,
        deleted=deleted,
        pending_changes=pending,
        acting_user=acting,
    )
