"""The bulk rescore run by a rep's own database login on the team server (the app opened
on the hub with her login): it changes only the rows she may change. The app's rules
refuse a batch holding a colleague's lead first; with those rules out of the way (a
tampered client), the server's row-level security refuses the rows, and the app then
writes nothing of the batch: no score, no change-log row, no clock."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select, text

from leaddesk.bootstrap import open_database
from leaddesk.config import Settings
from leaddesk.db import Database, WriteContext, make_engine
from leaddesk.errors import PermissionDenied
from leaddesk.models import ChangeLog, Contact, HubFieldVersion
from leaddesk.services.people import contacts
from leaddesk.services.qualification import scoring
from tests.sync.team import PASSWORD

NOW = dt.datetime(2026, 12, 6, 12, tzinfo=dt.timezone.utc)
WHO = ("alice", "bob", "nobody", "dave")


def _state(su: Database, ids) -> tuple[dict, int, int]:
    """Fit of each person's contact, score change-log rows, score clocks (as the superuser)."""
    rows = {ids[f"contact_{w}"]: w for w in WHO}
    with su.reader() as s:
        fits = {rows[i]: f for i, f in s.execute(select(Contact.id, Contact.fit_score).where(Contact.id.in_(rows)))}
        log = s.scalar(select(text("count(*)")).select_from(ChangeLog).where(ChangeLog.field == "fit_score"))
        clocks = s.scalar(select(text("count(*)")).select_from(HubFieldVersion)
                          .where(HubFieldVersion.field == "fit_score"))
    return fits, log, clocks


@pytest.mark.postgres
def test_a_reps_own_login_rescores_only_what_she_may_change(pg_team, hub_url):
    ids, _, logins = pg_team
    su = Database(make_engine(hub_url), WriteContext(node=uuid.uuid4()))
    url = make_engine(hub_url, check=False).url.set(username=logins["alice"], password=PASSWORD)
    alice = open_database(Settings(db_url=url.render_as_string(hide_password=False)), upgrade=False)
    try:
        scoring.rescore_all(su, now=NOW)  # whatever the default rules say, settled first
        scoring.create_rule(su, name="Germany", criterion="country_in", points=10, params={"values": ["DE"]})
        for w in WHO:
            contacts.update_contact(su, ids[f"contact_{w}"], expected_version=None, country="DE")
        start = _state(su, ids)
        assert start[0] == dict.fromkeys(WHO, 0)

        # Bob's lead (her team's: she sees it, may not change it) needs a new score too
        with pytest.raises(PermissionDenied):
            scoring.rescore_all(alice, now=NOW)
        assert _state(su, ids) == start

        # a client without the in-app rules: the server refuses Bob's row, the app the batch
        subject, alice.write.subject = alice.write.subject, None
        try:
            with pytest.raises(PermissionDenied):
                scoring.rescore_all(alice, now=NOW)
        finally:
            alice.write.subject = subject
        assert _state(su, ids) == start

        contacts.update_contact(su, ids["contact_bob"], expected_version=None, country=None)
        start = _state(su, ids)
        result = scoring.rescore_all(alice, now=NOW)
        fits, log, clocks = _state(su, ids)
        assert result.changed == 2  # hers and the team's pool; Dave's (other team) unseen
        assert fits == {"alice": 10, "nobody": 10, "bob": 0, "dave": 0}
        assert (log - start[1], clocks - start[2]) == (2, 2)
        with su.reader() as s:
            rows = s.execute(select(ChangeLog.row_id, ChangeLog.author, ChangeLog.pushed_by)
                             .where(ChangeLog.field == "fit_score", ChangeLog.value == "10")).all()
        assert sorted(rows) == sorted((ids[f"contact_{w}"], ids["alice"], logins["alice"])
                                      for w in ("alice", "nobody"))
    finally:
        alice.dispose()
        su.dispose()
