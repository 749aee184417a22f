"""The campaigns screen's list query: each campaign with its leads (attributed contacts),
the contacts captured at it (a card read there) and its cost per lead, in one query; and a
rep, who sees campaigns, may not change them (CONFIG in models/access.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from leaddesk.errors import PermissionDenied
from leaddesk.models import ContactCard, access
from leaddesk.models.enums import CaptureSource
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import contacts
from leaddesk.services.team import users

UTC = dt.timezone.utc


def _card(db, contact_id, campaign_id) -> None:
    with db.unit_of_work() as s:
        s.add(ContactCard(contact_id=contact_id, campaign_id=campaign_id, source=CaptureSource.OCR,
                          captured_at=dt.datetime(2026, 3, 11, 10, tzinfo=UTC), fields_read={}))


def test_campaign_rows_count_leads_captures_and_cost_per_lead(db):
    fair = campaigns.create_campaign(db, name="LogiMAT 2026", kind="trade_show", starts_on="2026-03-10",
                                     ends_on="2026-03-12", location="Stuttgart", cost="3000", currency="EUR")
    webinar = campaigns.create_campaign(db, name="Spring webinar", kind="webinar", starts_on="2026-04-02")
    empty = campaigns.create_campaign(db, name="Evergreen SEO", kind="seo", cost="500", currency="USD")
    gone = campaigns.create_campaign(db, name="Cancelled fair", kind="trade_show", starts_on="2026-05-01")
    people = [contacts.create_contact(db, given_name=f"Lead{i}", family_name="Fair", campaign_id=fair.id)
              for i in range(4)]
    other = contacts.create_contact(db, given_name="Web", family_name="Lead", campaign_id=webinar.id)
    _card(db, people[0].id, fair.id)
    _card(db, people[0].id, fair.id)  # two cards of one person: one capture
    _card(db, people[1].id, fair.id)
    _card(db, other.id, fair.id)  # attributed to the webinar, met at the fair too
    contacts.delete_contact(db, people[3].id)  # a deleted lead counts nowhere
    campaigns.delete_campaign(db, gone.id)

    rows = campaigns.list_campaign_rows(db)
    assert [r.campaign.id for r in rows] == [c.id for c in campaigns.list_campaigns(db)]
    assert [r.campaign.id for r in rows] == [webinar.id, fair.id, empty.id]
    by_id = {r.campaign.id: r for r in rows}
    assert (by_id[fair.id].leads, by_id[fair.id].captured, by_id[fair.id].cost_per_lead) == (3, 3, Decimal("1000.00"))
    assert (by_id[webinar.id].leads, by_id[webinar.id].captured, by_id[webinar.id].cost_per_lead) == (1, 0, None)
    assert (by_id[empty.id].leads, by_id[empty.id].captured, by_id[empty.id].cost_per_lead) == (0, 0, None)
    kpis = campaigns.campaign_kpis(db, fair.id)
    assert (kpis.leads, kpis.cost_per_lead) == (by_id[fair.id].leads, by_id[fair.id].cost_per_lead)
    assert [r.campaign.id for r in campaigns.list_campaign_rows(db, deleted=True)] == [gone.id]


def test_a_rep_sees_campaigns_but_may_not_change_them(db, make_db):
    fair = campaigns.create_campaign(db, name="LogiMAT 2026", kind="trade_show")
    rep = users.create_user(db, "Rita Rep", "rita@example.com", role="rep")
    as_rep = make_db(actor_id=rep.id)
    with as_rep.reader() as s:
        as_rep.write.subject = access.load_subject(s, rep.id)
    assert [r.campaign.id for r in campaigns.list_campaign_rows(as_rep)] == [fair.id]
    with pytest.raises(PermissionDenied) as refused:
        campaigns.update_campaign(as_rep, fair.id, expected_version=fair.version, name="Renamed")
    assert "manager" in str(refused.value).lower()
    with pytest.raises(PermissionDenied):
        campaigns.create_campaign(as_rep, name="My own fair", kind="trade_show")
    assert [c.name for c in campaigns.list_campaigns(db)] == ["LogiMAT 2026"]
