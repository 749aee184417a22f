"""Pure matching rules of both duplicate finders: names and company names folded for
comparing, similar company keys, web domains and places that tell two companies apart, and
the pairs found with their reasons.

Apart from the queries (``_contact_detection``, ``_account_detection``) because none of it
reads the database: it takes folded names, keys and domains and says which are alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from rapidfuzz import fuzz, process

from leaddesk.services import validation as v
from leaddesk.services.validation import FREE_EMAIL_DOMAINS

#: An e-mail or phone shared by more live contacts than this is a shared inbox or a switchboard.
MAX_SHARED = 20
#: Name similarity (0-100) needed at the same or a similar company.
NAME_THRESHOLD = 90
#: Folded company-name similarity that counts as "the same company".
COMPANY_THRESHOLD = 90
#: A company with more contacts than this compares names only within the same initial.
BIG_COMPANY = 3000
#: Words that say what kind of company, not which one (folded): dropped before comparing.
LEGAL_FORMS = frozenset({
    "ab", "ag", "as", "aps", "bv", "co", "company", "corp", "corporation", "gmbh", "inc", "incorporated",
    "kg", "llc", "llp", "lp", "ltd", "limited", "nv", "oy", "plc", "pty", "sa", "sarl", "sas", "spa", "srl",
    "the", "ug", "and", "und", "ve", "san", "tic", "sti",
    "شركة", "مؤسسة", "شرکت", "บริษัท", "จำกัด", "มหาชน",
})
#: How close the words that differ between two company names must be (a typo, not a name).
COMPANY_WORDS_THRESHOLD = 80


def _name_key(name_key: str) -> str:
    """A folded name (``Contact.name_key``) with its words sorted: "müller, ana" ~ "ana muller"."""
    return " ".join(sorted(name_key.replace(",", " ").split()))


def _company_key_folded(folded: str | None) -> str:
    if not folded:
        return ""
    plain = "".join(ch if ch.isalnum() else " " for ch in folded)
    words = [w for w in plain.split() if w not in LEGAL_FORMS and len(w) > 1]
    return " ".join(words) or " ".join(plain.split())


def _same_company(a: str, b: str) -> bool:
    """Two company keys close overall (ratio >= COMPANY_THRESHOLD, checked by the caller):
    the same company unless the words they do not share are different words. Long shared
    parts ("... Software", "... – Istanbul") must not make "Mavi" and "Kara" one company."""
    wa, wb = a.split(), b.split()
    only_a = [w for w in wa if w not in wb]
    only_b = [w for w in wb if w not in wa]
    if not only_a or not only_b:
        return True
    return fuzz.ratio(" ".join(only_a), " ".join(only_b)) >= COMPANY_WORDS_THRESHOLD


def company_key(name: str | None) -> str:
    """A company name folded, without punctuation and legal forms ("ACME GmbH." -> "acme")."""
    return _company_key_folded(v.sort_key(name)) if name else ""


class _Found:
    """Pairs (hex ids, smaller first) and why: {kind: (score, reason)}."""

    def __init__(self, focus: set[str] | None):
        self.focus = focus
        self.pairs: dict[tuple[str, str], dict[str, tuple[int, str]]] = defaultdict(dict)

    def add(self, x: str, y: str, kind: str, score: int, reason: str) -> None:
        if x == y or (self.focus is not None and x not in self.focus and y not in self.focus):
            return
        key = (x, y) if x < y else (y, x)
        reasons = self.pairs[key]
        # Several shared addresses: keep the same one whatever the order, so replicas agree.
        if kind not in reasons or (score, reason) > reasons[kind]:
            reasons[kind] = (score, reason)

    def add_group(self, ids: list[str], kind: str, score: int, reason: str) -> None:
        if len(ids) > MAX_SHARED:
            return
        for i, x in enumerate(ids):
            for y in ids[i + 1:]:
                self.add(x, y, kind, score, reason)


def _fuzzy_blocks(keys: list[str], depth: int = 4) -> Iterator[list[str]]:
    """Company keys grouped by their first ``depth`` characters; a crowded group is split
    further, so no group is compared all-pairs beyond a few hundred keys."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        groups[key[:depth]].append(key)
    for group in groups.values():
        if len(group) > 400 and depth < 12:
            yield from _fuzzy_blocks(group, depth + 2)
        elif len(group) > 1:
            yield group


def _similar_companies(keys: Iterable[str], domains: dict[str, set[str]],
                       focus_keys: set[str] | None) -> set[tuple[str, str]]:
    """Pairs of distinct company keys that name the same company (fuzzy or same domain)."""
    pairs: set[tuple[str, str]] = set()
    for linked in domains.values():
        ordered = sorted(linked)
        for i, x in enumerate(ordered):
            for y in ordered[i + 1:]:
                if focus_keys is None or x in focus_keys or y in focus_keys:
                    pairs.add((x, y))
    for block in _fuzzy_blocks(sorted(keys)):
        queries = block if focus_keys is None else [k for k in block if k in focus_keys]
        for key in queries:
            for other, _score, _ in process.extract(key, block, scorer=fuzz.ratio, limit=None,
                                                   score_cutoff=COMPANY_THRESHOLD):
                if other != key and _same_company(key, other):
                    pairs.add((key, other) if key < other else (other, key))
    return pairs


def _name_matches(left: list[tuple[str, str]], right: list[tuple[str, str]] | None,
                  focus: set[str] | None) -> Iterator[tuple[str, str, float]]:
    """Pairs of similar names: within ``left`` (right None) or across left x right."""
    if right is None and len(left) > BIG_COMPANY:
        by_initial: dict[str, list] = defaultdict(list)
        for item in left:
            by_initial[item[1][:1]].append(item)
        for group in by_initial.values():
            yield from _name_matches(group, None, focus)
        return
    others = left if right is None else right
    names = [n for _, n in others]
    for i, (cid, name) in enumerate(left):
        if focus is not None and cid not in focus:
            continue
        for _other, score, j in process.extract(name, names, scorer=fuzz.ratio, limit=None,
                                                score_cutoff=NAME_THRESHOLD):
            if right is None and j == i:
                continue
            yield cid, others[j][0], score
    if right is not None and focus is not None:
        # Focus contacts of the right side against the whole left side.
        names_left = [n for _, n in left]
        for cid, name in right:
            if cid in focus:
                for _other, score, j in process.extract(name, names_left, scorer=fuzz.ratio, limit=None,
                                                        score_cutoff=NAME_THRESHOLD):
                    yield left[j][0], cid, score


#: Hosts many unrelated companies share (a profile page, a site builder): not evidence.
SHARED_HOSTS = frozenset(FREE_EMAIL_DOMAINS) | {
    "facebook.com", "instagram.com", "linkedin.com", "xing.com", "twitter.com", "x.com", "youtube.com",
    "google.com", "sites.google.com", "business.site", "wix.com", "wixsite.com", "squarespace.com",
    "wordpress.com", "blogspot.com", "jimdo.com", "jimdofree.com", "weebly.com", "github.io", "t.me",
}


def _place(country: str | None, city: str | None) -> str:
    return ", ".join(p for p in (city, country) if p)


def _places_agree(x: tuple[str | None, str | None], y: tuple[str | None, str | None]) -> bool:
    """(country, city): a place known on both sides must be the same."""
    (cx, tx), (cy, ty) = x, y
    if cx and cy and cx != cy:
        return False
    return not (tx and ty and v.sort_key(tx).strip() != v.sort_key(ty).strip())


#: Second-level labels under a country code ("co.uk", "com.tr"): the name is one label further left.
SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "or", "ne", "gob", "nom"})


def _site_name(domain: str | None) -> str | None:
    """The name part of a web domain: "shop.fairgoods.co.uk" -> "fairgoods" (None: unknown
    or a shared host)."""
    if not domain or domain in SHARED_HOSTS:
        return None
    parts = domain.split(".")
    if len(parts) >= 3 and len(parts[-1]) == 2 and parts[-2] in SECOND_LEVEL:
        return parts[-3]
    return parts[-2] if len(parts) >= 2 else parts[0]
