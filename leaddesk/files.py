"""Files LeadDesk writes on this computer are private to the person using it (no Qt).

The data folder holds a CRM's worth of personal data (the SQLite replica, its backups,
``node_id``, ``team.json``), so on POSIX the folder is 0700 and every file in it 0600,
whatever the umask: new files are created with those modes (``os.open`` with an explicit
mode, not a later chmod, so there is no moment when they are readable by others) and
files left by an older LeadDesk are tightened when the app or a command starts.

Folders that are not LeadDesk's own are never tightened: a shared, sticky folder such as
``/tmp``, the home folder, the file system's root, or anything owned by someone else.
On Windows the user profile's ACLs already keep the data folder private: nothing to do.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from leaddesk.errors import LeadDeskError

POSIX = os.name == "posix"
DIR_MODE = 0o700
FILE_MODE = 0o600
#: Beside a SQLite file: its write-ahead log, shared-memory index and rollback journal.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class StorageUnavailable(LeadDeskError):
    """LeadDesk cannot write in its data folder (or the folder of its database)."""


def storage_error(what: str, path: Path, exc: OSError) -> StorageUnavailable:
    reason = exc.strerror or type(exc).__name__
    return StorageUnavailable(f"Cannot {what} {path}: {reason}. Check that the folder exists, is yours and is "
                              "writable (or set LEADDESK_DATA_DIR to another folder).")


def _own(st: os.stat_result) -> bool:
    return not POSIX or st.st_uid == os.geteuid()


def _is_protected_dir(path: Path, st: os.stat_result) -> bool:
    """Folders whose modes are not LeadDesk's to change."""
    if st.st_mode & stat.S_ISVTX:  # /tmp, /var/tmp: shared on purpose
        return True
    resolved = path.resolve()
    return resolved == Path(resolved.anchor) or resolved == Path.home().resolve()


def tighten_dir(path: Path) -> None:
    """chmod 0700 a folder that is ours (see the module docstring for those left alone)."""
    if not POSIX:
        return
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode) and _own(st) and not _is_protected_dir(Path(path), st) \
                and stat.S_IMODE(st.st_mode) != DIR_MODE:
            os.chmod(path, DIR_MODE)
    except OSError:
        pass  # not there, or not ours to change: nothing to tighten


def tighten_file(path: Path) -> None:
    """chmod 0600 a regular file of ours that others may read or write."""
    if not POSIX:
        return
    try:
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode) and _own(st) and st.st_mode & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & FILE_MODE)
    except OSError:
        pass


def tighten_sqlite(path: Path) -> None:
    """A SQLite file and its side files (SQLite gives new -wal/-shm the main file's mode)."""
    tighten_file(path)
    for suffix in SQLITE_SIDE_FILES:
        tighten_file(Path(f"{path}{suffix}"))


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) if needed; the folder itself ends up 0700."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    except OSError as exc:
        raise storage_error("create the folder", path, exc) from exc
    tighten_dir(path)
    return path


def create_private_file(path: Path) -> bool:
    """Create an empty file 0600 unless it exists; True if it was made here."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    except OSError as exc:
        raise storage_error("create the file", path, exc) from exc
    os.close(fd)
    return True


def write_private(path: Path, content: str) -> Path:
    """Write ``content`` to ``path`` atomically (a temporary file then a rename), 0600."""
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            if POSIX:
                os.fchmod(fd, FILE_MODE)  # an older .tmp left with wider modes
            os.write(fd, content.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        raise storage_error("write", tmp, exc) from exc
    return path


def secure_data_dir(data_dir: Path) -> None:
    """At start-up: the data folder 0700, the files in it and in ``backups/`` 0600.
    Creates nothing (a command that only reads must leave no trace)."""
    data_dir = Path(data_dir)
    if not POSIX or not data_dir.is_dir():
        return
    for folder in (data_dir, data_dir / "backups"):
        if not folder.is_dir():
            continue
        tighten_dir(folder)
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            tighten_file(entry)
