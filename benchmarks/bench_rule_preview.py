"""Issue 12 point 3 figure: the rule editor's preview on the large demo (100,000 leads).

    python benchmarks/bench_rule_preview.py [--scale large] [--engines sqlite,postgres] [--fresh]

``rule_preview.preview_rule`` for two edits of the default rules that ``init`` seeds:
a fit rule (the decision-maker seniority rule at +45 instead of +20) and an interest rule
(the 30-day pricing-page rule at +40 instead of +15). It reads every live contact in
batches, as ``rescore_all`` does, and writes nothing. Printed: wall time, leads, hits and
temperature changes, and the share of the time spent loading facts (``scoring._load_facts``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _demo_dbs import ensure, open_db  # noqa: E402
from leaddesk.services.qualification import rule_preview, scoring  # noqa: E402
from leaddesk.sync import journal  # noqa: E402,F401 - attaches itself to every Database


def _timed_loads():
    """Wrap ``_load_facts`` as rule_preview imported it, to add up its time."""
    spent = [0.0]
    original = rule_preview._load_facts

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    rule_preview._load_facts = timed
    return spent, lambda: setattr(rule_preview, "_load_facts", original)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="large")
    ap.add_argument("--engines", default="sqlite,postgres")
    ap.add_argument("--fresh", action="store_true")
    args = ap.parse_args()
    for kind in args.engines.split(","):
        db = open_db(ensure(kind, args.scale, fresh=args.fresh))
        rules = {r.name: r for r in scoring.list_rules(db)}
        edits = [("fit", "Decision-maker seniority (director and above)", 45),
                 ("interest", "Visited the pricing page (30 days)", 40)]
        for family, name, points in edits:
            rule = rules[name]
            data = {"name": rule.name, "criterion": rule.criterion, "points": points, "params": rule.params}
            spent, undo = _timed_loads()
            start = time.perf_counter()
            result = rule_preview.preview_rule(db, data, rule_id=rule.id)
            wall = time.perf_counter() - start
            undo()
            print(f"{kind:8} {family:8} {wall:6.2f} s  leads {result.contacts:,}  hits {result.hits:,}  "
                  f"temperature changes {result.temperature_changes:,}  facts loading {spent[0] / wall:.0%}",
                  flush=True)
        db.dispose()


if __name__ == "__main__":
    main()
