"""Duplicates at the door on the large demo (100,000 contacts), both engines: how long
``services.capture.capture.find_same_person`` takes for one card, as the capture window
calls it before the rep saves.

    python benchmarks/bench_capture_duplicates.py [--scale large] [--engines sqlite,postgres] [--cards 200]

The cards are drawn from the data, in four kinds, a quarter each: a known e-mail, a known
phone (printed nationally), a known person's name with a one-letter slip at their company
written differently (upper case, legal form dropped), and a person nobody has (a real given
name with an invented family name at an invented company: the full name and company look-ups
run and find nothing). Prints p50 / p95 / max in milliseconds and how many were found.
Target (issue 14): < 50 ms per card on both engines.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, select  # noqa: E402

from _demo_dbs import ensure, open_db  # noqa: E402
from leaddesk.capture.fields import CardFields, Phone  # noqa: E402
from leaddesk.models import Account, Contact, ContactEmail, ContactPhone  # noqa: E402
from leaddesk.services.capture import capture  # noqa: E402


def _slip(word: str, rnd: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rnd.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:]


def sample_cards(db, n: int, seed: int) -> list[tuple[str, CardFields]]:
    rnd = random.Random(seed)
    cards: list[tuple[str, CardFields]] = []
    with db.reader() as s:
        total = s.scalar(select(func.count()).select_from(Contact))
        while len(cards) < n:
            kind = ("email", "phone", "name", "nobody")[len(cards) % 4]
            row = s.execute(select(Contact.id, Contact.given_name, Contact.family_name, Account.name)
                            .join(Account, Account.id == Contact.account_id)
                            .where(Contact.deleted.is_(False)).offset(rnd.randrange(total)).limit(1)).first()
            if row is None or not row.family_name:
                continue
            if kind == "email":
                email = s.scalar(select(ContactEmail.address).where(ContactEmail.contact_id == row.id).limit(1))
                if email:
                    cards.append((kind, CardFields(given_name="X", family_name="Y", emails=[email.upper()])))
            elif kind == "phone":
                e164 = s.scalar(select(ContactPhone.e164).where(ContactPhone.contact_id == row.id).limit(1))
                if e164:
                    cards.append((kind, CardFields(given_name="X", phones=[Phone(e164, "office")])))
            elif kind == "name":
                company = row.name.upper().replace(" GMBH", "").replace(" INC.", "").replace(" LTD", "")
                cards.append((kind, CardFields(given_name=row.given_name, family_name=_slip(row.family_name, rnd),
                                               company=company)))
            else:
                cards.append((kind, CardFields(given_name=row.given_name, family_name=f"Zqx{rnd.randrange(10**6)}",
                                               company=f"Nowhere {rnd.randrange(10**6)} AG",
                                               emails=[f"n{rnd.randrange(10**9)}@example.invalid"])))
    return cards


def run(url: str, n: int, seed: int) -> None:
    db = open_db(url)
    try:
        cards = sample_cards(db, n, seed)
        capture.find_same_person(db, cards[0][1], default_region="DE")  # warm: imports, first connection
        times: list[float] = []
        found: dict[str, int] = {}
        worst: dict[str, float] = {}
        for kind, card in cards:
            t0 = time.perf_counter()
            hits = capture.find_same_person(db, card, default_region="DE")
            times.append((time.perf_counter() - t0) * 1000)
            found[kind] = found.get(kind, 0) + bool(hits)
            worst[kind] = max(worst.get(kind, 0.0), times[-1])
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"  {db.dialect:<10} cards={len(times)}  p50={statistics.median(times):.1f} ms  p95={p95:.1f} ms  "
              f"max={times[-1]:.1f} ms  found: {found}  slowest by kind (ms): "
              f"{ {k: round(t, 1) for k, t in worst.items()} }")
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="large", choices=["small", "large"])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo databases")
    args = parser.parse_args()
    print(f"find_same_person, {args.scale} demo")
    for kind in args.engines.split(","):
        run(ensure(kind, args.scale, fresh=args.fresh), args.cards, args.seed)


if __name__ == "__main__":
    main()
