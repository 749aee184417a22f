"""Qualification ▸ Assignment & caps…: the manager's view of who holds how many leads.

Per team: each active member with her open leads (lead, IQL, MQL, SQL; nurture is not
counted), her cap and where it comes from (her own, the team's, the team setting), and
when she was last given a lead; the rep's cap is edited in the table (empty = the team's),
the team's in the field above it (0 = the team setting's). "Hand off hot leads now" hands
every lead/IQL at the hot score to sales and assigns the unassigned ones round-robin in the
chosen team, then says what it did (or why nothing was written: everyone at their cap).
Caps are team settings (``lead_cap_by_rep``, ``lead_cap_by_team``, ``lead_cap``): managers
and admins edit them here, reps see them read-only. Reads and writes run on workers;
refusals are shown in the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from leaddesk.db import Database
from leaddesk.errors import LeadDeskError
from leaddesk.services.qualification import assignment, handoff
from leaddesk.ui.errors import show_error
from leaddesk.ui.formatting import format_moment
from leaddesk.ui.jobs import run_read, run_write

COLUMNS = ("Rep", "Role", "Open leads", "Own cap", "Cap from", "Last assigned")
CAP_COLUMN = 3


class AssignmentScreen(QDialog):
    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.teams: list[assignment.TeamLoad] = []
        self._filling = False
        self.setWindowTitle(self.tr("Assignment & caps"))
        self.resize(760, 460)
        top = QHBoxLayout()
        self.team = QComboBox()
        self.team.setObjectName("team")
        self.team.currentIndexChanged.connect(lambda _i: self._show_team())
        self.team_cap = QSpinBox()
        self.team_cap.setObjectName("teamCap")
        self.team_cap.setRange(0, 100000)
        self.team_cap.setKeyboardTracking(False)
        self.team_cap.valueChanged.connect(self._save_team_cap)
        self.team_cap.setToolTip(self.tr("The cap of each rep of this team who has none of her own "
                                         "(0: the team setting lead_cap)"))
        top.addWidget(QLabel(self.tr("Team:")))
        top.addWidget(self.team, 1)
        top.addSpacing(16)
        top.addWidget(QLabel(self.tr("Team cap:")))
        top.addWidget(self.team_cap)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("reps")
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.horizontalHeaderItem(4).setToolTip(self.tr(
            "own: the rep's own cap; team: her team's cap; setting: the team setting lead_cap"))
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.can_edit = assignment.may_edit_caps(db.write.subject)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed if self.can_edit
                                   else QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._on_item_changed)
        edit_note = (self.tr("Double-click a rep's own cap to change it; empty = the team's cap.") if self.can_edit
                     else self.tr("Caps are set by a manager or an admin."))
        note = QLabel(self.tr("Open leads: lead, IQL, MQL and SQL (nurtured leads are kept warm by marketing and "
                              "do not count). Round-robin skips reps at their cap.") + " " + edit_note)
        note.setWordWrap(True)
        note.setEnabled(False)
        self.handoff_button = QPushButton(self.tr("Hand off hot leads now"))
        self.handoff_button.setObjectName("handoffNow")
        self.handoff_button.setToolTip(self.tr("Every lead or IQL at the hot score becomes MQL with its reasons; "
                                               "unassigned ones go round-robin to this team's reps"))
        self.handoff_button.clicked.connect(self.hand_off_now)
        self.result = QLabel()
        self.result.setObjectName("result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        handoff_row = QHBoxLayout()
        handoff_row.addWidget(self.handoff_button)
        handoff_row.addWidget(self.result, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addLayout(handoff_row)
        layout.addWidget(buttons)
        self.load()

    # --- loading ----------------------------------------------------------------------
    def load(self) -> None:
        db = self.db
        run_read(self, lambda: assignment.team_loads(db)).success(self._fill).run()

    def current_team(self) -> assignment.TeamLoad | None:
        i = self.team.currentIndex()
        return self.teams[i] if 0 <= i < len(self.teams) else None

    def _fill(self, teams: list[assignment.TeamLoad]) -> None:
        chosen = self.current_team()
        self.teams = teams
        self._filling = True
        self.team.clear()
        for t in teams:
            self.team.addItem(t.name, t.team_id)
        if chosen is not None:
            index = self.team.findData(chosen.team_id)
            self.team.setCurrentIndex(max(0, index))
        self._filling = False
        self._show_team()

    def _show_team(self) -> None:
        if self._filling:
            return
        t = self.current_team()
        self._filling = True
        self.table.setRowCount(0)
        self.team_cap.setEnabled(t is not None and self.can_edit)
        self.handoff_button.setEnabled(t is not None)
        if t is not None:
            self.team_cap.setSpecialValueText(self.tr("setting's ({0})").format(t.setting_cap))
            self.team_cap.setValue(t.team_cap or 0)
            self.table.setRowCount(len(t.reps))
            for row, r in enumerate(t.reps):
                source = {assignment.CAP_REP: self.tr("own"), assignment.CAP_TEAM: self.tr("team"),
                          assignment.CAP_SETTING: self.tr("setting")}[r.cap_source]
                values = (r.name, str(r.role).capitalize(), str(r.open_leads), str(r.own_cap or ""), source,
                          format_moment(r.last_assigned_at) if r.last_assigned_at else self.tr("never"))
                for col, text in enumerate(values):
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, r.user_id)
                    if col != CAP_COLUMN:
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    if col == 2:
                        item.setText(self.tr("{0} / {1}").format(r.open_leads, r.cap))
                        if r.full:
                            item.setForeground(Qt.GlobalColor.darkRed)
                            item.setToolTip(self.tr("At the cap: round-robin skips this rep"))
                    if col == CAP_COLUMN and not r.own_cap:
                        item.setToolTip(self.tr("Empty: the {0} cap ({1})").format(source, r.cap))
                    self.table.setItem(row, col, item)
            self.table.resizeColumnsToContents()
            self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._filling = False

    # --- writing ----------------------------------------------------------------------
    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, LeadDeskError):
            self.result.setText(str(exc))
        else:
            show_error(self, exc)
        self.load()

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != CAP_COLUMN:
            return
        db, user_id, text = self.db, item.data(Qt.ItemDataRole.UserRole), item.text().strip()
        run_write(self, lambda: assignment.set_rep_cap(db, user_id, text or None)).success(
            lambda _r: self.load()).failure(self._failed).run()

    def _save_team_cap(self, value: int) -> None:
        t = self.current_team()
        if self._filling or t is None or (t.team_cap or 0) == value:
            return
        db = self.db
        run_write(self, lambda: assignment.set_team_cap(db, t.team_id, value or None)).success(
            lambda _r: self.load()).failure(self._failed).run()

    def hand_off_now(self) -> None:
        t = self.current_team()
        if t is None:
            return
        db, team_id = self.db, t.team_id
        self.handoff_button.setEnabled(False)
        self.result.setText(self.tr("Handing off…"))

        def done(result: handoff.HandoffResult) -> None:
            self.result.setText(result.summary())
            self.load()

        run_write(self, lambda: handoff.hand_off_hot_leads(db, manual=True, team_id=team_id)).success(done).failure(
            self._failed).finally_(lambda: self.handoff_button.setEnabled(True)).run()


def open_assignment(window) -> AssignmentScreen:
    """Qualification ▸ Assignment & caps… (non-blocking)."""
    dialog = AssignmentScreen(window.db, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
