"""The Pipeline page: a team's board with a pipeline switcher, filters and "New opportunity".

Also embeddable in an account view: ``PipelinePage(db, stack, show_filters=False,
account_id=..., include_closed=True)`` shows only that account's cards (closed ones too).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QLocale, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from leaddesk.errors import ValidationError
from leaddesk.models.enums import OpportunityStatus
from leaddesk.models.search import fold
from leaddesk.services.pipeline import board as board_service
from leaddesk.services.people import accounts
from leaddesk.services.pipeline import pipelines
from leaddesk.services.team import users
from leaddesk.services.pipeline.board import Board, BoardFilter
from leaddesk.ui import errors, state
from leaddesk.ui.formatting import display_locale, format_totals
from leaddesk.ui.pipeline.board_model import BoardModel
from leaddesk.ui.jobs import app_signals, run_read
from leaddesk.ui.pipeline._board_widgets import ElidedLabel
from leaddesk.ui.pipeline.board_view import BoardView
from leaddesk.ui.pipeline._form_dialog import amount_text, combo_index, pydate, qdate
from leaddesk.ui.pipeline._new_opportunity_dialog import NewOpportunityDialog

#: Changes to these kinds of records can change what the board shows.
_RELEVANT = ("opportunit", "account", "pipeline", "stage", "activit", "user", "team", "lost")


@dataclass(frozen=True)
class _Choices:
    pipelines: list
    owners: list
    teams: list


class PipelinePage(QWidget):
    """``load()`` reads the pipelines, owners and teams, then the board. The board reloads by
    itself when filters change (text debounced) and when other views change opportunities."""

    #: (Board) after each load
    board_loaded = Signal(object)
    #: (bool) a load is running
    loading_changed = Signal(bool)
    #: (text) for the status bar
    status_message = Signal(str)

    def __init__(self, db, undo_stack: QUndoStack, parent=None, *, show_filters: bool = True,
                 account_id=None, include_closed: bool = False, account_mode: bool = False,
                 column_width: int = 256):
        super().__init__(parent)
        if account_mode:  # inside an account view: no pipeline/filter bar, closed cards shown
            show_filters, include_closed = False, True
        self.db = db
        self.undo_stack = undo_stack
        self.account_mode = account_mode
        self.account_id = account_id
        self.account_name: str | None = None
        self.board: Board | None = None
        self.pipelines: list = []
        self._pipeline_id = None
        self._generation = 0
        self._loading = False
        self._stale = False
        self._choices_loaded = False
        self._new_after_load = False
        if not account_mode:
            saved = state.value(f"{type(self).__name__}/pipeline")
            self._pipeline_id = _uuid_or_none(saved)
        self.model = BoardModel(self)
        self.view = BoardView(db, self.model, undo_stack, self, column_width=column_width)
        self.view.reload_requested.connect(self.reload)
        self.view.status_message.connect(self.status_message)
        self._summary_timer = QTimer(self, singleShot=True, interval=0)
        self._summary_timer.timeout.connect(self._update_summary)
        for signal in (self.model.modelReset, self.model.rowsInserted, self.model.rowsRemoved, self.model.dataChanged):
            signal.connect(self._summary_timer.start)

        self._build_bars(show_filters, include_closed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(self.top_bar)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.view, 1)
        self.filter_bar.setVisible(show_filters)

        self._text_timer = QTimer(self, singleShot=True, interval=250)
        self._text_timer.timeout.connect(self.reload)
        self._echo_timer = QTimer(self, singleShot=True, interval=120)
        self._echo_timer.timeout.connect(self.reload)
        app_signals.data_changed.connect(self.on_data_changed)

    # --- building ---------------------------------------------------------------------------
    def _build_bars(self, show_filters: bool, include_closed: bool) -> None:
        self.title = QLabel(self.tr("Pipeline"))
        self.title.setObjectName("pageTitle")
        self.pipeline_combo = QComboBox()
        self.pipeline_combo.setMinimumWidth(160)
        self.pipeline_combo.setToolTip(self.tr("Pipeline"))
        self.pipeline_combo.currentIndexChanged.connect(lambda _i: self._on_pipeline_chosen())
        self.new_button = QPushButton(self.tr("New opportunity"))
        # For a menu: the page does not install it (the main window's File menu has one).
        self.new_action = QAction(self.tr("New &opportunity…"), self)
        self.new_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.new_action.triggered.connect(self.new_opportunity)
        self.new_button.clicked.connect(self.new_opportunity)
        self.new_button.setToolTip(self.tr("New opportunity (Ctrl+Shift+N)"))
        self.show_closed = QCheckBox(self.tr("Show closed"))
        self.show_closed.setChecked(include_closed)
        self.show_closed.toggled.connect(lambda _=None: self.reload())
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(10)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName(self.tr("Loading"))
        self.busy.hide()
        self.summary = ElidedLabel()
        self.summary.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.top_bar = QHBoxLayout()
        if show_filters:
            self.top_bar.addWidget(self.title)
            self.top_bar.addSpacing(8)
            self.top_bar.addWidget(self.pipeline_combo)
        if not self.account_mode:  # the account view has its own button
            self.top_bar.addWidget(self.new_button)
        else:
            self.new_button.hide()
        self.top_bar.addWidget(self.show_closed)
        self.top_bar.addWidget(self.busy)
        self.top_bar.addWidget(self.summary, 1)

        self.filter_bar = QWidget()
        bar = QHBoxLayout(self.filter_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        self.owner_combo = QComboBox()
        self.owner_combo.setToolTip(self.tr("Owner"))
        self.owner_combo.addItem(self.tr("Everyone"), "")
        self.team_combo = QComboBox()
        self.team_combo.setToolTip(self.tr("Team"))
        self.team_combo.addItem(self.tr("All teams"), "")
        self.close_check = QCheckBox(self.tr("Closing"))
        self.close_from = QDateEdit()
        self.close_to = QDateEdit()
        today = dt.date.today()
        for edit, value in ((self.close_from, today.replace(day=1)),
                            (self.close_to, (today.replace(day=1) + dt.timedelta(days=95)).replace(day=1)
                             - dt.timedelta(days=1))):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(display_locale().dateFormat(QLocale.FormatType.ShortFormat))
            edit.setDate(qdate(value))
            edit.setEnabled(False)
            edit.dateChanged.connect(lambda _=None: self.close_check.isChecked() and self.reload())
        self.close_check.toggled.connect(self.close_from.setEnabled)
        self.close_check.toggled.connect(self.close_to.setEnabled)
        self.close_check.toggled.connect(lambda _=None: self.reload())
        self.amount_min = QLineEdit()
        self.amount_min.setPlaceholderText(self.tr("Min amount"))
        self.amount_max = QLineEdit()
        self.amount_max.setPlaceholderText(self.tr("Max amount"))
        for edit in (self.amount_min, self.amount_max):
            edit.setMaximumWidth(110)
            edit.setClearButtonEnabled(True)
            edit.editingFinished.connect(self._on_amount_edited)
        self.account_edit = QLineEdit()
        self.account_edit.setPlaceholderText(self.tr("Account"))
        self.account_edit.setClearButtonEnabled(True)
        self.account_edit.setMaximumWidth(160)
        self.account_edit.textEdited.connect(lambda _: self._text_timer.start())
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search opportunities and accounts"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _: self._text_timer.start())
        self.clear_button = QPushButton(self.tr("Clear filters"))
        self.clear_button.clicked.connect(self.clear_filters)
        self.owner_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.team_combo.currentIndexChanged.connect(lambda _i: self.reload())
        for w in (self.owner_combo, self.team_combo, self.close_check, self.close_from, QLabel("–"), self.close_to,
                  self.amount_min, self.amount_max, self.account_edit):
            bar.addWidget(w)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.clear_button)

    # --- loading ----------------------------------------------------------------------------
    @property
    def is_loading(self) -> bool:
        return self._loading

    def load(self) -> None:
        """Read the choices (pipelines, owners, teams), then the board."""
        db = self.db
        self._set_loading(True)
        run_read(self, lambda: _Choices(pipelines.list_pipelines(db), board_service.owners_for_filter(db),
                                        users.list_teams(db))).success(self._on_choices).failure(
            self._on_load_failed).run()

    def _on_choices(self, choices: _Choices) -> None:
        self._choices_loaded = True
        self.pipelines = choices.pipelines
        for combo in (self.pipeline_combo, self.owner_combo, self.team_combo):
            combo.blockSignals(True)
        try:
            self._fill_choices(choices)
        finally:
            for combo in (self.pipeline_combo, self.owner_combo, self.team_combo):
                combo.blockSignals(False)
        self.view.set_owner_names(dict(choices.owners))
        self.reload()

    def _fill_choices(self, choices: _Choices) -> None:
        self.pipeline_combo.clear()
        for p in choices.pipelines:
            self.pipeline_combo.addItem(p.name, p.id)
        default = next((p.id for p in choices.pipelines if p.is_default), None)
        index = combo_index(self.pipeline_combo, self._pipeline_id) if self._pipeline_id else -1
        if index < 0:  # none chosen yet, or the chosen one was deleted
            index = combo_index(self.pipeline_combo, default) if default else 0
        self.pipeline_combo.setCurrentIndex(max(0, index))
        self._pipeline_id = self.pipeline_combo.currentData() if choices.pipelines else None
        owner, team = self.owner_combo.currentData(), self.team_combo.currentData()
        self.owner_combo.clear()
        self.owner_combo.addItem(self.tr("Everyone"), "")
        me = self.db.write.actor_id
        if me is not None:
            self.owner_combo.addItem(self.tr("My opportunities"), me)
        for ident, name in choices.owners:
            self.owner_combo.addItem(name, ident)
        self.owner_combo.setCurrentIndex(max(0, combo_index(self.owner_combo, owner or "")))
        self.team_combo.clear()
        self.team_combo.addItem(self.tr("All teams"), "")
        for t in choices.teams:
            self.team_combo.addItem(t.name, t.id)
        self.team_combo.setCurrentIndex(max(0, combo_index(self.team_combo, team or "")))

    def board_filter(self) -> BoardFilter:
        """The filter the widgets describe (raises ValidationError for an unreadable amount)."""
        # "" = no choice (a None item data would come back through a leaky QVariant conversion)
        owner = self.owner_combo.currentData() or None
        return BoardFilter(
            pipeline_id=self._pipeline_id, owner_ids=(owner,) if owner else (),
            team_id=self.team_combo.currentData() or None,
            close_from=pydate(self.close_from.date()) if self.close_check.isChecked() else None,
            close_to=pydate(self.close_to.date()) if self.close_check.isChecked() else None,
            amount_min=_amount(self.amount_min, "amount_min"), amount_max=_amount(self.amount_max, "amount_max"),
            account_id=self.account_id, text=self.search.text().strip(), include_closed=self.show_closed.isChecked())

    def reload(self) -> None:
        """Read the board again with the current filters (stale answers are dropped)."""
        if not self._choices_loaded:
            self.load()
            return
        self._text_timer.stop()
        self._echo_timer.stop()
        self._mark_invalid(None)
        try:
            flt = self.board_filter()
        except ValidationError as exc:
            self._mark_invalid(exc)
            return
        self._generation += 1
        generation, db, account_text = self._generation, self.db, fold(self.account_edit.text()).strip()
        account_id = self.account_id
        writes = self.view.writer.landed

        def work():
            name = accounts.get_account(db, account_id).name if account_id is not None else None
            return board_service.load_board(db, flt), name

        self._set_loading(True)
        run_read(self, work).success(lambda result: self._on_board(generation, writes, *result, account_text)).failure(
            lambda exc: self._on_board_failed(generation, exc)).run()

    def _on_board(self, generation: int, writes: int, board: Board, account_name: str | None,
                  account_text: str) -> None:
        if generation != self._generation:
            return
        writer = self.view.writer
        if writer.landed != writes:
            # A board write landed while this was read: the answer may predate it. Read again.
            self._echo_timer.start()
            return
        self.account_name = account_name
        if account_text:
            board = Board(board.pipeline_id, board.pipeline_name, board.currency, board.stages,
                          tuple(c for c in board.cards if account_text in fold(c.account_name)), board.loaded_at)
        self.board = board
        self._stale = False
        self.view.set_board(board, include_closed=self.show_closed.isChecked())
        self._update_summary()
        self._set_loading(False)
        self.board_loaded.emit(board)
        if self._new_after_load:
            self.new_opportunity()

    def _on_board_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._set_loading(False)
        if isinstance(exc, ValidationError) and exc.field in ("amount_min", "amount_max"):
            self._mark_invalid(exc)
        else:
            errors.show_error(self, exc)

    def _on_load_failed(self, exc: BaseException) -> None:
        self._set_loading(False)
        errors.show_error(self, exc)

    def _set_loading(self, loading: bool) -> None:
        self._loading = loading
        self.busy.setVisible(loading)
        self.loading_changed.emit(loading)

    def _update_summary(self) -> None:
        if self.board is None:
            return
        cards = [c for c in self.model.cards() if c.status == OpportunityStatus.OPEN]
        totals = board_service.column_totals(cards)
        self.summary.setText(self.tr("{0} open · {1} · weighted {2}").format(
            totals.count, format_totals(totals.amount, self.board.currency, compact=True),
            format_totals(totals.weighted, self.board.currency, compact=True)))

    # --- filters ----------------------------------------------------------------------------
    def _on_pipeline_chosen(self) -> None:
        ident = self.pipeline_combo.currentData()
        if ident != self._pipeline_id:
            self._pipeline_id = ident
            self.reload()

    def set_pipeline(self, pipeline_id) -> None:
        self._pipeline_id = pipeline_id
        index = combo_index(self.pipeline_combo, pipeline_id)
        if index >= 0:
            self.pipeline_combo.blockSignals(True)
            self.pipeline_combo.setCurrentIndex(index)
            self.pipeline_combo.blockSignals(False)
        if self._choices_loaded:
            self.reload()

    def set_account_filter(self, account_id) -> None:
        """Limit the board to one account's opportunities (None: every account)."""
        self.account_id = account_id
        if self._choices_loaded:
            self.reload()
        else:
            self.load()

    def set_include_closed(self, include: bool) -> None:
        self.show_closed.setChecked(include)

    def clear_filters(self) -> None:
        """Back to everything in the pipeline (one reload, not one per widget)."""
        widgets = (self.owner_combo, self.team_combo, self.close_check, self.amount_min, self.amount_max,
                   self.account_edit, self.search)
        for w in widgets:
            w.blockSignals(True)
        try:
            self.owner_combo.setCurrentIndex(0)
            self.team_combo.setCurrentIndex(0)
            self.close_check.setChecked(False)
            for w in (self.amount_min, self.amount_max, self.account_edit, self.search):
                w.clear()
        finally:
            for w in widgets:
                w.blockSignals(False)
        self.close_from.setEnabled(False)
        self.close_to.setEnabled(False)
        self.reload()

    def _on_amount_edited(self) -> None:
        if self._choices_loaded:
            self.reload()

    def _mark_invalid(self, exc: ValidationError | None) -> None:
        for key, edit in (("amount_min", self.amount_min), ("amount_max", self.amount_max)):
            bad = exc is not None and exc.field == key
            edit.setStyleSheet("QLineEdit { border: 1px solid #c62828; }" if bad else "")
            edit.setToolTip(str(exc) if bad else "")
        if exc is not None:
            self.status_message.emit(str(exc))

    # --- new opportunity -------------------------------------------------------------------
    def new_opportunity(self) -> NewOpportunityDialog | None:
        """Open the New opportunity dialog (after the first load, if the board is not read yet)."""
        if self.board is None:
            self._new_after_load = True
            self.load()
            return None
        self._new_after_load = False
        account = (self.account_id, self.account_name) if self.account_id and self.account_name else None
        dialog = NewOpportunityDialog(self.db, pipeline_id=self.board.pipeline_id, currency=self.board.currency,
                                      stages=self.board.stages, account=account, parent=self)
        dialog.created.connect(self._on_created)
        dialog.open()
        return dialog

    def _on_created(self, created) -> None:
        self.view.add_created(created)

    def save_state(self) -> None:
        if not self.account_mode and self._pipeline_id is not None:
            state.set_value(f"{type(self).__name__}/pipeline", str(self._pipeline_id))

    # --- refresh after other views' writes --------------------------------------------------
    def _is_mine(self, initiator) -> bool:
        return initiator is self or (isinstance(initiator, QWidget) and self.isAncestorOf(initiator))

    def on_data_changed(self, changes, initiator) -> None:
        if self._is_mine(initiator) or not self._choices_loaded:
            return
        if changes is not None and not any(k in e.lower() for e in changes.entities for k in _RELEVANT):
            return
        if not self.isVisible():
            self._stale = True
            return
        self._echo_timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.reload()


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _amount(edit: QLineEdit, field: str) -> Decimal | None:
    text = amount_text(edit.text())
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"'{edit.text()}' is not an amount.", field=field) from None
    if not value.is_finite():
        raise ValidationError(f"'{edit.text()}' is not an amount.", field=field)
    return value

