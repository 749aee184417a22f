"""A rep's laptop joins the team: connection profile, password in the OS keyring, first
download of what the rep may see (issue #4, parts 1 and 2).

* The profile (host, port, database, login, TLS options) is a small JSON file in the data
  folder (:class:`leaddesk.config.TeamProfile`). The password is NEVER written to a file:
  it goes to the OS keyring (macOS Keychain, Windows Credential Locker, Secret Service /
  KWallet) through ``keyring``. Without a usable keyring backend LeadDesk fails closed:
  the join works, but the password is asked for again at each sync (sync notes 6.5).
* :func:`join` proves the login works and is linked to a LeadDesk user (``ld_me()``),
  then downloads that user's visible rows into the (empty) local SQLite file
  (:func:`leaddesk.sync.download.join`). From then on the app works on the replica and
  syncs with :func:`hub_url` / services.team_sync.
"""

from __future__ import annotations

from pathlib import Path
from dataclasses import dataclass, replace

from sqlalchemy import text

from leaddesk.config import Settings, TeamProfile, load_profile, save_profile
from leaddesk.db import make_engine
from leaddesk.redaction import describe_url
from leaddesk.errors import LeadDeskError, ValidationError

SERVICE = "LeadDesk team server"
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


class CredentialsUnavailable(LeadDeskError):
    """No password for the team server is available (and none may be stored in a file)."""


def usable_keyring():
    """The OS keyring backend, or None when there is none (headless Linux, CI)."""
    import keyring
    from keyring.backends import chainer, fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    try:
        if backend.priority <= 0:
            return None
    except Exception:  # noqa: BLE001 - a backend that cannot even say its priority is unusable
        return None
    return backend


def store_password(profile: TeamProfile, password: str) -> None:
    backend = usable_keyring()
    if backend is None:
        raise CredentialsUnavailable(
            "This computer has no keyring (Keychain, Credential Locker, Secret Service or KWallet), and LeadDesk "
            "never writes passwords to a file: you will be asked for the team server's password at each sync.")
    backend.set_password(SERVICE, profile.key, password)


def stored_password(profile: TeamProfile) -> str | None:
    backend = usable_keyring()
    return backend.get_password(SERVICE, profile.key) if backend else None


def forget_password(profile: TeamProfile) -> None:
    backend = usable_keyring()
    if backend is not None:
        try:
            backend.delete_password(SERVICE, profile.key)
        except Exception:  # noqa: BLE001 - nothing stored is fine
            pass


def check_profile(profile: TeamProfile) -> TeamProfile:
    if not profile.host.strip() or not profile.database.strip() or not profile.user.strip():
        raise ValidationError("Give the team server's host, database and your login.", field="host")
    if profile.sslmode not in SSL_MODES:
        raise ValidationError(f"TLS mode must be one of {', '.join(SSL_MODES)}.", field="sslmode")
    for name, label in (("sslrootcert", "certificate authority"), ("sslcert", "client certificate"),
                        ("sslkey", "client key")):
        value = getattr(profile, name)
        # "system": libpq's word for the operating system's trusted roots
        if value and not (name == "sslrootcert" and value == "system") and not Path(value).expanduser().is_file():
            raise ValidationError(f"The {label} file {value} does not exist (or is not a file).", field=name)
    if not (0 < int(profile.port) < 65536):
        raise ValidationError("The port must be between 1 and 65535.", field="port")
    return profile


def hub_url(settings: Settings, *, password: str | None = None) -> str | None:
    """The team server's URL for this laptop: ``LEADDESK_HUB``/``hub_url`` if set (a
    developer's or an office's trust-auth server), else the joined profile with the
    password from the keyring (or given). None: this installation is standalone."""
    if settings.hub_url:
        return settings.hub_url
    profile = load_profile(settings.data_dir)
    if profile is None:
        return None
    password = password or stored_password(profile)
    if password is None:
        raise CredentialsUnavailable(
            f"The password of {profile.key} is not in this computer's keyring. Enter it to sync "
            "(leaddesk sync --password-stdin, or Team ▸ Join in the app).")
    return profile.url(password)


@dataclass(frozen=True)
class JoinResult:
    user_name: str
    user_email: str
    role: str
    rows: int
    last_seq: int
    password_stored: bool
    tables: dict[str, int]


def join(settings: Settings, profile: TeamProfile, password: str | None, *, remember: bool = True,
         progress=None) -> JoinResult:
    """Join the team: check the login, download the visible data, save the profile."""
    from leaddesk.bootstrap import open_database
    from leaddesk.sync import download

    check_profile(profile)
    if not settings.database_url.startswith("sqlite"):
        raise ValidationError("A laptop joins with its local SQLite database; this one is set to "
                              f"{describe_url(settings.database_url)}.", field="db")
    engine = make_engine(profile.url(password))
    try:
        with engine.connect() as conn:
            if not conn.scalar(text("SELECT to_regprocedure('ld_me()') IS NOT NULL")):
                raise ValidationError("That database is not a LeadDesk team server (its admin runs "
                                      "`leaddesk team init` first).", field="database")
            me = conn.execute(text("SELECT u.id, u.name, u.email, u.role FROM app_user u WHERE u.id = ld_me()")).first()
        if me is None:
            raise ValidationError(f"The login {profile.user} is not linked to an active LeadDesk user; ask your "
                                  "team's admin to add you (Team ▸ Users).", field="user")
        stored = False
        if remember and password:
            try:
                store_password(profile, password)
                stored = True
            except CredentialsUnavailable:
                stored = False
        db = open_database(replace(settings, user_email=me.email))
        try:
            stats = download.join(db, engine, progress=progress)
        finally:
            db.dispose()
        save_profile(settings.data_dir, replace(profile, user_email=me.email))
        return JoinResult(me.name, me.email, str(me.role), stats.rows, stats.last_seq, stored, stats.tables)
    finally:
        engine.dispose()
