"""Issue 4 figures: sync push and pull against the local PostgreSQL hub, and the raw floor.

    python benchmarks/bench_sync.py [--changes 5000] [--contacts 2000] [--week 25000] [--runs 3]
    python benchmarks/bench_sync.py --superuser     # the same, connected as the superuser

It makes its own hub database (``leaddesk_bench_sync_<pid>``, so two runs never share
one; migrated with ``leaddesk.migrate.upgrade`` like the sync tests' hub, dropped at the
end unless ``--keep``)
and SQLite replicas in a temporary directory (copies of one migrated template file, as
``tests/sync/conftest.py`` does), each with its own node id and clock.

By default it measures the production path: every replica pushes and pulls as its user's
own PostgreSQL LOGIN role, under the hub's row-level security (FORCE RLS, policies), and
acts in the app as that user (``bootstrap.open_database``: in-app permission checks run).
The hub is a team hub (``team_admin.init_team_database``) with one team: Ann (rep, replica
A), Ben and Cem (managers, replicas B and C) and ``--colleagues`` reps; their logins are
``ld_bench<pid>_<who>`` (cluster-wide roles: dropped at the end, also on error, unless
``--keep``). B and C are managers because opportunities and activities are private to
their owner and the team's managers: a rep colleague would see only part of A's changes.
Each replica joins with ``download.join`` as its login, as a laptop does. ``--superuser``:
the earlier set-up, everything connected as the database superuser (RLS bypassed), no
team, replicas acting as the admin.

* setup (untimed): replica A imports ``--contacts`` contacts with accounts and
  opportunities (``journal.bulk_insert``: queued for sync like any import; owned by Ann)
  and pushes them (as Ann); replica B joins (superuser mode: bootstraps by pulling).
* (a) offline work: A makes ``--changes`` changes through the real services (contact field
  edits, lifecycle moves, opportunity stage moves and edits, logged calls, new contacts),
  spread over the imported contacts, without syncing (untimed). Timed: ``client.push(A)``,
  then ``client.pull(B)``. Repeated ``--runs`` times (new changes each run); median.
* (b) a week away: ``--colleagues`` replicas (reps; under RLS each first imports and pushes
  a book of its own, ``--contacts / --colleagues`` contacts, since a rep may change only her
  own rows), then replica C joins; the colleagues make ``--week`` changes between them the
  same way and push them, each as its own login (untimed). Timed: ``client.pull(C)`` on a
  copy of C's file, ``--runs`` times; median. ``--week 0`` skips it.
* ``--batch-size`` / ``--page-size``: push batches and pulled pages other than the
  defaults (``client.BATCH_SIZE``, ``client.PAGE_SIZE``), to see the tradeoff.
* Before each timed part the hub is ANALYZEd (as the superuser), as autovacuum would have
  done on a hub in service (without statistics the planner may read all of change_log for
  each page).
* (c) the raw floor for the same row counts, as the superuser: plain psycopg ``COPY`` and
  ``executemany`` of the change_log rows (columns as the hub stores them) into a table
  shaped like ``change_log`` (same indexes), committed; and for the pull, psycopg fetch of
  the rows plus a sqlite3 ``executemany`` of them into a replica-shaped file, committed.

``--profile DIR`` writes a cProfile of the first timed push and pulls to DIR.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _demo_dbs import PG_ADMIN  # noqa: E402
from sqlalchemy import create_engine, func, make_url, select, text  # noqa: E402

from leaddesk import migrate  # noqa: E402
from leaddesk.bootstrap import open_database  # noqa: E402
from leaddesk.config import Settings  # noqa: E402
from leaddesk.db import Database, WriteContext, make_engine  # noqa: E402
from leaddesk.models import Account, Contact, Opportunity, Outbox, access  # noqa: E402
from leaddesk.services.followups import activities
from leaddesk.services.people import contacts
from leaddesk.services.pipeline import opportunities as pipeline, pipelines
from leaddesk.services.team import setup
from leaddesk.services.team import admin as team_admin, users
from leaddesk.sync import client, download  # noqa: E402
from leaddesk.clock import HybridClock
from leaddesk.sync.journal import bulk_insert  # noqa: E402
from leaddesk.sync.server import Hub  # noqa: E402

HUB_DB = f"leaddesk_bench_sync_{os.getpid()}"
LOGIN_PREFIX = f"ld_bench{os.getpid()}_"
PASSWORD = "bench-sync-pass"
LOG_COLUMNS = ("seq", "change_id", "entity", "row_id", "field", "value", "hlc", "node", "author", "at",
               "pushed_by", "batch_id", "base_seq", "received_at")
TITLES = ("CEO", "CTO", "CFO", "Head of Sales", "Buyer", "Engineer", "Office Manager", "VP Marketing")
CITIES = ("Berlin", "İzmir", "Lyon", "Porto", "Kraków", "Malmö", "Gent", "Zürich", "Tallinn")
DEPARTMENTS = ("Sales", "Purchasing", "IT", "Finance", "Operations", "Marketing")
STAGES = ("lead", "iql", "mql", "sql", "opportunity")


# --- databases ------------------------------------------------------------------------------

def make_hub() -> tuple[str, object]:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{HUB_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{HUB_DB}"'))
    url = admin.url.set(database=HUB_DB).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url, admin


def drop_hub(admin) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{HUB_DB}" WITH (FORCE)'))


class Replicas:
    """SQLite replicas in one temporary directory, copied from one migrated template."""

    def __init__(self, root: Path):
        self.root = root
        self.template = root / "template.sqlite3"
        engine = make_engine(f"sqlite:///{self.template}")
        migrate.upgrade(engine)
        engine.dispose()
        self.opened: list[Database] = []

    def new(self, name: str, *, source: Path | None = None, node: uuid.UUID | None = None) -> Database:
        path = self.root / f"{name}.sqlite3"
        shutil.copyfile(source or self.template, path)
        db = Database(make_engine(f"sqlite:///{path}"), WriteContext(node=node or uuid.uuid4(), clock=HybridClock()))
        self.opened.append(db)
        return db

    def open(self, name: str, email: str, *, source: Path | None = None, node: uuid.UUID | None = None) -> Database:
        """A replica in its own data folder, opened as the app opens it
        (``bootstrap.open_database``: acts as the user with ``email``, with her
        permissions). A new folder gets a copy of ``source`` (else of the template)."""
        folder = self.root / name
        path = folder / "leaddesk.sqlite3"
        if not path.exists():
            folder.mkdir(parents=True)
            shutil.copyfile(source or self.template, path)
            if node is not None:
                (folder / "node_id").write_text(str(node))
        db = open_database(Settings(data_dir=folder, user_email=email))
        self.opened.append(db)
        return db

    def join(self, name: str, team: Team, who: str) -> Database:
        """A laptop joins the team as ``who`` (``team_join.join`` without the keyring):
        the rows her login may see are downloaded, then the replica is opened again
        as her."""
        db = self.open(name, team.emails[who])
        download.join(db, team.hub(who).engine)
        db.dispose()
        db = self.open(name, team.emails[who])
        assert db.write.subject is not None and db.write.subject.user_id == team.ids[who], (who, db.write)
        return db

    def close(self) -> None:
        for db in self.opened:
            db.dispose()


class Team:
    """The team on the hub (RLS mode): users and their own PostgreSQL LOGIN roles, made
    by the admin as the app does (``team_admin``), and one Hub per login."""

    def __init__(self, url: str):
        self.url = url
        self.ids: dict[str, uuid.UUID] = {}
        self.emails: dict[str, str] = {}
        self.roles: dict[str, str] = {}
        self.logins: dict[str, str] = {}
        self.hubs: dict[str, Hub] = {}

    def create(self, colleagues: int) -> None:
        init = team_admin.init_team_database(self.url, admin_name="Bench Admin", admin_email="bench@example.com")
        db = Database(make_engine(self.url), WriteContext(node=uuid.uuid4()))
        try:
            with db.reader() as s:  # the admin at work on the hub (superuser connection)
                db.write.actor_id = init.admin_id
                db.write.subject = access.load_subject(s, init.admin_id)
            team = users.create_team(db, "Bench")
            people = [("ann", "Ann Rep", "rep"), ("ben", "Ben Manager", "manager"), ("cem", "Cem Manager", "manager")]
            people += [(f"mate{i}", f"Mate{i} Rep", "rep") for i in range(colleagues)]
            for who, name, role in people:
                email = f"{who}@example.com"
                self.ids[who] = users.create_user(db, name, email, role=role, team_id=team.id).id
                self.emails[who], self.roles[who] = email, role
                self.logins[who] = LOGIN_PREFIX + who  # before it exists: dropped whatever happens next
                team_admin.create_login(db, self.ids[who], password=PASSWORD, name=self.logins[who])
        finally:
            db.dispose()

    def describe(self, who: str) -> str:
        return f"{self.roles[who]} {self.logins[who]}"

    def hub(self, who: str) -> Hub:
        if who not in self.hubs:
            url = make_url(self.url).set(username=self.logins[who], password=PASSWORD)
            self.hubs[who] = Hub(url.render_as_string(hide_password=False))
        return self.hubs[who]

    def dispose(self) -> None:
        for hub in self.hubs.values():
            hub.dispose()

    def drop_logins(self, admin) -> None:
        with admin.connect() as conn:
            for name in self.logins.values():
                conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))


def path_of(db: Database) -> Path:
    return Path(db.engine.url.database)


def file_copy(db: Database, target: Path) -> Path:
    """A consistent copy of a replica's file (its WAL included), with the backup API."""
    src, dst = sqlite3.connect(path_of(db)), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


def outbox_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Outbox))


# --- data -----------------------------------------------------------------------------------

def seed(db: Database, n_contacts: int, rng: random.Random, prefix: str = "") -> None:
    """An import: accounts, contacts, opportunities, owned by the replica's user (all
    queued for sync)."""
    [pipe] = [p for p in pipelines.list_pipelines(db) if p.is_default]
    first_stage = pipelines.list_stages(db, pipe.id)[0]
    now = dt.datetime.now(dt.timezone.utc)
    n_accounts = max(1, n_contacts // 5)
    account_ids = [uuid.uuid4() for _ in range(n_accounts)]
    contact_ids = [uuid.uuid4() for _ in range(n_contacts)]
    with db.unit_of_work() as s:
        bulk_insert(s, Account, [{"id": a, "name": f"{prefix}Company {i}", "name_key": f"{prefix.lower()}company {i}",
                                  "city": rng.choice(CITIES)} for i, a in enumerate(account_ids)])
        bulk_insert(s, Contact, [
            {"id": c, "given_name": f"{prefix}Given{i}", "family_name": f"Family{i}",
             "display_name": f"{prefix}Given{i} Family{i}", "name_key": f"family{i} {prefix.lower()}given{i}", "account_id": account_ids[i % n_accounts],
             "job_title": rng.choice(TITLES), "city": rng.choice(CITIES), "owner_id": db.write.actor_id,
             "lifecycle_changed_at": now, "captured_at": now}
            for i, c in enumerate(contact_ids)])
        bulk_insert(s, Opportunity, [
            {"name": f"{prefix}Deal {i}", "account_id": account_ids[i % n_accounts],
             "primary_contact_id": contact_ids[i % n_contacts], "pipeline_id": pipe.id,
             "stage_id": first_stage.id, "currency": pipe.currency, "amount": 1000 + i,
             "stage_entered_at": now, "board_rank": float(i), "owner_id": db.write.actor_id}
            for i in range(max(1, n_contacts * 3 // 10))])


class Worker:
    """Makes changes on one replica through the services, like a rep at work
    (``own``: only on her own contacts and deals, which a rep may change)."""

    def __init__(self, db: Database, rng: random.Random, *, own: bool = False):
        self.db, self.rng = db, rng
        mine = db.write.actor_id
        with db.reader() as s:
            self.contacts = list(s.scalars(select(Contact.id).where(
                Contact.deleted.is_(False), *([Contact.owner_id == mine] if own else []))))
            self.opps = list(s.scalars(select(Opportunity.id).where(
                Opportunity.deleted.is_(False), *([Opportunity.owner_id == mine] if own else []))))
        [pipe] = [p for p in pipelines.list_pipelines(db) if p.is_default]
        self.stages = [st.id for st in pipelines.list_stages(db, pipe.id)]
        self.n = 0

    def edit_field(self) -> None:
        field, pool = self.rng.choice((("job_title", TITLES), ("city", CITIES), ("department", DEPARTMENTS)))
        value = f"{self.rng.choice(pool)} {self.n}"
        contacts.update_contact(self.db, self.rng.choice(self.contacts), expected_version=None, **{field: value})

    def one(self) -> None:
        self.n += 1
        r, rng, db = self.rng.random(), self.rng, self.db
        if r < 0.55:
            self.edit_field()
        elif r < 0.67:
            pipeline.move_opportunity(db, rng.choice(self.opps), rng.choice(self.stages))
        elif r < 0.77:
            contacts.change_stage(db, rng.choice(self.contacts), rng.choice(STAGES))
        elif r < 0.87:
            activities.log_activity(db, "call", f"Call {self.n}", contact_id=rng.choice(self.contacts),
                                    outcome="completed", duration_minutes=rng.randint(1, 30))
        elif r < 0.95:
            pipeline.update_opportunity(db, rng.choice(self.opps), None, amount=rng.randint(100, 90_000),
                                        next_step=f"Follow up {self.n}")
        else:
            c = contacts.create_contact(db, given_name=f"New{self.n}", family_name=rng.choice(CITIES),
                                        emails=[f"new{self.n}.{uuid.uuid4().hex[:6]}@example.com"],
                                        allow_duplicate=True)
            self.contacts.append(c.id)

    def make(self, target: int) -> int:
        """Changes until the outbox holds ``target`` rows (the last few: one-field edits)."""
        while outbox_count(self.db) < target - 6:
            self.one()
        while outbox_count(self.db) < target:
            self.n += 1
            self.edit_field()
        return outbox_count(self.db)


def analyze(hub: Hub) -> None:
    """Planner statistics, as autovacuum keeps them on a hub in service (on a database
    filled a minute ago the planner may not know that change_log is big yet)."""
    with hub.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def hub_count(hub: Hub, since: int = 0) -> int:
    """Changes in the hub's log after ``since`` that are pulled (not refused); ``hub``:
    the superuser's, which sees them all."""
    with hub.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM change_log WHERE seq > :s AND NOT rejected"), {"s": since})


def hub_max_seq(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        return conn.scalar(text("SELECT coalesce(max(seq), 0) FROM change_log"))


# --- timing ---------------------------------------------------------------------------------

def timed(fn, profile: Path | None = None):
    prof = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    out = fn()
    if prof:
        prof.disable()
    elapsed = time.perf_counter() - t0
    if prof:
        prof.dump_stats(profile)
    return elapsed, out


def psycopg_connect(url: str):
    import psycopg
    from sqlalchemy import make_url

    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                           dbname=u.database)


def floor_push(url: str, n: int, runs: int) -> tuple[float, float]:
    """COPY and executemany of ``n`` change_log rows (the latest ones, given new seqs and
    change ids) into ``floor_log`` (LIKE change_log INCLUDING ALL), committed."""
    cols = ", ".join(LOG_COLUMNS)
    with psycopg_connect(url) as conn:
        rows = conn.execute(f"SELECT {cols} FROM change_log ORDER BY seq DESC LIMIT %s", (n,)).fetchall()
        rows = [(10**12 + i, uuid.uuid4(), *r[2:]) for i, r in enumerate(rows)]
        conn.execute("DROP TABLE IF EXISTS floor_log")
        conn.execute("CREATE TABLE floor_log (LIKE change_log INCLUDING ALL)")
        conn.commit()
        copies, manys = [], []
        for _ in range(runs):
            conn.execute("TRUNCATE floor_log")
            conn.commit()
            t0 = time.perf_counter()
            with conn.cursor() as cur, cur.copy(f"COPY floor_log ({cols}) FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
            conn.commit()
            copies.append(time.perf_counter() - t0)
            conn.execute("TRUNCATE floor_log")
            conn.commit()
            t0 = time.perf_counter()
            with conn.cursor() as cur:
                cur.executemany(f"INSERT INTO floor_log ({cols}) VALUES ({', '.join(['%s'] * len(LOG_COLUMNS))})",
                                rows)
            conn.commit()
            manys.append(time.perf_counter() - t0)
        conn.execute("DROP TABLE floor_log")
        conn.commit()
    return statistics.median(copies), statistics.median(manys)


def _naive(at: dt.datetime) -> str:
    """A timestamptz as SQLite holds it (naive UTC text)."""
    return at.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ")


def floor_pull(url: str, since: int, n: int, template: Path, work: Path, runs: int) -> float:
    """psycopg fetch of ``n`` change_log rows after ``since`` plus a sqlite3 executemany of
    them into the change_log table of a fresh replica file, committed."""
    cols = ", ".join(LOG_COLUMNS)
    times = []
    for i in range(runs):
        target = work / f"floor-{i}.sqlite3"
        shutil.copyfile(template, target)
        lite = sqlite3.connect(target, isolation_level=None)
        lite.execute("PRAGMA journal_mode=WAL")
        lite.execute("PRAGMA synchronous=FULL")
        with psycopg_connect(url) as conn:
            t0 = time.perf_counter()
            rows = conn.execute(f"SELECT {cols} FROM change_log WHERE seq > %s ORDER BY seq LIMIT %s",
                                (since, n)).fetchall()
            lite.execute("BEGIN IMMEDIATE")
            lite.executemany(f"INSERT INTO change_log ({cols}) VALUES ({', '.join(['?'] * len(LOG_COLUMNS))})",
                             [(r[0], r[1].hex, r[2], r[3].hex, r[4], r[5], r[6], r[7].hex,
                               r[8].hex if r[8] else None, _naive(r[9]), r[10], r[11].hex, r[12],
                               _naive(r[13])) for r in rows])
            lite.execute("COMMIT")
            times.append(time.perf_counter() - t0)
        lite.close()
    return statistics.median(times)


# --- main -----------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=5000, help="offline changes on A per run (a)")
    ap.add_argument("--contacts", type=int, default=2000, help="contacts imported before (a)")
    ap.add_argument("--week", type=int, default=25000, help="changes pulled after a week away (b)")
    ap.add_argument("--colleagues", type=int, default=9, help="replicas that make the week's changes")
    ap.add_argument("--batch-size", type=int, default=client.BATCH_SIZE, help="changes per push batch")
    ap.add_argument("--page-size", type=int, default=client.PAGE_SIZE, help="changes per pulled page")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--superuser", action="store_true",
                    help="connect every replica as the database superuser (no row-level security), as before")
    ap.add_argument("--profile", type=Path, help="write cProfile stats of the first timed runs here")
    ap.add_argument("--keep", action="store_true",
                    help=f"keep the hub database {HUB_DB}, the logins {LOGIN_PREFIX}* and the replicas")
    args = ap.parse_args()
    rls = not args.superuser
    print("command: python " + " ".join([sys.argv[0], *sys.argv[1:]]))
    print("mode: " + ("reps' own PostgreSQL logins under row-level security (FORCE RLS, policies)" if rls
                      else "database superuser (row-level security bypassed)"))
    print(f"push batches of {args.batch_size} changes, pulled pages of {args.page_size}")
    try:
        load = os.getloadavg()
        print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
              f"{os.cpu_count()} cores")
    except OSError:
        pass
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    url, admin = make_hub()
    work = Path(tempfile.mkdtemp(prefix="ld-bench-sync-"))
    replicas = Replicas(work)
    hub = Hub(url)  # the superuser's: setup in superuser mode, ANALYZE and counts in both
    team = Team(url) if rls else None
    try:
        t0 = time.perf_counter()
        if team:
            team.create(args.colleagues)
            hub_a, hub_b, hub_c = team.hub("ann"), team.hub("ben"), team.hub("cem")
            a = replicas.join("a", team, "ann")
            seed(a, args.contacts, rng)
            client.push(a, hub_a)
            client.pull(a, hub_a)
            b = replicas.join("b", team, "ben")
            print(f"A: {team.describe('ann')}, owns the import; B: {team.describe('ben')}; "
                  f"C: {team.describe('cem')}; the week: {args.colleagues} reps {LOGIN_PREFIX}mate*")
        else:
            hub_a = hub_b = hub_c = hub
            a = replicas.new("a")
            setup.initialize(a, admin_name="Bench Admin", admin_email="bench@example.com")
            seed(a, args.contacts, rng)
            client.sync(a, hub, backup=False)
            b = replicas.new("b")
            client.sync(b, hub, backup=False)
            b.write.actor_id = users.create_user(b, "Bea Rep", "bea@example.com").id
            client.sync(b, hub, backup=False)
            client.sync(a, hub, backup=False)
        print(f"setup: hub and replicas A, B with {args.contacts} contacts in {time.perf_counter() - t0:.1f} s")

        # (a) offline changes on A: push, then B pulls.
        worker = Worker(a, rng, own=rls)
        pushes, pulls, made = [], [], []
        for run in range(args.runs):
            t0 = time.perf_counter()
            made.append(worker.make(args.changes))
            make_s = time.perf_counter() - t0
            analyze(hub)
            a_since = hub_max_seq(hub)
            prof = args.profile if run == 0 and args.profile else None
            push_s, results = timed(lambda: client.push(a, hub_a, batch_size=args.batch_size),
                                    prof / "push.prof" if prof else None)
            pushed = hub_count(hub, a_since)
            pull_s, stats = timed(lambda: client.pull(b, hub_b, page_size=args.page_size),
                                  prof / "pull_a.prof" if prof else None)
            refused = sum(r.rejected for r in results)
            assert pushed == made[-1] and stats.changes == made[-1] and not refused, (pushed, stats, made[-1], refused)
            conflicts = sum(r.conflicts for r in results)
            pushes.append(push_s)
            pulls.append(pull_s)
            print(f"  run {run + 1}: {made[-1]} changes made in {make_s:.1f} s; push {push_s:.3f} s "
                  f"({len(results)} batches, {conflicts} conflicts, {refused} refused), pull {pull_s:.3f} s "
                  f"({stats.changes} changes, {stats.applied} applied)")
        client.pull(a, hub_a)

        # (b) a week away: colleagues (under RLS: with books of their own), C joins,
        # colleagues push the week, C pulls.
        t0 = time.perf_counter()
        week_pulls, week = [], 0
        per = [args.week // args.colleagues + (i < args.week % args.colleagues) for i in range(args.colleagues)]
        mates: list[tuple[Database, Hub]] = []
        for i in range(args.colleagues if args.week else 0):
            if team:
                who = f"mate{i}"
                mate = replicas.join(who, team, who)
                seed(mate, max(1, args.contacts // args.colleagues), random.Random(args.seed * 1000 + i), f"M{i}")
                client.push(mate, team.hub(who))
                mates.append((mate, team.hub(who)))
        c = replicas.join("c", team, "cem") if team else replicas.new("c")
        if not team:
            client.sync(c, hub, backup=False)
        c_snapshot = file_copy(c, work / "c-snapshot.sqlite3")
        since = client.last_pulled_seq(c)
        c_node = c.write.node
        for i, n in enumerate(per if args.week else []):
            if team:
                mate, mate_hub = mates[i]
            else:
                mate, mate_hub = replicas.new(f"mate{i}"), hub
                client.sync(mate, hub, backup=False)
            Worker(mate, random.Random(args.seed * 100 + i), own=rls).make(n)
            results = client.push(mate, mate_hub)
            assert not sum(r.rejected for r in results), results
        week = hub_count(hub, since)
        analyze(hub)
        if args.week:
            print(f"setup (b): {args.colleagues} colleagues pushed {week} changes in {time.perf_counter() - t0:.1f} s")
        for run in range(args.runs if args.week else 0):
            if team:
                fresh = replicas.open(f"c-run{run}", team.emails["cem"], source=c_snapshot, node=c_node)
            else:
                fresh = replicas.new(f"c-run{run}", source=c_snapshot, node=c_node)
            prof = args.profile if run == 0 and args.profile else None
            pull_s, stats = timed(lambda: client.pull(fresh, hub_c, page_size=args.page_size),
                                  prof / "pull_week.prof" if prof else None)
            assert stats.changes == week, (stats, week)
            week_pulls.append(pull_s)
            print(f"  run {run + 1}: pull of {stats.changes} changes {pull_s:.3f} s ({stats.applied} applied)")

        # (c) the floor.
        n_a = made[-1]
        copy_s, many_s = floor_push(url, n_a, args.runs)
        floor_pull_a = floor_pull(url, a_since, n_a, replicas.template, work, args.runs)
        floor_pull_week = floor_pull(url, since, week, replicas.template, work, args.runs) if week else 0.0
    finally:
        hub.dispose()
        if team:
            team.dispose()
        replicas.close()
        if args.keep:
            print(f"kept: hub database {HUB_DB}, replicas in {work}"
                  + (f", logins {', '.join(team.logins.values())} (password {PASSWORD})" if team else ""))
            admin.dispose()
        else:
            try:
                drop_hub(admin)
                shutil.rmtree(work, ignore_errors=True)
            finally:
                if team:
                    team.drop_logins(admin)
                admin.dispose()

    push_m, pull_m = statistics.median(pushes), statistics.median(pulls)
    week_m = statistics.median(week_pulls) if week_pulls else 0.0
    total = statistics.median([p + q for p, q in zip(pushes, pulls)])
    print()
    print("mode: " + ("reps under row-level security, each with its own login: A (rep) pushes, B and C (managers "
                      "of A's team) pull" if rls else "superuser (row-level security bypassed)"))
    print(f"{'measurement':<44}{'rows':>8}{'median s':>10}{'runs s':>22}{'floor s':>9}{'ratio':>7}{'target':>9}")

    def line(name, rows, med, runs=None, floor=None, target=""):
        spread = " / ".join(f"{r:.2f}" for r in runs) if runs else ""
        fl = f"{floor:>9.3f}" if floor else f"{'':>9}"
        ratio = f"{med / floor:>7.1f}" if floor else f"{'':>7}"
        print(f"{name:<44}{rows:>8,}{med:>10.3f}{spread:>22}{fl}{ratio}{target:>9}")

    line("(a) push A -> hub" + (" (rep)" if rls else ""), n_a, push_m, pushes, copy_s)
    line("(a) pull hub -> B" + (" (manager)" if rls else ""), n_a, pull_m, pulls, floor_pull_a)
    line("(a) push + pull", n_a, total, [p + q for p, q in zip(pushes, pulls)], copy_s + floor_pull_a, "<= 1.5")
    if week:
        line("(b) pull a week -> C" + (" (manager)" if rls else ""), week, week_m, week_pulls, floor_pull_week, "<= 3.0")
    line("(c) floor: psycopg COPY into change_log", n_a, copy_s)
    line("(c) floor: psycopg executemany", n_a, many_s)
    line("(c) floor: psycopg fetch + sqlite3 insert", n_a, floor_pull_a)
    if week:
        line("(c) floor: psycopg fetch + sqlite3 insert", week, floor_pull_week)
    print("ratio: LeadDesk / floor (push: against COPY; push + pull: against COPY + fetch/insert)")
    with contextlib.suppress(OSError):
        print("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
