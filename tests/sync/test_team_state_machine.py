"""Issue #4's proof, as a Hypothesis state machine over the real service layer: three laptops
joined to the team's PostgreSQL with their OWN logins (Alice and Bob: reps of team North;
Carol: their manager), each acting as its user (in-app rules: a PermissionDenied is a
legitimate outcome), each with a skewed clock (within +-200 ms; one may also run up to
60 s behind). Rules: create / edit / delete / restore contacts and opportunities, merge and
undo merges, re-assign deals (Carol), sync, sync with the link dropped before or after the
hub's commit or during the pull, and crashes at named points of push and pull followed by a
restart of the app and a normal sync.

After quiescence (every laptop syncs until nothing is pending and a whole round sends
nothing):

1. each laptop's rows equal the hub's rows as its user's login sees them (RLS): ids, every
   payload field, and every field's effective clock (so later merges decide alike);
2. no laptop holds a row its user may not see (the login's view, and the Python rules of
   models/access.py evaluated over the hub's rows as a second opinion);
3. every change the hub accepted into ``change_log`` is accounted for, field by field:
   it is the field's winner (max ``(hlc, node)`` over the accepted changes touching the
   field, ``'*'`` creations included, and the hub's value is that winner's), or its value
   equals the winner's, or it appears in ``sync_conflict`` (kept or lost side), or a later
   change of the field was made by someone who had seen it (same node, or a ``base_seq``
   at or past its seq: a sequential overwrite is history, not a conflict), or a later
   change with the same value is itself accounted for (an equal value lost nothing);
4. no change_id is in the change log twice, and every change any laptop's outbox ever
   held is in the hub's log exactly once (accepted or rejected), with the same row, field
   and value: nothing lost, nothing applied twice;
5. every refused change has a ``rejected`` conflict naming it, whose ``lost_author`` is its
   author.

Each laptop's local change log is also checked against the hub's (same seqs, no
duplicates), and its outbox must be empty.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from leaddesk.bootstrap import open_database
from leaddesk.config import Settings, TeamProfile
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import Conflict, NotFound, PermissionDenied, ValidationError
from leaddesk.models import (
    ChangeLog,
    Contact,
    FieldVersion,
    HubFieldVersion,
    Opportunity,
    Outbox,
    SyncConflict,
    access,
)
from leaddesk.models.journal import ROW_CREATED
from leaddesk.services.people import contacts, duplicates
from leaddesk.services.pipeline import opportunities as pipeline, pipelines
from leaddesk.services.team import admin as team_admin, join as team_join, sync as team_sync, trash
from leaddesk.services.people._duplicate_common import MergeRefused
from leaddesk.sync import _row_store, client, snapshot, visibility
from leaddesk.clock import HybridClock
from leaddesk.sync.protocol import HubUnavailable, decode_value, entities
from leaddesk.sync.server import Hub
from tests.sync.conftest import empty_hub
from tests.sync.support import FlakyHub, World, node_of
from tests.sync.team import PASSWORD, population
from tests.sync.test_team_join import memory_keyring  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres

WHO = ("alice", "bob", "carol")
LAPTOP = st.sampled_from(WHO)
PICK = st.integers(0, 1_000)
CONTACT_FIELDS = ("job_title", "city", "notes")
#: Outcomes of a service call that are a rule doing its job, not a failure.
REFUSALS = (NotFound, PermissionDenied, ValidationError, MergeRefused, Conflict)
#: Rounds of "every laptop syncs" allowed to reach quiescence.
MAX_ROUNDS = 6


#: What the rules did, over all examples of a run (printed at the end: the machine must not
#: be vacuous, e.g. every merge refused).
STATS: Counter = Counter()


def _event(what: str) -> None:
    STATS[what] += 1
    event(what)


class Crash(Exception):
    """The app dies at a named point (the test then restarts it)."""


# --- crash points: where the app dies, as patches of the real code ---------------------------------

def _raise_after(target, attr: str, *, when=lambda result: True, nth: int = 1):
    """Patch ``target.attr`` to run normally, then crash on the nth call whose result
    matches ``when``."""
    real = getattr(target, attr)
    calls = [0]

    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        if when(result):
            calls[0] += 1
            if calls[0] == nth:
                raise Crash(f"after {attr}")
        return result

    return mock.patch.object(target, attr, wrapper)


def _raise_before(target, attr: str, *, when=lambda *a, **k: True, nth: int = 1):
    """Patch ``target.attr`` to crash on its nth matching call, before doing anything."""
    real = getattr(target, attr)
    calls = [0]

    def wrapper(*args, **kwargs):
        if when(*args, **kwargs):
            calls[0] += 1
            if calls[0] == nth:
                raise Crash(f"before {attr}")
        return real(*args, **kwargs)

    return mock.patch.object(target, attr, wrapper)


def _crash_patch(point: str, nth: int):
    if point == "push: batch id assigned, not sent":
        return _raise_after(client, "next_batch", when=lambda batch: batch is not None, nth=nth)
    if point == "push: hub committed, before the ack":
        return _raise_before(client, "acknowledge", nth=nth)
    if point == "push: hub mid-apply (rolled back)":
        return _raise_before(_row_store.RowStore, "flush", when=lambda self: self.hub, nth=nth)
    if point == REFRESH_CRASH:
        return _raise_before(snapshot, "refresh_owed", nth=nth)
    if point == "pull: page applied, before last_pulled_seq is written":
        return _raise_before(client, "_put", when=lambda conn, key, value: key == client.LAST_PULLED, nth=nth)
    if point == "pull: pages done, before following access changes":
        return _raise_before(visibility, "follow_access_changes", nth=nth)
    if point == "sync: pulled, before following merges and detecting duplicates":
        return _raise_before(team_sync, "_after_pull", nth=nth)
    raise KeyError(point)


REFRESH_CRASH = "push/pull: acked or paged, before refreshing refused/unknown rows"
CRASH_POINTS = (
    "push: batch id assigned, not sent",
    "push: hub committed, before the ack",
    "push: hub mid-apply (rolled back)",
    REFRESH_CRASH,
    "pull: page applied, before last_pulled_seq is written",
    "pull: pages done, before following access changes",
    "sync: pulled, before following merges and detecting duplicates",
)


# --- the team, joined once; each example starts from a copy of it ----------------------------------

SNAPSHOT = "ld_team_sm_snapshot"


class Team:
    """The hub after population() with the three logins, and the three laptops just after
    ``team_join.join`` with their own logins. Each example restores the hub's tables from
    a copy (triggers off: the rows as they were) and copies the joined laptops' folders,
    instead of joining again (about 2.5 s an example saved)."""

    def __init__(self, su_url: str, root: Path, template: Path, logins: dict[str, str]):
        self.su_url, self.root, self.logins = su_url, root, logins
        empty_hub(su_url)
        su = Database(make_engine(su_url), WriteContext(node=node_of("team-sm-office")))
        try:
            self.ids = ids = population(su)
            for who in WHO:
                team_admin.create_login(su, ids[who], password=PASSWORD, name=logins[who])
            self.stages = [stage.id for stage in pipelines.list_stages(su, ids["pipeline"])]
            with su.engine.connect() as conn:
                self.accounts = list(conn.scalars(select(Opportunity.account_id).where(
                    Opportunity.id.in_([ids["opp_alice"], ids["opp_bob"], ids["opp_dave"]]))
                    .order_by(Opportunity.name)))
        finally:
            su.dispose()
        url = make_engine(su_url, check=False).url
        for who in WHO:
            data = root / "joined" / who
            data.mkdir(parents=True)
            # a fixed node id per laptop: ties between equal HLCs break alike on every run
            (data / "node_id").write_text(str(node_of(f"team-sm-{who}")))
            shutil.copyfile(template, data / "leaddesk.sqlite3")  # migrated and empty
            profile = TeamProfile(host=url.host, port=url.port or 5432, database=url.database,
                                  user=logins[who], sslmode="disable")
            settings = Settings(data_dir=data)
            result = team_join.join(settings, profile, PASSWORD)
            assert result.user_email == f"{who}@example.com" and result.password_stored
            # as the app does right after a join: one sync (its count check is then not due
            # again for an hour, so it does not repair what the machine must find)
            db = open_database(settings)
            try:
                team_sync.sync_with_hub(db, team_join.hub_url(settings), backup_dir=data / "backups")
            finally:
                db.dispose()
        self.engine = create_engine(su_url, poolclass=NullPool)
        with self.engine.begin() as conn:
            self.tables = list(conn.scalars(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version' "
                "ORDER BY tablename")))
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SNAPSHOT} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SNAPSHOT}"))
            for t in self.tables:
                conn.execute(text(f'CREATE TABLE {SNAPSHOT}."{t}" AS TABLE public."{t}"'))

    def restore(self, into: Path) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # no triggers, no FK checks
            for t in self.tables:
                conn.execute(text(f'DELETE FROM public."{t}"'))
            for t in self.tables:
                conn.execute(text(f'INSERT INTO public."{t}" SELECT * FROM {SNAPSHOT}."{t}"'))
        for who in WHO:
            shutil.copytree(self.root / "joined" / who, into / who)

    def dispose(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SNAPSHOT} CASCADE"))
        self.engine.dispose()


class Laptop:
    """One installation: its data folder (joined with its own login, password in the
    keyring), its replica opened through the app's composition root with a skewed clock."""

    def __init__(self, who: str, user_id: uuid.UUID, data_dir: Path, world: World, skew_ms: int):
        self.who, self.user_id, self.world, self.skew_ms = who, user_id, world, skew_ms
        self.settings = Settings(data_dir=data_dir)
        self.url = team_join.hub_url(self.settings)
        self.db = self._open()

    def _open(self) -> Database:
        db = open_database(self.settings)
        assert db.write.actor_id == self.user_id and db.write.subject is not None
        db.write.clock = HybridClock(wall_millis=self.world.wall(self.skew_ms))
        client.restore_clock(db)  # as at start-up: past every clock this replica stored
        return db

    def restart(self) -> None:
        """The app died: memory is gone (clock, pending refreshes); the file remains."""
        self.db.dispose()
        self.db = self._open()

    def sync(self):
        summary = team_sync.sync_with_hub(self.db, self.url, backup_dir=self.settings.data_dir / "backups")
        if summary.resynced:
            _event("a laptop resynced past the horizon")
        return summary

    def sync_through(self, transport, **kw):
        """client.sync over a given transport (a flaky link)."""
        report = client.sync(self.db, transport, backup=False, **kw)
        if report.pulled is not None and report.pulled.resynced:
            _event("a laptop resynced past the horizon (flaky link)")
        return report

    def hub(self) -> Hub:
        return Hub(self.url)

    def close(self) -> None:
        self.db.dispose()


# --- the machine ---------------------------------------------------------------------------------------

class TeamMachine(RuleBasedStateMachine):
    team: Team
    login_engines: dict = {}

    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="ld-team-sm-"))
        self.laptops: dict[str, Laptop] = {}
        self.su: Database | None = None
        self.outbox_seen: dict[uuid.UUID, tuple] = {}
        self.n = 0

    # --- set-up -----------------------------------------------------------------------------------

    @initialize(skews=st.tuples(*[st.integers(-200, 200)] * len(WHO)),
                laggard=st.sampled_from((None, *WHO)), lag=st.integers(0, 60_000))
    def join_the_team(self, skews, laggard, lag):
        team = self.team
        team.restore(self.dir)
        self.su = Database(make_engine(team.su_url), WriteContext(node=node_of("team-sm-office")))
        self.ids = ids = team.ids
        self.world = World()
        skew = {who: s - (lag if who == laggard else 0) for who, s in zip(WHO, skews)}
        note(f"clock skews (ms): {skew}")
        for who in WHO:
            self.laptops[who] = Laptop(who, ids[who], self.dir / who, self.world, skew[who])
        self.stages = list(team.stages)
        self.accounts = list(team.accounts)
        self.contacts = [ids[f"contact_{k}"] for k in ("alice", "bob", "nobody", "dave")]
        self.opps = [ids[f"opp_{k}"] for k in ("alice", "bob", "dave")]
        self.merges: list[uuid.UUID] = []
        #: The change log rows the admin trimmed away (the checks read them with the rest).
        self.trimmed: list = []

    # --- helpers ----------------------------------------------------------------------------------

    def _value(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def _held(self, who: str, model, pool: list, *, deleted: bool | None = False) -> list:
        """Ids of ``pool`` (in the test's own order) that this laptop holds."""
        with self.laptops[who].db.engine.connect() as conn:
            rows = dict(conn.execute(select(model.id, model.deleted)).all())
        return [i for i in pool if i in rows and (deleted is None or rows[i] == deleted)]

    def _pick(self, who, model, pool, pick, **kw):
        held = self._held(who, model, pool, **kw)
        return held[pick % len(held)] if held else None

    def _unpushed(self, who: str, name: str) -> set:
        """Rows created on this laptop that have not reached the hub yet."""
        with self.laptops[who].db.engine.connect() as conn:
            return set(conn.scalars(select(Outbox.row_id).where(Outbox.entity == name,
                                                                Outbox.field == ROW_CREATED)))

    def _attempt(self, name: str, fn):
        try:
            result = fn()
        except REFUSALS as exc:
            _event(f"{name}: {type(exc).__name__}")
            return None
        _event(f"{name}: done")
        return result

    def _scan(self, who: str) -> None:
        """Remember every change this laptop's outbox holds (invariant 4 checks them all)."""
        with self.laptops[who].db.engine.connect() as conn:
            for r in conn.execute(select(Outbox.change_id, Outbox.entity, Outbox.row_id, Outbox.field,
                                         Outbox.value)):
                self.outbox_seen.setdefault(r.change_id, (r.entity, r.row_id, r.field, r.value, who))

    # --- contacts ---------------------------------------------------------------------------------

    @rule(who=LAPTOP, unassigned=st.booleans(), email=st.sampled_from((None, 0, 1)))
    def create_contact(self, who, unassigned, email):
        lap = self.laptops[who]
        emails = [f"shared{email}@example.com"] if email is not None else []
        made = self._attempt("create contact", lambda: contacts.create_contact(
            lap.db, given_name=self._value("Lead "), family_name="Fair", emails=emails, allow_duplicate=True,
            owner_id=None if unassigned else lap.user_id))
        if made is not None:
            self.contacts.append(made.id)

    @rule(who=LAPTOP, pick=PICK, name=st.sampled_from(CONTACT_FIELDS))
    def edit_contact(self, who, pick, name):
        cid = self._pick(who, Contact, self.contacts, pick)
        if cid is not None:
            self._attempt(f"edit contact {name}", lambda: contacts.update_contact(
                self.laptops[who].db, cid, expected_version=None, **{name: self._value(f"{name}-")}))

    @rule(who=LAPTOP, pick=PICK)
    def delete_contact(self, who, pick):
        cid = self._pick(who, Contact, self.contacts, pick)
        if cid is not None:
            self._attempt("delete contact", lambda: contacts.delete_contact(self.laptops[who].db, cid))

    @rule(who=LAPTOP, pick=PICK, kind=st.sampled_from(("contact", "opportunity")))
    def restore_from_trash(self, who, pick, kind):
        model, pool = (Contact, self.contacts) if kind == "contact" else (Opportunity, self.opps)
        row = self._pick(who, model, pool, pick, deleted=True)
        if row is not None:
            self._attempt(f"restore {kind}", lambda: trash.restore(self.laptops[who].db, kind, row))

    @rule(who=LAPTOP, a=PICK, b=PICK)
    def merge_contacts(self, who, a, b):
        held = self._held(who, Contact, self.contacts)
        if len(held) < 2:
            return
        survivor, loser = held[a % len(held)], held[b % len(held)]
        if survivor == loser:
            loser = held[(b + 1) % len(held)]
        if {survivor, loser} & self._unpushed(who, "contact"):
            _event("merge: of a contact not on the hub yet")
        merged = self._attempt("merge", lambda: duplicates.merge(self.laptops[who].db, survivor, loser))
        if merged is not None:
            self.merges.append(merged)

    @rule(who=LAPTOP, pick=PICK)
    def undo_merge(self, who, pick):
        from leaddesk.models import RecordMerge

        with self.laptops[who].db.engine.connect() as conn:
            held = set(conn.scalars(select(RecordMerge.id)))
        mine = [m for m in self.merges if m in held]
        if mine:
            mid = mine[pick % len(mine)]
            self._attempt("undo merge", lambda: duplicates.undo_merge(self.laptops[who].db, mid))

    # --- opportunities ----------------------------------------------------------------------------

    @rule(who=LAPTOP, acct=PICK, contact=st.none() | PICK)
    def create_opportunity(self, who, acct, contact):
        from leaddesk.models import Account

        lap = self.laptops[who]
        account_id = self._pick(who, Account, self.accounts, acct)
        if account_id is None:
            return
        primary = self._pick(who, Contact, self.contacts, contact) if contact is not None else None
        made = self._attempt("create opportunity", lambda: pipeline.create_opportunity(
            lap.db, account_id, self._value("Deal "), pipeline_id=self.ids["pipeline"], owner_id=lap.user_id,
            primary_contact_id=primary))
        if made is not None:
            self.opps.append(made.id)

    @rule(who=LAPTOP, pick=PICK, what=st.sampled_from(("stage", "next_step", "amount")), stage=PICK)
    def edit_opportunity(self, who, pick, what, stage):
        oid = self._pick(who, Opportunity, self.opps, pick)
        if oid is None:
            return
        db = self.laptops[who].db
        if what == "stage":
            self._attempt("move opportunity", lambda: pipeline.move_opportunity(
                db, oid, self.stages[stage % len(self.stages)]))
        elif what == "next_step":
            self._attempt("edit opportunity next_step", lambda: pipeline.update_opportunity(
                db, oid, None, next_step=self._value("step-")))
        else:
            self._attempt("edit opportunity amount", lambda: pipeline.update_opportunity(
                db, oid, None, amount=f"{self._value('')}.50"))

    @rule(who=LAPTOP, pick=PICK)
    def delete_opportunity(self, who, pick):
        oid = self._pick(who, Opportunity, self.opps, pick)
        if oid is not None:
            self._attempt("delete opportunity", lambda: pipeline.delete_opportunity(self.laptops[who].db, oid))

    @rule(pick=PICK, to=st.sampled_from(("alice", "bob")))
    def reassign_opportunity(self, pick, to):
        oid = self._pick("carol", Opportunity, self.opps, pick)
        if oid is not None:
            self._attempt("reassign opportunity", lambda: pipeline.update_opportunity(
                self.laptops["carol"].db, oid, None, owner_id=self.ids[to]))

    # --- the admin trims the history (laptops that pulled before it must resync) -------------------

    @rule()
    def trim_history(self):
        self.trimmed += self._log()
        trim = team_admin.purge_history(self.su, 0)
        _event(f"history trimmed: {'nothing' if not trim.removed else 'some'}")

    # --- sync, faults, crashes --------------------------------------------------------------------

    @rule(who=LAPTOP)
    def sync(self, who):
        self._scan(who)
        self.laptops[who].sync()

    @rule(who=LAPTOP, fault=st.sampled_from(("before send", "after hub commit", "during pull")),
          batch=st.sampled_from((1, 3, 2000)))
    def sync_with_link_drop(self, who, fault, batch):
        lap = self.laptops[who]
        self._scan(who)
        hub = lap.hub()
        flaky = FlakyHub(hub, drop_before=int(fault == "before send"), drop_after=int(fault == "after hub commit"),
                         drop_pull=int(fault == "during pull"))
        try:
            lap.sync_through(flaky, batch_size=batch)
            _event(f"link drop {fault}: not reached")
        except HubUnavailable:
            _event(f"link drop {fault}: dropped")
        finally:
            hub.dispose()

    @rule(who=LAPTOP, point=st.sampled_from(CRASH_POINTS), nth=st.sampled_from((1, 1, 1, 2)),
          batch=st.sampled_from((1, 2000)), page=st.sampled_from((1, 2000)))
    def crash_then_restart(self, who, point, nth, batch, page):
        lap = self.laptops[who]
        if point.startswith("push") and client.pending_count(lap.db) == 0:
            # a push crash needs something to push: a lead captured just before
            self.create_contact(who, unassigned=False, email=None)
        self._scan(who)
        with ExitStack() as stack:
            stack.enter_context(_crash_patch(point, nth))
            # smaller batches and pages, so a crash can fall between two of them
            stack.enter_context(mock.patch.object(client, "push", functools.partial(client.push, batch_size=batch)))
            stack.enter_context(mock.patch.object(client, "pull", functools.partial(client.pull, page_size=page)))
            try:
                lap.sync()
                _event(f"crash {point}: not reached (call {nth})")
            except Crash:
                _event(f"crash {point}: crashed")
        lap.restart()
        self._scan(who)
        lap.sync()

    # --- the end: quiesce, then compare -----------------------------------------------------------

    def teardown(self):
        try:
            if self.laptops:
                rounds = self._quiesce()
                _event(f"quiescent after {rounds} rounds")
                self.check()
        finally:
            for lap in self.laptops.values():
                lap.close()
            if self.su is not None:
                self.su.dispose()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _quiesce(self) -> int:
        for n in range(1, MAX_ROUNDS + 1):
            busy = False
            for who in WHO:
                self._scan(who)
                summary = self.laptops[who].sync()
                busy |= bool(summary.sent or summary.pending_after)
            if not busy:
                return n
        raise AssertionError(f"the laptops still had changes to send after {MAX_ROUNDS} rounds of syncs")

    def _log(self) -> list:
        with self.su.engine.connect() as conn:
            return conn.execute(select(ChangeLog.seq, ChangeLog.change_id, ChangeLog.entity, ChangeLog.row_id,
                                       ChangeLog.field, ChangeLog.value, ChangeLog.hlc, ChangeLog.node,
                                       ChangeLog.author, ChangeLog.base_seq, ChangeLog.rejected)).all()

    def check(self):
        log = self.trimmed + self._log()
        with self.su.engine.connect() as conn:
            found = conn.execute(select(SyncConflict)).all()
        self._check_laptops_equal_hub()
        self._check_nothing_lost_or_doubled(log)
        self._check_rejections(log, found)
        self._check_every_accepted_change_accounted_for(log, found)

    # (1) + (2) + local logs and outboxes
    def _check_laptops_equal_hub(self):
        hub_rows = {}
        with self.su.engine.connect() as conn:
            for name, spec in entities().items():
                hub_rows[name] = {r.id: dict(r._mapping) for r in conn.execute(select(spec.table))}
            hub_seqs = dict(conn.execute(select(ChangeLog.change_id, ChangeLog.seq)).all())
            hub_seqs.update((e.change_id, e.seq) for e in self.trimmed)
            # read as the superuser: through a login, RLS makes this table slow (each row's
            # visibility is a CASE over every table); only rows the login sees are looked up
            hub_fv = {(r.entity, r.row_id, r.field): (r.hlc, r.node) for r in conn.execute(
                select(HubFieldVersion).where(HubFieldVersion.field != ROW_CREATED))}

        def lookup(name, row_id):
            return hub_rows.get(name, {}).get(row_id)

        for who, lap in self.laptops.items():
            engine = self.login_engines[who]
            assert client.pending_count(lap.db) == 0, f"{who}: outbox not empty after quiescence"
            with self.su.reader() as s:
                subject = access.load_subject(s, lap.user_id)
            with engine.connect() as hc, lap.db.engine.connect() as lc:
                mine_fv = {(r.entity, r.row_id, r.field): (r.hlc, r.node) for r in lc.execute(select(FieldVersion))}
                for name, spec in entities().items():
                    cols = [spec.table.c.id, spec.table.c.hlc, spec.table.c.node,
                            *[spec.table.c[c.name] for c in spec.fields.values()]]
                    keys = list(spec.fields)
                    remote = {r[0]: r for r in hc.execute(select(*cols))}
                    local = {r[0]: r for r in lc.execute(select(*cols))}
                    extra, missing = set(local) - set(remote), set(remote) - set(local)
                    assert not extra and not missing, (
                        f"{who}.{name}: holds {len(extra)} row(s) the login may not see {sorted(extra)[:3]}, "
                        f"lacks {len(missing)} visible row(s) {sorted(missing)[:3]}")
                    for row_id, mine in local.items():
                        theirs = remote[row_id]
                        diff = [(k, mine[i + 3], theirs[i + 3]) for i, k in enumerate(keys)
                                if mine[i + 3] != theirs[i + 3]]
                        assert not diff, f"{who}.{name} {row_id}: laptop vs hub {diff}"
                        clock_diff = []
                        for k in keys:
                            a = mine_fv.get((name, row_id, k), (mine[1], mine[2]))
                            b = hub_fv.get((name, row_id, k), (theirs[1], theirs[2]))
                            if a != b:
                                clock_diff.append((k, a, b))
                        assert not clock_diff, f"{who}.{name} {row_id}: field clocks laptop vs hub {clock_diff}"
                        if name in access.RULES:
                            assert access.can_read(subject, name, hub_rows[name][row_id], lookup), (
                                f"{who} holds {name} {row_id}, which the rules say {who} may not see")
            with lap.db.engine.connect() as lc:
                # the local copy of the change log: the hub's rows, none twice
                local_log = lc.execute(select(ChangeLog.change_id, ChangeLog.seq)).all()
                assert len({c for c, _ in local_log}) == len(local_log), f"{who}: a change twice in the local log"
                wrong = [(c, s) for c, s in local_log if hub_seqs.get(c) != s]
                assert not wrong, f"{who}: local change log rows unlike the hub's: {wrong[:3]}"

    # (4)
    def _check_nothing_lost_or_doubled(self, log):
        by_id = defaultdict(list)
        for e in log:
            by_id[e.change_id].append(e)
        doubled = [c for c, rows in by_id.items() if len(rows) > 1]
        assert not doubled, f"change ids applied twice: {doubled[:3]}"
        problems = []
        for change_id, (name, row_id, fld, value, who) in self.outbox_seen.items():
            rows = by_id.get(change_id, [])
            if len(rows) != 1:
                problems.append(f"{who}'s change {change_id} ({name}.{fld} of {row_id} = {value}) is in the hub's "
                                f"log {len(rows)} times")
            elif (rows[0].entity, rows[0].row_id, rows[0].field, rows[0].value) != (name, row_id, fld, value):
                problems.append(f"{who}'s change {change_id} arrived altered: {rows[0]}")
        assert not problems, "\n".join(problems)
        _event(f"offline changes checked: {'none' if not self.outbox_seen else '1-49' if len(self.outbox_seen) < 50 else '50+'}")

    # (5)
    def _check_rejections(self, log, found):
        rejected_sides = {(c.lost_change_id, c.entity, c.row_id, c.field, c.lost_author)
                          for c in found if c.kind == "rejected"}
        problems = [e for e in log if e.rejected
                    and (e.change_id, e.entity, e.row_id, e.field, e.author) not in rejected_sides]
        assert not problems, f"refused changes without a 'rejected' conflict for their author: {problems[:3]}"
        if any(e.rejected for e in log):
            _event("some changes were refused by the hub")

    # (3)
    def _check_every_accepted_change_accounted_for(self, log, found):
        in_conflict = defaultdict(set)
        for c in found:
            for side in (c.kept_change_id, c.lost_change_id):
                if side is not None:
                    in_conflict[(c.entity, c.row_id, c.field)].add(side)
        touching = defaultdict(list)
        specs = entities()
        for e in log:
            if e.rejected:
                continue
            spec = specs[e.entity]
            if e.field == ROW_CREATED:
                for name, raw in json.loads(e.value).items():
                    if name in spec.fields:
                        touching[(e.entity, e.row_id, name)].append((e, decode_value(spec.fields[name], raw)))
            else:
                raw = json.loads(e.value) if e.value is not None else None
                touching[(e.entity, e.row_id, e.field)].append((e, decode_value(spec.fields[e.field], raw)))
        current = {}
        with self.su.engine.connect() as conn:
            for name, spec in specs.items():
                for r in conn.execute(select(spec.table)):
                    current[(name, r.id)] = r._mapping
        problems = []
        for (name, row_id, fld), items in touching.items():
            items.sort(key=lambda it: (it[0].hlc, it[0].node.int), reverse=True)
            winner, win_value = items[0]
            now = current[(name, row_id)][specs[name].fields[fld].name]
            if now != win_value:
                problems.append(f"{name}.{fld} of {row_id} holds {now!r}, but its max-(hlc, node) change "
                                f"{winner.change_id} (seq {winner.seq}) says {win_value!r}")
            accounted = {}
            for i, (x, value) in enumerate(items):
                ok = (value == win_value or x.change_id in in_conflict[(name, row_id, fld)]
                      or any(y.node == x.node or (y.base_seq or 0) >= x.seq
                             or (v == value and accounted[y.change_id]) for y, v in items[:i]))
                accounted[x.change_id] = ok
                if not ok:
                    problems.append(
                        f"{name}.{fld} of {row_id}: accepted change seq {x.seq} ({value!r}, hlc {x.hlc}, "
                        f"node {x.node}, base {x.base_seq}) lost to seq {winner.seq} ({win_value!r}, hlc "
                        f"{winner.hlc}, node {winner.node}, base {winner.base_seq}) with no conflict recorded, "
                        "and no later change of the field was made by anyone who had seen it")
        assert not problems, "\n".join(problems)


@pytest.mark.timeout(int(os.environ.get("SM_TIMEOUT", 600)))
def test_team_state_machine_converges_and_loses_nothing(team_hub, sqlite_template, memory_keyring,  # noqa: F811
                                                        tmp_path):
    suffix = uuid.uuid4().hex[:6]
    logins = {who: f"ld_sm{suffix}_{who}" for who in WHO}
    su = make_engine(team_hub)
    engines = {who: create_engine(su.url.set(username=name, password=PASSWORD), poolclass=NullPool)
               for who, name in logins.items()}
    started = time.monotonic()
    team = None
    try:
        team = TeamMachine.team = Team(team_hub, tmp_path, sqlite_template, logins)
        TeamMachine.login_engines = engines
        run_state_machine_as_test(TeamMachine, settings=settings(
            max_examples=int(os.environ.get("SM_EX", 20)), stateful_step_count=int(os.environ.get("SM_STEPS", 25)),
            deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    finally:
        print(f"\nteam state machine: {time.monotonic() - started:.1f} s")
        for what, count in sorted(STATS.items()):
            print(f"  {count:5d}  {what}")
        if team is not None:
            team.dispose()
        for e in engines.values():
            e.dispose()
        with su.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in logins.values():
                conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        su.dispose()


# --- what the machine found, one focused test each ------------------------------------------------------

def _joined(team_hub, tmp_path, login: str, who: str) -> tuple[Database, str]:
    url = make_engine(team_hub, check=False).url
    settings = Settings(data_dir=tmp_path / who)
    team_join.join(settings, TeamProfile(host=url.host, port=url.port or 5432, database=url.database,
                                         user=login, sslmode="disable"), PASSWORD)
    return open_database(settings), team_join.hub_url(settings)


def test_merge_of_contacts_captured_offline_reaches_the_hub(pg_team, team_hub, tmp_path,  # noqa: F811
                                                            memory_keyring):  # noqa: F811
    """The hub inserts a merge record after the contacts it names, even when they travel in
    the same push (its row-level security checks that both are visible)."""
    ids, engines, logins = pg_team
    carol, url = _joined(team_hub, tmp_path, logins["carol"], "carol")
    try:
        a = contacts.create_contact(carol, given_name="Selin", family_name="Kaya", owner_id=ids["carol"])
        b = contacts.create_contact(carol, given_name="Selin", family_name="Kaya", owner_id=ids["carol"])
        duplicates.merge(carol, a.id, b.id)
        team_sync.sync_with_hub(carol, url, backup_dir=tmp_path / "backups")
        assert client.pending_count(carol) == 0
    finally:
        carol.dispose()


def test_children_of_a_contact_captured_and_deleted_offline_survive(pg_team, team_hub, tmp_path,  # noqa: F811
                                                                   memory_keyring):  # noqa: F811
    """A contact captured and deleted offline travels in one push with its e-mails: the hub
    must not refuse them as children of a deleted parent (the deletion is their author's
    own), so a restore from the Trash brings them back."""
    ids, engines, logins = pg_team
    alice, url = _joined(team_hub, tmp_path, logins["alice"], "alice")
    try:
        made = contacts.create_contact(alice, given_name="Selin", emails=["selin@fair.example"],
                                       owner_id=ids["alice"])
        contacts.delete_contact(alice, made.id)
        team_sync.sync_with_hub(alice, url, backup_dir=tmp_path / "backups")
        trash.restore(alice, "contact", made.id)
        team_sync.sync_with_hub(alice, url, backup_dir=tmp_path / "backups")
        assert [e.address for e in contacts.get_contact(alice, made.id).emails] == ["selin@fair.example"]
    finally:
        alice.dispose()


def test_refused_rows_are_refreshed_after_a_crash(pg_team, team_hub, tmp_path, memory_keyring):  # noqa: F811
    """The rows a push answer says were refused are owed a refresh durably (recorded with the
    acknowledgement): a crash before the refresh only delays it to the next sync, instead
    of leaving the refused row on the laptop until the hourly count check."""
    from leaddesk.models import ContactEmail

    ids, engines, logins = pg_team
    alice, url = _joined(team_hub, tmp_path, logins["alice"], "alice")
    carol, carol_url = _joined(team_hub, tmp_path, logins["carol"], "carol")
    try:
        for db, u in ((alice, url), (carol, carol_url)):  # the first syncs run the count check
            team_sync.sync_with_hub(db, u, backup_dir=tmp_path / "backups")
        contacts.delete_contact(carol, ids["contact_alice"])
        team_sync.sync_with_hub(carol, carol_url, backup_dir=tmp_path / "backups")
        # offline, Alice adds an e-mail to her contact, which Carol deleted meanwhile: refused
        contacts.update_contact(alice, ids["contact_alice"], expected_version=None,
                                emails=["alice.lead@example.com", "second@example.com"])
        with _raise_before(snapshot, "refresh_owed"), pytest.raises(Crash):
            team_sync.sync_with_hub(alice, url, backup_dir=tmp_path / "backups")
        alice.dispose()
        alice = open_database(Settings(data_dir=tmp_path / "alice"))  # the app starts again
        team_sync.sync_with_hub(alice, url, backup_dir=tmp_path / "backups")
        with alice.engine.connect() as lc, engines["alice"].connect() as hc:
            mine = set(lc.scalars(select(ContactEmail.id)))
            theirs = set(hc.scalars(select(ContactEmail.id)))
        assert mine == theirs
    finally:
        alice.dispose()
        carol.dispose()


def test_an_edit_made_after_seeing_a_refreshed_value_wins(pg_team, team_hub, tmp_path,  # noqa: F811
                                                          memory_keyring):  # noqa: F811
    """A refresh (here: a deal re-assigned to Alice arrives whole) moves the laptop's clock
    past the clocks it writes, so Alice's edit of what she now sees wins over it even though
    her wall clock is 200 ms behind Bob's."""
    ids, engines, logins = pg_team
    world = World()
    laptops = {}
    try:
        for who, skew in (("alice", -200), ("bob", 200), ("carol", -200)):
            db, url = _joined(team_hub, tmp_path, logins[who], who)
            db.write.clock = HybridClock(wall_millis=world.wall(skew))
            client.restore_clock(db)
            laptops[who] = (db, url)

        def sync(who):
            db, url = laptops[who]
            team_sync.sync_with_hub(db, url, backup_dir=tmp_path / who / "backups")

        alice, bob, carol = (laptops[w][0] for w in ("alice", "bob", "carol"))
        for who in laptops:
            sync(who)
        pipeline.update_opportunity(bob, ids["opp_bob"], None, next_step="Send the quote")
        sync("bob")
        # Alice syncs a change of her own: her cursor passes Bob's edit, which she may not see
        contacts.update_contact(alice, ids["contact_alice"], expected_version=None, city="Izmir")
        sync("alice")
        # Carol, who has not pulled Bob's edit, gives his deal to Alice
        pipeline.update_opportunity(carol, ids["opp_bob"], None, owner_id=ids["alice"])
        sync("carol")
        sync("alice")
        assert pipeline.get_opportunity(alice, ids["opp_bob"]).next_step == "Send the quote"  # she sees it ...
        pipeline.update_opportunity(alice, ids["opp_bob"], None, next_step="Call on Monday")  # ... and replaces it
        sync("alice")
        with engines["erin"].connect() as hc:
            on_hub = hc.scalar(select(Opportunity.next_step).where(Opportunity.id == ids["opp_bob"]))
        assert (on_hub, pipeline.get_opportunity(alice, ids["opp_bob"]).next_step) == ("Call on Monday",) * 2
    finally:
        for db, _ in laptops.values():
            db.dispose()
