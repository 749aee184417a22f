"""The pipeline page's bars: the top bar (pipeline switcher, New opportunity, Show closed,
the busy indicator and the summary) and the filter bar (owner, team, close dates, amounts,
account, search), the :class:`~leaddesk.services.pipeline.board.BoardFilter` they describe,
and what changing them does.

Apart from the page's loading and refreshing (:mod:`.pipeline_page`): :class:`PageFilters`
is mixed into :class:`~leaddesk.ui.pipeline.pipeline_page.PipelinePage` and calls its
``reload()`` whenever a filter changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QWidget,
)

from leaddesk.errors import ValidationError
from leaddesk.services.pipeline.board import BoardFilter
from leaddesk.ui.formatting import display_locale
from leaddesk.ui.pipeline._board_widgets import ElidedLabel
from leaddesk.ui.pipeline._form_dialog import amount_text, combo_index, pydate, qdate


class PageFilters:
    """The page's bars and filters, mixed into ``PipelinePage``."""

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
