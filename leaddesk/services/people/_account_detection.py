"""Account duplicate detection: the query over live accounts that pairs them by web domain
and by name, and the review-queue rows it writes (see :mod:`.account_duplicates` for the
rules of detection).

Apart from the pure matching rules (``_matching``) and from the review and merges
(:mod:`.account_duplicates`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddesk.models import Account, DuplicateCandidate
from leaddesk.models.enums import DuplicateStatus
from leaddesk.services.people._duplicate_common import _chunks, _h, _hex, pair_id
from leaddesk.services.people._matching import (
    MAX_SHARED,
    SHARED_HOSTS,
    _Found,
    _place,
    _places_agree,
    _similar_companies,
    _site_name,
    company_key,
)
from leaddesk.services.people.account_merge_rules import ENTITY
from leaddesk.services.records import as_uuid

DOMAIN_SCORE, SAME_NAME_SCORE, SIMILAR_NAME_SCORE = 90, 80, 70


def _live_account(model=Account):
    return model.deleted.is_(False) & model.merged_into.is_(None)


def _found_pairs(s: Session, focus: set[str] | None) -> _Found:
    found = _Found(focus)
    accounts: dict[str, tuple[str, str | None, str | None]] = {}  # hex id -> (name, country, city)
    sites: dict[str, str | None] = {}  # hex id -> name part of its web domain
    by_domain: dict[str, list[str]] = defaultdict(list)
    by_key: dict[str, list[str]] = defaultdict(list)
    for aid, name, domain, country, city in s.execute(
            select(_hex(Account.id), Account.name, Account.domain, Account.country, Account.city)
            .where(_live_account())):
        aid = _h(aid)
        accounts[aid] = (name, country, city)
        sites[aid] = _site_name(domain)
        if domain and domain not in SHARED_HOSTS:
            by_domain[domain].append(aid)
        key = company_key(name)
        if key:
            by_key[key].append(aid)
    for domain, ids in by_domain.items():
        found.add_group(sorted(ids), "domain", DOMAIN_SCORE, f"Same web domain: {domain}")

    def add_names(xs: list[str], ys: list[str] | None, score: int, label: str) -> None:
        if len(xs) + len(ys or ()) > MAX_SHARED:
            return  # a name so common it proves nothing ("Müller")
        for i, x in enumerate(xs):
            for y in (xs[i + 1:] if ys is None else ys):
                (nx, cx, tx), (ny, cy, ty) = accounts[x], accounts[y]
                if x == y or not _places_agree((cx, tx), (cy, ty)):
                    continue
                if sites[x] and sites[y] and sites[x] != sites[y]:
                    continue  # two websites: two companies of one name
                na, nb = sorted((nx, ny))
                where = _place(cx or cy, tx or ty)
                found.add(x, y, "name", score, f"{label}: {na} / {nb}" + (f" ({where})" if where else ""))

    # The same key once spaces are gone ("fair goods" / "fairgoods"), then similar keys.
    compact: dict[str, list[str]] = defaultdict(list)
    for key, ids in by_key.items():
        compact[key.replace(" ", "")].extend(ids)
    for ids in compact.values():
        add_names(sorted(ids), None, SAME_NAME_SCORE, "Same name")
    focus_keys = None if focus is None else {company_key(accounts[a][0]) for a in focus if a in accounts}
    for x, y in sorted(_similar_companies(by_key, {}, focus_keys)):
        if x.replace(" ", "") != y.replace(" ", ""):
            add_names(sorted(by_key[x]), sorted(by_key[y]), SIMILAR_NAME_SCORE, "Similar name")
    return found


def _score(kinds: dict[str, tuple[int, str]]) -> tuple[int, list[str]]:
    scores = sorted((sc for sc, _ in kinds.values()), reverse=True)
    order = {"domain": 0, "name": 1}
    return min(100, scores[0] + 5 * (len(scores) - 1)), [kinds[k][1] for k in sorted(kinds, key=order.get)]


def _detect(s: Session, account_ids: Iterable | None) -> int:
    focus = None if account_ids is None else {as_uuid(a).hex for a in account_ids}
    if focus is not None and not focus:
        return 0
    found = _found_pairs(s, focus)
    wanted = {}
    for (x, y), kinds in found.pairs.items():
        a, b = uuid.UUID(x), uuid.UUID(y)
        wanted[pair_id(a, b, ENTITY)] = (a, b, *_score(kinds))
    existing: dict[uuid.UUID, DuplicateCandidate] = {}
    for chunk in _chunks(sorted(wanted)):
        existing.update((c.id, c) for c in s.scalars(select(DuplicateCandidate).where(DuplicateCandidate.id.in_(chunk))))
    new = 0
    for cid, (a, b, score, reasons) in sorted(wanted.items()):
        row = existing.get(cid)
        if row is None:
            s.add(DuplicateCandidate(id=cid, entity=ENTITY, a_id=a, b_id=b, score=score, reasons=reasons,
                                     status=DuplicateStatus.OPEN))
            new += 1
        elif row.status == DuplicateStatus.OPEN and not row.deleted:
            if row.score != score:
                row.score = score
            if list(row.reasons or []) != reasons:
                row.reasons = reasons
    s.flush()
    return new
