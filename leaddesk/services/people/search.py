"""Global search over accounts, contacts and opportunities: one service, two engines.

* 3+ characters: substring match on the folded index text (names, company, e-mails,
  phones): SQLite FTS5 trigram ``MATCH``, PostgreSQL ``LIKE`` served by a pg_trgm GIN index.
* 1-2 characters: prefix match on the folded title (a plain B-tree range scan).
* Phone-like input ("030 123", "+49 30-12") is also tried as bare digits.

Nothing ranks the whole match set (that made p95 170-240x worse in the sync notes'
measurements): at most ``CANDIDATES`` matches are read, then ranked in Python.

Contact hits carry their score, its temperature (by the team's thresholds, read once per
search) and their persona's name: one follow-up query for all contact hits of the answer.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, column, select, table, text

from leaddesk.db import Database
from leaddesk.models import Contact, Persona
from leaddesk.models.search import SearchDoc, fold
from leaddesk.services import settings as team_settings
from leaddesk.services.qualification.dto import Grade, Thresholds

CANDIDATES = 60
ENTITY_ORDER = {"contact": 0, "account": 1, "opportunity": 2}
_fts = table("search_fts", column("rowid"))
_PHONE_RE = re.compile(r"^\+?[\d\s\-/().]{3,}$")


@dataclass(frozen=True)
class SearchHit:
    entity: str  # "contact" | "account" | "opportunity"
    id: uuid.UUID
    title: str
    subtitle: str | None
    #: contact hits only (None on accounts and opportunities): fit + interest, its grade
    #: ("hot" | "warm" | "cold") and the persona's name (None when the contact has none)
    score: int | None = None
    grade: str | None = None
    persona_name: str | None = None


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: What a search never looks for: control characters (but tab and newline, which become
#: spaces in the folded text) and lone surrogates, which no engine can bind (PostgreSQL
#: refuses NUL, every driver a lone surrogate). A pasted query is cleaned, never an error.
_UNSEARCHABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_query(query: str) -> str:
    """``query`` without the characters no stored text can hold."""
    return _UNSEARCHABLE.sub("", query)


def _terms(query: str) -> list[str]:
    query = clean_query(query)
    folded = fold(query).strip()
    terms = [folded] if folded else []
    if _PHONE_RE.match(query.strip()):
        digits = re.sub(r"\D", "", query)
        if len(digits) >= 3 and digits != folded:
            terms.append(digits)
    return terms


COLS = (SearchDoc.entity, SearchDoc.row_id, SearchDoc.title, SearchDoc.title_key, SearchDoc.subtitle)
PREFIX_CANDIDATES = 20
#: PostgreSQL: a GIN trigram scan must collect every match before LIMIT applies (a common
#: trigram matches tens of thousands of documents). We rank at most CANDIDATES anyway, so
#: let the index stop early (documented pg_trgm/GIN knob for exactly this use).
PG_GIN_FUZZY_LIMIT = 1000


def _prefix(session, term: str, entities, limit: int):
    hi = term + "\U0010ffff"
    stmt = select(*COLS).where(SearchDoc.title_key >= term, SearchDoc.title_key < hi,
                               SearchDoc.deleted.is_(False))
    if entities:
        stmt = stmt.where(SearchDoc.entity.in_(entities))
    return session.execute(stmt.order_by(SearchDoc.title_key).limit(limit)).all()


def _candidates(session, dialect: str, term: str, entities: tuple[str, ...] | None):
    """Names that start with the term (B-tree, best matches) plus, from 3 characters,
    documents containing it anywhere (trigram index)."""
    prefix = _prefix(session, term, entities, CANDIDATES if len(term) < 3 else PREFIX_CANDIDATES)
    if len(term) < 3:
        return prefix
    cols = COLS
    if dialect == "sqlite":
        phrase = '"' + term.replace('"', '""') + '"'
        stmt = (select(*cols).join(_fts, _fts.c.rowid == SearchDoc.id)
                .where(text("search_fts MATCH :phrase").bindparams(phrase=phrase)))
    else:
        session.execute(text(f"SET LOCAL gin_fuzzy_search_limit = {PG_GIN_FUZZY_LIMIT}"))
        stmt = select(*cols).where(SearchDoc.text.like(f"%{_like_escape(term)}%", escape="\\"))
    stmt = stmt.where(SearchDoc.deleted.is_(False))
    if entities:
        stmt = stmt.where(SearchDoc.entity.in_(entities))
    return prefix + session.execute(stmt.limit(CANDIDATES)).all()


def search(db: Database, query: str, *, limit: int = 20, entities: tuple[str, ...] | None = None) -> list[SearchHit]:
    """Hits for what the user typed so far, best first (title starts with it, then
    contacts before accounts before opportunities, then alphabetical)."""
    terms = _terms(query or "")
    if not terms:
        return []
    seen: dict[uuid.UUID, tuple] = {}
    key = terms[0]

    def rank(row):
        starts = row.title_key.startswith(key)
        word_start = f" {key}" in f" {row.title_key}"
        return (not starts, not word_start, ENTITY_ORDER.get(row.entity, 9), row.title_key)

    with db.reader() as s:
        for term in terms:
            for row in _candidates(s, db.dialect, term, entities):
                seen.setdefault(row.row_id, row)
        ordered = sorted(seen.values(), key=rank)[:limit]
        lead = _lead_facts(s, [r.row_id for r in ordered if r.entity == "contact"])
    return [SearchHit(r.entity, r.row_id, r.title, r.subtitle, *lead.get(r.row_id, (None, None, None)))
            if r.entity == "contact" else SearchHit(r.entity, r.row_id, r.title, r.subtitle) for r in ordered]


def _grade(total: int, limits: Thresholds) -> str:
    return (Grade.HOT if total >= limits.hot else Grade.WARM if total >= limits.warm else Grade.COLD).value


def _lead_facts(s, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, str, str | None]]:
    """(score, grade, persona name) of the given contacts: one query for all of them, plus
    the team's thresholds (once per search, by primary key, in the search's transaction)."""
    if not ids:
        return {}
    values = team_settings.read_in(s, "score_hot", "score_warm")
    limits = Thresholds(hot=int(values["score_hot"]), warm=int(values["score_warm"]))
    rows = s.execute(
        select(Contact.id, Contact.fit_score, Contact.interest_score, Persona.name.label("persona_name"))
        .outerjoin(Persona, and_(Persona.id == Contact.persona_id, Persona.deleted.is_(False)))
        .where(Contact.id.in_(ids))).all()
    out = {}
    for r in rows:
        total = int(r.fit_score or 0) + int(r.interest_score or 0)
        out[r.id] = (total, _grade(total, limits), r.persona_name)
    return out


def rebuild_index(db: Database) -> int:
    """Re-index everything (e.g. after restoring an old backup). Returns documents indexed."""
    with db.unit_of_work() as s:
        if db.dialect == "sqlite":
            s.execute(text("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"))
        else:
            for name, tbl in (("accounts", "account"), ("contacts", "contact"), ("opportunities", "opportunity")):
                s.execute(text(f"SELECT ld_search_{name}(ARRAY(SELECT id FROM {tbl}))"))
        return int(s.scalar(select(SearchDoc.id).order_by(SearchDoc.id.desc()).limit(1)) or 0)
