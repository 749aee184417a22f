"""Planning the demo's contacts: who they are, where they came from, their lifecycle and signals.

Pure planning, no database: each contact's stage, source and campaign, name, title and
seniority consistent with the company's size, owner and first touch, the lifecycle path
that ends in the contact's stage, and the rows of contacts, lifecycle events, engagement
signals and BANT records. A mixin of ``generate._Generator``: it uses the generator's
random source, clock, pools and accounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from leaddesk.ids import new_id
from leaddesk.models.enums import Authority, BantResult, CampaignKind, EngagementKind, LeadSource, LifecycleStage
from leaddesk.services import validation as v
from leaddesk.services.demo._plan import (
    CUST,
    DAY,
    DQ,
    ENGAGED_STAGES_DAYS,
    ENGAGEMENT_BY_STAGE,
    IQL_SOURCES,
    OPEN_LEAD_STAGES,
    OPP,
    P_OWNED,
    P_OWNED_BOOTH,
    SENIORITY_BY_SIZE,
    SENIORITY_ORDER,
    STAGE_SHARES,
    WON,
    I,
    L,
    M,
    NUR,
    S,
    SC,
    SD,
    SE,
    SM,
    SO,
    SS,
    SU,
    SV,
    _DIGITS,
    _Person,
    _Pick,
)
from leaddesk.services.demo._tables import (
    DEPARTMENT_WEIGHTS,
    DEPARTMENTS,
    DQ_REASONS,
    ENGAGEMENT_DETAILS,
    EXECUTIVE_TITLES,
    INTEREST_KINDS,
    LOST_ON_TIMING,
    NEEDS,
    NO_BUYER_REASONS,
    NURTURE_REASONS,
    SOURCE_CAMPAIGN_KINDS,
    SOURCES,
    TIMINGS,
    TITLES,
)
from leaddesk.services.people.contacts import display_name


class _ContactPlans:
    # ---- contacts ------------------------------------------------------------------------------
    def plan_contacts(self) -> None:
        rng, n = self.rng, self.scale.contacts
        n_won = round(self.scale.opportunities * 0.12)
        counts = {stage: round(n * share) for stage, share in STAGE_SHARES}
        counts[CUST] = min(counts[CUST], n_won)
        counts[L] += n - sum(counts.values())
        stages = [stage for stage, c in counts.items() for _ in range(c)]
        rng.shuffle(stages)
        source_pick = _Pick(SOURCES)
        camp_pick = {k: [c for c in v_ if c.start <= self.now_ts] for k, v_ in self.camps_by_kind.items()}
        # give every account at least one contact, then bigger accounts more
        acct_order = list(self.accounts)
        rng.shuffle(acct_order)
        acct_iter = iter(acct_order)
        self.people: list[_Person] = []
        dq_pick = _Pick(DQ_REASONS)
        for stage in stages:
            loose_p = 0.0 if stage in (OPP, CUST) else (0.45 if stage is DQ else 0.2)
            acct = None
            if rng.random() >= loose_p:
                acct = next(acct_iter, None) or self.acct_pick(rng)
            loc = acct.loc if acct else self.loc_pick(rng)
            source = source_pick(rng)
            while stage is L and source in IQL_SOURCES:  # content leads enter as IQL
                source = source_pick(rng)
            camp = None
            kinds = SOURCE_CAMPAIGN_KINDS.get(source)
            if kinds and rng.random() < 0.85:
                kind = rng.choice(kinds)
                options = camp_pick.get(kind) or []
                if kind is CampaignKind.TRADE_SHOW:
                    local = [c for c in options if c.country == loc.country]
                    if local and rng.random() < 0.7:
                        options = local
                if options:
                    camp = rng.choice(options)
            if camp is not None:
                if camp.kind in (CampaignKind.TRADE_SHOW, CampaignKind.EVENT):
                    captured = self.between(camp.start, camp.end + DAY)
                    if source is LeadSource.BUSINESS_CARD:  # typed in after the show
                        captured += rng.uniform(0.5, 12) * DAY
                else:
                    captured = self.between(camp.start, min(camp.end, self.now_ts))
            else:
                captured = self.past(730, 1.4)
            captured = min(captured, self.now_ts - 3600)
            p = _Person(new_id(), loc, acct, stage, source, camp, captured)
            if stage is DQ:
                p.reason = dq_pick(rng)
            self.people.append(p)
        # names, titles and seniority (consistent with the company size)
        self.plan_identities()

    def plan_identities(self) -> None:
        rng = self.rng
        sen_pick = {size: _Pick(zip(SENIORITY_ORDER, w)) for size, w in SENIORITY_BY_SIZE.items()}
        dept_pick = _Pick(zip(DEPARTMENTS, DEPARTMENT_WEIGHTS))
        for p in self.people:
            pool = self.pools[p.loc.code]
            given = rng.choice(pool["male"] if rng.random() < 0.62 else pool["female"])
            family = rng.choice(pool["family"])
            p.given, p.family = given[0], family[0]
            p.title = None
            sen = sen_pick[p.acct.size if p.acct else "micro"](rng)
            if p.stage is DQ and p.reason in NO_BUYER_REASONS:
                sen = SU if rng.random() < 0.6 else SE
            if sen is SU:
                dept = None
            elif sen in (SO,) or (sen is SC and rng.random() < 0.5):
                dept = "Executive Management"
                p.title = rng.choice(EXECUTIVE_TITLES[SO if sen is SO else SC])
            else:
                dept = dept_pick(rng)
                p.title = rng.choice(TITLES[dept][sen])
            p.seniority, p.department = sen, dept
            p.latin = (given[1], family[1])

    def plan_owners_and_paths(self) -> None:
        """Owners, assignment and first-touch times, and each contact's lifecycle path."""
        rng = self.rng
        for p in self.people:
            po = P_OWNED[p.stage]
            if p.stage in (L, I) and p.source in (LeadSource.TRADE_SHOW, LeadSource.BUSINESS_CARD):
                po = P_OWNED_BOOTH
            if rng.random() < po:
                rep = None
                if p.acct and p.acct.owner and rng.random() < 0.8:
                    rep = next((r for r in self.reps if r.id == p.acct.owner), None)
                rep = rep or self.territory_rep(p.loc)
                if p.stage in OPEN_LEAD_STAGES:
                    if rep.cap is not None and rep.open_leads >= rep.cap:
                        continue  # the rep is at the cap: the lead waits in the marketing pool
                    rep.open_leads += 1
                p.owner = rep
                delay = (rng.uniform(0.5, 5) * DAY if p.source in (LeadSource.TRADE_SHOW, LeadSource.BUSINESS_CARD)
                         else rng.expovariate(1 / (3 * 3600)))
                p.assigned = min(p.captured + delay, self.now_ts - 60)
                touched = p.stage not in (L, I) or rng.random() < 0.7
                if touched:
                    minutes = rng.lognormvariate(0, 1.1) * p.owner.minutes
                    p.first_touch = min(p.assigned + 60 * minutes, self.now_ts - 30)

    def build_path(self, p: _Person) -> None:
        """The lifecycle history ending in the contact's stage (from, to, ts, reason)."""
        rng = self.rng
        entry = I if p.source in IQL_SOURCES else L
        steps: list[tuple[LifecycleStage, str | None]] = [(entry, None)]
        st = p.stage
        had_opp = bool(p.opps)
        if st is I and entry is L:
            steps.append((I, None))
        elif st in (M, S, OPP, CUST) or (st is NUR) or (st is DQ and rng.random() < 0.3):
            if st is DQ:
                steps.append((M, None))
            else:
                steps.append((M, None))
                if st in (S, OPP, CUST) or (st is NUR and (had_opp or rng.random() < 0.4)):
                    steps.append((S, "BANT complete and positive."))
                if st in (OPP, CUST) or (st is NUR and had_opp):
                    steps.append((OPP, "Opportunity created."))
                if st is CUST:
                    won = next((o for o in p.opps if o.status is WON), None)
                    steps.append((CUST, f"Opportunity '{won.name}' won." if won else "Opportunity won."))
        if st is NUR:
            steps.append((NUR, LOST_ON_TIMING if had_opp else rng.choice(NURTURE_REASONS)))
            p.reason = steps[-1][1]
        elif st is DQ:
            steps.append((DQ, p.reason))
        # times: spread the steps between capture and now (customers at the won date)
        start = p.captured
        end_cap = self.now_ts - 60
        won_at = min((o.closed for o in p.opps if o.status is WON), default=None)
        opp_at = min((o.created for o in p.opps), default=None)
        ts = start
        prev = None
        path = []
        for stage, reason in steps:
            if prev is not None:
                if stage is CUST and won_at:
                    ts = max(ts + 60, won_at)
                elif stage is OPP and opp_at:
                    ts = max(ts + 60, opp_at)
                else:
                    ts = ts + rng.uniform(0.2, 1.0) * max(3600.0, (end_cap - ts) * rng.uniform(0.05, 0.5))
                ts = min(ts, end_cap)
            path.append((prev, stage, ts, reason))
            prev = stage
        p.path = path

    # ---- rows ----------------------------------------------------------------------------------
    def contact_rows(self) -> Iterator[dict]:
        rng = self.rng
        for p in self.people:
            loc, acct = p.loc, p.acct
            city = acct.city if acct and rng.random() < 0.9 else self.pools[loc.code]["city"](rng)
            street = postal = None
            if rng.random() < 0.45:
                nstr = str(rng.randint(1, 220)).translate(_DIGITS[loc.digits])
                street = loc.street_format.format(street=rng.choice(self.pools[loc.code]["streets"]), n=nstr,
                                                  m=rng.randint(1, 30))
                k = loc.postal_len - len(city[3])
                tail = str(rng.randrange(10 ** (k - 1), 10 ** k))
                postal = city[3] + tail
                if loc.country == "IR":
                    postal = f"{postal[:5]}-{postal[5:]}"
            name = display_name(p.given, p.family)
            last = p.path[-1]
            yield dict(
                id=p.id, given_name=p.given, family_name=p.family, display_name=name, name_key=v.sort_key(name),
                job_title=p.title, department=p.department, seniority=p.seniority,
                account_id=acct.id if acct else None, street=street, city=city[0], region=city[1],
                postal_code=postal, country=loc.country, owner_id=p.owner.id if p.owner else None,
                lifecycle_stage=p.stage, lifecycle_changed_at=self.at(last[2]), source=p.source,
                campaign_id=p.campaign.id if p.campaign else None, captured_at=self.at(p.captured),
                assigned_at=self.at(p.assigned) if p.assigned else None,
                first_touch_at=self.at(p.first_touch) if p.first_touch else None,
                stage_reason=p.reason if p.stage in (NUR, DQ) else None,
                # set by _ScorePlans.score_contacts: the best persona, the engine's scores
                persona_id=None, fit_score=0, interest_score=0,
                notes="Met at the booth; wants a call after the show." if p.source is LeadSource.BUSINESS_CARD
                and rng.random() < 0.2 else None,
                created_at=self.at(p.captured),
            )

    def lifecycle_rows(self) -> Iterator[dict]:
        for p in self.people:
            by = p.owner.id if p.owner else None
            for frm, to, ts, reason in p.path:
                when = self.at(ts)
                yield dict(contact_id=p.id, from_stage=frm, to_stage=to, at=when, reason=reason,
                           by_user_id=by if frm is not None else self.actor, created_at=when)

    def engagement_rows(self) -> Iterator[dict]:
        rng = self.rng
        kind_pick = _Pick(INTEREST_KINDS)
        for p in self.people:
            lo, hi = ENGAGEMENT_BY_STAGE[p.stage]
            k = rng.randint(lo, hi)
            if p.stage is L and rng.random() < 0.6:
                k = 0
            for j in range(k):
                if j == 0 and p.source in IQL_SOURCES:
                    kind = {LeadSource.NEWSLETTER: EngagementKind.NEWSLETTER_SIGNUP,
                            LeadSource.WEBINAR: EngagementKind.WEBINAR}.get(p.source, EngagementKind.DOWNLOAD)
                    ts = p.captured
                elif p.stage is DQ and p.reason and p.reason.startswith("Job seeker"):
                    kind, ts = EngagementKind.CAREERS_PAGE_VISIT, self.between(p.captured, self.now_ts)
                else:
                    start = p.captured
                    if p.stage in (M, S, OPP):  # an active lead's signals are recent
                        start = max(start, self.now_ts - ENGAGED_STAGES_DAYS * DAY)
                    kind, ts = kind_pick(rng), self.between(start, self.now_ts)
                details = ENGAGEMENT_DETAILS.get(kind)
                yield dict(contact_id=p.id, kind=kind, occurred_at=self.at(ts),
                           detail=rng.choice(details) if details else None,
                           campaign_id=p.campaign.id if p.campaign and j == 0 else None, created_at=self.at(ts))

    def bant_rows(self) -> Iterator[dict]:
        rng = self.rng
        for p in self.people:
            passed_sql = any(to is S for _, to, _, _ in p.path)
            if not passed_sql or rng.random() > (0.6 if p.stage is S else 0.5):
                continue
            sql_ts = next(ts for _, to, ts, _ in p.path if to is S)
            positive = p.stage in (S, OPP, CUST) or (p.stage is NUR and bool(p.opps))
            result = BantResult.POSITIVE if positive else rng.choice((BantResult.NEGATIVE, BantResult.INCOMPLETE))
            decides = p.seniority in (SD, SV, SC, SO)
            timing, days = rng.choice(TIMINGS)
            budget = Decimal(int(18_000 * rng.lognormvariate(0, 0.7) / 100) * 100)
            yield dict(
                contact_id=p.id, opportunity_id=p.opps[0].id if p.opps else None,
                budget_amount=budget if result is not BantResult.INCOMPLETE or rng.random() < 0.5 else None,
                budget_currency=self.currency, budget_confirmed=positive and rng.random() < 0.7,
                authority=(Authority.DECISION_MAKER if decides else
                           Authority.INFLUENCER if p.seniority in (SM, SS) else Authority.NO_AUTHORITY),
                authority_note=None if decides else "Decision with the managing director.",
                need=rng.choice(NEEDS), timing=timing if positive else rng.choice(NURTURE_REASONS),
                timing_date=self.day(sql_ts + days * DAY), result=result, assessed_at=self.at(sql_ts),
                created_at=self.at(sql_ts),
            )
