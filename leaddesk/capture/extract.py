"""OCR lines -> :class:`~leaddesk.capture.fields.CardFields`: the rules that read a business card.

Contact details first, as their shapes are sure (``_contacts``): e-mail addresses (after
fixing the usual OCR slips), the website (never the e-mail's domain), then phone numbers
with the label printed beside them ("T", "Tel.", "Mobil", "Cep", "Fax" ... from
``data/labels.toml``), parsed in the regions the card points to (:mod:`.phones`). Then the
postal address (``_address``: postal-code shapes, street words and house numbers, a
country's name), and last who the card is for (``_people``): the company by its legal form
or its domain's name, the job title by its words, the person as the most prominent line
that reads like a name. What is left goes to ``note``.

Each field's confidence is the engine's score for its line(s) times how sure its rule is
(a label or a legal form: high; a guess by position: low).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from leaddesk.capture import _address, _people
from leaddesk.capture._contacts import find_emails, find_phone_runs, find_website, residue
from leaddesk.capture._words import fold, label_kind, words
from leaddesk.capture.fields import CardFields, TextLine
from leaddesk.capture.phones import infer_regions, parse_phone


@dataclass
class _Seg:
    index: int
    line: TextLine
    rest: str
    used: str | None = None
    fields: list[str] = field(default_factory=list)

    @property
    def left(self) -> float:
        return self.line.box[0]

    @property
    def top(self) -> float:
        return self.line.box[1]

    @property
    def right(self) -> float:
        return self.line.box[2]

    @property
    def bottom(self) -> float:
        return self.line.box[3]

    @property
    def height(self) -> float:
        return max(self.line.box[3] - self.line.box[1], 1.0)


def _is_junk(text: str) -> bool:
    """An icon read as text ("0", "∇", "|"): too little to be anything."""
    return sum(ch.isalnum() for ch in text) < 2


def _same_row(a: _Seg, b: _Seg) -> bool:
    mid_a, mid_b = (a.top + a.bottom) / 2, (b.top + b.bottom) / 2
    return abs(mid_a - mid_b) < 0.5 * max(a.height, b.height)


def _same_column(a: _Seg, b: _Seg) -> bool:
    tol = 0.8 * max(a.height, b.height)
    overlap = min(a.right, b.right) - max(a.left, b.left)
    return (abs(a.left - b.left) < tol or abs(a.right - b.right) < tol
            or abs((a.left + a.right) / 2 - (b.left + b.right) / 2) < tol or overlap > 0.5 * min(
                a.right - a.left, b.right - b.left))


def _next_to(a: _Seg, b: _Seg) -> bool:
    """b is the line right under a, in its column."""
    gap = b.top - a.bottom
    return -0.6 * a.height < gap < 1.3 * max(a.height, b.height) and _same_column(a, b)


def _neighbour_label(seg: _Seg, segs: list[_Seg]) -> str | None:
    """A label printed as its own text box left of the number ("Tel." | "+49 ...")."""
    left = [s for s in segs if s is not seg and _same_row(s, seg) and s.right <= seg.left + 5
            and seg.left - s.right < 4 * seg.height and len(s.rest.strip()) <= 14]
    for s in sorted(left, key=lambda s: -s.right):
        kind = label_kind(s.rest.strip(" :|"))
        if kind in ("office", "mobile", "fax", "other"):
            s.used = s.used or "label"
            return kind
    return None


def _contacts(segs: list[_Seg], card: CardFields, default_region: str | None, conf: dict) -> None:
    email_scores = []
    for s in segs:
        found, rest = find_emails(s.rest)
        if found:
            card.emails += [e for e in found if e not in card.emails]
            s.rest, s.used = rest, "email"
            email_scores.append(s.line.score)
    if card.emails:
        conf["emails"] = min(email_scores)
    for s in segs:
        labelled = any(label_kind(t) == "web" for t in s.rest.split()[:1])
        url, rest = find_website(s.rest, labelled=labelled)
        if url:
            card.website, s.rest = url, rest
            s.used = s.used or "website"
            conf["website"] = s.line.score * (0.95 if re.match(r"(https?://|www)", url) else 0.8)
            break
    text = "\n".join(s.line.text for s in segs)
    regions = infer_regions(text, emails=card.emails, website=card.website, default_region=default_region)
    phone_conf = []
    for s in segs:
        runs = find_phone_runs(s.rest, regions)
        if not runs:
            continue
        leftover = residue(s.rest, runs)
        if re.search(r"[^\W\d_]{3,}", leftover) and not any(r.kind for r in runs) \
                and not runs[0].raw.lstrip("(").startswith("+") and s.used is None:
            continue  # digits inside an address or a company line, not a number to call
        neighbour = None if all(r.kind for r in runs) else _neighbour_label(s, segs)
        for r in runs:
            kind = r.kind or neighbour
            phone = parse_phone(r.raw, type_hint=kind, regions=regions)
            if any(p.number == phone.number for p in card.phones):
                continue
            card.phones.append(phone)
            phone_conf.append(s.line.score * (1.0 if phone.valid else 0.6) * (1.0 if kind else 0.85))
        s.rest = leftover if re.search(r"\w", leftover) else ""
        s.used = s.used or "phone"
    if phone_conf:
        conf["phones"] = min(phone_conf)
    for s in segs:  # what remains of a contact line is a label or noise
        if s.used in ("email", "website", "phone") and not re.search(r"[^\W\d_]{3,}", residue(s.rest, [])):
            s.rest = ""


def _address_lines(segs: list[_Seg], card: CardFields, conf: dict) -> None:
    free = [s for s in segs if not s.used and s.rest.strip() and not _is_junk(s.rest)]
    kinds = {s.index: _address.classify(s.rest) for s in free}
    best: list[tuple[_Seg, str]] = []
    strong = any(k == "postal" for k in kinds.values())
    for i, s in enumerate(free):
        if kinds[s.index] != ("postal" if strong else "postal?"):
            continue
        cluster = [(s, "postal")]
        p = _address.postal_parts(s.rest)
        j = i - 1
        while j >= 0 and _next_to(free[j], cluster[0][0]):
            prev = free[j]
            k = kinds[prev.index]
            if k == "street" or (k in (None, "postal?") and _address.starts_or_ends_with_number(prev.rest)):
                cluster.insert(0, (prev, "street"))
            elif k is None and not p["city"] and len(cluster) == 1 and len(prev.rest.split()) <= 3 \
                    and not any(ch.isdigit() for ch in prev.rest):
                cluster.insert(0, (prev, "city"))
            else:
                break
            j -= 1
        j = i + 1
        while j < len(free) and _next_to(cluster[-1][0], free[j]) and kinds[free[j].index] in ("country", "street"):
            if kinds[free[j].index] == "street" and len(cluster) > 1:
                break
            cluster.append((free[j], kinds[free[j].index]))
            j += 1
        if len(cluster) > len(best):
            best = cluster
    if not best:  # no postal code: a street line (and the country under it)
        for i, s in enumerate(free):
            if kinds[s.index] == "street":
                best = [(s, "street")]
                if i + 1 < len(free) and kinds[free[i + 1].index] == "country" and _next_to(s, free[i + 1]):
                    best.append((free[i + 1], "country"))
                break
    if not best:
        return
    card.address = _address.build([s.rest for s, _ in best], [k for _, k in best])
    if card.address.country is None:  # not printed: the country the card's domain or prefixes point to
        text = "\n".join(s.line.text for s in segs)
        regions = infer_regions(text, emails=card.emails, website=card.website)
        card.address.country = regions[0] if regions else None
    for s, _ in best:
        s.used = "address"
    has_postal = any(k == "postal" for _, k in best)
    conf["address"] = min(s.line.score for s, _ in best) * (0.9 if has_postal else 0.55)


def _who(segs: list[_Seg], card: CardFields, conf: dict, region: str | None) -> None:
    locals_ = [e.partition("@")[0] for e in card.emails]
    dom = _people.domain_label(card.emails, card.website)
    cands = []
    free = [s for s in segs if not s.used and s.rest.strip() and not _is_junk(s.rest)]
    for s in free:
        # words the engine boxed apart on one line ("Anna" "Berg" in wide letter spacing)
        for o in sorted(free, key=lambda o: o.left):
            if o is not s and not o.used and s.right - s.left > s.height and o.right - o.left > o.height \
                    and _same_row(s, o) and 0 <= o.left - s.right < 1.2 * s.height \
                    and 0.8 < o.height / s.height < 1.25:
                s.rest, o.used = f"{s.rest.strip()} {o.rest.strip()}", "merged"
                s.line = TextLine(s.line.text, min(s.line.score, o.line.score),
                                  (s.left, min(s.top, o.top), o.right, max(s.bottom, o.bottom)))
    for s in free:
        if s.used:
            continue
        c = _people.Candidate(s.index, s.rest.strip(" |·•,;"), s.line.score, s.top, s.height)
        _people.assess(c, locals_, dom)
        cands.append(c)
        if c.person == 0:
            for part in _people.split_name_and_title(c.text):  # "Anna Berg, Sales Manager"
                p = _people.Candidate(s.index, part, s.line.score, s.top, s.height, part=True)
                _people.assess(p, locals_, dom)
                cands.append(p)
    picked = _people.choose(cands, locals_)
    by_index = {s.index: s for s in segs}
    if "name" in picked:
        c, strength = picked["name"]
        card.given_name, card.family_name = _people.split_name(c.text, region=region)
        conf["given_name"] = conf["family_name"] = c.score * strength
        by_index[c.index].used = "name"
    if "title" in picked:
        c, strength = picked["title"]
        card.title = c.text
        conf["title"] = c.score * strength
        by_index[c.index].used = "title"
    if "company" in picked:
        c, strength = picked["company"]
        card.company = _people.fix_legal_form(c.text)
        conf["company"] = c.score * strength
        by_index[c.index].used = "company"


def warm_up() -> None:
    """Load the word tables and the country names (about 0.6 s once): call it from the worker
    that warms the OCR engine, so the first card is as quick as the others."""
    from leaddesk.capture import _contacts, phones

    words()
    phones.country_in("")
    _contacts.find_website("www.example.de")


def _unglue_email_label(card: CardFields) -> None:
    """"Ejeffrey@firma.com": the label "E" read glued to the address. Taken off only when the
    capital E was printed and what follows starts with the person's name."""
    names = [fold(n) for n in (card.given_name, card.family_name) if n and len(n) >= 3]
    for i, e in enumerate(card.emails):
        if ("E" + e[1:]) in card.raw_text and e.startswith("e") and any(fold(e[1:]).startswith(n) for n in names):
            card.emails[i] = e[1:]


#: Letters OCR confuses in a lower-case e-mail address ("l.vidoni" read "i.vidoni").
_LOOKALIKE = {("i", "l"), ("l", "i"), ("1", "l"), ("l", "1"), ("0", "o"), ("o", "0")}
_PARTS = re.compile(r"([._-])")


def _emails_agree_with_the_name(card: CardFields) -> None:
    """A part of an e-mail's local part that is the person's initial or name but for one
    look-alike letter (i/l, 1/l, 0/o) is put right: the card printed both, and OCR misread
    one of them in the address. Only plain ASCII names are compared."""
    names = [n.casefold() for n in (card.given_name, card.family_name) if n and n.isascii() and n.isalpha()]
    if not names:
        return

    def fixed(part: str) -> str:
        for name in names:
            want = name[0] if len(part) == 1 else name
            if len(part) != len(want) or part == want:
                continue
            if all(a == b or (a, b) in _LOOKALIKE for a, b in zip(part, want)):
                return want
        return part

    for i, e in enumerate(card.emails):
        local, at, domain = e.partition("@")
        card.emails[i] = "".join(fixed(p) for p in _PARTS.split(local)) + at + domain


def extract_fields(lines: list[TextLine], *, default_region: str | None = None) -> CardFields:
    """The fields of one card from its OCR lines (any order; boxes in image pixels).

    ``default_region`` (ISO code, e.g. the event's country) is the last resort for national
    phone numbers, after what the card itself says (see :func:`.phones.infer_regions`)."""
    ordered = sorted((ln for ln in lines if ln.text.strip()), key=lambda ln: (ln.box[1], ln.box[0]))
    card = CardFields(source="ocr", raw_text="\n".join(ln.text for ln in lines if ln.text.strip()))
    segs = [_Seg(i, ln, ln.text.strip()) for i, ln in enumerate(ordered)]
    conf: dict[str, float] = {}
    _contacts(segs, card, default_region, conf)
    _address_lines(segs, card, conf)
    text = "\n".join(s.line.text for s in segs)
    regions = infer_regions(text, emails=card.emails, website=card.website, default_region=default_region)
    _who(segs, card, conf, regions[0] if regions else None)
    _unglue_email_label(card)
    _emails_agree_with_the_name(card)
    notes = [s.rest.strip() for s in segs if not s.used and s.rest.strip() and not _is_junk(s.rest)
             and s.line.score >= 0.5]
    card.note = "\n".join(notes) or None
    card.confidence = {k: round(min(max(v, 0.0), 1.0), 3) for k, v in conf.items()}
    return card

