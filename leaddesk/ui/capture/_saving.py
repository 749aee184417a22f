"""Saving a reviewed card, mixed into the capture window: look for the same person first
(duplicates at the door), then save it as a lead of the current event, update the person
chosen (an undoable merge, with "Merged into … — Undo" in the banner), or create anyway.

Every service call goes through the worker pools; errors are shown as sentences.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from leaddesk.capture.fields import CaptureError, CardFields
from leaddesk.errors import DuplicateContact, LeadDeskError, ValidationError
from leaddesk.services.records import Changes
from leaddesk.ui import errors
from leaddesk.ui.capture._queue_model import READ, SAVED, QueueItem
from leaddesk.ui.jobs import run_read, run_write

log = logging.getLogger(__name__)


def capture_service():
    """services.capture.capture (imported when first used)."""
    from leaddesk.services.capture import capture

    return capture


#: What a saved card touches: views showing any of these refresh (app_signals.data_changed).
CARD_ENTITIES = frozenset({"contact", "contact_email", "contact_phone", "account", "contact_card", "lifecycle_event"})


@dataclass(frozen=True)
class _Saved:
    saved: object  # services.capture.capture.CaptureSaved
    changes: Changes


def _with_changes(saved) -> _Saved:
    return _Saved(saved, Changes(CARD_ENTITIES, frozenset({saved.contact_id})))


class SavedBanner(QFrame):
    """One line about the last save; after a merge it offers Undo."""

    undo_requested = Signal(object)  # merge id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("savedBanner")
        self.setStyleSheet("QFrame#savedBanner { background: palette(alternate-base); border-radius: 4px; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.undo_button = QPushButton(self.tr("Und&o"))
        self.undo_button.setAutoDefault(False)
        self.undo_button.setToolTip(self.tr("Take the card back out of that contact: both as they were"))
        self.undo_button.clicked.connect(lambda: self.merge_id is not None and self.undo_requested.emit(self.merge_id))
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.undo_button)
        self.merge_id = None
        self.hide()

    def say(self, text: str, merge_id=None) -> None:
        self.merge_id = merge_id
        self.label.setText(text)
        self.undo_button.setVisible(merge_id is not None)
        self.undo_button.setEnabled(True)
        self.show()


class CaptureSaving:
    """The save path of :class:`~leaddesk.ui.capture.capture_window.CaptureWindow`."""

    def _init_saving(self) -> None:
        self._busy_saving = False
        #: (item, fields) waiting for the rep's choice in the same-person panel
        self._pending: tuple[QueueItem, CardFields] | None = None
        self.banner = SavedBanner()
        self.banner.undo_requested.connect(self.undo_merge)
        self.same_person.update_chosen.connect(self._update_person)
        self.same_person.create_chosen.connect(lambda: self._pending and self._save(*self._pending, anyway=True))
        self.same_person.skip_chosen.connect(self.skip_card)

    # --- Enter ---------------------------------------------------------------------------
    def accept_card(self) -> None:
        """Enter: save the card shown (after the duplicate check) and go to the next one; with
        the same-person panel open, update the highlighted person."""
        if self.same_person.isVisible():
            self.same_person.choose_update()
            return
        item = self.current_item()
        if item is None or item.status != READ or self._busy_saving:
            return
        fields = self.form.fields()
        if fields.is_empty():
            self.say(self.tr("Nothing to save yet: type a name, a company, an e-mail or a phone, "
                             "or skip the card (Ctrl+Right)."))
            return
        db = self.db
        self._busy_saving = True
        run_read(self, lambda: capture_service().find_same_person(db, fields)).success(
            lambda found: self._after_lookup(item, fields, found)).failure(
            lambda exc: self._save_failed(item, fields, exc)).run()

    def _after_lookup(self, item: QueueItem, fields: CardFields, found: list) -> None:
        if found:
            self._busy_saving = False
            self._pending = (item, fields)
            self.same_person.show_candidates(found)
            self.say(self.tr("Already in LeadDesk? Enter updates the highlighted contact; Alt+R creates "
                             "a new one anyway; Alt+K skips the card."))
            return
        self._save(item, fields, anyway=False)

    def _card_args(self, item: QueueItem) -> dict:
        read = item.read
        return {"event_id": self.events.event_id(), "image_jpeg": getattr(read, "stored_jpeg", None),
                "fields_read": getattr(read, "fields", None)}

    def _save(self, item: QueueItem, fields: CardFields, *, anyway: bool) -> None:
        db, args = self.db, self._card_args(item)
        self._busy_saving = True
        run_write(self, lambda: _with_changes(capture_service().save_capture(db, fields, allow_duplicate=anyway,
                                                                             **args))).success(
            lambda done: self._saved(item, fields, done.saved, None)).failure(
            lambda exc: self._save_failed(item, fields, exc)).run()

    def _update_person(self, person) -> None:
        if self._pending is None or self._busy_saving:
            return
        item, fields = self._pending
        db, args = self.db, self._card_args(item)
        self._busy_saving = True
        run_write(self, lambda: _with_changes(capture_service().update_existing(db, person.contact_id, fields,
                                                                                **args))).success(
            lambda done: self._saved(item, fields, done.saved, person.display_name)).failure(
            lambda exc: self._save_failed(item, fields, exc)).run()

    # --- outcomes ------------------------------------------------------------------------
    def _saved(self, item: QueueItem, fields: CardFields, saved, merged_into: str | None) -> None:
        self._busy_saving = False
        self._pending = None
        self.same_person.dismiss()
        name = fields.display_name or fields.company or self.tr("the card")
        event = self.events.event_name()
        if merged_into is not None:
            text = self.tr("Merged into {0}").format(merged_into)
            self.banner.say(text + " — " + self.tr("every value kept."), getattr(saved, "merge_id", None))
        elif event:
            text = self.tr("Saved {0} as a lead of {1}").format(name, event)
            self.banner.say(text + ".")
        else:
            text = self.tr("Saved {0}").format(name)
            self.banner.say(text + ".")
        self.model.update(item, status=SAVED, contact_id=saved.contact_id, detail=text, edited=fields)
        self.card_saved.emit(saved)
        self.form_guard_clean()
        self.go_next()

    def _save_failed(self, item: QueueItem, fields: CardFields, exc: BaseException) -> None:
        self._busy_saving = False
        if isinstance(exc, DuplicateContact) and not self.same_person.isVisible():
            db = self.db
            # The exact duplicate the service refused: offer it like any other match.
            run_read(self, lambda: capture_service().find_same_person(db, fields)).success(
                lambda found: self._offer_or_show(item, fields, found, exc)).run()
            return
        if isinstance(exc, ValidationError) and exc.field:
            self.say(str(exc))
            widget = self.form.editors.get(exc.field)
            if widget is not None:
                widget.setFocus()
                return
        if not isinstance(exc, (LeadDeskError, CaptureError)):
            log.error("saving a card failed", exc_info=exc)
        errors.show_error(self, exc)

    def _offer_or_show(self, item, fields, found, exc) -> None:
        if found:
            self._pending = (item, fields)
            self.same_person.show_candidates(found)
        else:
            errors.show_error(self, exc)

    def undo_merge(self, merge_id) -> None:
        from leaddesk.services.people import duplicates

        db = self.db
        self.banner.undo_button.setEnabled(False)
        run_write(self, lambda: duplicates.undo_merge(db, merge_id)).success(self._undone).failure(
            lambda exc: (self.banner.undo_button.setEnabled(True), errors.show_error(self, exc))).run()

    def _undone(self, result) -> None:
        for item in self.model.items():
            if item.contact_id in (result.survivor_id, result.loser_id) and item.status == SAVED:
                self.model.update(item, contact_id=result.loser_id,
                                  detail=self.tr("Saved as a contact of its own (the merge was undone)"))
        self.banner.say(self.tr("Merge undone: the card is a contact of its own, and the other contact is "
                                "as it was."))
