"""`pip install .` (not only editable) gives a working `leaddesk` with its migrations."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_packaging_wheel_ships_migrations_and_runs_outside_the_source_tree(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("leaddesk-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "leaddesk/migrations/env.py" in names
    assert "leaddesk/migrations/script.py.mako" in names
    assert any(n.startswith("leaddesk/migrations/versions/0001") for n in names)
    # The demo's data tables are files next to its code; every one of them ships.
    demo_data = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "leaddesk/services/demo/data").glob("*.toml"))
    assert demo_data and set(demo_data) <= set(names)
    # ... and so are the word tables of title normalisation (one per language).
    title_data = sorted(p.relative_to(ROOT).as_posix()
                        for p in (ROOT / "leaddesk/services/qualification/data").rglob("*.toml"))
    assert len(title_data) >= 7 and set(title_data) <= set(names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "leaddesk = leaddesk.__main__:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target), "LEADDESK_DATA_DIR": str(tmp_path / "data")}
    db = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    out = subprocess.run([sys.executable, "-m", "leaddesk", "--db", db, "init"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([sys.executable, "-c", "import leaddesk, sys; print(leaddesk.__file__)"], cwd=tmp_path,
                         env=env, capture_output=True, text=True)
    assert out.stdout.strip().startswith(str(target))
    # ... and the installed package reads them (importlib.resources, not a path beside the source).
    out = subprocess.run([sys.executable, "-c", "from leaddesk.services.demo import _tables; print(len(_tables.LOCALES))"],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0 and int(out.stdout) > 0, out.stderr
    out = subprocess.run([sys.executable, "-c", "from leaddesk.services.qualification.titles import normalize_title;"
                          " print(normalize_title('Lagerleiter').department)"],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert (out.returncode, out.stdout.strip()) == (0, "Logistics"), out.stderr
