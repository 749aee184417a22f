"""Saving a read card: the contact as a lead of the event, its account, typed phones,
website, address, the card with its image, scored and persona-matched, in one transaction."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from leaddesk.capture.fields import Address, CardFields, Phone
from leaddesk.errors import DuplicateContact, NotFound, ValidationError
from leaddesk.models import Account, Contact, ContactCard
from leaddesk.models.enums import CaptureSource, LeadSource, PhoneKind
from leaddesk.services.capture import capture, events
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import requalify

NOW = dt.datetime(2026, 11, 18, 10, 30, tzinfo=dt.timezone.utc)


def jpeg(color=(200, 180, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), color).save(out, "JPEG", quality=80)
    return out.getvalue()


def card(**kw) -> CardFields:
    base = dict(
        given_name="Ana", family_name="Silva", title="Head of Logistics", company="Lager Nord GmbH",
        emails=["Ana.Silva@Lager-Nord.de"],
        phones=[Phone("0511 123456", "office", raw="Tel. 0511 123456", valid=True),
                Phone("+49 171 2345678", "mobile", raw="Mobil +49 171 2345678"),
                Phone("0511 123457", "fax", raw="Fax 0511 123457")],
        website="www.lager-nord.de",
        address=Address(street="Hafenstraße 4", city="Hannover", postal_code="30159", country="DE"),
        confidence={"given_name": 0.97, "emails": 0.99, "phones": 0.8}, source="ocr",
        raw_text="Ana Silva\nHead of Logistics\nLager Nord GmbH", note="Met at booth B12",
    )
    base.update(kw)
    return CardFields(**base)


def count(db, model) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_card_becomes_a_scored_lead_of_the_event_with_its_card(db):
    show = campaigns.create_campaign(db, name="LogiMAT 2026", kind="trade_show", location="Stuttgart, Germany")
    image = jpeg()
    read = card(given_name="Ana ", confidence={"given_name": 0.41})
    saved = capture.save_capture(db, card(), event_id=show.id, image_jpeg=image, fields_read=read, now=NOW)
    assert saved.created and saved.merge_id is None
    c = contacts.get_contact(db, saved.contact_id)
    assert (c.given_name, c.family_name, c.job_title) == ("Ana", "Silva", "Head of Logistics")
    assert c.source is LeadSource.TRADE_SHOW and c.campaign_id == show.id
    assert c.captured_at == NOW  # starts the follow-up SLA clock
    assert c.owner_id == db.write.actor_id
    assert c.website == "www.lager-nord.de"
    assert (c.street, c.city, c.postal_code, c.country) == ("Hafenstraße 4", "Hannover", "30159", "DE")
    assert c.notes == "Met at booth B12"
    assert [e.address for e in c.emails] == ["Ana.Silva@Lager-Nord.de"]
    assert [(p.e164, p.kind) for p in c.phones] == [
        ("+49511123456", PhoneKind.WORK), ("+491712345678", PhoneKind.MOBILE), ("+49511123457", PhoneKind.FAX)]
    account = accounts.get_account(db, saved.account_id)
    assert account.name == "Lager Nord GmbH" and account.domain == "lager-nord.de"
    with db.reader() as s:
        row = s.get(ContactCard, saved.card_id)
        assert row.contact_id == c.id and row.campaign_id == show.id and row.source is CaptureSource.OCR
        assert base64.b64decode(row.image_b64) == image and row.image_mime == "image/jpeg"
        assert row.image_sha256 == hashlib.sha256(image).hexdigest()
        assert row.raw_text.startswith("Ana Silva") and row.payload is None
        assert row.fields_read["confidence"] == {"given_name": 0.41}  # as read, before corrections
        assert row.created_by == db.write.actor_id
        stored = s.get(Contact, c.id)
        assert stored.created_by == db.write.actor_id
    # scored in the same transaction: requalifying again finds the stored total up to date
    again = requalify.requalify(db, [c.id], now=NOW).of(c.id)
    assert again.total_before == again.score.total


def test_card_image_and_list_cards(db):
    image = jpeg((10, 20, 30))
    saved = capture.save_capture(db, card(), image_jpeg=image, now=NOW)
    assert capture.card_image(db, saved.card_id) == (image, "image/jpeg")
    cards = capture.list_cards(db, saved.contact_id)
    assert [(x.id, x.source, x.captured_at) for x in cards] == [(saved.card_id, CaptureSource.OCR, NOW)]
    bare = capture.save_capture(db, card(emails=[], phones=[], given_name="Bo"), now=NOW)
    with pytest.raises(NotFound):
        capture.card_image(db, bare.card_id)


def test_the_company_goes_to_the_existing_account_of_that_name(db):
    existing = accounts.create_account(db, name="Lager Nord GmbH")
    saved = capture.save_capture(db, card(company="LAGER NORD GMBH"), now=NOW)
    assert saved.account_id == existing.id
    other = capture.save_capture(db, card(company="Hafen Süd AG", emails=["b@hafen.de"], phones=[]), now=NOW)
    assert other.account_id not in (None, existing.id)
    assert count(db, Account) == 2


@pytest.mark.parametrize("kind, source", [("webinar", LeadSource.WEBINAR), ("event", LeadSource.TRADE_SHOW),
                                          ("email", LeadSource.BUSINESS_CARD), (None, LeadSource.BUSINESS_CARD)])
def test_the_lead_source_follows_the_event_kind(db, kind, source):
    event_id = campaigns.create_campaign(db, name="E", kind=kind).id if kind else None
    saved = capture.save_capture(db, card(), event_id=event_id, now=NOW)
    assert contacts.get_contact(db, saved.contact_id).source is source


def test_an_exact_duplicate_is_refused_and_nothing_is_written(db):
    first = capture.save_capture(db, card(), now=NOW)
    before = (count(db, Contact), count(db, Account), count(db, ContactCard))
    with pytest.raises(DuplicateContact) as err:
        capture.save_capture(db, card(given_name="Anna", company="Brand New Co", phones=[]), now=NOW)
    assert err.value.existing_ids == [first.contact_id]
    assert "Ana Silva" in str(err.value) and "same e-mail" in str(err.value)
    with pytest.raises(DuplicateContact):  # the same mobile, printed another way
        capture.save_capture(db, card(emails=[], phones=[Phone("0171 2345678", "mobile")]), now=NOW)
    assert (count(db, Contact), count(db, Account), count(db, ContactCard)) == before
    second = capture.save_capture(db, card(), allow_duplicate=True, now=NOW)
    assert second.contact_id != first.contact_id and second.account_id == first.account_id


def test_a_failure_half_way_leaves_nothing_behind(db):
    with pytest.raises(ValidationError) as err:
        capture.save_capture(db, card(company="Only Once AG"), image_jpeg=b"not a picture", now=NOW)
    assert err.value.field == "image"
    assert (count(db, Contact), count(db, Account), count(db, ContactCard)) == (0, 0, 0)
    with pytest.raises(NotFound):
        capture.save_capture(db, card(), event_id="6f1c5f0e-0000-4000-8000-000000000000", now=NOW)
    with pytest.raises(ValidationError) as err:
        capture.save_capture(db, card(given_name=None, family_name=None), now=NOW)
    assert err.value.field == "given_name"


def test_values_that_are_not_phones_or_emails_are_kept_in_the_notes(db):
    fields = card(emails=["ana(at)lager", "ana@lager-nord.de"], note=None,
                  phones=[Phone("12", "office", raw="Tel 12", valid=False),
                          Phone("+49 30 99999999999", "mobile", valid=False)])
    c = contacts.get_contact(db, capture.save_capture(db, fields, now=NOW).contact_id)
    assert [e.address for e in c.emails] == ["ana@lager-nord.de"]
    # libphonenumber's "invalid" is not a reason to drop a number of a possible length
    assert [p.e164 for p in c.phones] == ["+493099999999999"]
    assert "e-mail ana(at)lager" in c.notes and "office phone Tel 12" in c.notes


def test_numbers_without_code_are_read_in_the_events_country(db):
    show = campaigns.create_campaign(db, name="Salon", kind="trade_show", location="Paris, France")
    fields = card(address=None, emails=["j@x.fr"], phones=[Phone("01 42 68 53 00", "office")])
    c = contacts.get_contact(db, capture.save_capture(db, fields, event_id=show.id, now=NOW).contact_id)
    assert [p.e164 for p in c.phones] == ["+33142685300"]
    assert events.default_region_of_event(db, show.id) == "FR"


def test_the_capture_time_starts_the_follow_up_clock(db):
    from leaddesk.services.followups import sla

    show = campaigns.create_campaign(db, name="Expo", kind="trade_show")
    saved = capture.save_capture(db, card(), event_id=show.id, now=NOW)
    clock = sla.lead_sla(db, saved.contact_id, now=NOW + dt.timedelta(minutes=5))
    assert clock.started_at == NOW and clock.source == "trade_show"
    assert clock.due_at == NOW + dt.timedelta(minutes=clock.target_minutes)
    late = sla.lead_sla(db, saved.contact_id, now=NOW + dt.timedelta(minutes=clock.target_minutes + 1))
    assert late.breached


def test_events_are_found_by_name_or_id_and_listed_running_and_upcoming_first(db):
    today = dt.date(2026, 11, 18)
    past = campaigns.create_campaign(db, name="LogiMAT 2026", kind="trade_show", starts_on=dt.date(2026, 3, 10),
                                     ends_on=dt.date(2026, 3, 12))
    running = campaigns.create_campaign(db, name="Hannover Messe 2026", kind="trade_show",
                                        starts_on=dt.date(2026, 11, 17), ends_on=dt.date(2026, 11, 20),
                                        location="Hannover, Deutschland")
    soon = campaigns.create_campaign(db, name="Webinar: Pick by voice", kind="webinar", starts_on=dt.date(2027, 1, 5))
    undated = campaigns.create_campaign(db, name="Newsletter", kind="email")
    assert events.find_event(db, "logimat 2026").id == past.id
    assert events.find_event(db, "Hannover").id == running.id  # the only name starting so
    assert events.find_event(db, str(soon.id)).id == soon.id
    with pytest.raises(NotFound) as err:
        events.find_event(db, "Logimatt")
    assert "No event called 'Logimatt'" in str(err.value) and "LogiMAT 2026" in str(err.value)
    order = [e.id for e in events.list_events(db, today=today)]
    assert order == [running.id, soon.id, past.id]  # a newsletter is no event
    assert [e.id for e in events.list_events(db, today=today, keep=undated.id)] == [running.id, soon.id, undated.id,
                                                                                     past.id]
    assert events.default_region_of_event(db, running.id) == "DE"
    assert events.default_region_of_event(db, past.id) is None  # no place, no leads yet


@pytest.mark.parametrize("place, code", [("Hannover, Germany", "DE"), ("Wien, Österreich", "AT"), ("DE", "DE"),
                                         ("Las Vegas, NV, USA", "US"), ("Paris (France)", "FR"), ("Hannover", None),
                                         (None, None)])
def test_the_country_of_a_place(place, code):
    assert events.country_of_place(place) == code
