"""Search-as-you-type latency on the large demo, both engines.

    python benchmarks/bench_search.py [--scale large] [--engines sqlite,postgres] [--queries 300]

Each "keystroke" is one call of ``services.search.search`` (what the Ctrl+K box runs):
prefixes of 3 to 6 characters of real names, companies, e-mails and phone numbers drawn
from the data, as a user types them. Prints p50 / p95 / max in milliseconds.
Targets (issue 3): p95 <= 10 ms on SQLite, <= 20 ms on PostgreSQL.
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
from leaddesk.models import Account, Contact, ContactEmail, ContactPhone  # noqa: E402
from leaddesk.services.people import search


def sample_words(db, n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    words: list[str] = []
    with db.reader() as s:
        total = s.scalar(select(func.count()).select_from(Contact))
        for _ in range(n):
            kind = rnd.choice(["family", "given", "company", "email", "phone"])
            if kind in ("family", "given"):
                col = Contact.family_name if kind == "family" else Contact.given_name
                value = s.scalar(select(col).offset(rnd.randrange(total)).limit(1))
            elif kind == "company":
                value = s.scalar(select(Account.name).offset(rnd.randrange(max(total // 4, 1))).limit(1))
            elif kind == "email":
                value = s.scalar(select(ContactEmail.address).offset(rnd.randrange(total)).limit(1))
            else:
                value = s.scalar(select(ContactPhone.raw).offset(rnd.randrange(total)).limit(1))
            if value and len(value) >= 3:
                words.append(value)
    return words


def keystrokes(words: list[str], n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        word = rnd.choice(words)
        start = 0 if rnd.random() < 0.7 else rnd.randrange(max(len(word) - 3, 1))
        for length in range(3, 7):
            if start + length <= len(word) and len(out) < n:
                out.append(word[start:start + length])
    return out


def bench(url: str, n: int, seed: int) -> dict:
    db = open_db(url)
    try:
        queries = keystrokes(sample_words(db, 200, seed), n, seed)
        for q in queries[:20]:  # warm the caches as a running app would have
            search.search(db, q)
        times, hits = [], []
        for q in queries:
            t0 = time.perf_counter()
            result = search.search(db, q)
            times.append((time.perf_counter() - t0) * 1000)
            hits.append(len(result))
    finally:
        db.dispose()
    times.sort()
    return {
        "queries": len(times),
        "p50": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "max": times[-1],
        "with_hits": sum(1 for h in hits if h) / len(hits),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="large", choices=["small", "large"])
    ap.add_argument("--engines", default="sqlite,postgres")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--fresh", action="store_true", help="rebuild the demo databases")
    args = ap.parse_args()
    targets = {"sqlite": 10.0, "postgres": 20.0}
    print(f"{'engine':<10} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target p95':>10} {'hits':>6}")
    ok = True
    for kind in args.engines.split(","):
        url = ensure(kind, args.scale, fresh=args.fresh)
        r = bench(url, args.queries, args.seed)
        met = r["p95"] <= targets[kind]
        ok &= met
        print(f"{kind:<10} {r['queries']:>7} {r['p50']:>8.2f} {r['p95']:>8.2f} {r['max']:>8.2f} "
              f"{'<= ' + str(targets[kind]):>10} {r['with_hits']:>6.0%} {'OK' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
