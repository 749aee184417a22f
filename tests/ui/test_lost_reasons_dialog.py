"""Pipeline ▸ Lost reasons: the team configures the reasons offered when closing as lost."""

from __future__ import annotations

from leaddesk.services.pipeline import lost_reasons
from leaddesk.ui.pipeline.lost_reasons_dialog import LostReasonsDialog


def _names(dialog):
    return [dialog.list.item(r).text() for r in range(dialog.list.count())]


def test_lost_reasons_add_rename_retire_and_bring_back(qtbot, db, monkeypatch):
    dialog = LostReasonsDialog(db)
    qtbot.addWidget(dialog)
    seeded = len(lost_reasons.list_lost_reasons(db))
    assert dialog.list.count() == seeded
    monkeypatch.setattr(dialog, "ask_name", lambda title, text="": "Legal blocked it")
    dialog.add_reason()
    assert "Legal blocked it" in _names(dialog)
    dialog.list.setCurrentRow(_names(dialog).index("Legal blocked it"))
    monkeypatch.setattr(dialog, "ask_name", lambda title, text="": "Legal or compliance blocked it")
    dialog.rename_reason()
    dialog.toggle_button.click()  # retire
    assert "Legal or compliance blocked it (retired)" in _names(dialog)
    active = [r.name for r in lost_reasons.list_lost_reasons(db)]
    assert "Legal or compliance blocked it" not in active and len(active) == seeded
    dialog.toggle_button.click()  # bring back
    assert "Legal or compliance blocked it" in [r.name for r in lost_reasons.list_lost_reasons(db)]


def test_lost_reasons_duplicate_name_is_shown_and_nothing_added(qtbot, db, monkeypatch):
    dialog = LostReasonsDialog(db)
    qtbot.addWidget(dialog)
    existing = lost_reasons.list_lost_reasons(db)[0].name
    monkeypatch.setattr(dialog, "ask_name", lambda title, text="": existing)
    dialog.add_reason()
    assert not dialog.error.isHidden() and dialog.error.text()
    assert _names(dialog).count(existing) == 1
