"""The house rules of the source tree (issue #11): modules stay small enough to read in one
sitting, and the README's map of the capability packages is the tree as it is.

Import directions are import-linter's job (``lint-imports`` in ``./test.sh``, contracts in
pyproject.toml); these are the rules it cannot express.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "leaddesk"

#: A module longer than this is split along its seams (pure rules apart from database
#: access, a widget apart from its dialog) before it grows further.
LIMIT = 400

#: Long on purpose, and not code one reads top to bottom: schema history is frozen as it
#: was written (a revision is never split after it shipped).
ALLOWED = ("migrations/versions/",)


def _python_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _line_count(path: Path) -> int:
    with path.open(encoding="utf-8") as f:
        return sum(1 for _ in f)


def test_no_module_passes_the_size_limit():
    too_long = {}
    for path in _python_modules():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(ALLOWED):
            continue
        lines = _line_count(path)
        if lines > LIMIT:
            too_long[rel] = lines
    assert not too_long, (
        f"modules over {LIMIT} lines; split them along their seams (see README, How it is built): "
        + ", ".join(f"{name} ({n})" for name, n in sorted(too_long.items())))


def test_the_allow_list_is_short_and_still_needed():
    # An entry nobody needs any more is a hole someone may later walk through.
    for prefix in ALLOWED:
        assert any(p.relative_to(PACKAGE).as_posix().startswith(prefix) and _line_count(p) > LIMIT
                   for p in _python_modules()), f"{prefix} holds no long module: drop it from ALLOWED"
    assert len(ALLOWED) <= 3


def test_the_size_check_counts_what_it_should(tmp_path):
    # The counter the rule relies on: a file of LIMIT + 1 lines is over, one of LIMIT is not.
    over = tmp_path / "over.py"
    over.write_text("x = 1\n" * (LIMIT + 1), encoding="utf-8")
    at = tmp_path / "at.py"
    at.write_text("x = 1\n" * LIMIT, encoding="utf-8")
    assert _line_count(over) > LIMIT >= _line_count(at)


def _packages(side: str) -> set[str]:
    base = PACKAGE / side
    return {p.parent.name for p in base.glob("*/__init__.py")}


def _readme_map() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## How it is built")
    end = text.find("\n## ", start + 1)
    # Homes named for capabilities still to come are written "`ui/x/` (to come)" and not counted.
    return re.sub(r"`[a-z_/]+` \(to come\)", "", text[start:end if end > 0 else None])


@pytest.mark.parametrize("side", ["services", "ui"])
def test_the_readme_map_names_every_package_and_only_those(side):
    named = set(re.findall(rf"`{side}/([a-z_]+)/`", _readme_map()))
    assert named == _packages(side), (
        f"README 'How it is built' names {sorted(named)} under {side}/, the tree has {sorted(_packages(side))}")


def test_capabilities_use_the_same_word_on_both_sides():
    # A rule and its screen are found under the same word: every screen package has its
    # services package (the shell and the shared widgets and item models are the UI's own).
    ui_only = {"shell", "widgets", "itemmodels"}
    assert _packages("ui") - ui_only <= _packages("services")


def test_every_package_says_what_it_holds():
    for init in PACKAGE.rglob("__init__.py"):
        if "migrations" in init.parts:
            continue
        text = init.read_text(encoding="utf-8").strip()
        assert text.startswith('"""') and len(text) > 20, f"{init.relative_to(ROOT)} needs a docstring"


def _package_of(module: str) -> str:
    """leaddesk.services.people.contacts -> leaddesk.services.people; leaddesk.sync.client -> leaddesk.sync."""
    parts = module.split(".")
    return ".".join(parts[:3]) if len(parts) > 3 and parts[1] in ("services", "ui") else ".".join(parts[:2])


def test_no_module_borrows_a_private_name_from_another_capability():
    # import-linter's private_modules contract covers private *modules* (_x.py); this covers
    # private *names* (def _x) imported across packages, which it cannot see.
    borrowed = []
    for path in _python_modules():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("leaddesk."):
                borrowed += [f"{module} imports {node.module}.{a.name}" for a in node.names
                             if a.name.startswith("_") and not a.name.startswith("__")
                             and _package_of(node.module) != _package_of(module)]
    assert not borrowed, borrowed


def test_the_package_rule_tells_capabilities_apart():
    assert _package_of("leaddesk.services.people.contacts") == _package_of("leaddesk.services.people._matching")
    assert _package_of("leaddesk.services.people.contacts") != _package_of("leaddesk.services.team.sync")
    assert _package_of("leaddesk.ui.people.contact_editor") != _package_of("leaddesk.services.people.contacts")
    assert _package_of("leaddesk.sync.client") == _package_of("leaddesk.sync._row_store")
