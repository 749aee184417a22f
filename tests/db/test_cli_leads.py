"""`leaddesk leads` and `leaddesk rescore`, run in-process on both engines, with the
default rules `init` seeds: the reasons a rep reads, negative points, filters, bad input."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import event, select

from leaddesk import cli
from leaddesk.models import Contact
from leaddesk.models.enums import Role
from leaddesk.services.marketing import campaigns
from leaddesk.services.people import accounts, contacts
from leaddesk.services.qualification import leads, scoring
from leaddesk.services.team import users


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ago(days: float) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)


@pytest.fixture
def team(db, db_url, tmp_path, monkeypatch):
    """Three leads: a hot director at a logistics firm, a student job seeker, and a lead of
    another rep's with nothing known."""
    monkeypatch.setenv("LEADDESK_DATA_DIR", str(tmp_path / "data"))
    rep = users.create_user(db, "Rita Rep", "rita@example.com", role=Role.REP)
    acme = accounts.create_account(db, name="Acme Logistics", industry="Logistics", employees=400)
    hot = contacts.create_contact(db, given_name="Deniz", family_name="Kaya", seniority="director",
                                  account_id=acme.id, emails=["deniz@acme-logistics.com"], lifecycle_stage="mql")
    campaigns.record_engagement(db, hot.id, "pricing_page_visit", ago(2.2))
    campaigns.record_engagement(db, hot.id, "trial_signup", ago(0.1))
    student = contacts.create_contact(db, given_name="Sam", family_name="Student",
                                      emails=["sam@uni.edu"], lifecycle_stage="lead")
    campaigns.record_engagement(db, student.id, "careers_page_visit", ago(5.5))
    quiet = contacts.create_contact(db, given_name="Quinn", family_name="Quiet", owner_id=rep.id,
                                    lifecycle_stage="lead")
    return db_url, hot, student, quiet


def test_leads_json_explains_each_score_with_negative_points(team, capsys):
    url, hot, student, quiet = team
    code, out, err = run(capsys, "--db", url, "rescore")
    assert code == 0 and "Rescored 3 contacts" in err and "2 scores changed" in err
    code, out, _ = run(capsys, "--db", url, "leads", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["Deniz Kaya", "Quinn Quiet", "Sam Student"]  # best stored score first
    first = rows[0]
    assert (first["fit"], first["interest"], first["score"]) == (45, 35, 80)
    assert (first["temperature"], first["quadrant"], first["stage"]) == ("hot", "sales_now", "mql")
    assert first["company"] == "Acme Logistics" and first["email"] == "deniz@acme-logistics.com"
    assert first["reasons"] == [
        "+20 Decision-maker seniority (director and above)", "+15 Target industry",
        "+10 Company of 50 to 5,000 employees", "+15 Visited the pricing page (30 days), 2 days ago",
        "+20 Signed up for a trial or demo (30 days), today",
    ]
    last = rows[-1]
    assert last["reasons"] == ["-20 Student e-mail address", "-20 Visited the careers page (job seeker?), 5 days ago"]
    assert (last["score"], last["temperature"], last["quadrant"]) == (-40, "cold", "disqualify")
    assert rows[1]["reasons"] == [] and rows[1]["owner"] == "rita@example.com"
    assert all(r["hpis_met"] == [] for r in rows)


def test_rescore_stores_what_leads_explains(db, team, capsys):
    url, hot, student, _ = team
    db_before = {r.id: (r.fit, r.interest) for r in leads.list_leads(db)}
    code, _, err = run(capsys, "--db", url, "rescore")
    assert code == 0 and "2 scores changed" in err and "rescoring: 3/3" in err
    with db.reader() as s:
        stored = {r.id: (r.fit_score, r.interest_score) for r in s.execute(select(Contact.id, Contact.fit_score,
                                                                                   Contact.interest_score))}
    assert stored[hot.id] == db_before[hot.id] == (45, 35)
    assert stored[student.id] == db_before[student.id] == (-20, -20)
    code, _, err = run(capsys, "--db", url, "rescore")
    assert code == 0 and "0 scores changed" in err  # nothing left to change


def test_leads_filters_by_stage_owner_and_limit(team, capsys):
    url, hot, student, quiet = team
    run(capsys, "--db", url, "rescore")
    code, out, _ = run(capsys, "--db", url, "leads", "--stage", "MQL", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [str(hot.id)]
    code, out, _ = run(capsys, "--db", url, "leads", "--owner", "RITA@example.com", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [str(quiet.id)]
    code, out, _ = run(capsys, "--db", url, "leads", "--limit", "1", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [str(hot.id)]
    code, out, _ = run(capsys, "--db", url, "leads", "--stage", "customer")
    assert code == 0 and out.strip() == "No leads match."


def test_leads_text_output_names_the_reasons(team, capsys):
    url, *_ = team
    run(capsys, "--db", url, "rescore")
    code, out, _ = run(capsys, "--db", url, "leads")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["80", "hot"] and "Deniz Kaya (Acme Logistics)  [mql]" in lines[0]
    assert "fit 45, interest 35, sales now" in lines[1] and "owner: ada@example.com" in lines[1]
    assert "why: +20 Decision-maker seniority" in lines[2] and "2 days ago" in lines[2]
    assert "why: -20 Student e-mail address, -20 Visited the careers page" in out


@pytest.mark.parametrize("argv, needle", [
    (("leads", "--stage", "hot"), "'hot' is not a lifecycle stage. Use one of: lead, iql"),
    (("leads", "--owner", "nobody@example.com"), "No user has the e-mail 'nobody@example.com'"),
    (("leads", "--limit", "-1"), "--limit must be 0 (all) or more"),
])
def test_leads_bad_input_is_one_clear_line(team, capsys, argv, needle):
    url, *_ = team
    code, out, err = run(capsys, "--db", url, *argv)
    assert code == 2 and out == ""
    assert err.startswith("leaddesk: error: ") and needle in err and err.count("\n") == 1


def test_leads_reads_a_few_queries_not_one_per_lead(db):
    for i in range(30):
        c = contacts.create_contact(db, given_name=f"Lead {i}", emails=[f"l{i}@example{i}.com"])
        campaigns.record_engagement(db, c.id, "site_visit", ago(1))
    selects = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = leads.list_leads(db)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(rows) == 30 and all(r.reasons == () for r in rows)
    # settings, rules, the leads, their e-mails, their engagement: not one per lead
    assert len(selects) <= 8, selects
    assert scoring.rescore_all(db).changed == 0  # site visits once: below the 3-visit rule
