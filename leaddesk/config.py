"""Where LeadDesk keeps its data and which database it opens. No Qt here.

Precedence, highest first: explicit arguments (``--db``), environment variables
(``LEADDESK_DB``, ``LEADDESK_DATA_DIR``, ``LEADDESK_USER``), ``config.toml`` in the data
directory, then defaults (a SQLite file in the platform's user data directory).
"""

from __future__ import annotations

import json
import os
import tomllib
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import platformdirs

APP_NAME = "LeadDesk"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    db_url: str | None = None
    #: E-mail of the LeadDesk user this installation acts as; None = the first admin.
    user_email: str | None = None
    #: Backups of the local SQLite file kept before migrations and syncs.
    keep_backups: int = 5
    #: The team server (PostgreSQL URL) this laptop's SQLite replica syncs with; None = standalone.
    hub_url: str | None = None
    #: Seconds between background syncs while the app runs (0 = only on demand).
    sync_interval_s: int = 120

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.data_dir / 'leaddesk.sqlite3'}"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    def with_db(self, url: str | None) -> "Settings":
        return replace(self, db_url=url) if url else self


@dataclass(frozen=True)
class TeamProfile:
    """How this laptop reaches the team server: everything but the password, which lives
    only in the OS keyring (services/team_join.py). ``sslmode`` defaults to
    ``verify-full`` (libpq's default checks no certificate at all, sync notes 6.5)."""

    host: str
    database: str
    user: str
    port: int = 5432
    sslmode: str = "verify-full"
    sslrootcert: str | None = None
    sslcert: str | None = None
    sslkey: str | None = None
    #: The LeadDesk user this login belongs to (set by the join).
    user_email: str | None = None

    @property
    def key(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def url(self, password: str | None) -> str:
        from sqlalchemy import URL

        query = {k: v for k, v in (("sslmode", self.sslmode), ("sslrootcert", self.sslrootcert),
                                   ("sslcert", self.sslcert), ("sslkey", self.sslkey)) if v}
        return URL.create("postgresql+psycopg", username=self.user, password=password, host=self.host,
                          port=self.port, database=self.database, query=query).render_as_string(hide_password=False)


PROFILE_FILE = "team.json"


def load_profile(data_dir: Path) -> TeamProfile | None:
    path = Path(data_dir) / PROFILE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        from leaddesk.errors import ValidationError

        raise ValidationError(f"The team profile {path} cannot be read ({exc}); join the team again.",
                              field="profile") from exc
    known = set(TeamProfile.__dataclass_fields__)
    return TeamProfile(**{k: v for k, v in data.items() if k in known})


def save_profile(data_dir: Path, profile: TeamProfile) -> Path:
    from leaddesk.files import private_dir, write_private

    data_dir = private_dir(Path(data_dir))
    return write_private(data_dir / PROFILE_FILE, json.dumps(asdict(profile), indent=2))


def load_settings(*, db_url: str | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    data_dir = Path(env["LEADDESK_DATA_DIR"]) if env.get("LEADDESK_DATA_DIR") else default_data_dir()
    file_values: dict = {}
    cfg = data_dir / "config.toml"
    try:
        if cfg.is_file():
            with cfg.open("rb") as fh:
                file_values = tomllib.load(fh).get("leaddesk", {})
        keep_backups = int(file_values.get("keep_backups", 5))
        sync_interval_s = int(env.get("LEADDESK_SYNC_INTERVAL") or file_values.get("sync_interval_s", 120))
    except (OSError, ValueError, TypeError, AttributeError) as exc:  # TOMLDecodeError is a ValueError
        from leaddesk.errors import ValidationError

        raise ValidationError(f"The settings cannot be read ({cfg}, LEADDESK_SYNC_INTERVAL): "
                              f"{' '.join(str(exc).split())}.", field="config") from exc
    return Settings(
        data_dir=data_dir,
        db_url=db_url or env.get("LEADDESK_DB") or file_values.get("db_url"),
        user_email=env.get("LEADDESK_USER") or file_values.get("user_email") or _profile_email(data_dir),
        keep_backups=keep_backups,
        hub_url=env.get("LEADDESK_HUB") or file_values.get("hub_url"),
        sync_interval_s=sync_interval_s,
    )


def _profile_email(data_dir: Path) -> str | None:
    try:
        profile = load_profile(data_dir)
    except Exception:  # noqa: BLE001 - a broken profile is reported where it is used
        return None
    return profile.user_email if profile else None


def node_id(settings: Settings, *, create: bool = True) -> uuid.UUID:
    """This installation's sync node id: random, made once, kept in the data directory
    (0600 in a 0700 folder). ``create=False`` (a command that only reads): a missing id
    is not written, a throwaway one is returned instead."""
    from leaddesk.files import private_dir, storage_error, write_private

    path = settings.data_dir / "node_id"
    try:
        return uuid.UUID(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        pass
    except OSError as exc:  # a folder in its place, no permission...
        raise storage_error("read", path, exc) from exc
    value = uuid.uuid4()
    if create:
        private_dir(settings.data_dir)
        write_private(path, str(value))
    return value
