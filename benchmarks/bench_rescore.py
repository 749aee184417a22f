"""Issue 12 figure: rescoring 100,000 leads on both engines, against a raw-SQL floor.

    python benchmarks/bench_rescore.py [--contacts 100000] [--engines sqlite,postgres] [--batch 2000] [--keep [--reuse]]
                                       [--login manager|admin]

Each engine gets its own database, built here and dropped (PostgreSQL) or kept
(``bench-out/rescore.sqlite3``) at the end: ``--contacts`` leads over 10,000 accounts
(industries, sizes, countries), one or two e-mails each (work, free-mail, university),
and about three engagement events each (pricing page, trial, replies, site visits,
careers page, ...; over the last 200 days), loaded with ``journal.bulk_insert`` as a
snapshot (scores 0, no persona). The default scoring rules of ``init`` are seeded, plus
three personas (two buyer personas and an avoid-profile) and a ``persona_match`` rule for
each buyer persona, so the persona found changes the score.

* **first run**: ``scoring.rescore_all`` when (nearly) every lead changes: each lead's
  best buyer persona matched, then its fit and interest with that persona, facts read
  set-based, the changed fields written by ``bulk_writes.bulk_update`` (versions, outbox
  and field clocks on SQLite; on PostgreSQL, a team hub opened directly, change log and
  hub clocks).
* **second run**: the same with nothing to change (reading, matching and scoring only).
* ``--login manager`` (or ``admin``; PostgreSQL only): both runs by a LeadDesk user's own
  database login (``team_admin.create_login``) instead of the superuser, so the row-level
  security of ``contact``, ``change_log`` and ``hub_field_version`` and the statement-level
  check of the change log run as they do for that user; a manager's rescore also goes
  through the in-app write rules row by row. The leads are unassigned (every manager may
  change them).
* **raw floor**: the same new values (fit, interest, persona) written back, after setting
  them to 0 / NULL again, by one ``WITH v(id, fit, interest, persona) AS (VALUES ...)
  UPDATE contact ... FROM v`` through the bare driver (sqlite3 / psycopg): no stamping, no
  journal, no Python matching or scoring. On PostgreSQL the contact table's statement-level
  triggers (search index, notify) run for it as for LeadDesk's UPDATE. The ratio is first
  run / floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _demo_dbs import OUT, PG_ADMIN, open_db  # noqa: E402
from leaddesk import migrate  # noqa: E402
from leaddesk.db import make_engine  # noqa: E402
from leaddesk.ids import new_id  # noqa: E402
from leaddesk.models import Account, Contact, ContactEmail, EngagementEvent, User  # noqa: E402
from leaddesk.services.bulk import bulk_load  # noqa: E402
from leaddesk.services.qualification import personas, scoring  # noqa: E402
from leaddesk.services.team import setup  # noqa: E402
from leaddesk.sync import journal  # noqa: E402

PG_NAME = os.environ.get("LEADDESK_BENCH_RESCORE_DB", "leaddesk_bench_rescore")  # one per concurrent run
INDUSTRIES = ["Logistics", "Manufacturing", "Retail", "Wholesale", "Banking", "Software", None]
SENIORITY = ["unknown", "entry", "senior", "manager", "director", "vp", "c_level", "owner"]
KINDS = ["pricing_page_visit", "trial_signup", "email_reply", "site_visit", "site_visit", "download",
         "form_fill", "event_attendance", "webinar", "careers_page_visit", "email_open"]
DOMAINS = ["acme.com", "gmail.com", "uni.edu", "example.de", "hotmail.com", "ac.uk"]


def _url(kind: str) -> str:
    if kind == "sqlite":
        OUT.mkdir(exist_ok=True)
        path = OUT / "rescore.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
    admin.dispose()
    return _pg_url()


def _pg_url() -> str:
    return create_engine(PG_ADMIN).url.set(database=PG_NAME).render_as_string(hide_password=False)


def _drop_pg() -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
    admin.dispose()


def build(db, n: int, now: dt.datetime, seed: int = 12) -> None:
    rnd = random.Random(seed)
    accounts = [{"id": new_id(), "name": f"Account {i}", "name_key": f"account {i}",
                 "industry": rnd.choice(INDUSTRIES), "employees": rnd.choice([5, 40, 200, 1200, 9000, None]),
                 "country": rnd.choice(["DE", "TR", "US", "TH", None])} for i in range(max(1, n // 10))]
    people, emails, events = [], [], []
    for i in range(n):
        cid = new_id()
        people.append({"id": cid, "given_name": f"Lead{i}", "display_name": f"Lead {i}", "name_key": f"lead {i}",
                       "seniority": rnd.choice(SENIORITY), "account_id": rnd.choice(accounts)["id"],
                       "job_title": rnd.choice([None, "Head of Logistics", "CFO", "Working Student"])})
        for pos, domain in enumerate(rnd.sample(DOMAINS, rnd.choice([1, 1, 2]))):
            address = f"lead{i}@{domain}"
            emails.append({"contact_id": cid, "address": address, "address_normalized": address, "position": pos})
        for _ in range(rnd.randint(0, 6)):
            events.append({"contact_id": cid, "kind": rnd.choice(KINDS),
                           "occurred_at": now - dt.timedelta(days=rnd.randint(0, 200))})
    with db.unit_of_work() as s, bulk_load(s):
        for model, rows in ((Account, accounts), (Contact, people), (ContactEmail, emails),
                            (EngagementEvent, events)):
            for start in range(0, len(rows), 5000):
                journal.bulk_insert(s, model, rows[start:start + 5000], journal=False)


def add_personas(db) -> None:
    """Two buyer personas, each worth points when matched, and an avoid-profile."""
    logistics = personas.create_persona(db, name="Head of logistics", job_titles=["Head of Logistics"],
                                        seniorities=["director", "vp"], industries=["Logistics", "Wholesale"])
    finance = personas.create_persona(db, name="Finance", job_titles=["CFO"], company_size_min=50,
                                      company_size_max=5000)
    personas.create_persona(db, name="Student", job_titles=["Working Student"], avoid=True)
    for persona, points in ((logistics, 20), (finance, 15)):
        scoring.create_rule(db, name=f"Persona {persona.name}", criterion="persona_match", points=points,
                            params={"persona_id": str(persona.id)})


def raw_floor(url: str) -> tuple[float, int]:
    """Write the stored values back with one UPDATE ... FROM (VALUES ...) through the driver."""
    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT id, fit_score, interest_score, persona_id FROM contact WHERE deleted = false "
                    "AND (fit_score <> 0 OR interest_score <> 0 OR persona_id IS NOT NULL)")
        rows = cur.fetchall()
        cur.execute("UPDATE contact SET fit_score = 0, interest_score = 0, persona_id = NULL")
        raw.commit()
        pg = engine.dialect.name == "postgresql"
        cast = "::uuid" if pg else ""
        def uid(value) -> str:
            return f"NULL{cast}" if value is None else f"'{value}'{cast}"

        tuples = ",".join(f"({uid(i)}, {f}, {t}, {uid(p)})" for i, f, t, p in rows)
        sql = (f"WITH v(id, fit, interest, persona) AS (VALUES {tuples}) UPDATE contact SET fit_score = v.fit, "
               "interest_score = v.interest, persona_id = v.persona FROM v WHERE contact.id = v.id")
        t0 = time.perf_counter()
        cur.execute(sql)
        raw.commit()
        elapsed = time.perf_counter() - t0
        return elapsed, len(rows)
    finally:
        raw.close()
        engine.dispose()


def hot_updates(url: str) -> tuple[int, int]:
    """(updates, of them HOT) of ``contact`` so far, from the statistics the closed
    sessions flushed on exit; and the table's fill factor setting."""
    engine = make_engine(url)
    try:
        time.sleep(0.5)  # the closed backends' last statistics
        with engine.connect() as conn:
            upd, hot = conn.execute(text("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                                         "WHERE relname = 'contact'")).one()
        return upd, hot
    finally:
        engine.dispose()


def _reusable(n: int) -> bool:
    """The kept PostgreSQL database of an earlier ``--keep`` run holds ``n`` leads: put it
    back as ``build`` left it (scores 0, no persona, none of the rescores' journal rows)."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_NAME})
    admin.dispose()
    if not exists:
        return False
    engine = create_engine(_pg_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT count(*) FROM contact WHERE NOT deleted")) != n:
                return False
            conn.execute(text("UPDATE contact SET fit_score = 0, interest_score = 0, persona_id = NULL"))
            fields = "('fit_score', 'interest_score', 'persona_id')"
            conn.execute(text(f"DELETE FROM change_log WHERE entity = 'contact' AND field IN {fields}"))
            conn.execute(text(f"DELETE FROM hub_field_version WHERE entity = 'contact' AND field IN {fields}"))
            for table in ("contact", "change_log", "hub_field_version"):
                conn.execute(text(f"VACUUM (FULL, ANALYZE) {table}"))
        return True
    finally:
        engine.dispose()


def as_login(db, url: str, role: str):
    """The database opened with the login of a new LeadDesk user of ``role`` (PostgreSQL)."""
    from leaddesk.bootstrap import open_database
    from leaddesk.config import Settings
    from leaddesk.services.team import admin as team_admin, users

    team_admin.install_roles(db.engine)
    team = users.create_team(db, f"Bench {role}s")
    who = users.create_user(db, f"Bench {role}", f"{role}-{new_id().hex[:8]}@example.com", role=role,
                            team_id=team.id)
    password = "bench-" + new_id().hex
    team_admin.create_login(db, who.id, password=password)
    with db.reader() as s:
        name = s.scalar(select(User.db_role).where(User.id == who.id))
    login = make_engine(url, check=False).url.set(username=name, password=password)
    return open_database(Settings(db_url=login.render_as_string(hide_password=False)), upgrade=False), name


def _drop_login(url: str, name: str) -> None:
    """The bench's login is a role of the whole cluster: gone with the run."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{name}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


def run(kind: str, n: int, batch: int, keep: bool = False, reuse: bool = False, login: str | None = None) -> dict:
    reused = kind == "postgres" and reuse and _reusable(n)
    url = _pg_url() if reused else _url(kind)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    db = open_db(url)
    now = dt.datetime.now(dt.timezone.utc)
    try:
        if not reused:
            setup.initialize(db, admin_name="Bench Admin", admin_email="bench@example.com")
            scoring.seed_default_rules(db)
            t0 = time.perf_counter()
            build(db, n, now)
            add_personas(db)
            print(f"  {kind}: {n:,} leads built in {time.perf_counter() - t0:.1f} s (hub mode: {db.hub_mode})",
                  flush=True)
        else:
            print(f"  {kind}: {n:,} leads of the kept database {PG_NAME}, scores reset", flush=True)
        runner, role_name = (db, None) if login is None or kind != "postgres" else as_login(db, url, login)
        if role_name:
            print(f"  {kind}: rescored by the {login}'s own login {role_name}", flush=True)
        t0 = time.perf_counter()
        first = scoring.rescore_all(runner, batch_size=batch, now=now)
        t_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = scoring.rescore_all(runner, batch_size=batch, now=now)
        if runner is not db:
            runner.dispose()
            _drop_login(url, role_name)
        t_second = time.perf_counter() - t0
        with db.reader() as s:
            matched = s.scalar(text("SELECT count(*) FROM contact WHERE persona_id IS NOT NULL"))
    finally:
        db.dispose()
    hot = hot_updates(url) if kind == "postgres" else None
    floor, floor_rows = raw_floor(url)
    if kind == "postgres" and not keep:
        _drop_pg()
    return {"engine": kind, "scored": first.scored, "changed": first.changed, "first": t_first,
            "second_changed": second.changed, "second": t_second, "floor": floor, "floor_rows": floor_rows,
            "matched": matched, "hot": hot}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--batch", type=int, default=scoring.BATCH_SIZE)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (to look into it)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: start from the kept PostgreSQL database (scores reset) instead of building")
    parser.add_argument("--login", choices=["manager", "admin"],
                        help="PostgreSQL: rescore with a new user's own database login of this role")
    args = parser.parse_args()
    print(f"rescore bench: {args.contacts:,} leads, batch {args.batch}, load average {os.getloadavg()}, "
          f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", flush=True)
    for kind in args.engines.split(","):
        r = run(kind.strip(), args.contacts, args.batch, args.keep, args.reuse, args.login)
        print(f"{r['engine']:8} first run {r['first']:6.2f} s ({r['changed']:,} of {r['scored']:,} changed)  "
              f"({r['matched']:,} with a persona)  second run {r['second']:6.2f} s ({r['second_changed']} changed)  "
              f"raw floor {r['floor']:5.2f} s ({r['floor_rows']:,} rows)  ratio {r['first'] / r['floor']:.1f}x",
              flush=True)
        if r["hot"]:
            print(f"         contact updates so far {r['hot'][0]:,}, of them HOT {r['hot'][1]:,}", flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
