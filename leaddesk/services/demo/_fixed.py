"""The demo's fixed records: the team and its people, pipelines, campaigns, personas, indicators.

These few rows have deterministic ids (UUIDv5 in :data:`DEMO_NAMESPACE`) and are written
only when missing, so a second run with ``force`` reuses them. This is the part of the
generator that reads the database (the seeded default pipeline, the lost reasons, what a
previous run already wrote); the bulk of the demo is planned without it. A mixin of
``generate._Generator``: it uses the generator's random source, clock and ``insert``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select

from leaddesk.models import (Campaign, Indicator, LostReason, Persona, Pipeline, PipelineStage, Team, TeamSetting,
                             User)
from leaddesk.models.enums import CampaignKind, Role
from leaddesk.services import validation as v
from leaddesk.services.settings import setting_id
from leaddesk.services.qualification.indicators import check_rule as hpi_rule
from leaddesk.services.demo._plan import DAY, _Camp, _Pick, _Pipe, _Rep
from leaddesk.services.demo._tables import (
    INDICATORS,
    LOST_REASON_WEIGHTS,
    OTHER_CAMPAIGNS,
    PEOPLE,
    PERSONAS,
    TEAM_CAPS,
    TEAM_NAMES,
    TRADE_SHOWS,
    USER_DOMAIN,
)

#: Ids of the fixed demo records (users, teams, pipelines ...) are UUIDv5 in this namespace,
#: so a second run with ``force`` reuses them instead of duplicating the team.
DEMO_NAMESPACE = uuid.UUID("8d1f5c3a-4e0b-4b6f-9a7e-2c4d6e8f0a1b")


class _FixedRecords:
    # ---- fixed records: team, pipelines, campaigns, personas ---------------------------------
    def fixed_records(self, s) -> None:
        def missing(model, ids):
            have = set(s.scalars(select(model.id).where(model.id.in_(list(ids))))) if ids else set()
            return [i for i in ids if i not in have]

        team_ids = [uuid.uuid5(DEMO_NAMESPACE, f"team/{n}") for n in TEAM_NAMES]
        new = set(missing(Team, team_ids))
        self.insert(s, "teams", Team, [dict(id=i, name=n) for i, n in zip(team_ids, TEAM_NAMES) if i in new], len(new))
        # the teams' caps: the lead_cap_by_team setting (revision 0016), a snapshot row as the others
        caps = {str(i): cap for i, cap in zip(team_ids, TEAM_CAPS) if cap}
        if caps and s.get(TeamSetting, setting_id("lead_cap_by_team")) is None:
            self.insert(s, "settings", TeamSetting, [dict(id=setting_id("lead_cap_by_team"), key="lead_cap_by_team",
                                                          value=caps)], 1)
        user_rows, self.reps, self.managers = [], [], []
        self.territory: dict[str, _Pick] = {}
        terr: dict[str, list] = {}
        for name, local, role, team, territory, minutes, attempts in PEOPLE:
            shown, norm = v.normalize_email(f"{local}@{USER_DOMAIN}")
            uid = uuid.uuid5(DEMO_NAMESPACE, f"user/{norm}")
            user_rows.append(dict(id=uid, name=name, email=shown, email_normalized=norm, role=role, active=True,
                                  team_id=team_ids[team]))
            if role is Role.REP:
                cap = TEAM_CAPS[team]
                rep = _Rep(uid, name, minutes, attempts, cap - self.rng.randint(0, 25) if cap else None)
                self.reps.append(rep)
                for code, w in territory.items():
                    terr.setdefault(code, []).append((rep, w))
            else:
                self.managers.append(uid)
        new = set(missing(User, [r["id"] for r in user_rows]))
        self.insert(s, "users", User, [r for r in user_rows if r["id"] in new], len(new))
        self.territory = {code: _Pick(pairs) for code, pairs in terr.items()}
        self.any_rep = _Pick((r, 1) for r in self.reps)

        # pipelines: the seeded default plus Renewals and Partnerships
        default = s.scalars(select(Pipeline).where(Pipeline.is_default.is_(True), Pipeline.deleted.is_(False))
                            .order_by(Pipeline.position)).first()
        self.currency = default.currency
        extra = (("Renewals", self.currency, (("Upcoming renewal", 60, 30), ("Renewal call", 70, 21),
                                              ("Quote sent", 80, 14), ("Awaiting signature", 90, 7))),
                 ("Partnerships", "USD", (("Initial contact", 10, 21), ("Partner assessment", 25, 21),
                                          ("Agreement draft", 50, 14), ("Legal review", 70, 10))))
        pipe_rows, stage_rows = [], []
        for pos, (name, cur, stages) in enumerate(extra, start=1):
            pid = uuid.uuid5(DEMO_NAMESPACE, f"pipeline/{name}")
            pipe_rows.append(dict(id=pid, name=name, position=pos, is_default=False, currency=cur))
            for spos, (sname, prob, rot) in enumerate(stages):
                stage_rows.append(dict(id=uuid.uuid5(DEMO_NAMESPACE, f"stage/{name}/{spos}"), pipeline_id=pid,
                                       name=sname, position=spos, probability=prob, rotting_days=rot))
        new = set(missing(Pipeline, [r["id"] for r in pipe_rows]))
        self.insert(s, "pipelines", Pipeline, [r for r in pipe_rows if r["id"] in new], len(new))
        new = set(missing(PipelineStage, [r["id"] for r in stage_rows]))
        self.insert(s, "pipeline_stages", PipelineStage, [r for r in stage_rows if r["id"] in new], len(new))
        self.pipes = []
        for p in s.scalars(select(Pipeline).where(Pipeline.deleted.is_(False)).order_by(Pipeline.position)):
            stages = [(st.id, st.name, st.probability, st.rotting_days or 14) for st in s.scalars(
                select(PipelineStage).where(PipelineStage.pipeline_id == p.id, PipelineStage.deleted.is_(False))
                .order_by(PipelineStage.position))]
            if stages:
                self.pipes.append(_Pipe(p.id, p.name, p.currency, stages))
        by_name = {p.name: p for p in self.pipes}
        self.sales = next((p for p in self.pipes if p.id == default.id), self.pipes[0])
        self.renewals = by_name.get("Renewals", self.sales)
        self.partners = by_name.get("Partnerships", self.sales)
        reasons = list(s.execute(select(LostReason.id, LostReason.name)
                                 .where(LostReason.deleted.is_(False), LostReason.active.is_(True))
                                 .order_by(LostReason.position)))
        self.lost_reason = _Pick((rid, LOST_REASON_WEIGHTS.get(name, 5)) for rid, name in reasons) if reasons else None

        # campaigns (dates relative to now; names carry the year of their edition)
        camp_rows, self.camps = [], []
        month = 30.44 * DAY
        for name, city, country, ago, cost, days in TRADE_SHOWS:
            for edition, back in enumerate((ago, ago + 12)):
                start = self.now_ts - back * month
                label = f"{name} {self.day(start).year}"
                self.camps.append(_Camp(uuid.uuid5(DEMO_NAMESPACE, f"campaign/{label}"), CampaignKind.TRADE_SHOW,
                                        label, start, start + (days - 1) * DAY, country))
                camp_rows.append((self.camps[-1], city, Decimal(cost + 1_000 * edition * (1 if ago % 2 else -1))))
        upcoming = self.now_ts + 5 * month
        label = f"Hannover Messe {self.day(upcoming).year}"
        camp_rows.append((_Camp(uuid.uuid5(DEMO_NAMESPACE, f"campaign/{label}"), CampaignKind.TRADE_SHOW, label,
                                upcoming, upcoming + 4 * DAY, "DE"), "Hannover", Decimal(71_000)))
        for name, kind, ago, months, cost, location in OTHER_CAMPAIGNS:
            start = self.now_ts - ago * month
            end = start + months * month if months else self.now_ts
            camp = _Camp(uuid.uuid5(DEMO_NAMESPACE, f"campaign/{name}"), kind, name, start, end, None)
            self.camps.append(camp)
            camp_rows.append((camp, location, Decimal(cost)))
        rows = [dict(id=c.id, name=c.name, kind=c.kind, starts_on=self.day(c.start),
                     ends_on=self.day(c.end) if c.end < self.now_ts or c.kind is CampaignKind.TRADE_SHOW else None,
                     location=loc, cost=cost, currency=self.currency,
                     notes="Booth, travel and badge scanners included." if c.kind is CampaignKind.TRADE_SHOW else None)
                for c, loc, cost in camp_rows]
        new = set(missing(Campaign, [r["id"] for r in rows]))
        self.insert(s, "campaigns", Campaign, [r for r in rows if r["id"] in new], len(new))
        self.camps_by_kind: dict[CampaignKind, list[_Camp]] = {}
        for c in self.camps:
            self.camps_by_kind.setdefault(c.kind, []).append(c)

        persona_rows = [dict(id=uuid.uuid5(DEMO_NAMESPACE, f"persona/{p[0]}"), name=p[0], description=p[1],
                             job_titles=p[2], seniorities=p[3], departments=p[4], industries=p[5],
                             company_size_min=p[6], company_size_max=p[7], avoid=p[8],
                             goals=None if p[8] else "Fewer errors, faster deliveries, a tool the team adopts.",
                             talking_points=None if p[8] else "Case study of a similar company; 30-day pilot.",
                             reviewed_at=self.at(self.now_ts - 40 * DAY))
                        for p in PERSONAS]
        new = set(missing(Persona, [r["id"] for r in persona_rows]))
        self.insert(s, "personas", Persona, [r for r in persona_rows if r["id"] in new], len(new))
        self.persona_ids = [r["id"] for r in persona_rows]
        # HPIs are rules of the scoring engine, checked by the indicators service's own check
        ind_rows = [dict(id=uuid.uuid5(DEMO_NAMESPACE, f"indicator/{n}"), name=n, description=d, position=i,
                         **dict(zip(("criterion", "params"), hpi_rule(c, p))))
                    for i, (n, d, c, p) in enumerate(INDICATORS)]
        new = set(missing(Indicator, [r["id"] for r in ind_rows]))
        self.insert(s, "indicators", Indicator, [r for r in ind_rows if r["id"] in new], len(new))
