"""Qualification ▸ Team settings & pipelines…: the manager's screen for how the team works.

Three tabs: **Settings** (every team setting with its help text: SLAs, caps, score
thresholds, qualification, defaults), **Stage definitions** (each lifecycle stage's name,
definition and entry criteria) and **Pipelines** (pipelines and their stages: order, win
probability, rotting days). Managers and admins change them; reps see everything
read-only (the services, and the team server, refuse a rep's change anyway: the access
rule CONFIG in models/access.py). Reads and writes run as jobs, never on the UI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from leaddesk.db import Database
from leaddesk.models.access import CONFIG
from leaddesk.ui.team._definitions_tab import DefinitionsTab
from leaddesk.ui.team._pipelines_tab import PipelinesTab
from leaddesk.ui.team._settings_tab import SettingsTab, grouped_keys
from leaddesk.ui.team.history_panel import restore_geometry, save_geometry


def _tr(text: str) -> str:
    return QCoreApplication.translate("TeamSettings", text)


def may_edit(db: Database) -> bool:
    """Whether the signed-in user may change the team's configuration: managers and admins
    (no signed-in user on a standalone file: no rules apply, as in the services)."""
    subject = db.write.subject
    return subject is None or subject.role in CONFIG.writers


class TeamSettingsDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.editable = may_edit(db)
        self.setWindowTitle(_tr("Team settings & pipelines"))
        self.tabs = QTabWidget()
        self.settings_tab = SettingsTab(db, self.editable)
        self.definitions_tab = DefinitionsTab(db, self.editable)
        self.pipelines_tab = PipelinesTab(db, self.editable)
        self.tabs.addTab(self.settings_tab, _tr("&Settings"))
        self.tabs.addTab(self.definitions_tab, _tr("Stage &definitions"))
        self.tabs.addTab(self.pipelines_tab, _tr("&Pipelines"))
        self.read_only_note = QLabel(_tr("Only managers and admins can change the team's settings, stage "
                                         "definitions and pipelines; you see them read-only."))
        self.read_only_note.setObjectName("readOnlyNote")
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setStyleSheet("QLabel#readOnlyNote { background: #fff8e1; border: 1px solid #ffe082;"
                                          " border-radius: 4px; padding: 6px; }")
        self.read_only_note.setVisible(not self.editable)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.read_only_note)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(1040, 760)
        restore_geometry(self)
        self.reload()

    def reload(self) -> None:
        self.settings_tab.reload()
        self.definitions_tab.reload()
        self.pipelines_tab.reload()

    def done(self, result: int) -> None:
        save_geometry(self)
        super().done(result)


def open_team_settings(window) -> TeamSettingsDialog:
    """Open the dialog over the main window (its ``db``); one per click, deleted on close."""
    dialog = TeamSettingsDialog(window.db, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


__all__ = ["TeamSettingsDialog", "grouped_keys", "may_edit", "open_team_settings"]
