"""The demo's trade-show captures: leads made through the capture services from real inputs
(badge QR payloads, a .vcf), each with its card, the show as campaign and source, a capture
time during the show, and the score and persona the qualification engine gives."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from leaddesk.capture.vcard import parse_payload
from leaddesk.models import Campaign, Contact, ContactCard
from leaddesk.models.enums import CampaignKind, CaptureSource, LeadSource
from leaddesk.services.capture import capture
from leaddesk.services.demo import _captures
from leaddesk.services.demo import generate as demo
from leaddesk.services.marketing import campaigns
from leaddesk.services.qualification import requalify

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)


def captured(db, event_id):
    with db.reader() as s:
        return s.execute(select(Contact, ContactCard).join(ContactCard, ContactCard.contact_id == Contact.id)
                         .where(Contact.campaign_id == event_id).order_by(ContactCard.captured_at)).all()


@pytest.mark.parametrize("scale_note", ["small"])
def test_the_demo_captures_leads_at_its_latest_trade_show(db, scale_note):
    summary = demo.generate(db, scale_note, seed=7, now=NOW, captures=True)
    assert summary.contacts == 1_000  # the snapshot's counts; captures come on top
    show = _captures.latest_trade_show(db, NOW)
    with db.reader() as s:
        event = s.get(Campaign, show.id)
        assert event.kind is CampaignKind.TRADE_SHOW and event.cost is not None
    rows = captured(db, show.id)
    assert len(rows) == len(_captures.BADGES) + 2
    sources = [card.source for _, card in rows]
    assert sources.count(CaptureSource.QR) == 4 and sources.count(CaptureSource.VCARD) == 2
    opened = dt.datetime.combine(show.starts_on, dt.time(0), tzinfo=dt.timezone.utc)
    for contact, card in rows:
        assert contact.source is LeadSource.TRADE_SHOW and contact.owner_id == db.write.actor_id
        assert opened <= contact.captured_at <= NOW and card.captured_at == contact.captured_at
        assert card.payload and card.fields_read["source"] == card.source.value
        if card.source is CaptureSource.QR:
            assert capture.card_image(db, card.id)[1] == "image/jpeg"
    ids = [c.id for c, _ in rows]
    again = requalify.requalify(db, ids, now=NOW)
    for r in again.contacts:  # stored score and persona are what the engine gives
        assert r.total_before == r.score.total and r.persona_before == r.persona_id
    assert any(r.persona_id is not None for r in again.contacts)


def test_badges_are_read_back_from_their_photos_by_the_qr_reader(db):
    show = campaigns.create_campaign(db, name="Expo", kind="trade_show", starts_on=dt.date(2026, 11, 2),
                                     location="Hamburg, Germany", cost="18000", currency="EUR")
    assert _captures.add_captured_leads(db, now=NOW, read_codes=True) == len(_captures.BADGES) + 2
    rows = [(c, card) for c, card in captured(db, show.id) if card.source is CaptureSource.QR]
    assert [card.payload for _, card in rows] == [b[0] for b in _captures.BADGES]
    for (contact, card), (payload, _, _) in zip(rows, _captures.BADGES):
        read = parse_payload(payload)
        assert contact.given_name == read.given_name and contact.family_name == read.family_name
    # run again (a second `demo --force`): the same people are not captured twice
    assert _captures.add_captured_leads(db, now=NOW) == 0


def test_the_large_demo_reads_printed_cards_with_the_ocr_engine(db):
    show = campaigns.create_campaign(db, name="Expo", kind="trade_show", starts_on=dt.date(2026, 11, 2))
    assert _captures.add_captured_leads(db, now=NOW, ocr=True) == len(_captures.BADGES) + 2 + 2
    rows = [(c, card) for c, card in captured(db, show.id) if card.source is CaptureSource.OCR]
    assert sorted((c.display_name, c.job_title) for c, _ in rows) == [
        ("Ingrid Solberg", "Logistics Manager"), ("Thomas Keller", "Leiter Einkauf")]
    for contact, card in rows:
        assert card.raw_text and card.fields_read["confidence"]["emails"] > 0.9
        assert capture.card_image(db, card.id)[1] == "image/jpeg"
