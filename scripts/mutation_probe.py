"""Hand-made mutation probe of LeadDesk's rules (issue #11): which rule does no test hold?

Each mutant is one small, realistic bug (a flipped comparison, a dropped condition, an
off-by-one) written as data: the exact ``original`` snippet, the ``mutated`` one, and the
tests that should catch it. The snippet is found by searching every ``leaddesk/**/*.py``
(not by file path: modules move), and must occur exactly once in the whole tree, else the
mutant is reported *stale* (fix its snippet). For each mutant the probe writes the bug
into the file, runs its tests (``pytest -x -q`` in a subprocess, with a timeout) and puts
the file back in a ``finally`` block (also on Ctrl-C or SIGTERM):

* **killed**: the tests failed (or could not even be collected): a test holds the rule;
* **survived**: every test passed with the bug in: a hole (or an equivalent mutant);
* **timeout**: the tests ran past ``--timeout`` (counted as not killed);
* **stale**: the snippet was not found exactly once.

Mutants marked ``equivalent`` change no observable behaviour (the reason says why): they
are run and listed, but left out of the kill rate.

Usage (from the repository root, with the project's virtual environment)::

    python scripts/mutation_probe.py               # every mutant
    python scripts/mutation_probe.py --list        # the mutants, their files, no runs
    python scripts/mutation_probe.py --area merge  # one area (merge, clock, access, ...)
    python scripts/mutation_probe.py --only bant_amount_counts_as_budget merge_equal_clock_wins

It needs the PostgreSQL test server the test suite uses (``LEADDESK_TEST_PG_URL``). It is a
probe, not a gate: it always exits 0 (2 only on a usage error), and it says at the end
whether ``git status`` of ``leaddesk/`` is clean again.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "leaddesk"
AREAS = ("merge", "clock", "access", "idempotency", "bant", "scoring", "duplicates")


@dataclass(frozen=True)
class Mutant:
    name: str
    area: str
    original: str
    mutated: str
    #: pytest paths / node ids (a missing file is left out), then options such as "-k", "expr".
    tests: tuple[str, ...]
    #: No observable behaviour changes: run, listed, but not counted in the kill rate.
    equivalent: bool = False
    reason: str = ""


# --- test selections (the files that cover each module) ---------------------------------------

MERGE_T = ("tests/unit/test_merge.py", "tests/unit/test_probe_merge.py")
CLOCK_UNIT_T = ("tests/unit/test_probe_clock.py",)
CLOCK_SYNC_T = ("tests/sync/test_faults.py", "tests/sync/test_bad_rows.py", "tests/sync/test_probe_clock.py",
                "-k", "clock or office or far_future or probe")
ACCESS_T = ("tests/security/test_rule_table.py", "tests/sync/test_roles_rls.py",
            "tests/security/test_attacks.py::test_a_login_that_is_nobody_here_sees_and_changes_nothing")
IDEM_T = ("tests/sync/test_faults.py", "tests/sync/test_two_replicas.py", "tests/sync/test_probe_idempotency.py",
          "-k", "duplicate or same_change or link_drop or pull_writes or different_fields or probe")
BANT_T = ("tests/db/test_qualification.py", "-k", "bant and not bad_input and not unknown_opportunity")
SCORING_T = ("tests/unit/test_scoring_rules.py", "tests/db/test_scoring.py", "tests/unit/test_probe_scoring.py",
             "-k", "scoring_ or (score_ and not unknown) or rescore_all_matches or probe")
DUP_DETECT_T = ("tests/db/test_duplicates.py", "tests/db/test_probe_duplicates.py",
                "-k", "detect or no_pair or same_domain or switchboard or probe")
DUP_MERGE_T = ("tests/db/test_duplicates.py", "tests/db/test_probe_duplicates.py",
               "-k", "merge or undo or probe")
ACC_DUP_T = ("tests/db/test_account_duplicates.py", "tests/db/test_probe_duplicates.py",
             "-k", "detect or no_pair or same_name or probe")
VALID_T = ("tests/unit/test_validation.py", "tests/db/test_duplicates.py",
           "-k", "validation or detect_same_email or detect_same_phone or probe")

def M(name, area, original, mutated, tests, **kw) -> Mutant:  # noqa: N802 - a table row
    return Mutant(name, area, original, mutated, tuple(tests), **kw)


MUTANTS: list[Mutant] = [
    # --- merge: field-level LWW (sync/merge.py) ------------------------------------------------
    M("merge_equal_clock_wins", "merge",
      "return b is None or a.order > b.order", "return b is None or a.order >= b.order", MERGE_T),
    M("merge_tiebreak_node_reversed", "merge",
      "return (self.hlc, self.node.int)", "return (self.hlc, -self.node.int)", MERGE_T),
    M("merge_concurrent_seq_inclusive", "merge",
      "and cur.seq > change.base_seq", "and cur.seq >= change.base_seq", MERGE_T),
    M("merge_conflict_with_own_change", "merge",
      "and cur.node != change.stamp.node\n", "\n", MERGE_T),
    M("merge_creation_overwrites_newer_orphan", "merge",
      "if newer(stamp, state.clocks.get(name)):\n                    state.values[name] = value",
      "if True:\n                    state.values[name] = value", MERGE_T),
    M("merge_orphan_last_arrival_wins", "merge",
      "if not state.exists:\n        if newer(stamp, state.clocks.get(name)):",
      "if not state.exists:\n        if True:", MERGE_T),
    M("merge_redelete_flags_again", "merge",
      "if name == DELETED and value and not was_deleted:", "if name == DELETED and value:", MERGE_T),

    # --- clock: the HLC (clock.py) and how sync moves it ------------------------------------
    M("clock_tick_not_strict", "clock",
      "self._last = wall if wall > self._last else self._last + 1",
      "self._last = wall if wall >= self._last else self._last + 1", CLOCK_UNIT_T + MERGE_T),
    M("clock_observe_moves_back", "clock",
      "if remote > self._last:\n                self._last = remote",
      "if remote != self._last:\n                self._last = remote", CLOCK_UNIT_T + MERGE_T),
    M("clock_observe_inclusive", "clock",
      "if remote > self._last:\n                self._last = remote",
      "if remote >= self._last:\n                self._last = remote", CLOCK_UNIT_T,
      equivalent=True, reason="remote == last assigns the same value: no state changes"),
    M("clock_pull_observes_oldest", "clock",
      "db.write.clock.observe(max(c.hlc for c in changes))",
      "db.write.clock.observe(min(c.hlc for c in changes))", CLOCK_SYNC_T),
    M("clock_restore_forgets_field_clocks", "clock",
      "conn.scalar(select(func.max(fv.c.hlc))) or 0,", "0,", CLOCK_SYNC_T),
    M("clock_hub_direct_write_not_after_stored", "clock",
      "hlc = max(pack(server_ms), top + 1)", "hlc = max(pack(server_ms), top)", CLOCK_SYNC_T),
    M("clock_skew_blames_oldest_change", "clock",
      "newest = max(batch.changes, key=lambda c: c.hlc)", "newest = min(batch.changes, key=lambda c: c.hlc)",
      CLOCK_SYNC_T),

    # --- access: the rule table (models/access.py) ------------------------------------------
    M("access_pg_teamshared_without_known_user", "access",
      'return f"({_KNOWN} AND ({admin} OR {q}{r.owner} IS NULL OR {q}{r.owner} IN {_TEAM}))"',
      'return f"(({admin} OR {q}{r.owner} IS NULL OR {q}{r.owner} IN {_TEAM}))"', ACCESS_T),
    M("access_pg_private_rep_sees_team", "access",
      "if isinstance(r, Private):\n        return (f\"({_KNOWN} AND ({admin} OR {q}{r.owner} IS NULL OR "
      "{q}{r.owner} = {_ME} \"\n                f\"OR ({_ROLE} = 'manager' AND {q}{r.owner} IN {_TEAM})))\")",
      "if isinstance(r, Private):\n        return (f\"({_KNOWN} AND ({admin} OR {q}{r.owner} IS NULL OR "
      "{q}{r.owner} = {_ME} \"\n                f\"OR ({q}{r.owner} IN {_TEAM})))\")", ACCESS_T),
    M("access_pg_write_team_not_owner", "access",
      "if isinstance(r, (TeamShared, Private)):\n        return (f\"({_KNOWN} AND ({admin} OR {q}{r.owner} IS NULL "
      "OR {q}{r.owner} = {_ME} \"\n                f\"OR ({_ROLE} = 'manager' AND {q}{r.owner} IN {_TEAM})))\")",
      "if isinstance(r, (TeamShared, Private)):\n        return (f\"({_KNOWN} AND ({admin} OR {q}{r.owner} IS NULL "
      "OR {q}{r.owner} IN {_TEAM}))\")", ACCESS_T),
    M("access_pg_disabled_user_known", "access",
      "WHERE db_role = session_user AND active AND NOT deleted LIMIT 1",
      "WHERE db_role = session_user AND NOT deleted LIMIT 1", ACCESS_T),
    M("access_pg_team_null_team_id", "access",
      "(u.id = me.id OR (me.team_id IS NOT NULL AND u.team_id = me.team_id))",
      "(u.id = me.id OR (u.team_id = me.team_id))", ACCESS_T,
      equivalent=True, reason="in SQL u.team_id = NULL is never true: the dropped test changes nothing"),
    M("access_app_private_rep_sees_team", "access",
      "return owner == subject.user_id or (subject.role == MANAGER and owner in subject.team)",
      "return owner == subject.user_id or owner in subject.team", ACCESS_T),
    M("access_app_unassigned_not_writable", "access",
      "return (subject.is_admin or owner is None or owner == subject.user_id",
      "return (subject.is_admin or owner == subject.user_id", ACCESS_T),
    M("access_app_manager_filter_own_only", "access",
      "if isinstance(r, TeamShared) or subject.role == MANAGER:", "if isinstance(r, TeamShared):", ACCESS_T),

    # --- idempotency: a push applied once (sync/server.py) ----------------------------------
    M("idem_retried_batch_applied_again", "idempotency",
      "if stored is not None:\n                return PushResult.from_json(stored, duplicate=True)",
      "if False:\n                return PushResult.from_json(stored, duplicate=True)", IDEM_T),
    M("idem_logged_change_applied_again", "idempotency",
      "if c.change_id not in known and c.change_id not in seen:", "if c.change_id not in seen:", IDEM_T),
    M("idem_change_twice_in_a_batch", "idempotency",
      "if c.change_id not in known and c.change_id not in seen:", "if c.change_id not in known:", IDEM_T),
    M("idem_replay_not_marked_duplicate", "idempotency",
      "return PushResult.from_json(stored, duplicate=True)", "return PushResult.from_json(stored, duplicate=False)",
      IDEM_T),
    M("idem_resend_makes_a_new_batch", "idempotency",
      "batch_id = conn.scalar(select(_outbox.c.batch_id).where(_outbox.c.batch_id.is_not(None)).limit(1))",
      "batch_id = None", IDEM_T),
    M("idem_pull_reapplies_seen_page", "idempotency",
      "changes = [c for c in page.changes if c.seq > last]", "changes = [c for c in page.changes if c.seq >= last]",
      IDEM_T, equivalent=True,
      reason="Hub.pull returns only seq > since, so no page holds seq == last (and an equal clock merges to "
             "nothing, the local log skips known change ids)"),

    # --- bant: the outcome rule (services/qualification/bant.py) -----------------------------
    M("bant_missing_amount_is_no_budget", "bant",
      "if budget_amount is not None and budget_amount == 0:", "if not budget_amount:", BANT_T),
    M("bant_amount_alone_not_budget", "bant",
      "if not (budget_confirmed or (budget_amount is not None and budget_amount > 0)):",
      "if not budget_confirmed:", BANT_T),
    M("bant_authority_needs_both", "bant",
      "if authority is not Authority.DECISION_MAKER and decision_maker_id is None:",
      "if authority is not Authority.DECISION_MAKER or decision_maker_id is None:", BANT_T),
    M("bant_timing_date_ignored", "bant",
      "if not ((timing and timing.strip()) or timing_date):", "if not (timing and timing.strip()):", BANT_T),
    M("bant_incomplete_goes_to_sql", "bant",
      "return LifecycleStage.SQL if result is BantResult.POSITIVE else LifecycleStage.NURTURE",
      "return LifecycleStage.NURTURE if result is BantResult.NEGATIVE else LifecycleStage.SQL", BANT_T),
    M("bant_customer_moved_back", "bant",
      "STAGES_KEPT = frozenset({LifecycleStage.OPPORTUNITY, LifecycleStage.CUSTOMER})",
      "STAGES_KEPT = frozenset({LifecycleStage.OPPORTUNITY})", BANT_T),
    M("bant_stored_negative_always_no_need", "bant",
      "if row.result is BantResult.NEGATIVE and found.result is not BantResult.NEGATIVE:",
      "if row.result is BantResult.NEGATIVE:", BANT_T),

    # --- scoring (services/qualification/scoring.py, dto.Thresholds) -------------------------
    M("scoring_hot_boundary_exclusive", "scoring",
      "Grade.HOT if total >= thresholds.hot", "Grade.HOT if total > thresholds.hot", SCORING_T),
    M("scoring_high_half_rounded_down", "scoring",
      "return 2 * part >= self.hot", "return part >= self.hot // 2", SCORING_T),
    M("scoring_quadrant_axes_swapped", "scoring",
      "high_fit, high_interest = thresholds.is_high(fit), thresholds.is_high(interest)",
      "high_fit, high_interest = thresholds.is_high(interest), thresholds.is_high(fit)", SCORING_T),
    M("scoring_negative_points_skipped", "scoring",
      "or not rule.points or not spec.test(rule.params, facts):",
      "or rule.points <= 0 or not spec.test(rule.params, facts):", SCORING_T),
    M("scoring_family_from_criterion", "scoring",
      "if family is ScoreFamily.FIT:\n            fit += rule.points",
      "if spec.family is ScoreFamily.FIT:\n            fit += rule.points", SCORING_T),
    M("scoring_window_one_day_longer", "scoring",
      "ev.occurred_at >= now - dt.timedelta(days=days)", "ev.occurred_at >= now - dt.timedelta(days=days + 1)",
      SCORING_T),
    M("scoring_domain_suffix_without_dot", "scoring",
      'return any(domain == w or domain.endswith("." + w) for w in wanted)',
      "return any(domain.endswith(w) for w in wanted)", SCORING_T),

    # --- duplicates (services/people/duplicates.py, account_duplicates.py, validation.py) ----
    M("dup_email_local_part_case_kept", "duplicates",
      'return shown, f"{local.lower()}@{ascii_domain.lower()}"', 'return shown, f"{local}@{ascii_domain.lower()}"',
      VALID_T),
    M("dup_name_words_not_sorted", "duplicates",
      'return " ".join(sorted(name_key.replace(",", " ").split()))',
      'return " ".join(name_key.replace(",", " ").split())', DUP_DETECT_T),
    M("dup_company_extra_word_differs", "duplicates",
      "if not only_a or not only_b:\n        return True", "if not only_a and not only_b:\n        return True",
      DUP_DETECT_T),
    M("dup_merge_drops_loser_notes", "duplicates",
      "if name in BOTH_ALLOWED and not _empty(name, mine) and not _empty(name, theirs) and mine != theirs:",
      "if False:", DUP_MERGE_T),
    M("dup_undo_leaves_dropped_addresses_deleted", "duplicates",
      "if row.contact_id == loser.id and row.deleted:", "if row.contact_id == survivor.id and row.deleted:", DUP_MERGE_T),
    M("dup_undo_leaves_candidate_merged", "duplicates",
      "if candidate is not None and candidate.status == DuplicateStatus.MERGED:\n"
      "            candidate.status = DuplicateStatus.OPEN\n        s.flush()\n"
      "        touched = {\"contact\",",
      "if candidate is not None and candidate.status == DuplicateStatus.MERGED:\n"
      "            pass\n        s.flush()\n"
      "        touched = {\"contact\",", DUP_MERGE_T),
    M("dup_account_site_name_off_by_one", "duplicates",
      "if len(parts) >= 3 and len(parts[-1]) == 2 and parts[-2] in SECOND_LEVEL:",
      "if len(parts) > 3 and len(parts[-1]) == 2 and parts[-2] in SECOND_LEVEL:", ACC_DUP_T),
    M("dup_account_shared_host_grouped", "duplicates",
      "if domain and domain not in SHARED_HOSTS:", "if domain:", ACC_DUP_T),
]


# --- running ----------------------------------------------------------------------------------

def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def locate(mutant: Mutant, sources: list[Path]) -> tuple[Path | None, str]:
    """The one file holding ``mutant.original`` exactly once in the whole tree, or why not."""
    hits = []
    for path in sources:
        n = path.read_text(encoding="utf-8").count(mutant.original)
        if n:
            hits.append((path, n))
    total = sum(n for _, n in hits)
    if total == 1:
        return hits[0][0], ""
    if total == 0:
        return None, "snippet not found"
    return None, f"snippet found {total} times ({', '.join(str(p.relative_to(ROOT)) for p, _ in hits)})"


class _Stop(Exception):
    pass


def _on_term(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


def run_one(mutant: Mutant, path: Path, timeout: float, python: str, verbose: bool) -> tuple[str, float, str]:
    """Write the bug, run the tests, put the file back (always)."""
    original_bytes = path.read_bytes()
    stat = path.stat()
    text = original_bytes.decode("utf-8")
    mutated = text.replace(mutant.original, mutant.mutated, 1)
    tests, options, args = [], [], iter(mutant.tests)
    for item in args:  # test paths (those that exist yet), then pytest options ("-k", "expr")
        if item.startswith("-"):
            options += [item, next(args)]
        elif (ROOT / item.split("::")[0]).exists():
            tests.append(item)
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    cmd = [python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header", *options, *tests]
    start = time.monotonic()
    if not tests:  # no test file exists for it (yet): nothing holds the rule
        return "survived", 0.0, "no test file of this mutant exists"
    proc = None
    try:
        path.write_text(mutated, encoding="utf-8")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return "timeout", time.monotonic() - start, out
        rc = proc.returncode
        if rc == 0:
            status = "survived"
        elif rc in (1, 2, 3, 4):  # failures, interrupted (collection error), internal/usage error
            status = "killed"
        else:  # 5: no tests collected
            status = f"error(rc={rc})"
        return status, time.monotonic() - start, out
    finally:
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        path.write_bytes(original_bytes)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _last_line(out: str) -> str:
    lines = [ln for ln in out.strip().splitlines() if ln.strip()]
    return lines[-1][:110] if lines else ""


def _git_clean() -> str:
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "leaddesk"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"git status failed: {exc}"
    return "clean" if not out.strip() else "NOT CLEAN:\n" + out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    ap.add_argument("--area", choices=AREAS, action="append", help="run only this area (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the mutants and where each snippet is; run nothing")
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds per mutant (default 240)")
    ap.add_argument("--python", default=sys.executable, help="interpreter that runs pytest")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the tail of each test run")
    args = ap.parse_args(argv)

    names = {m.name for m in MUTANTS}
    if len(names) != len(MUTANTS):
        print("duplicate mutant names", file=sys.stderr)
        return 2
    chosen = MUTANTS
    if args.only:
        unknown = sorted(set(args.only) - names)
        if unknown:
            print(f"unknown mutant(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        chosen = [m for m in chosen if m.name in args.only]
    if args.area:
        chosen = [m for m in chosen if m.area in args.area]

    sources = _sources()
    if args.list:
        for m in chosen:
            path, why = locate(m, sources)
            where = str(path.relative_to(ROOT)) if path else f"STALE: {why}"
            eq = "  [equivalent: " + m.reason + "]" if m.equivalent else ""
            print(f"{m.area:12} {m.name:46} {where}{eq}")
        print(f"{len(chosen)} mutant(s)")
        return 0

    previous = signal.signal(signal.SIGTERM, _on_term)
    results: list[tuple[Mutant, str, float, str]] = []
    began = time.monotonic()
    try:
        for i, m in enumerate(chosen, 1):
            path, why = locate(m, sources)
            if path is None:
                results.append((m, "stale", 0.0, why))
                print(f"[{i}/{len(chosen)}] {m.name}: STALE ({why})", flush=True)
                continue
            status, secs, out = run_one(m, path, args.timeout, args.python, args.verbose)
            results.append((m, status, secs, _last_line(out)))
            eq = " (equivalent)" if m.equivalent else ""
            print(f"[{i}/{len(chosen)}] {m.name}: {status}{eq} in {secs:.0f}s  {path.relative_to(ROOT)}", flush=True)
            if args.verbose or status.startswith("error"):
                print("    " + "\n    ".join(out.strip().splitlines()[-8:]), flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted: the mutated file was put back; partial results follow", flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)

    print()
    print(f"{'mutant':46} {'area':12} {'result':9} {'secs':>5}  pytest's last line")
    for m, status, secs, last in results:
        flag = "(equivalent) " if m.equivalent else ""
        print(f"{m.name:46} {m.area:12} {status:9} {secs:5.0f}  {flag}{last[:70]}")
    print()
    print(f"{'area':12} {'mutants':>7} {'equiv':>5} {'killed':>6} {'survived':>8} {'stale':>5} {'timeout':>7} "
          f"{'kill rate':>9}")
    for area in AREAS + ("ALL",):
        rows = [r for r in results if area == "ALL" or r[0].area == area]
        if not rows:
            continue
        counted = [r for r in rows if not r[0].equivalent]
        k = sum(r[1] == "killed" for r in counted)
        s = sum(r[1] == "survived" for r in counted)
        st = sum(r[1] == "stale" for r in counted)
        t = sum(r[1] == "timeout" for r in counted)
        runnable = [r for r in counted if r[1] != "stale"]
        rate = f"{100 * k / len(runnable):.0f}% ({k}/{len(runnable)})" if runnable else "-"
        print(f"{area:12} {len(rows):7} {len(rows) - len(counted):5} {k:6} {s:8} {st:5} {t:7} {rate:>9}")
    survivors = [r for r in results if r[1] in ("survived", "timeout") and not r[0].equivalent]
    if survivors:
        print("\nnot killed (holes):")
        for m, status, _, _ in survivors:
            print(f"  {m.name} [{m.area}] {status}")
    print(f"\n{len(results)} mutant(s) in {time.monotonic() - began:.0f}s; "
          "kill rate = killed / (run, not equivalent, not stale)")
    print(f"working tree (leaddesk/): {_git_clean()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
