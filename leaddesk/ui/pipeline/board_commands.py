"""Board writes and their undo: a write queue plus one ``QUndoCommand`` per kind of change.

The async-safe pattern: a change runs through the service first (a write job); only when it
succeeded is the model updated and a command pushed whose *first* ``redo()`` does nothing.
Later ``undo()``/``redo()`` replay service calls (``move_opportunity(rank=old_rank)``,
``reopen``, ``close_*`` ...) through the same queue, with the card's *current* version as
``expected_version``, and update the model when they land. A failure (someone else changed
the card, a validation error) is shown, the rest of the queue is dropped, the board reloads
and the undo history is cleared, because it no longer matches the database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QWidget

from leaddesk.db import Database
from leaddesk.models.enums import OpportunityStatus
from leaddesk.services.pipeline import opportunities
from leaddesk.services.pipeline.board import BoardCard
from leaddesk.services.dto import OpportunityDetail
from leaddesk.ui import errors
from leaddesk.ui.pipeline.board_model import BoardModel, card_from_detail
from leaddesk.ui.jobs import run_write

#: A service call given the card's current version:
#: ``lambda version: opportunities.reopen(db, id, expected_version=version)``
Call = Callable[[int | None], OpportunityDetail]


@dataclass
class _Op:
    card_id: uuid.UUID
    call: Call
    base: BoardCard | None
    done: Callable[[OpportunityDetail, BoardCard | None], None] | None
    failed: Callable[[BaseException], bool] | None  # True = handled (no dialog, no reload)
    replay: bool


class BoardWriter(QObject):
    """Runs the board's writes one after another and keeps the model equal to the database."""

    #: A write could not be applied as expected: the owner reloads the board.
    reload_needed = Signal()
    #: (card id) a write landed and the model shows its result
    card_written = Signal(object)

    def __init__(self, db: Database, model: BoardModel, undo_stack: QUndoStack, initiator: QWidget):
        super().__init__(initiator)
        self.db = db
        self.model = model
        self.undo_stack = undo_stack
        self.initiator = initiator
        self.include_closed = False
        self.stage_probability: dict[uuid.UUID, int] = {}
        self.stage_names: dict[uuid.UUID, str] = {}
        self.owner_names: dict[uuid.UUID, str] = {}
        self._versions: dict[uuid.UUID, int] = {}
        self._queue: deque[_Op] = deque()
        self._running = False
        #: Writes that have landed so far: a board read that overlapped one is out of date.
        self.landed = 0

    @property
    def busy(self) -> bool:
        return self._running or bool(self._queue)

    # --- queue ------------------------------------------------------------------------------
    def submit(self, card_id, call: Call, *, base: BoardCard | None = None,
               done: Callable[[OpportunityDetail, BoardCard | None], None] | None = None,
               failed: Callable[[BaseException], bool] | None = None, replay: bool = False) -> None:
        """Queue ``call``; it runs when the writes before it have landed, with the version
        the model then holds. ``done(detail, card_before)`` runs after the model shows it."""
        self._queue.append(_Op(card_id, call, base, done, failed, replay))
        if not self._running:
            self._next()

    def _next(self) -> None:
        if not self._queue:
            self._running = False
            return
        self._running = True
        op = self._queue.popleft()
        version = self.version_of(op.card_id)
        before = self.model.card(op.card_id) or op.base
        call = op.call
        run_write(self.initiator, lambda: call(version)).success(
            lambda detail: self._landed(op, detail, before)).failure(
            lambda exc: self._failed(op, exc)).finally_(self._next).run()

    def version_of(self, card_id) -> int | None:
        card = self.model.card(card_id)
        if card is not None:
            return card.version
        return self._versions.get(card_id)

    def _landed(self, op: _Op, detail: OpportunityDetail, before: BoardCard | None) -> None:
        self.landed += 1
        self.apply(detail, before)
        if op.done is not None:
            op.done(detail, before)
        self.card_written.emit(detail.id)

    def _failed(self, op: _Op, exc: BaseException) -> None:
        self._queue.clear()
        if op.failed is not None and op.failed(exc):
            return
        errors.show_error(self.initiator, exc)
        if op.replay:
            # The history describes states the database no longer has.
            QTimer.singleShot(0, self.undo_stack.clear)
        self.reload_needed.emit()

    # --- model --------------------------------------------------------------------------------
    def apply(self, detail: OpportunityDetail, before: BoardCard | None) -> BoardCard | None:
        """Show a write's result: replace, insert or remove the card."""
        self._versions[detail.id] = detail.version
        base = self.model.card(detail.id) or before
        if base is None:
            self.reload_needed.emit()
            return None
        card = card_from_detail(detail, base, stage_probability=self.stage_probability.get(detail.stage_id),
                                owner_name=self.owner_names.get(detail.owner_id), today=dt.date.today())
        visible = (not detail.deleted and detail.stage_id in self.stage_probability
                   and (detail.status == OpportunityStatus.OPEN or self.include_closed))
        if not visible:
            self.model.remove_card(detail.id)
        elif self.model.card(detail.id) is not None:
            self.model.replace_card(card)
        else:
            self.model.insert_card(card)
        return card

    def forget(self) -> None:
        """After a reload the model holds the truth again."""
        self._versions.clear()

    # --- replaying commands ------------------------------------------------------------------
    def replay(self, command: "CardCommand", call: Call) -> None:
        self.submit(command.card.id, call, base=command.card, replay=True)


class CardCommand(QUndoCommand):
    """A change to one card that already happened; undo/redo replay service calls."""

    def __init__(self, writer: BoardWriter, card: BoardCard, text: str, forward: Call | None = None,
                 backward: Call | None = None):
        super().__init__(text)
        self.writer = writer
        self.card = card
        self._forward = forward
        self._backward = backward
        self._first = True

    def forward_call(self) -> Call:
        return self._forward

    def backward_call(self) -> Call:
        return self._backward

    def redo(self) -> None:
        if self._first:  # the change was made before the command was pushed
            self._first = False
            return
        self._replay(self.forward_call())

    def undo(self) -> None:
        self._replay(self.backward_call())

    def _replay(self, call: Call) -> None:
        if not shiboken6.isValid(self.writer):  # its board is gone: nothing can show the result
            self.setObsolete(True)
            return
        self.writer.replay(self, call)


MOVE_COMMAND_ID = 0x4C44


class MoveCardCommand(CardCommand):
    """A stage and/or rank change; undo puts the card back at its old stage *and* rank.
    Consecutive moves of one card (Ctrl+Down, Ctrl+Down ...) merge into one step."""

    def __init__(self, writer: BoardWriter, card: BoardCard, to_stage, to_rank: float, text: str):
        super().__init__(writer, card, text)
        self.from_stage, self.from_rank = card.stage_id, card.board_rank
        self.to_stage, self.to_rank = to_stage, to_rank

    def _move(self, stage, rank: float) -> Call:
        db, ident = self.writer.db, self.card.id
        return lambda version: opportunities.move_opportunity(db, ident, stage, expected_version=version, rank=rank)

    def forward_call(self) -> Call:
        return self._move(self.to_stage, self.to_rank)

    def backward_call(self) -> Call:
        return self._move(self.from_stage, self.from_rank)

    def id(self) -> int:
        return MOVE_COMMAND_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, MoveCardCommand) or other.card.id != self.card.id:
            return False
        if (other.from_stage, other.from_rank) != (self.to_stage, self.to_rank):
            return False
        self.to_stage, self.to_rank = other.to_stage, other.to_rank
        self.setText(other.text())
        if (self.to_stage, self.to_rank) == (self.from_stage, self.from_rank):
            self.setObsolete(True)  # back where it started: nothing to undo
        return True


def close_command(writer: BoardWriter, card: BoardCard, detail: OpportunityDetail, text: str) -> CardCommand:
    """Undo of a close (won or lost) is a reopen in the old stage and rank."""
    db, ident = writer.db, card.id
    if detail.status == OpportunityStatus.WON:
        def forward(version):
            return opportunities.close_won(db, ident, expected_version=version)
    else:
        reason, note = detail.lost_reason_id, detail.lost_note

        def forward(version):
            return opportunities.close_lost(db, ident, reason, note=note, expected_version=version)
    return CardCommand(writer, card, text, forward,
                       lambda version: opportunities.reopen(db, ident, expected_version=version))


def reopen_command(writer: BoardWriter, card: BoardCard, closed: OpportunityDetail, text: str) -> CardCommand:
    """Undo of a reopen closes it again as it was (``closed`` = the detail before reopening)."""
    db, ident = writer.db, card.id
    if closed.status == OpportunityStatus.WON:
        def backward(version):
            return opportunities.close_won(db, ident, expected_version=version)
    else:
        reason, note = closed.lost_reason_id, closed.lost_note

        def backward(version):
            return opportunities.close_lost(db, ident, reason, note=note, expected_version=version)
    return CardCommand(writer, card, text, lambda version: opportunities.reopen(db, ident, expected_version=version),
                       backward)


def update_command(writer: BoardWriter, card: BoardCard, old: dict, new: dict, text: str) -> CardCommand:
    """Field edits (next step, amount ...): undo writes the old values back."""
    db, ident = writer.db, card.id
    return CardCommand(writer, card, text,
                       lambda version: opportunities.update_opportunity(db, ident, version, **new),
                       lambda version: opportunities.update_opportunity(db, ident, version, **old))


def delete_command(writer: BoardWriter, card: BoardCard, text: str) -> CardCommand:
    db, ident = writer.db, card.id
    return CardCommand(writer, card, text,
                       lambda version: opportunities.delete_opportunity(db, ident, expected_version=version),
                       lambda version: opportunities.restore_opportunity(db, ident, expected_version=version))


def create_command(writer: BoardWriter, card: BoardCard, text: str) -> CardCommand:
    """Undo of a create deletes the new opportunity (softly); redo restores it."""
    db, ident = writer.db, card.id
    return CardCommand(writer, card, text,
                       lambda version: opportunities.restore_opportunity(db, ident, expected_version=version),
                       lambda version: opportunities.delete_opportunity(db, ident, expected_version=version))
