"""The word tables of ``data/*.toml`` (labels, legal forms, job titles, street words), loaded
once, and the small matching helpers the extraction rules share."""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).with_name("data")
PHONE_KINDS = ("office", "mobile", "fax", "other")

#: Academic and courtesy prefixes kept off the given name (a card prints them before it).
NAME_PREFIXES = ("prof. dr.-ing.", "prof. dr.", "dr.-ing.", "dipl.-ing.", "dipl.-kfm.", "dipl.-kff.", "dipl.-inf.",
                 "dipl.-wirt.-ing.", "dipl.-oec.", "dipl.", "prof.", "prof", "dr.", "dr", "mag.", "ing.", "dott.",
                 "dott.ssa", "avv.", "arch.", "ir.", "drs.", "mr.", "mrs.", "ms.", "mr", "mrs", "ms", "herr", "frau",
                 "m.", "mme", "mme.", "sr.", "sra.", "sig.", "sig.ra", "eng.", "eng", "lic.", "b.sc.", "m.sc.", "mba",
                 "av.", "op.", "doç.", "doç. dr.", "uzm.")
NAME_SUFFIXES = ("phd", "ph.d.", "mba", "jr.", "jr", "sr.", "md", "m.d.", "cpa", "esq.", "msc", "m.sc.", "b.sc.",
                 "dipl.-ing.", "mba.", "pe", "p.e.", "ii", "iii")
#: Words that start a family name ("van der Berg", "de la Cruz").
PARTICLES = {"van", "von", "der", "den", "de", "la", "le", "du", "des", "del", "della", "di", "da", "dos", "das",
             "do", "zu", "ten", "ter", "te", "bin", "ibn", "al", "el", "mac", "st.", "'t"}


def fold(text: str) -> str:
    """Lower case, accents off, dotless i as i: how words are compared."""
    text = text.replace("ı", "i").replace("İ", "I").replace("ß", "ss")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold() or text.casefold()


def squash(text: str) -> str:
    """Letters and digits only, folded: "S. r. l." -> "srl"."""
    return re.sub(r"[\W_]+", "", fold(text))


@dataclass(frozen=True)
class Words:
    #: folded label -> kind (office/mobile/fax/other/email/web/address)
    labels: dict[str, str]
    label_pattern: re.Pattern
    suffixes: frozenset[str]
    company_words: frozenset[str]
    free_mail: frozenset[str]
    title_roles: frozenset[str]
    title_functions: frozenset[str]
    #: role words long enough to match as a word's ending ("lagerleiter")
    title_endings: tuple[str, ...]
    street_words: frozenset[str]
    street_endings: tuple[str, ...]


def _load(name: str) -> dict:
    with (DATA / name).open("rb") as f:
        return tomllib.load(f)


@functools.cache
def words() -> Words:
    labels: dict[str, str] = {}
    printed: set[str] = set()
    for lang in _load("labels.toml").values():
        for kind, items in lang.items():
            for item in items:
                labels.setdefault(fold(item).rstrip(".:"), kind)
                printed |= {item.casefold().rstrip(".:"), fold(item).rstrip(".:")}
    alts = sorted({re.escape(k) for k in printed if k}, key=len, reverse=True)
    label_pattern = re.compile(r"(?<![\w@.])(" + "|".join(alts) + r")(?![^\W\d])\.?\s*:?", re.IGNORECASE)
    comp = _load("companies.toml")
    titles = _load("titles.toml")
    roles = {fold(w) for lang in titles.values() for w in lang["roles"]}
    functions = {fold(w) for lang in titles.values() for w in lang.get("functions", [])}
    streets = _load("addresses.toml")["street"]
    return Words(
        labels=labels, label_pattern=label_pattern,
        suffixes=frozenset(squash(s) for s in comp["suffixes"]),
        company_words=frozenset(fold(w) for w in comp["words"]),
        free_mail=frozenset(comp["free_mail"]),
        title_roles=frozenset(roles), title_functions=frozenset(functions),
        title_endings=tuple(sorted((r for r in roles if len(r) >= 5 and " " not in r), key=len, reverse=True)),
        street_words=frozenset(fold(w).rstrip(".") for w in streets["words"]),
        street_endings=tuple(fold(w) for w in streets["endings"]),
    )


def tokens(text: str) -> list[str]:
    """Folded word tokens of ``text`` (keeps inner dots and hyphens: "dipl.-ing", "e-mail")."""
    return [t for t in re.split(r"[^\w.\-']+", fold(text)) if t.strip(".-'")]


def label_kind(token: str) -> str | None:
    """The kind of a label word ("Tel." -> office, "Handy" -> mobile), or None."""
    return words().labels.get(fold(token).strip().rstrip(".:").strip())
