"""One account: its details, its contacts, and its own pipeline board.

Each opportunity of the account is its own card and moves independently of the others.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.services.people import accounts, contacts
from leaddesk.services.pipeline import board as board_service
from leaddesk.services.dto import AccountDetail
from leaddesk.ui import state
from leaddesk.ui.followups.timeline import TimelineView
from leaddesk.ui.itemmodels.paged_table_model import Column, PagedTableModel
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.services.followups import sla
from leaddesk.ui.jobs import app_signals, run_read, run_write
from leaddesk.ui.people.account_editor import AccountEditorDialog
from leaddesk.ui.widgets.stage_badges import stage_label


class AccountView(QWidget):
    back_requested = Signal()
    contact_activated = Signal(object)  # contact id

    def __init__(self, db: Database, undo_stack, parent=None):
        super().__init__(parent)
        self.db = db
        self.undo_stack = undo_stack
        self.account: AccountDetail | None = None
        self.account_id: uuid.UUID | None = None

        self.back = QPushButton(self.tr("← Accounts"))
        self.back.setFlat(True)
        self.back.clicked.connect(self.back_requested)
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.edit_button = QPushButton(self.tr("Ed&it…"))  # Alt+E is the Edit menu
        self.edit_button.clicked.connect(self.edit_account)
        self.new_opp_button = QPushButton(self.tr("New &opportunity…"))
        self.history_button = QPushButton(self.tr("Histor&y…"))
        self.history_button.setToolTip(self.tr("Who changed what on this account, and when"))
        self.history_button.clicked.connect(self.show_history)
        self.delete_button = QPushButton(self.tr("&Delete"))
        self.delete_button.clicked.connect(self.delete_account)
        top = QHBoxLayout()
        top.addWidget(self.back)
        top.addWidget(self.title, 1)
        top.addWidget(self.new_opp_button)
        top.addWidget(self.edit_button)
        top.addWidget(self.history_button)
        top.addWidget(self.delete_button)

        self.facts = QFormLayout()
        self.fact_labels: dict[str, QLabel] = {}
        for key, label in (("domain", self.tr("Website")), ("industry", self.tr("Industry")),
                           ("employees", self.tr("Employees")), ("revenue", self.tr("Annual revenue")),
                           ("place", self.tr("Location")), ("phone", self.tr("Phone")), ("tags", self.tr("Tags")),
                           ("meetings", self.tr("Meetings"))):
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fact_labels[key] = value
            self.facts.addRow(label, value)
        facts_box = QWidget()
        facts_box.setLayout(self.facts)

        self.contacts_model = PagedTableModel(
            [Column(self.tr("Name"), lambda r: r.display_name), Column(self.tr("Job title"), lambda r: r.job_title),
             Column(self.tr("E-mail"), lambda r: r.email), Column(self.tr("Phone"), lambda r: r.phone),
             Column(self.tr("Stage"), lambda r: stage_label(r.lifecycle_stage))],
            lambda after, limit: contacts.list_contacts(db, after=after, limit=limit, account_id=self.account_id),
            parent=self,
        )
        self.contacts_table = QTableView()
        self.contacts_table.setModel(self.contacts_model)
        self.contacts_table.verticalHeader().hide()
        self.contacts_table.setWordWrap(False)
        self.contacts_table.setAlternatingRowColors(True)
        self.contacts_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.contacts_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.contacts_table.activated.connect(lambda idx: self.contact_activated.emit(idx.data(Roles.ID)))

        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(facts_box)
        upper.addWidget(self.contacts_table)
        upper.setStretchFactor(1, 1)
        self._add_timeline(upper)
        self.board_host = QWidget()
        self.board_layout = QVBoxLayout(self.board_host)
        self.board_layout.setContentsMargins(0, 0, 0, 0)
        self.board = self._make_board()
        self._build_pipeline_switch()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(self.board_host)
        self.splitter.setStretchFactor(1, 2)
        state.restore_splitter(type(self).__name__, self.splitter)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        app_signals.data_changed.connect(self._on_data_changed)

    def _add_timeline(self, upper: QSplitter) -> None:
        """The account's activities, capped to the newest (an account may have thousands)."""
        self.timeline = TimelineView(self.db)
        upper.addWidget(self.timeline)
        upper.setStretchFactor(2, 1)

    def _make_board(self):
        from leaddesk.ui.pipeline.pipeline_page import PipelinePage

        board = PipelinePage(self.db, self.undo_stack, account_mode=True)
        self.board_layout.addWidget(board)
        self.new_opp_button.clicked.connect(board.new_opportunity)
        return board

    def _build_pipeline_switch(self) -> None:
        """The pipelines holding this account's deals (with counts): the board shows one."""
        self.pipeline_switch = QComboBox()
        self.pipeline_switch.setObjectName("accountPipelines")
        self.pipeline_switch.setToolTip(self.tr("The pipelines with deals of this account; the board shows the "
                                                "chosen one"))
        self.pipeline_switch.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.pipeline_switch.currentIndexChanged.connect(lambda _i: self._pipeline_chosen())
        caption = QLabel(self.tr("Pipe&line:"))
        caption.setBuddy(self.pipeline_switch)
        bar = self.board.top_bar  # beside the board's own "Show closed" and totals
        bar.insertWidget(0, caption)
        bar.insertWidget(1, self.pipeline_switch)
        bar.insertSpacing(2, 12)

    # --- loading ----------------------------------------------------------------------
    def show_account(self, account_id) -> None:
        self.account_id = account_id
        run_read(self, lambda: accounts.get_account(self.db, account_id)).success(self._show).run()
        self.contacts_model.reload()
        self._load_pipelines(account_id, None)
        self.timeline.show_for(account_id=account_id)
        self._load_meetings(account_id)

    def _load_meetings(self, account_id) -> None:
        """Meetings held or missed at the account, with its no-shows (issue #13)."""
        db = self.db
        run_read(self, lambda: sla.account_meeting_figures(db, account_id)).success(self._show_meetings).run()

    def _show_meetings(self, m) -> None:
        if m.account_id != self.account_id:
            return
        label = self.fact_labels["meetings"]
        if not m.meetings:
            label.setText("—")
        else:
            label.setText(self.tr("{0} held or missed, {1} no-show(s) ({2:.0%})").format(
                m.meetings, m.no_shows, m.no_show_share))

    def _load_pipelines(self, account_id, keep) -> None:
        """Read the account's pipelines; show ``keep`` (None: the one with most open deals)."""
        db = self.db
        run_read(self, lambda: board_service.account_pipelines(db, account_id)).success(
            lambda found: self._fill_pipelines(account_id, found, keep)).run()

    def _fill_pipelines(self, account_id, found, keep) -> None:
        if account_id != self.account_id:
            return  # another account was opened meanwhile
        combo = self.pipeline_switch
        combo.blockSignals(True)
        combo.clear()
        for p in found:
            text = self.tr("{0} ({1} open of {2})").format(p.name, p.open_deals, p.deals) if p.deals \
                else self.tr("{0} (no deals yet)").format(p.name)
            combo.addItem(text, p.pipeline_id)
        index = next((i for i, p in enumerate(found) if p.pipeline_id == keep), 0)
        combo.setCurrentIndex(index if found else -1)
        combo.blockSignals(False)
        chosen = combo.currentData()
        if keep is None or chosen != keep or self.board.account_id != account_id:
            self.board.show_pipeline(chosen, account_id=account_id)

    def _pipeline_chosen(self) -> None:
        if self.account_id is not None:
            self.board.show_pipeline(self.pipeline_switch.currentData(), account_id=self.account_id)

    def _show(self, a: AccountDetail) -> None:
        self.account = a
        self.title.setText(a.name)
        f = self.fact_labels
        f["domain"].setText(a.website or a.domain or "—")
        f["industry"].setText(a.industry or "—")
        f["employees"].setText(f"{a.employees:,}" if a.employees else "—")
        f["revenue"].setText(f"{a.annual_revenue:,.0f} {a.revenue_currency or ''}" if a.annual_revenue else "—")
        f["place"].setText(", ".join(p for p in (a.city, a.country) if p) or "—")
        f["phone"].setText(a.phone or "—")
        f["tags"].setText(", ".join(a.tags) or "—")

    def _on_data_changed(self, changes, initiator) -> None:
        if self.account_id is None or not self.isVisible():
            return
        if changes is None or "account" in changes.entities:
            if changes is None or self.account_id in changes.ids:
                run_read(self, lambda: accounts.get_account(self.db, self.account_id)).success(self._show).run()
        if changes is None or changes.entities & {"contact", "contact_email", "contact_phone"}:
            self.contacts_model.reload()
        if changes is None or "activity" in changes.entities:
            self._load_meetings(self.account_id)
        if changes is None or changes.entities & {"opportunity", "pipeline", "pipeline_stage"}:
            self._load_pipelines(self.account_id, self.pipeline_switch.currentData())

    # --- actions ----------------------------------------------------------------------
    def edit_account(self) -> None:
        if self.account is None:
            return
        dialog = AccountEditorDialog(self.db, self.account, self)
        dialog.saved.connect(self._show)
        dialog.open()

    def show_history(self):
        """Open the field history of the shown account."""
        if self.account is None:
            return None
        from leaddesk.ui.team.history_panel import open_history

        return open_history(self, self.db, "account", self.account.id, self.account.name)

    def delete_account(self) -> None:
        if self.account is None:
            return
        answer = QMessageBox.question(
            self, self.tr("Delete account"),
            self.tr("Move “{0}” to the trash? It can be restored later.").format(self.account.name))
        if answer != QMessageBox.StandardButton.Yes:
            return
        account = self.account
        run_write(self, lambda: accounts.delete_account(self.db, account.id, expected_version=account.version)) \
            .success(lambda _c: self.back_requested.emit()).run()

    def save_state(self) -> None:
        state.save_splitter(type(self).__name__, self.splitter)
