"""Who the card is for: the person's name, job title and company among the lines that are
not contact details or an address."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from leaddesk.capture._words import NAME_PREFIXES, NAME_SUFFIXES, PARTICLES, squash, tokens, words

_NAME_TOKEN = re.compile(r"^(?:[^\W\d_][^\W\d_'’.\-]*(?:[-'’][^\W\d_]+)*\.?|[^\W\d_]\.)$")


@dataclass
class Candidate:
    """One OCR line still unclaimed, with what the rules think of it."""

    index: int
    text: str
    score: float
    top: float
    height: float
    company: float = 0.0
    title: float = 0.0
    person: float = 0.0
    #: one part of a line split in two ("Anna Berg, Sales Manager")
    part: bool = False


def strip_prefixes(text: str) -> tuple[str, str | None]:
    """("Dr. Anna Berg", "Dr.") from "Dr. Anna Berg"; prefixes may repeat ("Prof. Dr.")."""
    rest, found = text.strip(), []
    changed = True
    while changed:
        changed = False
        low = rest.casefold()
        for p in sorted(NAME_PREFIXES, key=len, reverse=True):
            if low.startswith(p) and (len(rest) == len(p) or not rest[len(p)].isalpha() or p.endswith(".")):
                found.append(rest[: len(p)])
                rest = rest[len(p):].lstrip(" ,")
                changed = True
                break
    rest = re.split(r",\s*(?=[A-Za-z.]{2,}$)", rest)[0] if "," in rest else rest
    parts = rest.split()
    while len(parts) > 2 and parts[-1].casefold().strip(",") in NAME_SUFFIXES:
        parts.pop()
    return " ".join(parts), " ".join(found) or None


#: Where a name is written family name first ("Nagy Péter"): Hungary always; China, Korea,
#: Japan, Taiwan and Vietnam when the name is in their own script (in Latin letters their
#: cards mostly turn it round, or mark the family name in capitals).
_FAMILY_FIRST = {"HU"}
_FAMILY_FIRST_IN_SCRIPT = {"CN", "TW", "HK", "KR", "JP", "VN"}
_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def family_first(text: str, region: str | None) -> bool:
    return region in _FAMILY_FIRST or (region in _FAMILY_FIRST_IN_SCRIPT and bool(_CJK.search(text)))


def split_name(text: str, *, region: str | None = None) -> tuple[str | None, str | None]:
    """(given, family) of a printed name: "Family, Given"; an all-capitals family name
    ("MÜLLER Hans", "Hans MÜLLER"); particles ("Thijn van Haspengouw"); the family name first
    where the card's country writes it so (``region``, see :func:`family_first`); else the
    last word is the family name."""
    name, _ = strip_prefixes(text)
    if "," in name:
        fam, _, giv = name.partition(",")
        return giv.strip() or None, fam.strip() or None
    parts = name.split()
    if not parts:
        return None, None
    if len(parts) == 1:
        return None, parts[0]
    caps = [i for i, p in enumerate(parts) if len(p) > 1 and p.isupper() and p.isalpha()]
    if caps and len(caps) < len(parts):
        fam = [parts[i] for i in caps]
        return " ".join(p for i, p in enumerate(parts) if i not in caps), " ".join(fam)
    if family_first(name, region):
        return " ".join(parts[1:]), parts[0]
    for i in range(1, len(parts) - 1):
        if parts[i].casefold() in PARTICLES:
            return " ".join(parts[:i]), " ".join(parts[i:])
    return " ".join(parts[:-1]), parts[-1]


_SLIPS = str.maketrans({"I": "l", "1": "l", "0": "o"})


def fix_legal_form(text: str) -> str:
    """The legal form at the end with its usual OCR slips undone ("S.r.I." -> "S.r.l.")."""
    parts = text.split()
    if parts and squash(parts[-1]) not in words().suffixes:
        fixed = parts[-1].translate(_SLIPS)
        if squash(fixed) in words().suffixes:
            return " ".join(parts[:-1] + [fixed])
    return text


def split_name_and_title(text: str) -> list[str]:
    """"Anna Berg, Sales Manager" / "Anna Berg | CEO" -> the two parts, when one reads as a
    name and the other as a title; else nothing."""
    parts = [p.strip() for p in re.split(r"\s*[|,·•–]\s*|\s+-\s+", text) if p.strip()]
    if len(parts) != 2:
        return []
    a, b = parts
    if person_strength(a, []) >= 0.5 and title_strength(b) >= 0.9:
        return [a, b]
    return []


def company_strength(text: str, domain_label: str | None) -> float:
    """1.0 with a legal form, 0.7 when it holds the domain's name, 0.5 with a company word."""
    w = words()
    text = fix_legal_form(text)
    toks = [squash(t) for t in re.split(r"[\s,]+", text) if squash(t)]
    tail = ["".join(toks[i:]) for i in range(max(0, len(toks) - 4), len(toks))]
    strength = 0.0
    if len(toks) >= 2 and any(t in w.suffixes for t in tail):
        strength = 1.0
    elif "&" in text and len(toks) >= 2 and not _NAME_TOKEN.match(toks[-1] or ""):
        strength = 0.5
    if domain_label and len(domain_label) >= 3:
        sq = squash(text)
        if domain_label in sq or (len(sq) >= 4 and sq in domain_label) or fuzz.partial_ratio(domain_label, sq) >= 90:
            strength = max(strength, 0.7)
    if any(t in w.company_words for t in tokens(text)):
        strength = max(strength, 0.5)
    return strength


def title_strength(text: str) -> float:
    """1.0 with a role word ("manager", "Lagerleiter", "Depo Müdürü"), 0.6 with only a function word."""
    w = words()
    toks = [t.strip(".-'") for t in tokens(text)]
    folded = " " + " ".join(toks) + " "
    if any(t in w.title_roles for t in toks) or any(f" {r} " in folded for r in w.title_roles if " " in r):
        return 1.0
    if any(t.endswith(e) and len(t) > len(e) for t in toks for e in w.title_endings):
        return 0.9
    if any(t in w.title_functions for t in toks):
        return 0.6
    return 0.0


def person_strength(text: str, email_locals: list[str]) -> float:
    """How much ``text`` looks like a person's name: 2 to 4 capitalised words of letters."""
    name, prefix = strip_prefixes(text)
    parts = name.split()
    if not 2 <= len(parts) <= 4 or any(ch.isdigit() for ch in name) or "@" in name:
        return 0.0
    if not all(_NAME_TOKEN.match(p) for p in parts) or squash(parts[-1]) in words().suffixes:
        return 0.0
    caps = sum(1 for p in parts if not p[0].islower() or p.casefold() in PARTICLES)  # caseless scripts pass
    if caps < len(parts):
        return 0.1
    strength = 0.5 + (0.2 if prefix else 0.0)
    folded = [squash(p) for p in parts if len(squash(p)) >= 2]
    for local in email_locals:
        pieces = [p for p in re.split(r"[._\-]", local) if p]
        if any(f in pieces or (len(f) >= 3 and f in local) for f in folded):
            strength += 0.4
            break
    return min(strength, 1.0)


def domain_label(emails: list[str], website: str | None) -> str | None:
    """The company's name as its domain spells it ("acme" of "sales@acme-group.de"), not a free-mail host."""
    hosts = [re.sub(r"^[a-z]+://", "", website or "").split("/")[0]] + [e.partition("@")[2] for e in emails]
    for host in hosts:
        labels = [x for x in host.lower().removeprefix("www.").split(".") if x]
        if len(labels) < 2:
            continue
        core = labels[-3] if len(labels) >= 3 and labels[-2] in ("co", "com", "org", "net", "ac") else labels[-2]
        if core in words().free_mail:
            continue
        return squash(core.split("-")[0]) or None
    return None


def assess(c: Candidate, email_locals: list[str], dom: str | None) -> None:
    c.company = company_strength(c.text, dom)
    c.title = title_strength(c.text)
    c.person = person_strength(c.text, email_locals)


class _Taken:
    """Lines already given a field: a line is used once, but each part of a split line once."""

    def __init__(self):
        self.items: list[Candidate] = []

    def add(self, c: Candidate) -> None:
        self.items.append(c)

    def free(self, c: Candidate) -> bool:
        return all(not (t.index == c.index and (t is c or not (t.part and c.part))) for t in self.items)


def choose(cands: list[Candidate], email_locals: list[str]) -> dict[str, tuple[Candidate, float]]:
    """field -> (line, rule strength) for name, title and company."""
    out: dict[str, tuple[Candidate, float]] = {}
    if not cands:
        return out
    body = sorted(c.height for c in cands)[len(cands) // 2] or 1.0
    top = min(c.top for c in cands)
    span = max(max(c.top for c in cands) - top, 1.0)
    taken = _Taken()
    strong_company = [c for c in cands if c.company >= 1.0]
    if strong_company:
        best = max(strong_company, key=lambda c: c.height)
        out["company"] = (best, 1.0)
        taken.add(best)

    def name_score(c: Candidate) -> float:
        s = 2.0 * c.person + 0.8 * min(c.height / body, 2.5) + 0.6 * (1 - (c.top - top) / span)
        s -= 1.5 * c.title + 1.2 * c.company * (0.3 if c.person >= 0.9 else 1.0)
        return s

    people = [c for c in cands if taken.free(c) and c.person > 0.1]
    if people:
        best = max(people, key=name_score)
        if name_score(best) > 0.6:
            strength = 0.95 if best.person >= 0.9 else (0.75 if best.title == 0 and best.company == 0 else 0.5)
            out["name"] = (best, strength)
            taken.add(best)
    name = out.get("name", (None,))[0]
    titled = [c for c in cands if taken.free(c) and c.title > 0 and c.company < 1.0]
    if titled:
        near = (lambda c: abs(c.top - name.top)) if name else (lambda c: c.top)
        best = max(titled, key=lambda c: (c.title, -near(c)))
        out["title"] = (best, 0.9 if best.title >= 0.9 else 0.6)
        taken.add(best)
    if "company" not in out:
        rest = [c for c in cands if taken.free(c)]
        hinted = [c for c in rest if c.company > 0]
        if hinted:
            best = max(hinted, key=lambda c: (c.company, c.height))
            out["company"] = (best, 0.8 if best.company >= 0.7 else 0.6)
        elif rest and len(rest) <= 3:
            best = max(rest, key=lambda c: c.height)
            out["company"] = (best, 0.35)
        if "company" in out:
            taken.add(out["company"][0])
    if "title" not in out and name:
        below = sorted((c for c in cands if taken.free(c) and c.top > name.top and len(c.text.split()) <= 6),
                       key=lambda c: c.top)
        if below and below[0].top - name.top < 3.0 * name.height:
            out["title"] = (below[0], 0.4)
    return out
