"""The contact detail side panel and its "Change stage" dialog.

The panel shows one contact (loaded off the UI thread), its qualification at a glance (the
lead view of ``ui/qualification/``, with the owner), its lifecycle history in the user's
time zone, and the actions a rep takes next: edit, move along the funnel, delete.
"""

from __future__ import annotations

import datetime as dt
import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.errors import Conflict, NotFound, ValidationError
from leaddesk.services.people import contacts
from leaddesk.services.dto import ContactDetail as ContactDTO
from leaddesk.services.dto import LifecycleStep
from leaddesk.services.records import as_uuid
from leaddesk.ui.capture.card_thumbnail import CardThumbnail
from leaddesk.ui.errors import show_error
from leaddesk.ui.followups.timeline import TimelineView
from leaddesk.ui.formatting import format_moment
from leaddesk.ui.jobs import app_signals, run_read, run_write
from leaddesk.ui.people._contact_detail_loader import DetailData, load_detail
from leaddesk.ui.people._contact_jobs import SavedContact
from leaddesk.ui.people._stage_dialog import StageDialog
from leaddesk.ui.qualification.lead_panel import LeadPanel
from leaddesk.ui.widgets.stage_badges import (
    badge_style_sheet,
    country_name,
    email_kind_label,
    isolated,
    ltr,
    phone_kind_label,
    seniority_label,
    source_label,
    stage_label,
    stage_long_label,
)
from leaddesk.ui.widgets.when_shown import WhenShown

#: Entities whose change can alter what the panel shows.
RELEVANT = frozenset({"contact", "contact_email", "contact_phone", "lifecycle_event", "account", "app_user"})


def local_time_text(at: dt.datetime | None) -> str:
    """An aware UTC time as the user's locale writes it, in the user's time zone."""
    return isolated(format_moment(at)) if at is not None else ""


class ContactDetail(QWidget):
    """Shows one contact; ``show_contact(id)`` loads it, ``show_contact(None)`` clears."""

    edit_requested = Signal(object)  # contact id
    delete_requested = Signal(object)  # contact id
    contact_loaded = Signal(object)  # services.dto.ContactDetail
    stage_changed = Signal(object)  # services.dto.ContactDetail after the move

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.contact_id: uuid.UUID | None = None
        self.data: DetailData | None = None
        self.stage_dialog: StageDialog | None = None
        self._generation = 0
        self._when_shown = WhenShown(self, self.refresh)
        self._build()
        app_signals.data_changed.connect(self.on_data_changed)

    @property
    def contact(self) -> ContactDTO | None:
        return self.data.contact if self.data is not None else None

    # --- building ---------------------------------------------------------------------
    def _value_label(self) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setTextFormat(Qt.TextFormat.PlainText)
        return label

    def _build(self) -> None:
        self.placeholder = QLabel(self.tr("Select a contact to see the details."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setEnabled(False)

        self.name_label = self._value_label()
        self.name_label.setObjectName("contactName")
        font = self.name_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.name_label.setFont(font)
        self.subtitle_label = self._value_label()
        self.stage_badge = QLabel()
        self.stage_badge.setObjectName("stageBadge")
        self.stage_since = QLabel()
        stage_row = QHBoxLayout()
        stage_row.addWidget(self.stage_badge)
        stage_row.addWidget(self.stage_since, 1)
        self.stage_reason = self._value_label()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.values: dict[str, QLabel] = {}
        for key, title in (("emails", self.tr("E-mail:")), ("phones", self.tr("Phone:")),
                           ("website", self.tr("Website:")),
                           ("address", self.tr("Address:")), ("department", self.tr("Department:")),
                           ("seniority", self.tr("Seniority:")), ("source", self.tr("Source:")),
                           ("captured", self.tr("Captured:")),
                           ("notes", self.tr("Notes:"))):
            self.values[key] = self._value_label()
            form.addRow(title, self.values[key])
        self._form = form

        history_title = QLabel(self.tr("Lifecycle history"))
        history_title.setObjectName("sectionTitle")
        bold = history_title.font()
        bold.setBold(True)
        history_title.setFont(bold)
        self.history = QListWidget()
        self.history.setObjectName("history")
        self.history.setWordWrap(True)
        self.history.setFrameShape(QFrame.Shape.NoFrame)
        self.history.setMinimumHeight(90)
        self.history.setAlternatingRowColors(True)
        self.history.setSpacing(1)

        content = QWidget()
        inner = QVBoxLayout(content)
        inner.addWidget(self.name_label)
        inner.addWidget(self.subtitle_label)
        inner.addLayout(stage_row)
        inner.addWidget(self.stage_reason)
        self.lead = LeadPanel(self.db)
        bant_key = QShortcut(QKeySequence("Ctrl+B"), self, self.lead.open_bant)  # the BANT form
        bant_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        inner.addSpacing(6)
        inner.addWidget(self.lead)
        inner.addSpacing(6)
        inner.addLayout(form)
        self._add_card(inner)
        inner.addSpacing(6)
        inner.addWidget(history_title)
        inner.addWidget(self.history, 1)
        self._add_timeline(inner)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)

        self.edit_button = QPushButton(self.tr("Ed&it…"))  # Alt+E is the Edit menu
        self.stage_button = QPushButton(self.tr("Change &stage…"))
        self.history_button = QPushButton(self.tr("Histor&y…"))
        self.history_button.setToolTip(self.tr("Who changed what on this contact, and when"))
        self.delete_button = QPushButton(self.tr("&Delete"))
        for button in (self.edit_button, self.stage_button, self.history_button, self.delete_button):
            button.setAutoDefault(False)
        self.edit_button.clicked.connect(lambda: self.contact_id and self.edit_requested.emit(self.contact_id))
        self.stage_button.clicked.connect(self.change_stage)
        self.history_button.clicked.connect(self.show_history)
        self.delete_button.clicked.connect(lambda: self.contact_id and self.delete_requested.emit(self.contact_id))
        # Two rows of two: the panel is narrow on a laptop, and four buttons in one row cut
        # "Change stage…" short.
        buttons = QGridLayout()
        buttons.addWidget(self.edit_button, 0, 0)
        buttons.addWidget(self.stage_button, 0, 1)
        buttons.addWidget(self.history_button, 1, 0)
        buttons.addWidget(self.delete_button, 1, 1)

        shown = QWidget()
        shown_layout = QVBoxLayout(shown)
        shown_layout.setContentsMargins(0, 0, 0, 0)
        shown_layout.addWidget(scroll, 1)
        shown_layout.addLayout(buttons)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(shown)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.setMinimumWidth(280)

    def _add_timeline(self, layout: QVBoxLayout) -> None:
        """The contact's activities (done and scheduled), below its lifecycle history."""
        self.timeline = TimelineView(self.db)
        self.timeline.setMinimumHeight(230)
        self.history.setMaximumHeight(130)  # a few lines; the timeline gets the room
        layout.addSpacing(6)
        layout.addWidget(self.timeline, 3)

    def _add_card(self, layout: QVBoxLayout) -> None:
        """The business card the contact was captured from, small; a click shows it whole."""
        self.card = CardThumbnail(self.db)
        layout.addWidget(self.card)

    # --- loading ----------------------------------------------------------------------
    def show_contact(self, contact_id) -> None:
        """Load and show ``contact_id`` (None clears the panel)."""
        self.contact_id = as_uuid(contact_id) if contact_id is not None else None
        self._generation += 1
        if self.contact_id is None:
            self.data = None
            self.lead.show_contact(None)
            self.timeline.show_for()
            self.card.show_for(None)
            self.placeholder.setText(self.tr("Select a contact to see the details."))
            self.stack.setCurrentIndex(0)
            return
        if self.lead.contact_id != self.contact_id:  # the lead view reloads itself on changes
            self.lead.show_contact(self.contact_id)
            self.timeline.show_for(contact_id=self.contact_id)  # so does the timeline
        self.card.show_for(self.contact_id)  # a merge may have brought a card
        generation, db, ident = self._generation, self.db, self.contact_id
        run_read(self, lambda: load_detail(db, ident)).success(lambda data: self._on_loaded(generation, data)).failure(
            lambda exc: self._on_load_failed(generation, exc)).run()

    def refresh(self) -> None:
        if self.contact_id is not None:
            self.show_contact(self.contact_id)

    def on_data_changed(self, changes, _initiator) -> None:
        if self.contact_id is None:
            return
        if changes is not None:
            entities = getattr(changes, "entities", frozenset())
            ids = getattr(changes, "ids", frozenset())
            # Another contact's change is none of our business; its children, accounts
            # and users may be (names shown here), and they are cheap to re-read.
            if self.contact_id not in ids and not (entities & (RELEVANT - {"contact"})):
                return
        self._when_shown.run()

    def _on_loaded(self, generation: int, data: DetailData) -> None:
        if generation != self._generation:
            return  # the user moved on meanwhile
        self.data = data
        self._fill(data)
        self.stack.setCurrentIndex(1)
        self.contact_loaded.emit(data.contact)

    def _on_load_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.data = None
        if isinstance(exc, NotFound):
            self.placeholder.setText(self.tr("This contact was deleted."))
            self.stack.setCurrentIndex(0)
        else:
            self.stack.setCurrentIndex(0)
            show_error(self, exc)

    def _fill(self, data: DetailData) -> None:
        c = data.contact
        self.name_label.setText(c.display_name)
        self.subtitle_label.setText(" · ".join(p for p in (c.job_title, data.account_name) if p))
        self.subtitle_label.setVisible(bool(c.job_title or data.account_name))
        self.stage_badge.setText(stage_label(c.lifecycle_stage))
        self.stage_badge.setStyleSheet(badge_style_sheet(c.lifecycle_stage))
        self.stage_badge.setToolTip(stage_long_label(c.lifecycle_stage))
        self.stage_since.setText(self.tr("since {0}").format(local_time_text(c.lifecycle_changed_at))
                                 if c.lifecycle_changed_at else "")
        self.stage_reason.setText(self.tr("Reason: {0}").format(c.stage_reason) if c.stage_reason else "")
        self.stage_reason.setVisible(bool(c.stage_reason))
        emails = [self.tr("{0} ({1})").format(ltr(e.address), email_kind_label(e.kind)) for e in c.emails]
        phones = [self.tr("{0} ({1})").format(ltr(p.number), phone_kind_label(p.kind)) for p in c.phones]
        town = " ".join(p for p in (c.postal_code, c.city) if p)
        address = "\n".join(p for p in (c.street, town, c.region, country_name(c.country)) if p)
        self._set("emails", "\n".join(emails))
        self._set("phones", "\n".join(phones))
        self._set("address", address)
        self._set("website", c.website)
        self._set("department", c.department)
        self._set("seniority", seniority_label(c.seniority) if c.seniority and c.seniority != "unknown" else "")
        self._set("source", source_label(c.source) if c.source else "")
        self._set("captured", local_time_text(c.captured_at))
        self._set("notes", c.notes)
        self.history.clear()
        for step in reversed(data.history):  # newest first
            self.history.addItem(self._history_text(step, data.user_names))

    def _set(self, key: str, text: str | None) -> None:
        label = self.values[key]
        label.setText(text or "")
        self._form.setRowVisible(label, bool(text))

    def _history_text(self, step: LifecycleStep, names: dict) -> str:
        when = local_time_text(step.at)
        if step.from_stage is None:
            what = self.tr("Created as {0}").format(stage_label(step.to_stage))
        else:
            what = self.tr("{0} → {1}").format(stage_label(step.from_stage), stage_label(step.to_stage))
        who = names.get(step.by_user_id) if step.by_user_id else None
        head = self.tr("{0} · {1} · by {2}").format(when, what, who) if who else self.tr("{0} · {1}").format(when, what)
        return f"{head}\n{isolated(step.reason)}" if step.reason else head

    # --- history ----------------------------------------------------------------------
    def show_history(self):
        """Open the field history of the shown contact (its e-mails and phones included)."""
        contact = self.contact
        if contact is None:
            return None
        from leaddesk.ui.team.history_panel import open_history

        return open_history(self, self.db, "contact", contact.id, contact.display_name)

    # --- change stage -----------------------------------------------------------------
    def change_stage(self) -> StageDialog | None:
        """Open the stage dialog for the shown contact (non-blocking)."""
        contact = self.contact
        if contact is None:
            return None
        dialog = StageDialog(contact.lifecycle_stage, contact.display_name, self)
        dialog.submitted.connect(lambda stage, reason: self._write_stage(dialog, contact, stage, reason))
        dialog.finished.connect(dialog.deleteLater)
        self.stage_dialog = dialog
        dialog.open()
        return dialog

    def _write_stage(self, dialog: StageDialog, contact: ContactDTO, stage, reason) -> None:
        db, ident, version = self.db, contact.id, contact.version

        def work() -> SavedContact:
            detail = contacts.change_stage(db, ident, stage, reason=reason, expected_version=version)
            return SavedContact(detail, contacts.changes_for(detail))

        def failed(exc: BaseException) -> None:
            if isinstance(exc, Conflict):
                dialog.show_error(self.tr("Someone else changed this contact meanwhile; nothing was saved. "
                                          "Close this dialog to see their version, then try again."))
                self.refresh()
            elif isinstance(exc, (ValidationError, NotFound)):
                dialog.show_error(str(exc))
            else:
                show_error(dialog, exc)

        def done(result: SavedContact) -> None:
            dialog.accept()
            self.stage_changed.emit(result.detail)
            from leaddesk.ui.qualification.rescoring import requalify_later

            requalify_later(db, [ident])  # a lifecycle rule may count the new stage

        run_write(self, work).success(done).failure(failed).run()
