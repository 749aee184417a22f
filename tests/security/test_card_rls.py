"""A contact's cards follow the contact's row-level security on the team server (revision
0014, rule Child("contact")): a rep using her own PostgreSQL login with raw SQL reads the
cards of the contacts she may see and adds cards only to contacts she may change."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.models import ContactCard
from leaddesk.models.enums import CaptureSource

pytestmark = pytest.mark.postgres

NOW = dt.datetime(2026, 12, 6, 12, tzinfo=dt.timezone.utc)
INSERT = """
INSERT INTO contact_card (id, contact_id, source, captured_at, fields_read, raw_text, created_at, updated_at,
                          version, deleted, hlc, node)
VALUES (:id, :contact, 'ocr', now(), '{}', 'forged', now(), now(), 1, false, 1, :node)
"""


def _cards(su_url, ids) -> dict[str, uuid.UUID]:
    su = Database(make_engine(su_url), WriteContext(node=uuid.uuid4()))
    out = {}
    try:
        with su.unit_of_work() as s:
            for who in ("alice", "bob", "dave", "nobody"):
                card = ContactCard(contact_id=ids[f"contact_{who}"], source=CaptureSource.QR, captured_at=NOW,
                                   payload=f"BEGIN:VCARD\nFN:{who}\nEND:VCARD", fields_read={})
                s.add(card)
                s.flush()
                out[who] = card.id
    finally:
        su.dispose()
    return out


def test_a_rep_reads_and_adds_cards_only_as_the_contact_allows(pg_team, hub_url):
    ids, engines, _ = pg_team
    cards = _cards(hub_url, ids)
    alice = engines["alice"]
    with alice.connect() as conn:
        seen = set(conn.scalars(text("SELECT id FROM contact_card")))
    # her own, her team-mate Bob's and the unowned pool's; never the other team's (Dave)
    assert seen == {cards["alice"], cards["bob"], cards["nobody"]}
    with alice.connect() as conn:
        assert conn.scalar(text("SELECT payload FROM contact_card WHERE id = :i"), {"i": cards["dave"]}) is None

    for who in ("dave", "bob"):  # a contact she cannot see, one she sees but may not change
        with pytest.raises(DBAPIError, match="row-level security|permission denied|violates"):
            with alice.begin() as conn:
                conn.execute(text(INSERT), {"id": uuid.uuid4(), "contact": ids[f"contact_{who}"],
                                            "node": uuid.uuid4()})
        with pytest.raises(DBAPIError, match="row-level security|permission denied|violates"):
            with alice.begin() as conn:  # nor move her own card onto it
                conn.execute(text("UPDATE contact_card SET contact_id = :c WHERE id = :i"),
                             {"c": ids[f"contact_{who}"], "i": cards["alice"]})
    with alice.begin() as conn:  # nor change another's card: the row is not hers to change
        n = conn.execute(text("UPDATE contact_card SET raw_text = 'x' WHERE id IN (:d, :b)"),
                         {"d": cards["dave"], "b": cards["bob"]}).rowcount
    assert n == 0

    own = uuid.uuid4()
    with alice.begin() as conn:
        conn.execute(text(INSERT), {"id": own, "contact": ids["contact_alice"], "node": uuid.uuid4()})
    with alice.connect() as conn:
        assert conn.scalar(text("SELECT raw_text FROM contact_card WHERE id = :i"), {"i": own}) == "forged"
    with engines["dave"].connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM contact_card WHERE id IN (:a, :o)"),
                           {"a": cards["alice"], "o": own}) == 0


def test_a_rep_cannot_log_a_forged_change_of_a_card_she_may_not_change(pg_team, hub_url):
    """The sync tables name contact_card too (revision 0014): a change-log row about another
    team's card, or a deletion of a teammate's, is refused from her own login in raw SQL; the
    same statement about her own contact's card is accepted (the control)."""
    from tests.security.test_attacks import INSERT_LOG, _log_row

    ids, engines, logins = pg_team
    cards = _cards(hub_url, ids)
    for target, field, value in (("dave", "raw_text", '"forged"'), ("bob", "deleted", "true"),
                                 ("dave", "*", "{}")):
        row = _log_row(ids, "alice", row_id=cards[target], entity="contact_card", field=field, value=value,
                       pushed_by=logins["alice"])
        with pytest.raises(DBAPIError):
            with engines["alice"].begin() as conn:
                conn.execute(text(INSERT_LOG), row)
    mine = _log_row(ids, "alice", row_id=cards["alice"], entity="contact_card", field="raw_text",
                    value='"fixed"', pushed_by=logins["alice"])
    with engines["alice"].begin() as conn:
        conn.execute(text(INSERT_LOG), mine)
