"""Planning the demo's deals and the team's work on them: opportunities, their history, activities.

Pure planning, no database: opportunities in the three pipelines (open ones spread over
the stages, some stalled; won and lost ones closed in the past), their amounts, names and
stage history, and the activities of the reps (first touches and follow-ups, demos and
no-shows, next steps, then older history) up to exactly the scale's count. A mixin of
``generate._Generator``: it uses the generator's random source, clock and plans.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from leaddesk.ids import new_id
from leaddesk.models.enums import ActivityKind, ActivityOutcome, LeadSource
from leaddesk.services.demo._plan import CUST, DAY, LOST, OPEN, OPP, WON, NUR, _Opp, _Person, _Pick
from leaddesk.services.demo._tables import LOST_NOTES, NEXT_STEPS, PRODUCTS


class _DealPlans:
    # ---- opportunities -------------------------------------------------------------------------
    def plan_opportunities(self) -> None:
        rng, n = self.rng, self.scale.opportunities
        n_won, n_lost = round(n * 0.12), round(n * 0.13)
        statuses = [WON] * n_won + [LOST] * n_lost + [OPEN] * (n - n_won - n_lost)
        customers = [p for p in self.people if p.stage is CUST]
        in_opp = [p for p in self.people if p.stage is OPP]
        nurture = [p for p in self.people if p.stage is NUR and p.acct is not None]
        rng.shuffle(nurture)
        nurture = nurture[: max(1, n_lost // 3)]
        pipe_pick = _Pick(((self.sales, 70), (self.renewals, 18), (self.partners, 12)))
        self.opps: list[_Opp] = []
        cust_iter, opp_iter, nur_iter = iter(customers), iter(in_opp), iter(nurture)
        for status in statuses:
            pipe = pipe_pick(rng)
            contact: _Person | None = None
            if status is WON:
                contact = next(cust_iter, None) or (rng.choice(customers) if customers else None)
                if pipe is self.partners:
                    pipe = self.sales
            elif status is OPEN:
                if pipe is self.renewals and customers:
                    contact = rng.choice(customers)
                else:
                    contact = next(opp_iter, None)
                    if contact is None:
                        r = rng.random()
                        contact = (rng.choice(in_opp) if r < 0.65 and in_opp else
                                   rng.choice(customers) if r < 0.75 and customers else None)
            else:
                contact = next(nur_iter, None)
                if contact is None and rng.random() < 0.5 and in_opp:
                    contact = rng.choice(in_opp)
            if contact is not None and contact.acct is None:
                contact = None
            acct = contact.acct if contact else self.acct_pick(rng)
            owner = (contact.owner.id if contact and contact.owner else acct.owner
                     or self.territory_rep(acct.loc).id)
            o = _Opp(new_id(), pipe, acct, contact, status, owner)
            self.opps.append(o)
            if contact is not None:
                contact.opps.append(o)
            self.plan_opportunity(o)
        # board order: inside each open column, larger deals first
        ranks: dict = {}
        for o in sorted((o for o in self.opps if o.status is OPEN), key=lambda o: -o.amount):
            key = o.pipeline.stages[o.stage_index][0]
            ranks[key] = ranks.get(key, 0) + 1
            o.rank = float(ranks[key])

    def plan_opportunity(self, o: _Opp) -> None:
        rng, stages = self.rng, o.pipeline.stages
        last = len(stages) - 1
        if o.status is OPEN:
            o.stage_index = min(last, int(rng.expovariate(1 / 1.3)))
            age = rng.uniform(3, 240) * DAY
            o.created = self.now_ts - age
            rot = stages[o.stage_index][3]
            o.stalled = rng.random() < 0.18
            if o.stalled:
                idle = (rot + rng.uniform(3, 60)) * DAY
                o.created = min(o.created, self.now_ts - idle - DAY)
                o.stage_entered = self.between(o.created, self.now_ts - idle) if o.stage_index else o.created
                o.last_touch = min(self.now_ts - idle, o.stage_entered + rng.uniform(0, 2) * DAY)
            else:
                o.stage_entered = (self.between(max(o.created, self.now_ts - rot * DAY * 1.5), self.now_ts - 3600)
                                   if o.stage_index else o.created)
                o.last_touch = self.between(max(o.stage_entered, self.now_ts - (rot - 1) * DAY), self.now_ts - 600)
                if rng.random() < 0.85:
                    o.next_step = rng.choice(NEXT_STEPS)
                    o.next_due = self.now_ts + rng.uniform(-5, 14) * DAY
        else:
            o.closed = self.past(540, 1.2)
            o.created = o.closed - rng.uniform(14, 200) * DAY
            o.stage_index = last if o.status is WON and rng.random() < 0.7 else rng.randint(0, last)
            o.stage_entered = self.between(o.created, o.closed) if o.stage_index else o.created
            o.last_touch = o.closed
        if o.contact is not None:
            o.created = max(o.created, o.contact.captured + 3600)
            o.stage_entered = max(o.stage_entered, o.created)
            if o.last_touch is not None:
                o.last_touch = max(o.last_touch, o.stage_entered)
            if o.closed is not None:
                o.closed = max(o.closed, o.last_touch or o.created)
        # amount in the pipeline's currency (whole tens; a few with cents)
        median = {"Renewals": 9_000, "Partnerships": 40_000}.get(o.pipeline.name, 18_000)
        amount = Decimal(int(median * rng.lognormvariate(0, 0.8) / 10) * 10)
        if rng.random() < 0.05:
            amount += Decimal(rng.choice(("0.50", "0.99", "0.25")))
        o.amount = amount
        tpl = rng.choice(PRODUCTS.get(o.pipeline.name, PRODUCTS["Sales"]))
        product = tpl.format(n=rng.choice((5, 10, 25, 40, 60, 120)), year=self.day(o.created).year + 1,
                             country=o.acct.loc.country)
        short = o.acct.name if len(o.acct.name) <= 60 else o.acct.name[:57] + "..."
        o.name = f"{short} – {product}"
        # history: create in the first stage, move forward, close
        ts = o.created
        o.history = [(None, 0, None, OPEN, ts)]
        for k in range(1, o.stage_index + 1):
            ts = o.stage_entered if k == o.stage_index else self.between(ts, o.stage_entered)
            o.history.append((k - 1, k, OPEN, OPEN, ts))
        if o.closed is not None:
            o.history.append((o.stage_index, o.stage_index, OPEN, o.status, o.closed))

    # ---- rows ----------------------------------------------------------------------------------
    def opportunity_rows(self) -> Iterator[dict]:
        rng = self.rng
        lost = self.lost_reason
        for o in self.opps:
            stage = o.pipeline.stages[o.stage_index]
            if o.status is OPEN:
                close = self.now_ts + (rng.uniform(-25, -1) if rng.random() < 0.08 else rng.uniform(7, 180)) * DAY
            else:
                close = o.closed + rng.uniform(-10, 10) * DAY
            prob = None
            if o.status is OPEN and rng.random() < 0.15:
                prob = max(5, min(95, stage[2] + rng.choice((-15, -10, 10, 15))))
            yield dict(
                id=o.id, name=o.name, account_id=o.acct.id, primary_contact_id=o.contact.id if o.contact else None,
                pipeline_id=o.pipeline.id, stage_id=stage[0], amount=o.amount, currency=o.pipeline.currency,
                probability=prob, expected_close_date=self.day(close), owner_id=o.owner, status=o.status,
                lost_reason_id=lost(rng) if o.status is LOST and lost else None,
                lost_note=rng.choice(LOST_NOTES) if o.status is LOST and rng.random() < 0.4 else None,
                closed_at=self.at(o.closed) if o.closed else None, stage_entered_at=self.at(o.stage_entered),
                last_touch_at=self.at(o.last_touch) if o.last_touch else None, next_step=o.next_step,
                next_step_due=self.day(o.next_due) if o.next_due else None,
                board_rank=o.rank,
                campaign_id=o.contact.campaign.id if o.contact and o.contact.campaign else None,
                created_at=self.at(o.created),
            )

    def opportunity_event_rows(self) -> Iterator[dict]:
        for o in self.opps:
            stages = o.pipeline.stages
            for frm, to, from_status, to_status, ts in o.history:
                when = self.at(ts)
                yield dict(opportunity_id=o.id, from_stage_id=stages[frm][0] if frm is not None else None,
                           to_stage_id=stages[to][0], from_status=from_status, to_status=to_status,
                           amount=o.amount, at=when, by_user_id=o.owner, created_at=when)

    # ---- activities ----------------------------------------------------------------------------
    def plan_activities(self) -> list[tuple]:
        """Exactly ``scale.activities`` activities: first touches and follow-ups of leads (speed
        and persistence per rep), the life of each opportunity (demos, no-shows, next steps),
        then older history on contacts and accounts."""
        rng, now = self.rng, self.now_ts
        out: list[tuple] = []
        add = out.append
        C, E, MT, T, N = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING, ActivityKind.TASK,
                          ActivityKind.NOTE)
        DONE, NOANS, VM = ActivityOutcome.COMPLETED, ActivityOutcome.NO_ANSWER, ActivityOutcome.LEFT_VOICEMAIL
        call_outcome = _Pick(((DONE, 45), (NOANS, 35), (VM, 20)))
        # (kind, subject, body, due, done, minutes, outcome, contact, opp, account, owner, created)
        for o in self.opps:
            c = o.contact
            cid, aid, own = (c.id if c else None), o.acct.id, o.owner
            add((C, "Discovery call", None, o.created, o.created, rng.randint(15, 45), DONE, cid, o.id, aid, own,
                 o.created - DAY))
            end = o.closed or o.last_touch or now
            if o.stage_index >= 1 or o.closed:
                demo = self.between(o.created, end)
                r = rng.random()
                if r < 0.12:
                    add((MT, "Product demo", "Prospect did not join the call.", demo, demo, 0,
                         ActivityOutcome.NO_SHOW, cid, o.id, aid, own, demo - 3 * DAY))
                    due = demo + DAY
                    done = due + rng.uniform(0, 2) * DAY if rng.random() < 0.6 and due + 2 * DAY < now else None
                    add((T, "Reach out to reschedule the missed demo", None, due, done, None,
                         DONE if done else None, cid, o.id, aid, own, demo))
                else:
                    add((MT, rng.choice(("Product demo", "Presentation to the buying committee", "On-site visit")),
                         None, demo, demo, rng.choice((30, 45, 60, 90)),
                         DONE if r > 0.2 else ActivityOutcome.RESCHEDULED, cid, o.id, aid, own, demo - 5 * DAY))
            if o.last_touch and o.last_touch > o.created + 60:
                kind = rng.choice((C, E, MT))
                add((kind, {C: "Follow-up call", E: "Sent revised proposal", MT: "Negotiation meeting"}[kind], None,
                     o.last_touch if kind is not E else None, o.last_touch,
                     rng.randint(10, 60) if kind is not E else None,
                     DONE, cid, o.id, aid, own, o.last_touch - DAY))
            if o.status is OPEN and o.next_step:
                kind = MT if "demo" in o.next_step.lower() or "visit" in o.next_step.lower() else (
                    C if o.next_step.startswith("Call") else T)
                add((kind, o.next_step, None, o.next_due, None, None, None, cid, o.id, aid, own,
                     min(now - 60, o.last_touch or now)))
            if o.closed:
                add((N, "Contract signed" if o.status is WON else "Closed lost", None, None, o.closed, None, None,
                     cid, o.id, aid, own, o.closed))
        for p in self.people:
            if p.first_touch is None:
                continue
            own, cid, aid = p.owner.id, p.id, p.acct.id if p.acct else None
            t = p.first_touch
            if rng.random() < 0.65:
                add((C, "Intro call", None, t, t, rng.randint(2, 20), call_outcome(rng), cid, None, aid, own, t))
            else:
                add((E, "Thanks for your interest", None, None, t, None, DONE, cid, None, aid, own, t))
            if p.source in (LeadSource.TRADE_SHOW, LeadSource.BUSINESS_CARD) and rng.random() < 0.3:
                add((N, f"Met at {p.campaign.name}" if p.campaign else "Business card", None, None, p.captured,
                     None, None, cid, None, aid, own, p.captured))
            attempts = min(8, int(rng.expovariate(1 / max(0.3, p.owner.attempts * 0.6))))
            for k in range(attempts):
                t += rng.uniform(0.3, 1.8) * DAY
                if t >= now:
                    add((C, "Follow-up call", None, t, None, None, None, cid, None, aid, own, now - 3600))
                    break
                add((C, "Follow-up call", None, t, t, rng.randint(1, 15), call_outcome(rng), cid, None, aid, own, t))
        budget = self.scale.activities
        if len(out) > budget:
            rng.shuffle(out)
            del out[budget:]
        owned = [p for p in self.people if p.owner is not None]
        subjects = ((C, "Check-in call"), (E, "Sent case study"), (E, "Sent brochure"),
                    (E, "Answered pricing question"),
                    (N, "Prefers WhatsApp for quick questions"), (N, "Budget approved for next quarter"),
                    (T, "Update the account plan"), (MT, "Coffee meeting"), (C, "Qualification call (BANT)"))
        while len(out) < budget and owned:
            p = rng.choice(owned)
            kind, subject = rng.choice(subjects)
            t = self.between(p.captured, now + 20 * DAY)
            if t > now:  # scheduled, not done yet
                add((kind if kind is not N else T, subject, None, t, None, None, None, p.id, None,
                     p.acct.id if p.acct else None, p.owner.id, now - rng.uniform(0, 5) * DAY))
                continue
            overdue = kind is T and rng.random() < 0.35
            add((kind, subject, None, t if kind in (C, MT, T) else None, None if overdue else t,
                 rng.randint(5, 60) if kind in (C, MT) else None,
                 None if overdue or kind is N else (call_outcome(rng) if kind is C else DONE),
                 p.id, None, p.acct.id if p.acct else None, p.owner.id, t - rng.uniform(0, 3) * DAY))
        return out

    def activity_rows(self, acts: list[tuple]) -> Iterator[dict]:
        at = self.at
        reminded_before = self.now_ts - DAY  # the reps saw those reminders back then
        for kind, subject, body, due, done, minutes, outcome, cid, oid, aid, own, created in acts:
            due_at = at(due) if due is not None else None
            yield dict(kind=kind, subject=subject, body=body, due_at=due_at,
                       done_at=at(done) if done is not None else None, duration_minutes=minutes, outcome=outcome,
                       contact_id=cid, opportunity_id=oid, account_id=aid, owner_id=own,
                       created_at=at(min(created, self.now_ts)),
                       reminded_for=due_at if due is not None and done is None and due < reminded_before else None)
