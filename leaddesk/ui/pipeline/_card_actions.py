"""What the board does to a card: a drop on a column, moves, closing as won or lost,
reopening, the next step, edits, deletes and a card just created, each an undoable write
through the board's write queue; and the card's context menu that offers them.

Apart from the board's layout, selection and totals (:mod:`.board_view`): :class:`CardActions`
is mixed into :class:`~leaddesk.ui.pipeline.board_view.BoardView` and uses its model, write
queue, undo stack and signals.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu

from leaddesk.errors import ValidationError
from leaddesk.services.pipeline import opportunities
from leaddesk.services.pipeline.board import BoardCard
from leaddesk.ui import errors as error_boxes
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import run_read
from leaddesk.ui.followups.log_dialog import LogActivityDialog, open_log_dialog
from leaddesk.ui.pipeline._board_widgets import LOST, OPEN, WON
from leaddesk.ui.pipeline._card_list_view import CardListView
from leaddesk.ui.pipeline.board_commands import (
    MoveCardCommand,
    close_command,
    create_command,
    delete_command,
    reopen_command,
    update_command,
)
from leaddesk.ui.pipeline.board_model import new_card
from leaddesk.ui.pipeline._new_opportunity_dialog import Created
from leaddesk.ui.pipeline.opportunity_dialogs import EditOpportunityDialog, LostDialog, NextStepDialog, ValuesDialog
from leaddesk.ui.qualification.bant_form import open_bant_form


class CardActions:
    """The board's writes and the card context menu, mixed into ``BoardView``."""

    # --- writes ---------------------------------------------------------------------------
    def on_card_dropped(self, card_id, column_id, before_id=None, after_id=None) -> None:
        """A drop: on a stage moves the card; on Won closes it as won; on Lost asks why."""
        if column_id == WON:
            self.close_won(card_id)
        elif column_id == LOST:
            self.close_lost(card_id)
        else:
            self.move_card(card_id, column_id, before_id, after_id)

    def move_card(self, card_id, stage_id, before_id=None, after_id=None) -> None:
        """Move a card to ``stage_id``, right above ``before_id`` or below ``after_id`` (or to
        the bottom of another column); undoable."""
        card = self.model.card(card_id)
        if card is None or card.status != OPEN or stage_id not in self.writer.stage_names:
            return
        if stage_id == card.stage_id and before_id is None and after_id is None:
            return
        db = self.db
        name = self.writer.stage_names[stage_id]
        text = (self.tr("Move “{0}” to {1}").format(card.name, name) if stage_id != card.stage_id
                else self.tr("Reorder “{0}”").format(card.name))
        follow = self._current is not None and self._current.hasFocus()

        def call(version):
            return opportunities.move_opportunity(db, card_id, stage_id, expected_version=version,
                                                  before_id=before_id, after_id=after_id)

        def done(detail, before) -> None:
            self.undo_stack.push(MoveCardCommand(self.writer, before, detail.stage_id, detail.board_rank, text))
            self.status_message.emit(text)
            if not self._placed_as_asked(card_id, stage_id, before_id, after_id):
                self.reload_requested.emit()  # the column was renumbered underneath us
            self.select_card(card_id, focus=follow)

        self.writer.submit(card_id, call, done=done)

    def _placed_as_asked(self, card_id, stage_id, before_id, after_id) -> bool:
        ids = self.column_ids(stage_id)
        if card_id not in ids:
            return False
        i = ids.index(card_id)
        if before_id is not None:
            return i + 1 < len(ids) and ids[i + 1] == before_id
        if after_id is not None:
            return i > 0 and ids[i - 1] == after_id
        return True

    def close_won(self, card_id) -> None:
        card = self.model.card(card_id)
        if card is None or card.status != OPEN:
            return
        db, text = self.db, self.tr("Close “{0}” as won").format(card.name)
        self.writer.submit(card_id, lambda version: opportunities.close_won(db, card_id, expected_version=version),
                           done=lambda detail, before: self._pushed(close_command(self.writer, before, detail, text)))

    def close_lost(self, card_id) -> LostDialog | None:
        """Ask for the reason (required) and a note, then close as lost."""
        card = self.model.card(card_id)
        if card is None or card.status != OPEN:
            return None
        dialog = LostDialog(self.db, card, self)
        db, text = self.db, self.tr("Close “{0}” as lost").format(card.name)

        def save(values: dict) -> None:
            self.writer.submit(
                card_id, lambda version: opportunities.close_lost(db, card_id, values["lost_reason_id"],
                                                                  note=values["note"], expected_version=version),
                done=lambda detail, before: (self._pushed(close_command(self.writer, before, detail, text)),
                                             dialog.finish()),
                failed=lambda exc: self._dialog_failed(dialog, exc))

        dialog.submitted.connect(save)
        dialog.open()
        return dialog

    def reopen(self, card_id) -> None:
        card = self.model.card(card_id)
        if card is None or card.status == OPEN:
            return
        db, text, was = self.db, self.tr("Reopen “{0}”").format(card.name), {}

        def call(version):
            was["detail"] = opportunities.get_opportunity(db, card_id)
            return opportunities.reopen(db, card_id, expected_version=version)

        self.writer.submit(card_id, call, done=lambda detail, before: self._pushed(
            reopen_command(self.writer, before, was["detail"], text)))

    def set_next_step(self, card_id) -> NextStepDialog | None:
        card = self.model.card(card_id)
        if card is None:
            return None
        dialog = NextStepDialog(card, self)
        old = {"next_step": card.next_step, "next_step_due": card.next_step_due}
        text = self.tr("Set next step of “{0}”").format(card.name)
        dialog.submitted.connect(lambda values: self._update(card_id, dialog, None, old, values, text))
        dialog.open()
        return dialog

    def edit_card(self, card_id) -> EditOpportunityDialog | None:
        card = self.model.card(card_id)
        if card is None:
            return None
        dialog = EditOpportunityDialog(self.db, card, self)
        text = self.tr("Edit “{0}”").format(card.name)

        def save(values: dict) -> None:
            if not values:
                dialog.finish()
                return
            self.writer.owner_names.update(dialog.owner_names)
            self._update(card_id, dialog, dialog.version, dialog.old_values(values), values, text)

        dialog.submitted.connect(save)
        dialog.open()
        return dialog

    def _update(self, card_id, dialog: ValuesDialog, version: int | None, old: dict, new: dict, text: str) -> None:
        """``update_opportunity`` with the dialog's values; ``version`` = the one the dialog
        loaded (None: the board's current one)."""
        db = self.db

        def call(current):
            return opportunities.update_opportunity(db, card_id, version if version is not None else current, **new)

        self.writer.submit(card_id, call, done=lambda detail, before: (
            self._pushed(update_command(self.writer, before, old, new, text)), dialog.finish()),
            failed=lambda exc: self._dialog_failed(dialog, exc))

    def delete_card(self, card_id) -> None:
        card = self.model.card(card_id)
        if card is None:
            return
        db, text = self.db, self.tr("Delete “{0}”").format(card.name)
        self.writer.submit(card_id,
                           lambda version: opportunities.delete_opportunity(db, card_id, expected_version=version),
                           done=lambda detail, before: self._pushed(delete_command(self.writer, before, text)))

    def add_created(self, created: Created, *, select: bool = True) -> None:
        """Show an opportunity just created (NewOpportunityDialog) and make it undoable."""
        d = created.detail
        if d.stage_id not in self.writer.stage_probability:
            return
        card = new_card(d, created.account_name, self.writer.owner_names.get(d.owner_id),
                        self.writer.stage_probability[d.stage_id])
        self.model.insert_card(card)
        self._pushed(create_command(self.writer, card, self.tr("Create “{0}”").format(d.name)))
        if select:
            self.select_card(card.id)

    def _pushed(self, command) -> None:
        self.undo_stack.push(command)
        self.status_message.emit(command.text())

    def _dialog_failed(self, dialog: ValuesDialog, exc: BaseException) -> bool:
        """Errors the user can fix in the dialog stay there; others close it and reload."""
        if isinstance(exc, ValidationError) and exc.field in dialog.fields:
            dialog.show_error(exc)
            return True
        if isinstance(dialog, EditOpportunityDialog) and not isinstance(exc, ValidationError):
            dialog.show_error(exc)  # conflict: the dialog offers to reload
            self.reload_requested.emit()
            return True
        dialog.reject()
        return False

    def qualify(self, card_id) -> None:
        """The BANT form for this opportunity, on its primary contact."""
        db = self.db

        def opened(opp) -> None:
            if opp.primary_contact_id is None:
                text = self.tr("“{0}” has no primary contact: choose one with Edit… first.").format(opp.name)
                error_boxes.show_error(self, ValidationError(text, field="primary_contact_id"))
                return
            self.bant_form = open_bant_form(self, db, opp.primary_contact_id, opportunity_id=opp.id)

        run_read(self, lambda: opportunities.get_opportunity(db, card_id)).success(opened).run()

    def log_activity(self, card_id) -> LogActivityDialog | None:
        """Ctrl+L: log a touch on this opportunity (and book the next step); a done call
        moves the card's last touch, so the board reloads once it is saved."""
        card = self.model.card(card_id)
        if card is None:
            return None
        self.log_dialog = open_log_dialog(self, self.db, opportunity_id=card.id, account_id=card.account_id,
                                          about=f"{card.name} · {card.account_name}")
        self.log_dialog.logged.connect(lambda _logged: self.reload_requested.emit())
        return self.log_dialog

    # --- context menu ---------------------------------------------------------------------------
    def context_menu(self, card: BoardCard) -> QMenu:
        menu = QMenu(self)
        is_open = card.status == OPEN
        menu.addAction(self.tr("&Edit…") + "\t" + QKeySequence(Qt.Key.Key_Return).toString(
            QKeySequence.SequenceFormat.NativeText), lambda: self.edit_card(card.id))
        menu.addAction(self.tr("Set &next step…"), lambda: self.set_next_step(card.id))
        menu.addAction(self.tr("&Qualify (BANT)…"), lambda: self.qualify(card.id))
        menu.addAction(self.act_log)
        move = menu.addMenu(self.tr("&Move to stage"))
        move.setEnabled(is_open)
        for stage in self.stages:
            action = move.addAction(f"{stage.name} ({stage.probability}%)",
                                    lambda sid=stage.id: self.move_card(card.id, sid))
            action.setEnabled(stage.id != card.stage_id)
        menu.addSeparator()
        menu.addAction(self.tr("Close as &won"), lambda: self.close_won(card.id)).setEnabled(is_open)
        menu.addAction(self.tr("Close as &lost…"), lambda: self.close_lost(card.id)).setEnabled(is_open)
        menu.addAction(self.tr("&Reopen"), lambda: self.reopen(card.id)).setEnabled(not is_open)
        menu.addSeparator()
        menu.addAction(self.act_delete)
        return menu

    def _context_menu(self, view: CardListView, pos: QPoint) -> None:
        index = view.indexAt(pos)
        if not index.isValid():
            index = view.currentIndex()
            if not index.isValid():
                return
            pos = view.visualRect(index).center()
        view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.context_menu(index.data(Roles.CARD)).exec(view.viewport().mapToGlobal(pos))
