from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from leaddesk.errors import Conflict, NotFound, ValidationError
from leaddesk.models import EngagementEvent
from leaddesk.models.enums import CampaignKind, EngagementKind, LifecycleStage
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import contacts

UTC = dt.timezone.utc


def make_fair(db, **extra):
    data = dict(name="LogiMAT 2025", kind="trade_show", starts_on=dt.date(2025, 3, 11),
                ends_on=dt.date(2025, 3, 13), location="Stuttgart", cost="12000.00", currency="eur")
    data.update(extra)
    return campaigns.create_campaign(db, **data)


def test_campaign_create_update_delete_restore(db):
    c = make_fair(db)
    assert (c.kind, c.cost, c.currency) == (CampaignKind.TRADE_SHOW, Decimal("12000.00"), "EUR")
    c2 = campaigns.update_campaign(db, c.id, expected_version=c.version, cost=Decimal("12500.50"), location=None)
    assert (c2.cost, c2.location, c2.version) == (Decimal("12500.50"), None, c.version + 1)
    campaigns.delete_campaign(db, c.id)
    assert campaigns.list_campaigns(db) == []
    with pytest.raises(NotFound):
        campaigns.get_campaign(db, c.id)
    campaigns.restore_campaign(db, c.id)
    assert [x.id for x in campaigns.list_campaigns(db)] == [c.id]


def test_campaign_list_latest_first_undated_last_and_by_kind(db):
    old = make_fair(db, name="Fair 2024", starts_on="2024-03-01", ends_on="2024-03-02")
    undated = campaigns.create_campaign(db, name="Evergreen SEO", kind=CampaignKind.SEO)
    new = make_fair(db)
    assert [c.id for c in campaigns.list_campaigns(db)] == [new.id, old.id, undated.id]
    assert [c.id for c in campaigns.list_campaigns(db, kind="seo")] == [undated.id]


@pytest.mark.parametrize("extra, field", [
    ({"cost": "-1"}, "cost"),
    ({"cost": 12.5}, "cost"),
    ({"cost": "100", "currency": None}, "currency"),
    ({"currency": "EURO"}, "currency"),
    ({"ends_on": dt.date(2025, 3, 10)}, "ends_on"),
    ({"starts_on": "11.03.2025"}, "starts_on"),
    ({"starts_on": dt.datetime(2025, 3, 11, 9, tzinfo=UTC)}, "starts_on"),
    ({"kind": "carrier_pigeon"}, "kind"),
    ({"kind": None}, "kind"),
    ({"name": "   "}, "name"),
    ({"budget": "1"}, "budget"),
])
def test_campaign_bad_input_is_refused_and_nothing_written(db, extra, field):
    with pytest.raises(ValidationError) as err:
        make_fair(db, **extra)
    assert err.value.field == field
    assert campaigns.list_campaigns(db) == []


def test_campaign_update_checks_dates_against_stored_values_and_versions(db, make_db):
    c = make_fair(db)
    with pytest.raises(ValidationError) as err:
        campaigns.update_campaign(db, c.id, expected_version=c.version, ends_on="2025-03-01")
    assert err.value.field == "ends_on"
    campaigns.update_campaign(make_db(), c.id, expected_version=c.version, name="LogiMAT")
    with pytest.raises(Conflict):
        campaigns.update_campaign(db, c.id, expected_version=c.version, name="Other")
    assert campaigns.get_campaign(db, c.id).name == "LogiMAT"


def test_engagement_recorded_and_listed_newest_first(db):
    fair = make_fair(db)
    ann = contacts.create_contact(db, given_name="Ann")
    t0 = dt.datetime(2025, 3, 11, 10, 0, tzinfo=UTC)
    first = campaigns.record_engagement(db, ann.id, "event_attendance", t0, detail="Booth 4", campaign_id=fair.id)
    tehran = dt.timezone(dt.timedelta(hours=3, minutes=30))
    campaigns.record_engagement(db, ann.id, EngagementKind.PRICING_PAGE_VISIT,
                                dt.datetime(2025, 3, 12, 9, tzinfo=tehran))
    listed = campaigns.list_engagement(db, ann.id)
    assert [e.kind for e in listed] == [EngagementKind.PRICING_PAGE_VISIT, EngagementKind.EVENT_ATTENDANCE]
    assert listed[0].occurred_at == dt.datetime(2025, 3, 12, 5, 30, tzinfo=UTC)
    assert (listed[1].id, listed[1].campaign_id, listed[1].detail) == (first.id, fair.id, "Booth 4")
    assert len(campaigns.list_engagement(db, ann.id, limit=1)) == 1


def _engagement_rows(db) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(EngagementEvent))


@pytest.mark.parametrize("kind, occurred_at, field", [
    ("site_visit", dt.datetime(2025, 3, 11, 10, 0), "occurred_at"),
    ("site_visit", dt.date(2025, 3, 11), "occurred_at"),
    ("mind_reading", dt.datetime(2025, 3, 11, 10, 0, tzinfo=UTC), "kind"),
])
def test_engagement_bad_input_is_refused(db, kind, occurred_at, field):
    ann = contacts.create_contact(db, given_name="Ann")
    with pytest.raises(ValidationError) as err:
        campaigns.record_engagement(db, ann.id, kind, occurred_at)
    assert err.value.field == field
    assert _engagement_rows(db) == 0


def test_engagement_unknown_contact_or_campaign_is_not_found(db):
    ann = contacts.create_contact(db, given_name="Ann")
    at = dt.datetime(2025, 3, 11, 10, 0, tzinfo=UTC)
    with pytest.raises(NotFound):
        campaigns.record_engagement(db, uuid.uuid4(), "site_visit", at)
    with pytest.raises(NotFound):
        campaigns.record_engagement(db, ann.id, "site_visit", at, campaign_id=uuid.uuid4())
    assert _engagement_rows(db) == 0


def test_campaign_kpis_cost_per_lead_and_per_customer(db):
    fair = make_fair(db, cost="1000.00")
    other = make_fair(db, name="Webinar", kind="webinar", cost="10.00")
    people = [contacts.create_contact(db, given_name=f"Lead {i}", campaign_id=fair.id) for i in range(3)]
    contacts.change_stage(db, people[0].id, LifecycleStage.CUSTOMER)
    contacts.change_stage(db, people[1].id, LifecycleStage.SQL)
    gone = contacts.create_contact(db, given_name="Deleted", campaign_id=fair.id)
    contacts.change_stage(db, gone.id, LifecycleStage.CUSTOMER)
    contacts.delete_contact(db, gone.id)
    contacts.create_contact(db, given_name="Elsewhere", campaign_id=other.id)

    kpis = campaigns.campaign_kpis(db, fair.id)
    assert (kpis.leads, kpis.customers) == (3, 1)
    assert kpis.cost_per_lead == Decimal("333.33")
    assert kpis.cost_per_acquisition == Decimal("1000.00")
    assert (kpis.cost, kpis.currency) == (Decimal("1000.00"), "EUR")

    contacts.change_stage(db, people[1].id, LifecycleStage.CUSTOMER)
    assert campaigns.campaign_kpis(db, fair.id).cost_per_acquisition == Decimal("500.00")


def test_campaign_kpis_none_when_nothing_to_divide(db):
    empty = make_fair(db)
    kpis = campaigns.campaign_kpis(db, empty.id)
    assert (kpis.leads, kpis.customers, kpis.cost_per_lead, kpis.cost_per_acquisition) == (0, 0, None, None)
    free = campaigns.create_campaign(db, name="Referral push", kind="other")
    contacts.create_contact(db, given_name="Ann", campaign_id=free.id)
    kpis = campaigns.campaign_kpis(db, free.id)
    assert (kpis.leads, kpis.cost_per_lead) == (1, None)
