"""A team demo on the local PostgreSQL: a team server with demo data, two reps' laptops
joined with their own logins, three days of offline work on both and edits in the office,
then syncs. Leaves real conflicts (including a refused change), a duplicate pair and
pending work to look at in the app.

    python scripts/team_demo.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432] [--out DIR]

Then open a laptop (the command is printed at the end), e.g.

    LEADDESK_DATA_DIR=DIR/julia LEADDESK_HUB=... ./run-app.sh --no-demo

The PostgreSQL URL must be a superuser's (it creates the database and the logins). The
demo logins' password is ``demo``; everything lives in the database ``leaddesk_team_demo``
and the logins ``ld_demo_*``, which are dropped and made again on each run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leaddesk.bootstrap import open_database  # noqa: E402
from leaddesk.config import Settings, TeamProfile  # noqa: E402
from leaddesk.db import Database, WriteContext, make_engine  # noqa: E402
from leaddesk.models import Contact, Opportunity, User  # noqa: E402
from leaddesk.services.followups import activities
from leaddesk.services.people import contacts
from leaddesk.services.demo import generate as demo
from leaddesk.services.pipeline import opportunities as pipeline, pipelines
from leaddesk.services.team import admin as team_admin, join as team_join, sync as team_sync

DB = "leaddesk_team_demo"
PASSWORD = "demo"
PEOPLE = {"markus": "Markus Weber", "julia": "Julia Schneider", "daniel": "Daniel Brooks"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    ap.add_argument("--out", default="/tmp/leaddesk-team", type=Path)
    args = ap.parse_args()

    admin = create_engine(f"{args.pg}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB}"'))
        for who in PEOPLE:
            conn.execute(text(f'DROP ROLE IF EXISTS "ld_demo_{who}"'))
    admin.dispose()
    hub_url = f"{args.pg}/{DB}"
    print("Team server:", hub_url)
    team_admin.init_team_database(hub_url)
    su = Database(make_engine(hub_url), WriteContext(node=uuid.uuid4()))
    demo.generate(su, scale="small")
    ids = {}
    with su.reader() as s:
        for who, name in PEOPLE.items():
            ids[who] = s.scalar(select(User.id).where(User.name == name))
    for who in PEOPLE:
        team_admin.create_login(su, ids[who], password=PASSWORD, name=f"ld_demo_{who}")
    # A contact of the team's pool (no owner), that both reps may edit.
    with su.reader() as s:
        pool = s.scalar(select(Contact.id).where(Contact.owner_id == ids["julia"], Contact.deleted.is_(False))
                        .order_by(Contact.id).offset(3))
        julias = s.scalar(select(Contact.id).where(Contact.owner_id == ids["julia"], Contact.deleted.is_(False))
                          .order_by(Contact.id))
        gone = s.scalar(select(Contact.id).where(Contact.owner_id == ids["julia"], Contact.deleted.is_(False))
                        .order_by(Contact.id).offset(1))
        deal_j = s.scalar(select(Opportunity.id).where(Opportunity.owner_id == ids["julia"],
                                                       Opportunity.status == "open").order_by(Opportunity.id))
        deal_d = s.scalar(select(Opportunity.id).where(Opportunity.owner_id == ids["daniel"],
                                                       Opportunity.status == "open").order_by(Opportunity.id))
    contacts.update_contact(su, pool, expected_version=None, owner_id=None)

    url = make_engine(hub_url, check=False).url
    laptops = {}
    if args.out.exists():
        shutil.rmtree(args.out)
    for who in ("julia", "daniel"):
        settings = Settings(data_dir=args.out / who)
        profile = TeamProfile(host=url.host, port=url.port or 5432, database=DB, user=f"ld_demo_{who}",
                              sslmode="disable")
        result = team_join.join(settings, profile, PASSWORD, remember=False)
        print(f"{result.user_name} joined: {result.rows:,} rows on the laptop.")
        laptops[who] = (open_database(settings), profile.url(PASSWORD))

    julia, daniel = laptops["julia"][0], laptops["daniel"][0]
    office = open_database(Settings(db_url=url.set(username="ld_demo_markus", password=PASSWORD)
                                    .render_as_string(hide_password=False)), upgrade=False)
    print("Three days at the trade show, offline...")
    selin_j = contacts.create_contact(julia, given_name="Selin", family_name="Kaya", owner_id=ids["julia"],
                                      emails=["selin.kaya@fairgoods.example"], phones=["+49 30 1234567"],
                                      job_title="Buyer", source="trade_show")
    activities.log_activity(julia, "meeting", "Booth talk about the spring range", contact_id=selin_j.id,
                            owner_id=ids["julia"])
    contacts.update_contact(julia, pool, expected_version=None, job_title="Head of Sales")
    contacts.update_contact(julia, julias, expected_version=None, job_title="Purchasing lead")
    contacts.update_contact(julia, gone, expected_version=None, notes="Met at booth 12, wants samples")
    stages = pipelines.list_stages(julia, pipeline.get_opportunity(julia, deal_j).pipeline_id)
    pipeline.move_opportunity(julia, deal_j, stages[min(3, len(stages) - 1)].id)

    contacts.create_contact(daniel, given_name="Selin", family_name="Kaya", owner_id=ids["daniel"],
                            emails=["Selin.Kaya@FairGoods.example"], job_title="Head buyer", source="trade_show")
    contacts.update_contact(daniel, pool, expected_version=None, job_title="Sales Director")
    pipeline.update_opportunity(daniel, deal_d, None, next_step="Send the revised quote")

    print("...while Markus works in the office.")
    contacts.update_contact(office, julias, expected_version=None, job_title="Category manager")
    pipeline.update_opportunity(office, deal_j, None, amount="48000")
    pipeline.update_opportunity(office, deal_d, None, owner_id=ids["julia"])
    contacts.delete_contact(office, gone)

    print("Back online:")
    for _ in range(2):
        for who, (db, hub) in laptops.items():
            s = team_sync.sync_with_hub(db, hub, backup_dir=None)
            print(f"  {who}: sent {s.sent}, received {s.received}, open conflicts {s.open_conflicts}, "
                  f"new duplicate pairs {s.duplicates_found}, check {s.count_check or 'not due'}")
    contacts.update_contact(julia, julias, expected_version=None, city="Hamburg")  # one change left pending
    for db, _ in laptops.values():
        db.dispose()
    office.dispose()
    su.dispose()
    print()
    for who, (_, hub) in laptops.items():
        print(f"Open {PEOPLE[who]}'s laptop:  LEADDESK_DATA_DIR={args.out / who} LEADDESK_HUB='{hub}' "
              "./run-app.sh --no-demo")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
