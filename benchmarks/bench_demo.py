"""How long ``leaddesk demo --scale large`` takes, beside the raw-SQL floor. Both engines.

    python benchmarks/bench_demo.py [--scale small|large] [--engines sqlite,postgres]
                                    [--seed 7] [--trigger-floor]

For each engine:

* **LeadDesk**: a fresh database (SQLite file in a temp dir; PostgreSQL database
  ``leaddesk_bench_<pid>``), migrated with ``leaddesk.migrate.upgrade``, then
  ``services.demo.generate`` timed end to end: seeding, generating the rows in Python,
  validation, ``journal.bulk_insert`` (stamping), the search index, commit.
* **raw floor**: the *same rows*, read back from that database with the bare driver, written
  into a second, identically migrated database with a plain driver ``executemany``
  (sqlite3 / psycopg), 10,000 rows a call, one transaction, no journal. The search-index
  triggers stand aside as they do inside a LeadDesk bulk load (SQLite: ``ld_bulk_active()``
  is 1; PostgreSQL: ``ALTER TABLE ... DISABLE TRIGGER USER``), foreign keys stay checked.
  ``--trigger-floor`` also times the copy with the triggers on (what any row-by-row writer
  pays).
* database size: the SQLite file; ``pg_database_size`` on PostgreSQL.

The databases are dropped / deleted at the end, also on error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import JSON, create_engine, text

from leaddesk import migrate
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.models import SYNCED_MODELS, Base
from leaddesk.models.search import fold
from leaddesk.services.demo import generate as demo

PG_SERVER = os.environ.get("LEADDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BATCH = 10_000
SYNCED_TABLES = [t for t in Base.metadata.sorted_tables if t.name in {m.__tablename__ for m in SYNCED_MODELS}]


# ---------------------------------------------------------------------------------------------
# databases


class SqliteTarget:
    kind = "sqlite"

    def __init__(self, tmp: Path, name: str):
        self.path = tmp / f"{name}.sqlite3"
        self.url = f"sqlite:///{self.path}"

    def create(self) -> None:
        engine = make_engine(self.url)
        migrate.upgrade(engine)
        engine.dispose()

    def size_mb(self) -> float:
        return sum(Path(str(self.path) + s).stat().st_size for s in ("", "-wal")
                   if Path(str(self.path) + s).exists()) / 1e6

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)


class PgTarget:
    kind = "postgres"

    def __init__(self, name: str):
        self.name = name
        self.admin = create_engine(make_engine(PG_SERVER, check=False).url.set(database="postgres"),
                                   isolation_level="AUTOCOMMIT")
        self.url = self.admin.url.set(database=name).render_as_string(hide_password=False)

    def create(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        engine = make_engine(self.url)
        migrate.upgrade(engine)
        engine.dispose()

    def size_mb(self) -> float:
        with self.admin.connect() as conn:
            conn.execute(text("CHECKPOINT"))
            return conn.scalar(text("SELECT pg_database_size(:n)"), {"n": self.name}) / 1e6

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()

    def driver_dsn(self) -> str:
        return self.url.replace("postgresql+psycopg://", "postgresql://")


# ---------------------------------------------------------------------------------------------
# LeadDesk run


def run_leaddesk(target, scale: str, seed: int) -> tuple[float, demo.DemoSummary]:
    db = Database(make_engine(target.url), WriteContext(node=uuid.uuid4()))
    steps = []
    try:
        t0 = time.perf_counter()
        summary = demo.generate(db, scale=scale, seed=seed,
                                progress=lambda step, done, total: _progress(steps, step, done, total))
        seconds = time.perf_counter() - t0
    finally:
        db.dispose()
        print(file=sys.stderr)
    return seconds, summary


def _progress(steps: list, step: str, done: int, total: int) -> None:
    if not steps or steps[-1] != step:
        steps.append(step)
    print(f"\r    {step}: {done:,}/{total:,}".ljust(50), end="", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# raw floor: the same rows, bare driver executemany


def read_sqlite(path: Path):
    conn = sqlite3.connect(path)
    try:
        for table in SYNCED_TABLES:
            cols = [c.name for c in table.columns]
            rows = conn.execute(f'SELECT {", ".join(cols)} FROM "{table.name}"').fetchall()
            yield table.name, cols, rows
    finally:
        conn.close()


def floor_sqlite(src: SqliteTarget, dst: SqliteTarget, *, triggers: bool) -> tuple[float, int]:
    data = list(read_sqlite(src.path))
    conn = sqlite3.connect(dst.path, isolation_level=None)
    for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
                   "PRAGMA cache_size=-262144"):
        conn.execute(pragma)
    # the functions the migrated triggers call; ld_bulk_active() = 1 makes them stand aside
    conn.create_function("ld_fold", 1, fold, deterministic=True)
    conn.create_function("ld_bulk_active", 0, lambda: 0 if triggers else 1)
    rows_total = 0
    try:
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for name, cols, rows in data:
            sql = f'INSERT INTO "{name}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
            for i in range(0, len(rows), BATCH):
                conn.executemany(sql, rows[i:i + BATCH])
            rows_total += len(rows)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        seconds = time.perf_counter() - t0
    finally:
        conn.close()
    return seconds, rows_total


def floor_pg(src: PgTarget, dst: PgTarget, *, triggers: bool) -> tuple[float, int]:
    import psycopg
    from psycopg.types.json import Json

    data = []
    with psycopg.connect(src.driver_dsn()) as conn:
        for table in SYNCED_TABLES:
            cols = [c.name for c in table.columns]
            json_at = [i for i, c in enumerate(table.columns) if isinstance(c.type, JSON)]
            rows = conn.execute(f'SELECT {", ".join(cols)} FROM "{table.name}"').fetchall()
            if json_at:
                rows = [tuple(Json(v) if i in json_at and v is not None else v for i, v in enumerate(r))
                        for r in rows]
            data.append((table.name, cols, rows))
    rows_total = 0
    with psycopg.connect(dst.driver_dsn()) as conn:
        if not triggers:
            # search index and change notifications off; foreign keys (system triggers) stay
            for table in SYNCED_TABLES:
                conn.execute(f'ALTER TABLE "{table.name}" DISABLE TRIGGER USER')
            conn.commit()
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            for name, cols, rows in data:
                sql = f'INSERT INTO "{name}" ({", ".join(cols)}) VALUES ({", ".join(["%s"] * len(cols))})'
                for i in range(0, len(rows), BATCH):
                    cur.executemany(sql, rows[i:i + BATCH])
                rows_total += len(rows)
        conn.commit()
        seconds = time.perf_counter() - t0
    return seconds, rows_total


# ---------------------------------------------------------------------------------------------


def bench_engine(kind: str, scale: str, seed: int, trigger_floor: bool, tmp: Path) -> dict:
    pid = os.getpid()
    if kind == "sqlite":
        make = lambda suffix: SqliteTarget(tmp, f"leaddesk_bench_{pid}{suffix}")  # noqa: E731
        floor = floor_sqlite
    else:
        make = lambda suffix: PgTarget(f"leaddesk_bench_{pid}{suffix}")  # noqa: E731
        floor = floor_pg
    main, raw, raw_trig = make(""), make("_floor"), make("_floor_trg")
    made = [main]
    try:
        print(f"  {kind}: LeadDesk demo --scale {scale} ...", file=sys.stderr, flush=True)
        main.create()
        ld_seconds, summary = run_leaddesk(main, scale, seed)
        ld_size = main.size_mb()
        print(f"  {kind}: raw floor ...", file=sys.stderr, flush=True)
        made.append(raw)
        raw.create()
        raw_seconds, rows = floor(main, raw, triggers=False)
        raw_size = raw.size_mb()
        trig_seconds = None
        if trigger_floor:
            print(f"  {kind}: raw floor with the search triggers ...", file=sys.stderr, flush=True)
            made.append(raw_trig)
            raw_trig.create()
            trig_seconds, _ = floor(main, raw_trig, triggers=True)
        return dict(engine=kind, rows=rows, demo_rows=summary.rows, leaddesk=ld_seconds, raw=raw_seconds,
                    raw_triggers=trig_seconds, leaddesk_mb=ld_size, raw_mb=raw_size)
    finally:
        for target in made:
            target.drop()
        if kind == "postgres":
            for target in (main, raw, raw_trig):
                target.admin.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(demo.SCALES), default="large")
    parser.add_argument("--engines", default="sqlite,postgres", help="comma-separated: sqlite,postgres")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--trigger-floor", action="store_true",
                        help="also time the raw copy with the search-index triggers on")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
    tmp = Path(tempfile.mkdtemp(prefix="leaddesk-bench-demo-"))
    results = []
    try:
        for kind in engines:
            results.append(bench_engine(kind, args.scale, args.seed, args.trigger_floor, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    print(f"\ndemo --scale {args.scale} --seed {args.seed}; {dt.date.today()}; {os.cpu_count()} CPUs; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    head = f"{'engine':<9} {'rows':>9} {'LeadDesk s':>11} {'raw floor s':>12} {'ratio':>6} " \
           f"{'LeadDesk MB':>12} {'floor MB':>9}"
    if args.trigger_floor:
        head += f" {'raw+triggers s':>15}"
    print(head)
    for r in results:
        line = (f"{r['engine']:<9} {r['rows']:>9,} {r['leaddesk']:>11.1f} {r['raw']:>12.1f} "
                f"{r['leaddesk'] / r['raw']:>5.1f}x {r['leaddesk_mb']:>12.0f} {r['raw_mb']:>9.0f}")
        if args.trigger_floor:
            line += f" {r['raw_triggers']:>15.1f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
