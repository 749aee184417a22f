"""What ``rescore_all`` reads per batch, set-based and as the database holds it.

Three statements per batch of contacts (in id order, after the last id of the previous
batch): the contacts with their account's industry, size and country; their e-mail
addresses; their engagement events of the kinds the rules count, each with one flag per
time window the rules use (``occurred_at >= now - days``, compared by the database as the
scoring query of one contact compares it). The statements run through the driver
(``exec_driver_sql``: no ORM object, no type conversion per value): ids stay in the
database's own text (hex on SQLite, ``id::text`` on PostgreSQL), enums stay their
values, and only the few distinct persona ids are turned into UUIDs.
"""

from __future__ import annotations

import datetime as dt
import queue
import re
import threading
import uuid
from collections import defaultdict, namedtuple

from leaddesk.models import Contact, EngagementEvent
from leaddesk.services.qualification._bulk_scores import Facts
from leaddesk.sync import bulk_writes

none_counts: dict = {}  # shared, never written: a lead without events

_CONTACTS = """SELECT {id}, c.job_title, c.seniority, c.department, c.country, c.lifecycle_stage, {persona},
  c.fit_score, c.interest_score, c.version, c.hlc, a.industry, a.employees, a.country, {owner}
FROM contact c LEFT JOIN account a ON a.id = c.account_id AND a.deleted = false
WHERE c.deleted = false{after} ORDER BY c.id LIMIT :n"""
_EMAILS = """SELECT {contact_id}, address_normalized FROM contact_email
WHERE contact_id BETWEEN {lo} AND {hi} AND deleted = false"""
_EVENTS = """SELECT {contact_id}, kind{flags} FROM engagement_event
WHERE contact_id BETWEEN {lo} AND {hi} AND deleted = false AND kind IN ({kinds}){since}"""

_CLOCKS_TOP = """SELECT max(hlc) FROM hub_field_version
WHERE entity = 'contact' AND row_id BETWEEN CAST(:lo AS uuid) AND CAST(:hi AS uuid)"""


class Lead(Facts):
    """One contact as read: its scoring facts (``persona_id`` is the persona it is scored
    with), its id (database text) and what the write needs (version, creation clock, the
    stored fit, interest and persona). One object per contact, not two."""

    __slots__ = ("id", "version", "hlc", "fit_score", "interest_score", "stored_persona", "owner_id")

    def __init__(self, cid, title, seniority, department, country, stage, persona, fit, interest, version, hlc,
                 industry, employees, firm_country, owner, email_domains, engagement):
        self.id, self.version, self.hlc, self.fit_score, self.interest_score = cid, version, hlc, fit, interest
        self.owner_id = owner
        self.stored_persona = self.persona_id = persona
        self.job_title, self.seniority, self.department, self.country = title, seniority, department, \
            country or firm_country
        self.lifecycle_stage, self.industry, self.employees = stage, industry, employees
        self.email_domains, self.engagement = email_domains, engagement


class FactsReader:
    """``FactsReader(conn, keys, now).batch(after, n)`` -> the next ``n`` live contacts."""

    def __init__(self, conn, keys: list[tuple[str, int | None]], now: dt.datetime):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        as_text = "{}::text" if self.pg else "{}"
        param = "CAST(:{} AS uuid)" if self.pg else ":{}"
        self._contacts = _CONTACTS.format(id=as_text.format("c.id"), persona=as_text.format("c.persona_id"),
                                          owner=as_text.format("c.owner_id"), after="{after}")
        lo, hi = param.format("lo"), param.format("hi")
        self._emails = _EMAILS.format(contact_id=as_text.format("contact_id"), lo=lo, hi=hi)
        self._after = f" AND c.id > {param.format('last')}"
        self.keys = keys
        self._events = None
        self._params: dict = {}
        if keys:
            conv = EngagementEvent.__table__.c.occurred_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
            days = sorted({d for _, d in keys if d})
            kinds = sorted({str(k) for k, _ in keys})
            for d in days:
                cut = now - dt.timedelta(days=d)
                self._params[f"c{d}"] = conv(cut) if conv else cut
            self._params.update({f"k{i}": k for i, k in enumerate(kinds)})
            flags = "".join(f", occurred_at >= :c{d}" for d in days)
            # every rule counts within a window: older events cannot count
            since = f" AND occurred_at >= :c{days[-1]}" if days and all(d for _, d in keys) else ""
            self._events = _EVENTS.format(contact_id=as_text.format("contact_id"), lo=lo, hi=hi, flags=flags,
                                          kinds=", ".join(f":k{i}" for i in range(len(kinds))), since=since)
            col = {d: 2 + i for i, d in enumerate(days)}
            self._by_kind: dict[str, list] = defaultdict(list)
            for key in keys:
                self._by_kind[str(key[0])].append((key, col.get(key[1])))
        self._uuids: dict = {None: None}

    def _run(self, sql: str, params: dict) -> list:
        if self.pg:
            sql = re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql)
        return self.conn.exec_driver_sql(sql, params).fetchall()

    def _uuid(self, raw):
        try:
            return self._uuids[raw]
        except KeyError:
            out = self._uuids[raw] = uuid.UUID(raw)
            return out

    def clocks_top(self, rows: list[Lead]) -> int:
        """On a team hub: the highest field clock of the contacts in the span of ``rows``
        (read after them: see ``bulk_writes.bulk_update``'s ``clocks_top``); 0 if none."""
        return self._run(_CLOCKS_TOP, {"lo": rows[0].id, "hi": rows[-1].id})[0][0] or 0

    def batch(self, after: str | None, n: int) -> list[Lead]:
        sql = self._contacts.format(after=self._after if after is not None else "")
        params = {"n": n} if after is None else {"n": n, "last": after}
        rows = self._run(sql, params)
        if not rows:
            return []
        span = {"lo": rows[0][0], "hi": rows[-1][0]}
        domains: dict = defaultdict(set)
        for cid, address in self._run(self._emails, span):
            domains[cid].add(address.rpartition("@")[2])
        counts: dict = {}
        if self._events is not None:
            by_kind = self._by_kind
            for ev in self._run(self._events, {**span, **self._params}):
                mine = counts.get(ev[0])
                if mine is None:
                    mine = counts[ev[0]] = {}
                for key, col in by_kind[ev[1]]:
                    if col is None or ev[col]:
                        mine[key] = mine.get(key, 0) + 1
        none: frozenset = frozenset()
        sets: dict = {}  # one frozenset per distinct set of domains
        uuids = self._uuids
        out = []
        for row in rows:
            cid, persona = row[0], row[6]
            mail = domains.get(cid)
            if mail is None:
                mail = none
            else:
                key = tuple(sorted(mail))
                mail = sets.get(key) or sets.setdefault(key, frozenset(mail))
            stored = uuids.get(persona) if persona in uuids else self._uuid(persona)
            owner = uuids.get(row[14]) if row[14] in uuids else self._uuid(row[14])
            out.append(Lead(cid, *row[1:6], stored, *row[7:14], owner, mail, counts.get(cid, none_counts)))
        return out


#: A contact's values as its batch read them (the bulk update's guard and journal base).
_Stored = namedtuple("_Stored", "version hlc fit_score interest_score persona_id owner_id")


def score_batches(db, keys, now: dt.datetime, batch_size: int, matcher, scorer,
                   out: queue.Queue, stop: threading.Event, *, hub: bool = False) -> None:
    """The reading half of ``scoring.rescore_all``, on its own thread and connection: each
    batch's facts read and scored, and its write prepared (``bulk_writes.prepare``: the
    differing fields and the lines to send), ``(count, prepared, clocks top)`` put on
    ``out`` (the top on a team ``hub`` only, else None); then None, or the exception that
    stopped it."""
    last: str | None = None
    subject = db.write.subject  # the write rules checked here, on the rows as read (owner included)
    try:
        while not stop.is_set():
            top = None
            with db.reader() as s:
                conn = s.connection()
                facts = FactsReader(conn, keys, now)
                rows = facts.batch(last, batch_size)
                if rows and hub:
                    top = facts.clocks_top(rows)
                dialect = conn.dialect
            if not rows:
                break
            new, read = {}, {}
            best, score = matcher.best_of, scorer.score
            for r in rows:
                r.persona_id = persona = best(r.job_title, r.seniority, r.department, r.industry, r.employees,
                                              r.country)
                fit, interest = score(r)
                if fit != r.fit_score or interest != r.interest_score or persona != r.stored_persona:
                    cid = uuid.UUID(r.id)
                    new[cid] = {"fit_score": fit, "interest_score": interest, "persona_id": persona}
                    read[cid] = _Stored(r.version, r.hlc, r.fit_score, r.interest_score, r.stored_persona, r.owner_id)
            last = rows[-1].id
            out.put((len(rows), bulk_writes.prepare(Contact, new, read, dialect, subject=subject), top))
        out.put(None)
    except BaseException as exc:  # handed to the writing thread, which raises it
        out.put(exc)
