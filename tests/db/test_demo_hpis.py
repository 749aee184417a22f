"""The demo's high-probability indicators are rules that some demo leads meet, so a
newcomer sees them met on the lead view and in ``leaddesk leads`` (small scale, both engines)."""

from __future__ import annotations

import datetime as dt

from leaddesk.services.demo import generate as demo
from leaddesk.services.qualification import hpi_reach, indicators, leads
from leaddesk.services.qualification.lead_view import lead_view

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)


def test_demo_hpis_are_rules_some_leads_meet(db):
    summary = demo.generate(db, "small", seed=7, now=NOW)
    assert summary.indicators == 5
    hpis = indicators.list_indicators(db, active_only=True)
    assert len(hpis) == indicators.MAX_ACTIVE
    by_name = {h.name: h for h in hpis}
    assert not by_name["Competitor contract ends this year"].checkable  # written only
    assert by_name["Visited pricing twice in 14 days"].criterion == "engagement"
    reach = hpi_reach.leads_meeting(db, now=NOW)
    for h in hpis:
        if h.checkable:  # each separates leads: met by some, not by all
            assert 0 < reach.met[h.id] < reach.leads, h.name
    listed = leads.list_leads(db, limit=None, now=NOW)
    best = max(listed, key=lambda r: len(r.hpis_met))
    assert len(best.hpis_met) >= 3
    view = lead_view(db, best.id, now=NOW)
    assert [i.name for i in view.indicators_met] == list(best.hpis_met)
    assert len(view.indicators) == 5
