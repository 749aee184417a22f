"""Pin: on a laptop, an edit of EVERY synced field of EVERY synced entity lands in the
outbox, holding the new value. The tables and fields come from the sync protocol's own list
(``protocol.entities()``, built from the models), so a field added later is covered
without touching this test.

Each field gets a new value the database accepts: preferably another row's value of the
same column (a real, valid value), else one made from the column's type. Every edit goes
through the ORM session of the laptop's ``unit_of_work``, the one write path."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.types import JSON

from leaddesk.models import Contact, ContactCard, Outbox
from leaddesk.models.enums import CaptureSource
from leaddesk.services.demo import generate as demo
from leaddesk.services.people import duplicates
from leaddesk.services.qualification import scoring
from leaddesk.services import settings as team_settings
from leaddesk.sync.field_values import encode
from leaddesk.sync.protocol import entities


def _fill(db) -> None:
    """Demo data, plus a row of the synced tables the demo leaves empty."""
    demo.generate(db, "small", now=dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    scoring.seed_default_rules(db)
    team_settings.set_setting(db, "lead_cap", 400)
    duplicates.detect(db)
    for cand in duplicates.list_candidates(db)[:1]:
        duplicates.merge(db, cand.a.id, cand.b.id)
    with db.unit_of_work() as s:  # a card kept on a contact (the capture service makes these)
        if s.scalar(select(func.count()).select_from(ContactCard)) < 2:
            for contact_id in s.scalars(select(Contact.id).where(Contact.deleted.is_(False)).limit(2)):
                s.add(ContactCard(contact_id=contact_id, source=CaptureSource.OCR, raw_text="Ana Silva\nCTO",
                                  captured_at=dt.datetime.now(dt.timezone.utc), fields_read={"title": "CTO"}))


def _kind(type_):
    """The column type's Python type (a TypeDecorator without its own: its impl's)."""
    try:
        kind = type_.python_type
    except NotImplementedError:
        kind = object
    impl = getattr(type_, "impl_instance", None)
    if kind is object and impl is not None:
        return _kind(impl)
    return kind


def _candidates(s, spec, name, column, row_id, current):
    """New values to try for ``name`` of row ``row_id``, best first."""
    out = []
    # another row's value of the same column (keeps to what the app itself writes)
    others = s.execute(select(column).where(column.isnot(None), spec.table.c.id != row_id)
                       .group_by(column).limit(5) if not isinstance(column.type, JSON)
                       else select(column).where(spec.table.c.id != row_id).limit(20)).scalars().all()
    for fk in column.foreign_keys:  # a reference: another row of the referenced table
        target = fk.column
        others = list(s.execute(select(target).where(target != current, target != row_id).limit(5)).scalars())
    out += [o for o in others if encode(o) != encode(current)]
    kind = _kind(column.type)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        out += [m for m in kind if m != current]
    elif kind is bool:
        out.append(not current)
    elif kind is int:
        base = current or 0
        out += [base + 1, base - 1, 1, 0]
    elif kind is Decimal:
        out += [(current or Decimal(0)) + Decimal("1.15"), Decimal("19.99")]
    elif kind is dt.datetime:
        out += [(current or dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)) + dt.timedelta(days=1, seconds=1)]
    elif kind is dt.date:
        out += [(current or dt.date(2026, 1, 1)) + dt.timedelta(days=1)]
    elif kind is uuid.UUID:
        out += [uuid.uuid4()]
    elif kind is str:
        length = getattr(column.type, "length", None)
        text = (current or "") + " pinned"
        if length:
            text = text[-length:] if len(text) > length else text
        out += [text, "Pinned"[: length or 6]]
    elif isinstance(current, dict):
        out += [{**current, "pinned": True}]
    elif isinstance(current, list):
        out += [[*current, "pinned"]]
    else:
        out += [{"pinned": True}, ["pinned"]]
    return out


def _outbox_values(db, table, row_id, field):
    with db.engine.connect() as conn:
        return list(conn.scalars(select(Outbox.value).where(
            Outbox.entity == table, Outbox.row_id == row_id, Outbox.field == field)))


def test_every_synced_field_edit_lands_in_the_laptop_outbox(make_replica):
    laptop = make_replica("laptop", real_clock=True)
    _fill(laptop)
    specs = entities()
    assert specs, "the protocol lists no synced table"
    covered, missing = [], []
    for table, spec in specs.items():
        with laptop.reader() as s:
            row_id = s.scalar(select(spec.table.c.id).where(spec.table.c.deleted.is_(False))
                              .order_by(spec.table.c.id).limit(1))
        assert row_id is not None, f"no {table} row to edit: give the fixture one"
        for name, column in spec.fields.items():
            done = False
            with laptop.reader() as s:
                current = getattr(s.get(spec.model, row_id), name)
                tries = _candidates(s, spec, name, column, row_id, current)
            for value in tries:
                try:
                    with laptop.unit_of_work() as s:
                        setattr(s.get(spec.model, row_id), name, value)
                except Exception:  # noqa: BLE001 - not a value this column takes: try the next
                    continue
                with laptop.reader() as s:
                    now = getattr(s.get(spec.model, row_id), name)
                if encode(now) == encode(current):
                    continue
                done = True
                if encode(now) in _outbox_values(laptop, table, row_id, name):
                    covered.append((table, name))
                else:
                    missing.append((table, name, encode(now)))
                break
            if not done:
                missing.append((table, name, "no new value could be saved: extend _candidates"))
    assert not missing, f"edits not journalled to the outbox: {missing}"
    total = sum(len(spec.fields) for spec in specs.values())
    assert len(covered) == total
    with laptop.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Outbox)) >= total
