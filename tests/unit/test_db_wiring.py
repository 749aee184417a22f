"""db.py is the lowest room: it may not import the sync package, so the journal attaches
itself to every Database when it is imported (issue #11). A Database made before that would
save rows that are neither stamped nor journalled; it is refused instead, with a message
that says what to import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

MAKE = textwrap.dedent("""
    import uuid
    from leaddesk.db import Database, WriteContext, make_engine
    {import_journal}
    try:
        db = Database(make_engine("sqlite://", check=False), WriteContext(node=uuid.uuid4()))
    except RuntimeError as exc:
        print("refused:", exc)
    else:
        from leaddesk.sync import journal
        print("made; journal attached:", journal.install in __import__("leaddesk.db").db._write_session_hooks)
""")


def _run(import_journal: str) -> str:
    out = subprocess.run([sys.executable, "-c", MAKE.format(import_journal=import_journal)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_database_without_the_journal_is_refused_with_what_to_import():
    said = _run("")
    assert said.startswith("refused:") and "import leaddesk.sync.journal" in said


def test_importing_the_journal_attaches_it_to_every_database():
    assert _run("import leaddesk.sync.journal") == "made; journal attached: True"


def test_db_module_does_not_import_the_sync_package():
    code = "import sys, leaddesk.db; print(sorted(m for m in sys.modules if m.startswith('leaddesk.sync')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
