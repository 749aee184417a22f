"""Title normalisation: what a job title says about seniority, department and function.

"Depo Müdürü", "مدیر انبار", "مدير المستودع", "Lagerleiter" and "ผู้จัดการคลังสินค้า" all
say *warehouse* and *manager*, as "Warehouse Manager" does. The words are data, not code:
one TOML table per language in ``data/titles/`` (read once through importlib.resources),
plus ``functions.toml``, which gives each function its department (the demo's names).

How a title is read:

* folded as the search folds (:func:`leaddesk.models.search.fold`: case, Latin accents,
  Turkish İ), with dotless ı read as i, Arabic and Persian letter variants made one
  (ي ى → ی, ك → ک, ة → ه, hamza forms), tatweel and short vowel marks dropped, and the
  zero-width non-joiner read as a space;
* cut into words; a run of Thai letters (Thai has no spaces) is cut by taking, at each
  place, the longest known Thai word;
* a word that no table knows is taken apart by the rules its language's table gives:
  prefixes (the Arabic article: المستودع = ال + مستودع), suffixes (Turkish possessives:
  Müdürü = Müdür + ü; German feminine: Leiterin), and for German compounds, known parts
  with their linking s (Einkaufsleiter = Einkauf + s + Leiter);
* the longest known phrases are matched first ("Managing Director" before "Director").

The highest seniority named wins ("Senior Operations Manager" is a manager, "Founder &
CEO" an owner). The department is that of the first function named that has one. Pure
and cached: nothing here opens a session.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

from leaddesk.models.enums import Seniority
from leaddesk.models.search import fold

#: The languages with a table in data/titles/, in the order a tie of the language guess is broken.
LANGUAGES = ("en", "de", "tr", "fa", "ar", "th")
#: Seniorities from lowest to highest; a title naming several takes the highest.
RANK = (Seniority.ENTRY, Seniority.SENIOR, Seniority.MANAGER, Seniority.DIRECTOR, Seniority.VP,
        Seniority.C_LEVEL, Seniority.OWNER)
#: A compound's parts are at least this long (so "it" is not found inside a German word).
MIN_PART = 3

_LETTERS = str.maketrans({
    "ı": "i", "ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ـ": None, "\u200d": None, "\u200c": " ",
})
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0653-\u0655]")
_THAI = re.compile("[\u0e00-\u0e7f]+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class TitleFacts:
    """What a job title says. ``functions`` are the function keys named (``warehouse``,
    ``purchasing``, ``it`` ..., in the order of the title), ``department`` the department of
    the first of them that has one, ``language`` the language most of the matched words
    belong to (``languages``: all that contributed), ``matched`` the words recognised."""

    seniority: Seniority | None = None
    department: str | None = None
    functions: tuple[str, ...] = ()
    language: str | None = None
    languages: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()

    @property
    def departments(self) -> tuple[str, ...]:
        deps = _tables().departments
        return tuple(dict.fromkeys(deps[f] for f in self.functions if f in deps))

    def __bool__(self) -> bool:
        return bool(self.seniority or self.functions)


@dataclass
class _Entry:
    seniorities: set[Seniority] = field(default_factory=set)
    functions: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


@dataclass
class _Language:
    code: str
    tokens: set[str] = field(default_factory=set)
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    linkers: tuple[str, ...] = ()
    compounds: bool = False


@dataclass
class _Tables:
    phrases: dict[tuple[str, ...], _Entry]
    languages: dict[str, _Language]
    departments: dict[str, str]
    thai_words: tuple[str, ...]
    longest: int


def normalize_text(text: str | None) -> str:
    """The folding both the tables and the titles go through (see the module docstring)."""
    folded = fold(text).translate(_LETTERS)
    return _ARABIC_MARKS.sub("", folded)


def _words(text: str) -> list[str]:
    """Words of an already normalised text; Thai runs stay whole (cut later by the table)."""
    out: list[str] = []
    pos = 0
    for m in _THAI.finditer(text):
        out += _WORD.findall(text[pos:m.start()])
        out.append(m.group())
        pos = m.end()
    return out + _WORD.findall(text[pos:])


def _read(name: str) -> dict:
    path = resources.files(__package__) / "data" / "titles" / name
    return tomllib.loads(path.read_text(encoding="utf-8"))


@cache
def _tables() -> _Tables:
    phrases: dict[tuple[str, ...], _Entry] = {}
    languages: dict[str, _Language] = {}
    thai: set[str] = set()
    departments = dict(_read("functions.toml")["departments"])

    def add(lang: _Language, phrase: str, *, seniority: Seniority | None = None, function: str | None = None):
        key = tuple(_words(normalize_text(phrase)))
        if not key:
            return
        entry = phrases.setdefault(key, _Entry())
        if seniority is not None:
            entry.seniorities.add(seniority)
        if function is not None and function not in entry.functions:
            entry.functions.append(function)
        if lang.code not in entry.languages:
            entry.languages.append(lang.code)
        lang.tokens.update(key)
        if _THAI.fullmatch(key[0]):
            thai.update(key)

    for code in LANGUAGES:
        data = _read(f"{code}.toml")
        lang = languages[code] = _Language(
            code,
            prefixes=tuple(sorted((normalize_text(p) for p in data.get("prefixes", ())), key=len, reverse=True)),
            suffixes=tuple(sorted((normalize_text(s) for s in data.get("suffixes", ())), key=len, reverse=True)),
            linkers=tuple(normalize_text(x) for x in data.get("linkers", ())),
            compounds=bool(data.get("compounds")),
        )
        for value, words in data.get("seniority", {}).items():
            for w in words:
                add(lang, w, seniority=Seniority(value))
        for function, words in data.get("functions", {}).items():
            for w in words:
                add(lang, w, function=function)
    return _Tables(phrases, languages, departments, tuple(sorted(thai, key=len, reverse=True)),
                   max(len(k) for k in phrases))


def _cut_thai(run: str, words: tuple[str, ...]) -> list[str]:
    """Known Thai words in a run of Thai letters, longest first at each place."""
    out, i = [], 0
    while i < len(run):
        word = next((w for w in words if run.startswith(w, i)), None)
        if word is None:
            i += 1
        else:
            out.append(word)
            i += len(word)
    return out


def _affixed(word: str, lang: _Language) -> str | None:
    """The known word under a prefix and/or a suffix of ``lang``, if there is one."""
    for pre in ("", *lang.prefixes):
        if not word.startswith(pre):
            continue
        rest = word[len(pre):]
        if pre and rest in lang.tokens:
            return rest
        for suf in lang.suffixes:
            stem = rest[:-len(suf)]
            if rest.endswith(suf) and len(stem) >= 2 and stem in lang.tokens:
                return stem
    return None


@lru_cache(maxsize=8192)
def _compound(word: str, code: str) -> tuple[str, ...] | None:
    """A compound cut into known parts (longest first part first), with linking letters.
    Cached per tail, so a long made-up word costs polynomial, not exponential, time."""
    lang = _tables().languages[code]
    for i in range(len(word) - MIN_PART, MIN_PART - 1, -1):
        head, rest = word[:i], word[i:]
        if head not in lang.tokens:
            continue
        for link in ("", *lang.linkers):
            if not rest.startswith(link) or len(rest) - len(link) < MIN_PART:
                continue
            tail = rest[len(link):]
            if tail in lang.tokens:
                return head, tail
            stem = _affixed(tail, lang)
            if stem is not None:
                return head, stem
            more = _compound(tail, code)
            if more:
                return head, *more
    return None


@lru_cache(maxsize=8192)
def _stems(word: str) -> tuple[tuple[str, str], ...]:
    """The word as (as written, its stem) pairs: one pair, or one per part of a compound
    or per Thai word. The stem differs when the word alone is no phrase but an affix hides one
    ("المستودع" alone is not a phrase, it is in "أمين المستودع": both forms are tried)."""
    t = _tables()
    if _THAI.fullmatch(word):
        return tuple((w, w) for w in _cut_thai(word, t.thai_words))
    if (word,) in t.phrases:
        return ((word, word),)
    for lang in t.languages.values():
        stem = _affixed(word, lang)
        if stem is not None:
            return ((word, stem),)
    if not any(word in lang.tokens for lang in t.languages.values()):
        for lang in t.languages.values():
            parts = _compound(word, lang.code) if lang.compounds else None
            if parts:
                return tuple((p, p) for p in parts)
    return ((word, word),)


def _guess(weights: dict[str, float]) -> tuple[str | None, tuple[str, ...]]:
    order = sorted(weights, key=lambda code: -weights[code])  # stable: first seen wins a tie
    return (order[0] if order else None), tuple(order)


@lru_cache(maxsize=16384)
def normalize_title(text: str | None) -> TitleFacts:
    """What ``text`` says about seniority, function and department (empty facts if nothing)."""
    t = _tables()
    pairs = [pair for word in _words(normalize_text(text)) for pair in _stems(word)]
    written = [w for w, _ in pairs]
    stems = [st for _, st in pairs]
    seniorities: set[Seniority] = set()
    functions: list[str] = []
    matched: list[str] = []
    weights: dict[str, float] = {}
    i = 0
    while i < len(pairs):
        for size in range(min(t.longest, len(pairs) - i), 0, -1):
            key = tuple(written[i:i + size])
            entry = t.phrases.get(key)
            if entry is None:
                key = tuple(stems[i:i + size])
                entry = t.phrases.get(key)
            if entry is not None:
                break
        else:
            i += 1
            continue
        seniorities |= entry.seniorities
        functions += [f for f in entry.functions if f not in functions]
        matched.append(" ".join(key))
        for code in entry.languages:
            weights[code] = weights.get(code, 0.0) + 1 / len(entry.languages)
        i += size
    seniority = max(seniorities, key=RANK.index) if seniorities else None
    department = next((t.departments[f] for f in functions if f in t.departments), None)
    language, languages = _guess(weights)
    return TitleFacts(seniority, department, tuple(functions), language, languages, tuple(matched))


def same_role(title: str | None, wanted: str) -> tuple[float, str]:
    """How far ``title`` names the role ``wanted`` names, whatever the languages:
    1.0 when it names all of ``wanted``'s functions at the same seniority ("Depo Müdürü" is
    a "Warehouse Manager"), 0.5 when they share a function, else 0.0; with the reason."""
    have, want = normalize_title(title), normalize_title(wanted)
    if not want.functions or not have.functions:
        return 0.0, ""
    shared = [f for f in want.functions if f in have.functions]
    if not shared:
        return 0.0, ""
    words = ", ".join(f.replace("_", " ") for f in shared)
    if len(shared) == len(want.functions) and want.seniority in (None, have.seniority):
        level = f", {have.seniority.value.replace('_', '-')}" if have.seniority else ""
        return 1.0, f"job title '{title}' means '{wanted}' ({words}{level})"
    return 0.5, f"job title '{title}' is in the field of '{wanted}' ({words})"


def names_any(words: Iterable[str], title: str | None) -> bool:
    """Whether the title names, in any language, what one of ``words`` names: its functions
    all, and its seniority if it gives one ("warehouse" ~ "Lagerleiter", "VP" ~ "Vice President")."""
    if not title:
        return False
    have = normalize_title(title)
    for word in words:
        want = normalize_title(word)
        if not want:
            continue
        if all(f in have.functions for f in want.functions) and want.seniority in (None, have.seniority):
            return True
    return False
