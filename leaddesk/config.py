"""Where LeadDesk keeps its data and which database it opens. No Qt here.

Precedence, highest first: explicit arguments (``--db``), environment variables
(``LEADDESK_DB``, ``LEADDESK_DATA_DIR``, ``LEADDESK_USER``), ``config.toml`` in the data
directory, then defaults (a SQLite file in the platform's user data directory).
"""

from __future__ import annotations

import os
import tomllib
import uuid
from dataclasses import dataclass, field, replace
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


def load_settings(*, db_url: str | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    data_dir = Path(env["LEADDESK_DATA_DIR"]) if env.get("LEADDESK_DATA_DIR") else default_data_dir()
    file_values: dict = {}
    cfg = data_dir / "config.toml"
    if cfg.is_file():
        with cfg.open("rb") as fh:
            file_values = tomllib.load(fh).get("leaddesk", {})
    return Settings(
        data_dir=data_dir,
        db_url=db_url or env.get("LEADDESK_DB") or file_values.get("db_url"),
        user_email=env.get("LEADDESK_USER") or file_values.get("user_email"),
        keep_backups=int(file_values.get("keep_backups", 5)),
        hub_url=env.get("LEADDESK_HUB") or file_values.get("hub_url"),
        sync_interval_s=int(env.get("LEADDESK_SYNC_INTERVAL") or file_values.get("sync_interval_s", 120)),
    )


def node_id(settings: Settings) -> uuid.UUID:
    """This installation's sync node id: random, made once, kept in the data directory."""
    path = settings.data_dir / "node_id"
    try:
        return uuid.UUID(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        value = uuid.uuid4()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(str(value))
        tmp.replace(path)
        return value
