"""Demo data: counts, reproducibility, validity and journal, at small scale on both engines."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from leaddesk import migrate
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import ValidationError
from leaddesk.models import (
    SYNCED_MODELS,
    Account,
    Activity,
    Contact,
    ContactEmail,
    ContactPhone,
    LifecycleEvent,
    Opportunity,
    Outbox,
    Pipeline,
    PipelineStage,
    SearchDoc,
)
from leaddesk.services.demo import _normalizer
from leaddesk.services.demo import generate as demo
from leaddesk.services.people import search
from leaddesk.services.team import setup
from leaddesk.services import validation as v
from leaddesk.clock import HybridClock

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@pytest.fixture
def demo_db(db):
    summary = demo.generate(db, "small", seed=7, now=NOW)
    return db, summary


def _count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def test_demo_small_counts_match_summary(db):
    with db.reader() as s:
        before = {m.__tablename__: _count(s, m) for m in SYNCED_MODELS}
    steps: list[str] = []
    summary = demo.generate(db, "small", seed=7, now=NOW, progress=lambda step, done, total: steps.append(step))
    assert (summary.contacts, summary.accounts, summary.opportunities, summary.activities) == (1_000, 300, 200, 2_000)
    tables = {"teams": "team", "users": "app_user", "pipelines": "pipeline", "pipeline_stages": "pipeline_stage",
              "campaigns": "campaign", "personas": "persona", "indicators": "indicator", "accounts": "account",
              "contacts": "contact", "contact_emails": "contact_email", "contact_phones": "contact_phone",
              "lifecycle_events": "lifecycle_event", "engagement_events": "engagement_event",
              "opportunities": "opportunity", "opportunity_events": "opportunity_event", "bant": "bant",
              "activities": "activity", "settings": "team_setting"}
    with db.reader() as s:
        after = {m.__tablename__: _count(s, m) for m in SYNCED_MODELS}
    for name, count in summary.counts.items():
        assert after[tables[name]] - before[tables[name]] == count, name
    assert summary.rows == sum(after.values()) - sum(before.values())
    assert {"accounts", "contacts", "activities"} <= set(steps)
    # realistic shape: most leads never qualify, some 2nd e-mails/phones, loose leads
    with db.reader() as s:
        stages = dict(s.execute(select(Contact.lifecycle_stage, func.count()).group_by(Contact.lifecycle_stage)).all())
        assert stages["lead"] + stages["iql"] == 550 and stages["mql"] == 150 and stages["disqualified"] == 80
        assert s.scalar(select(func.count()).select_from(Contact).where(Contact.account_id.is_(None))) > 100
        two_emails = select(ContactEmail.contact_id).group_by(ContactEmail.contact_id).having(func.count() > 1)
        two_phones = select(ContactPhone.contact_id).group_by(ContactPhone.contact_id).having(func.count() > 1)
        assert s.scalar(select(func.count()).select_from(two_emails.subquery())) > 10
        assert s.scalar(select(func.count()).select_from(two_phones.subquery())) > 10
        outcomes = dict(s.execute(select(Activity.outcome, func.count()).group_by(Activity.outcome)).all())
        assert outcomes.get("no_show", 0) > 0 and outcomes.get("completed", 0) > 500
        statuses = dict(s.execute(select(Opportunity.status, func.count()).group_by(Opportunity.status)).all())
        assert statuses == {"open": 150, "won": 24, "lost": 26}
        assert s.scalar(select(func.count()).select_from(Opportunity)
                        .where(Opportunity.status == "lost", Opportunity.lost_reason_id.is_(None))) == 0


def test_demo_lifecycle_history_matches_each_contact(demo_db):
    db, _ = demo_db
    with db.reader() as s:
        last = {}
        for cid, frm, to in s.execute(select(LifecycleEvent.contact_id, LifecycleEvent.from_stage,
                                             LifecycleEvent.to_stage).order_by(LifecycleEvent.at, LifecycleEvent.id)):
            assert frm == last.get(cid), "each event starts where the previous one ended"
            last[cid] = to
        current = dict(s.execute(select(Contact.id, Contact.lifecycle_stage)).all())
    assert last == current


def _projection(db: Database) -> dict:
    """What a user sees of the demo, without ids and bookkeeping."""
    with db.reader() as s:
        emails, phones = {}, {}
        for cid, address in s.execute(select(ContactEmail.contact_id, ContactEmail.address)):
            emails.setdefault(cid, []).append(address)
        for cid, raw in s.execute(select(ContactPhone.contact_id, ContactPhone.raw)):
            phones.setdefault(cid, []).append(raw)
        contacts = sorted(
            (c.display_name, c.job_title or "", c.seniority.value, c.country, c.city or "", c.lifecycle_stage.value,
             c.source.value, c.captured_at, tuple(sorted(emails.get(c.id, ()))), tuple(sorted(phones.get(c.id, ()))))
            for c in s.scalars(select(Contact))
        )
        accounts = sorted(s.execute(select(Account.name, Account.domain, Account.industry, Account.employees,
                                           Account.annual_revenue, Account.revenue_currency)).all())
        opps = sorted(s.execute(
            select(Opportunity.name, Opportunity.amount, Opportunity.currency, Opportunity.status,
                   Opportunity.expected_close_date, PipelineStage.name, Pipeline.name)
            .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
            .join(Pipeline, Pipeline.id == Opportunity.pipeline_id)).all())
        activities = sorted(s.execute(select(Activity.kind, Activity.subject, Activity.outcome, Activity.due_at,
                                             Activity.done_at)).all(), key=repr)
    return {"contacts": contacts, "accounts": accounts, "opportunities": opps, "activities": activities}


@pytest.fixture
def second_db(db_url, tmp_path, sqlite_template):
    """Another empty, migrated database on the same engine as ``db_url``."""
    if db_url.startswith("sqlite"):
        path = tmp_path / "second.sqlite3"
        shutil.copyfile(sqlite_template, path)
        url, drop = f"sqlite:///{path}", None
    else:
        name = f"leaddesk_test_demo_{uuid.uuid4().hex[:10]}"
        admin = create_engine(make_url(db_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(db_url).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        drop = (admin, name)
    database = Database(make_engine(url), WriteContext(node=uuid.uuid4(), clock=HybridClock()))
    setup.initialize(database, admin_name="Ada Admin", admin_email="ada@example.com")
    yield database
    database.dispose()
    if drop:
        admin, name = drop
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_demo_same_seed_same_data(demo_db, second_db):
    db, _ = demo_db
    demo.generate(second_db, "small", seed=7, now=NOW)
    first, second = _projection(db), _projection(second_db)
    assert first == second
    assert len(first["contacts"]) == 1_000 and len(first["opportunities"]) == 200


def test_demo_other_seed_other_names(db):
    a = demo.generate(db, "small", seed=7, now=NOW)
    with db.reader() as s:
        names_7 = set(s.scalars(select(Contact.display_name)))
    b = demo.generate(db, "small", seed=8, now=NOW, force=True)
    assert a.contacts == b.contacts == 1_000
    with db.reader() as s:
        assert _count(s, Contact) == 2_000
        names = list(s.scalars(select(Contact.display_name)))
    assert len(set(names) - names_7) > 300
    # a forced second run reuses the demo team, pipelines and campaigns instead of doubling them
    assert b.users == b.pipelines == b.campaigns == 0


def test_demo_phones_are_e164_and_emails_valid(demo_db):
    db, _ = demo_db
    with db.reader() as s:
        phones = s.execute(select(ContactPhone.raw, ContactPhone.e164, Contact.country)
                           .join(Contact, Contact.id == ContactPhone.contact_id)).all()
        emails = s.execute(select(ContactEmail.address, ContactEmail.address_normalized)).all()
        account_phones = list(s.scalars(select(Account.phone).where(Account.phone.is_not(None))))
    assert len(phones) > 500 and len(emails) > 900 and len(account_phones) > 200
    for raw, e164, country in phones:
        assert E164.match(e164), e164
        assert v.normalize_phone(raw, region=country) == (raw, e164)
    for number in account_phones:
        assert E164.match(number) and v.normalize_phone(number)[1] == number
    for address, normalized in emails:
        assert v.normalize_email(address)[1] == normalized
        assert normalized.isascii() and normalized == normalized.lower()
    assert len({n for _, n in emails}) == len(emails), "no two demo contacts share an e-mail"


def test_demo_opportunities_are_consistent(demo_db):
    db, _ = demo_db
    with db.reader() as s:
        rows = s.execute(
            select(Opportunity.amount, Opportunity.currency, Pipeline.currency, PipelineStage.pipeline_id,
                   Opportunity.pipeline_id, Account.id, Opportunity.status, Opportunity.closed_at)
            .join(Account, Account.id == Opportunity.account_id)
            .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
            .join(Pipeline, Pipeline.id == Opportunity.pipeline_id)).all()
        pipelines = set(s.scalars(select(Pipeline.name)))
    assert len(rows) == 200, "every opportunity has an existing account, stage and pipeline"
    for amount, currency, pipe_currency, stage_pipe, pipe, _acct, status, closed_at in rows:
        assert isinstance(amount, Decimal) and amount >= 0
        assert currency == pipe_currency and stage_pipe == pipe
        assert (closed_at is None) == (status == "open")
    assert {"Sales", "Renewals", "Partnerships"} <= pipelines


def _scripts(names) -> set[str]:
    found = set()
    for name in names:
        if any("\u0e00" <= ch <= "\u0e7f" for ch in name):
            found.add("thai")
        if any("\u0600" <= ch <= "\u06ff" for ch in name):
            # Persian letters that Arabic does not use: پ چ ژ گ and Persian yeh/keheh
            found.add("persian" if any(ch in "پچژگیک" for ch in name) else "arabic")
        if any(ch in "ıİşŞğĞ" for ch in name):
            found.add("turkish")
        if name.isascii():
            found.add("latin")
    return found


def test_demo_names_cover_persian_arabic_thai_turkish(demo_db):
    db, _ = demo_db
    with db.reader() as s:
        names = list(s.scalars(select(Contact.display_name)))
        countries = set(s.scalars(select(Contact.country)))
        companies = list(s.scalars(select(Account.name)))
    assert {"persian", "arabic", "thai", "turkish", "latin"} <= _scripts(names)
    assert {"persian", "arabic", "thai"} <= _scripts(companies)
    assert {"IR", "SA", "TR", "TH", "US", "DE", "FR", "ES"} <= countries


def test_demo_refuses_a_database_with_contacts(demo_db):
    db, _ = demo_db
    with pytest.raises(ValidationError, match="already holds contacts"):
        demo.generate(db, "small", seed=7, now=NOW)
    with db.reader() as s:
        assert _count(s, Contact) == 1_000


def test_demo_cancel_writes_nothing(db):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(demo.DemoCancelled):
        demo.generate(db, "small", cancel=cancel, now=NOW)
    with db.reader() as s:
        assert _count(s, Contact) == 0 and _count(s, Account) == 0


def test_demo_is_a_snapshot_stamped_but_not_queued_in_the_outbox(db):
    """Demo rows carry the writer's creation clock (hlc/node) like any insert, but are not
    changes to push: the outbox keeps only what ``setup.initialize`` queued."""
    with db.reader() as s:
        queued = _count(s, Outbox)
        before = {m.__tablename__: set(s.scalars(select(m.id))) for m in SYNCED_MODELS}
    summary = demo.generate(db, "small", seed=7, now=NOW)
    with db.reader() as s:
        assert _count(s, Outbox) == queued
        new_rows = 0
        for model in SYNCED_MODELS:
            rows = s.execute(select(model.id, model.hlc, model.node, model.version, model.created_by)).all()
            fresh = [r for r in rows if r.id not in before[model.__tablename__]]
            new_rows += len(fresh)
            assert all(r.node == db.write.node and r.hlc > 0 and r.version == 1 for r in fresh), model.__tablename__
            assert all(r.created_by == db.write.actor_id for r in fresh), model.__tablename__
        # the search index was built for the loaded rows (once, at the end of the load)
        docs = dict(s.execute(select(SearchDoc.entity, func.count()).group_by(SearchDoc.entity)).all())
    assert new_rows == summary.rows
    assert docs["contact"] >= 1_000 and docs["account"] >= 300 and docs["opportunity"] >= 200
    hits = search.search(db, _first_contact_name(db))
    assert any(h.entity == "contact" for h in hits)


def _first_contact_name(db: Database) -> str:
    with db.reader() as s:
        return s.scalar(select(Contact.family_name).where(Contact.family_name.is_not(None))
                        .order_by(Contact.name_key).limit(1))


def test_demo_normalizer_worker_matches_in_process(monkeypatch):
    """The large demo normalises e-mails and phones in a worker process: same results."""
    emails = ["Ada.Lovelace@Example.com", "mehmet.yilmaz@anadolulojistik.com.tr"]
    phones = [("030 1234567", "DE"), ("0912 345 6789", "IR"), ("(212) 555-0147", "US"), ("02 123 4567", "TH")]
    monkeypatch.setattr(_normalizer._Normalizer, "PARALLEL_MIN", 0)
    worker = _normalizer._Normalizer(emails, phones)
    assert worker.proc is not None
    try:
        got = worker.results()
    finally:
        worker.close()
    assert got == (_normalizer._normalize_batch("email", emails), _normalizer._normalize_batch("phone", phones))
    assert got[1][1] == ("0912 345 6789", "+989123456789")
