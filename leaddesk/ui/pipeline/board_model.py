"""The kanban board's one list model: every card of the board, in any order.

Columns are :class:`~leaddesk.ui.pipeline.stage_column_proxy.StageColumnProxy` views over
it (one per stage, plus Won and Lost when closed deals are shown), so moving, closing or
reopening a card is a single ``dataChanged`` with ``Roles.COLUMN`` and the proxies move the
row between columns themselves. A closed card's column is its status, not its stage.

Everything the delegate draws comes from roles; the strings it shows (money, dates,
initials) are prepared once per card and cached (``Roles.CARD_TEXT``), so ``paint()`` only
draws. The model is built in one reset (``set_cards``), which keeps a 5,000-card board fast.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QDateTime,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from leaddesk.models.enums import OpportunityStatus
from leaddesk.services.pipeline.board import CLOSED_PROBABILITY, BoardCard, column_of
from leaddesk.ui.formatting import display_locale, format_date, format_money, is_right_to_left, initials
from leaddesk.ui.itemmodels.roles import Roles

#: Drag-and-drop payload: card ids, one per line (ASCII).
CARD_MIME_TYPE = "application/x-leaddesk-opportunity-ids"

@dataclass(frozen=True)
class CardText:
    """What a card shows, formatted once (``Roles.CARD_TEXT``)."""

    amount: str
    close: str  # "" when there is no expected close date
    overdue: bool
    owner: str
    owner_initials: str
    owner_hue: int  # 0..359, stable per owner
    next_step: str  # "" when none is written down
    status: str  # "" while open, else "Won 3 Dec" / "Lost 3 Dec" (when it was closed)
    accessible: str
    step_overdue: bool = False  # an open deal's next step is due before today
    step_due: str = ""  # the overdue step's date ("1 Dec"), shown in its chip; next_step is then the step alone


class BoardModel(QAbstractListModel):
    """All cards of a board (``BoardCard`` DTOs) as one flat list."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cards: list[BoardCard] = []
        #: Per row, what the column proxies filter and sort on, precomputed so their Python
        #: callbacks (tens of thousands per board load) are a list lookup and one compare.
        #: The column is the stage id of an open card, else its status (services.board.column_of).
        self.stage_of_row: list = []
        self.sort_key_of_row: list[tuple[float, bytes]] = []
        self._rows: dict[uuid.UUID, int] = {}
        self._text: dict[uuid.UUID, CardText] = {}
        self._today = dt.date.today()
        self._locale = display_locale()

    # --- reading ------------------------------------------------------------------------
    def card_at(self, row: int) -> BoardCard:
        return self._cards[row]

    def card(self, card_id) -> BoardCard | None:
        row = self._rows.get(card_id)
        return None if row is None else self._cards[row]

    def row_of(self, card_id) -> int:
        return self._rows.get(card_id, -1)

    def cards(self) -> list[BoardCard]:
        return list(self._cards)

    def index_of(self, card_id) -> QModelIndex:
        row = self._rows.get(card_id)
        return QModelIndex() if row is None else self.index(row, 0)

    # --- changing -----------------------------------------------------------------------
    def set_cards(self, cards: Iterable[BoardCard], *, today: dt.date | None = None) -> None:
        """Replace every card in one reset."""
        self.beginResetModel()
        self._cards = list(cards)
        self._reindex()
        self._text.clear()
        self._today = today or dt.date.today()
        self._locale = display_locale()
        self.endResetModel()

    def replace_card(self, card: BoardCard) -> None:
        """Put a newer copy of a card in place; the column proxies re-file and re-sort it."""
        row = self._rows.get(card.id)
        if row is None:
            raise KeyError(card.id)
        self._cards[row] = card
        self.stage_of_row[row] = column_of(card)
        self.sort_key_of_row[row] = _sort_key(card)
        self._text.pop(card.id, None)
        index = self.index(row, 0)
        self.dataChanged.emit(index, index, [Roles.CARD, Roles.STAGE, Roles.COLUMN, Qt.ItemDataRole.DisplayRole,
                                             Roles.CARD_TEXT, Roles.ID])

    def insert_card(self, card: BoardCard) -> None:
        if card.id in self._rows:
            self.replace_card(card)
            return
        row = len(self._cards)
        self.beginInsertRows(QModelIndex(), row, row)
        self._cards.append(card)
        self.stage_of_row.append(column_of(card))
        self.sort_key_of_row.append(_sort_key(card))
        self._rows[card.id] = row
        self.endInsertRows()

    def remove_card(self, card_id) -> BoardCard | None:
        row = self._rows.get(card_id)
        if row is None:
            return None
        self.beginRemoveRows(QModelIndex(), row, row)
        card = self._cards.pop(row)
        self._text.pop(card_id, None)
        self._reindex()
        self.endRemoveRows()
        return card

    def _reindex(self) -> None:
        cards = self._cards
        self._rows = {c.id: i for i, c in enumerate(cards)}
        self.stage_of_row = [column_of(c) for c in cards]
        self.sort_key_of_row = [_sort_key(c) for c in cards]

    # --- Qt model API -------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._cards)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._cards) or index.column() != 0:
            return None
        card = self._cards[index.row()]
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.EditRole:
            return card.name
        if role == Roles.CARD:
            return card
        if role == Roles.STAGE:
            return card.stage_id
        if role == Roles.COLUMN:
            return self.stage_of_row[index.row()]
        if role == Roles.ID:
            return card.id
        if role == Roles.SORT:
            return card.board_rank
        if role == Roles.CARD_TEXT:
            return self._text_of(card)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(card)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._text_of(card).accessible
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        for role in (Roles.CARD, Roles.STAGE, Roles.COLUMN, Roles.ID, Roles.CARD_TEXT):
            names[int(role)] = QByteArray(role.name.lower().encode())
        return names

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if 0 <= index.row() < len(self._cards) and self._cards[index.row()].status == OpportunityStatus.OPEN:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [CARD_MIME_TYPE]

    def mimeData(self, indexes) -> QMimeData:
        mime = QMimeData()
        ids = []
        for index in indexes:
            card_id = index.data(Roles.ID)
            if card_id is not None and str(card_id) not in ids:
                ids.append(str(card_id))
        mime.setData(CARD_MIME_TYPE, QByteArray("\n".join(ids).encode("ascii")))
        return mime

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        return data is not None and data.hasFormat(CARD_MIME_TYPE) and action == Qt.DropAction.MoveAction

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        # Drops are a write to the database: the column view handles them (BoardView.move_card).
        return False

    # --- prepared strings ---------------------------------------------------------------
    def _text_of(self, card: BoardCard) -> CardText:
        text = self._text.get(card.id)
        if text is None:
            text = self._text[card.id] = self._prepare(card)
        return text

    def _prepare(self, card: BoardCard) -> CardText:
        loc, today = self._locale, self._today
        amount = format_money(card.amount, card.currency, loc)
        is_open = card.status == OpportunityStatus.OPEN
        # A closed card shows when it closed (its status chip), not when it was expected to.
        close = format_date(card.expected_close_date, loc, today=today) if card.expected_close_date and is_open else ""
        overdue = is_open and card.expected_close_date is not None and card.expected_close_date < today
        step = (card.next_step or "").strip()
        step_overdue = bool(step) and is_open and card.next_step_due is not None and card.next_step_due < today
        step_due = format_date(card.next_step_due, loc, today=today) if step_overdue else ""
        if step and card.next_step_due and not step_overdue:
            step = f"{step} · {format_date(card.next_step_due, loc, today=today)}"
        if step and not step_overdue:
            step = ("← " if is_right_to_left(step) else "→ ") + step
        status = {OpportunityStatus.WON: self.tr("Won"), OpportunityStatus.LOST: self.tr("Lost")}.get(card.status, "")
        if status and card.closed_at is not None:
            status = f"{status} {format_date(_local_day(card.closed_at), loc, today=today)}"
        owner = card.owner_name or self.tr("No owner")
        hue = (uuid.UUID(str(card.owner_id)).int % 360) if card.owner_id else 0
        parts = [card.name, card.account_name, amount]
        if close:
            parts.append((self.tr("overdue, was due {0}") if overdue else self.tr("closes {0}")).format(close))
        parts.append(owner)
        if card.stalled:
            parts.append(self.tr("stalled"))
        if status:
            parts.append(status)
        if step_overdue:
            parts.append(self.tr("next step overdue since {0}: {1}").format(step_due, step))
        else:
            parts.append(step or (self.tr("no next step") if is_open else ""))
        return CardText(amount, close, overdue, owner, initials(card.owner_name), hue, step, status,
                        ", ".join(p for p in parts if p), step_overdue, step_due)

    def _tooltip(self, card: BoardCard) -> str:
        text = self._text_of(card)
        weighted = format_money(card.weighted, card.currency, self._locale)
        lines = [f"<b>{_html(card.name)}</b>", _html(card.account_name),
                 self.tr("{0} × {1}% = {2} weighted").format(text.amount, card.probability, weighted)]
        if text.close:
            lines.append(self.tr("Expected close: {0}").format(text.close))
        lines.append(self.tr("Owner: {0}").format(_html(text.owner)))
        if text.next_step:
            if text.step_overdue:
                lines.append(self.tr("Next step, <b>overdue</b> since {0}: {1}").format(text.step_due,
                                                                                    _html(text.next_step)))
            else:
                lines.append(self.tr("Next step: {0}").format(_html(text.next_step)))
        if card.stalled:
            lines.append(self.tr("Stalled: no touch for longer than this stage allows, and nothing scheduled."))
        return "<br>".join(lines)


def _sort_key(card: BoardCard) -> tuple[float, bytes]:
    """Open cards by board rank; closed ones most recently closed first."""
    if card.status == OpportunityStatus.OPEN:
        return card.board_rank, card.id.bytes
    return (-card.closed_at.timestamp() if card.closed_at else 0.0), card.id.bytes


def _local_day(at: dt.datetime) -> dt.date:
    return QDateTime.fromMSecsSinceEpoch(int(at.timestamp() * 1000)).date().toPython()


def _html(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def card_from_detail(detail, base: BoardCard, *, stage_probability: int | None = None,
                     owner_name: str | None = None, today: dt.date | None = None) -> BoardCard:
    """The board card after a write, from the service's ``OpportunityDetail`` and the card
    as it was (for what the detail does not carry: account and owner names, stalled)."""
    today = today or dt.date.today()
    is_open = detail.status == OpportunityStatus.OPEN
    # The opportunity's own probability, else its stage's default (as the board reads it);
    # a closed deal's is settled (100 % won, 0 % lost).
    probability = next(p for p in (CLOSED_PROBABILITY.get(detail.status), detail.probability, stage_probability,
                                   base.probability) if p is not None)
    if not is_open or detail.stage_entered_at != base.stage_entered_at:
        stalled = False  # closed, or it just entered a stage
    elif detail.next_step_due is not None and detail.next_step_due >= today:
        stalled = False  # something is scheduled
    else:
        stalled = base.stalled  # activities are not in the detail: keep what the board read
    if detail.owner_id == base.owner_id:
        owner_name = base.owner_name
    return dataclasses.replace(
        base, name=detail.name, stage_id=detail.stage_id, status=detail.status, amount=detail.amount,
        currency=detail.currency, probability=int(probability), expected_close_date=detail.expected_close_date,
        owner_id=detail.owner_id, owner_name=owner_name, next_step=detail.next_step,
        next_step_due=detail.next_step_due, stage_entered_at=detail.stage_entered_at,
        last_touch_at=detail.last_touch_at, board_rank=detail.board_rank, version=detail.version,
        stalled=stalled, needs_next_step=is_open and not (detail.next_step or "").strip(),
        closed_at=None if is_open else detail.closed_at,
    )


def new_card(detail, account_name: str, owner_name: str | None, stage_probability: int) -> BoardCard:
    """The board card of an opportunity just created (nothing stalled yet)."""
    is_open = detail.status == OpportunityStatus.OPEN
    return BoardCard(
        detail.id, detail.name, detail.account_id, account_name, detail.stage_id, detail.status, detail.amount,
        detail.currency, detail.probability if detail.probability is not None else stage_probability,
        detail.expected_close_date, detail.owner_id, owner_name, detail.next_step, detail.next_step_due,
        detail.stage_entered_at, detail.last_touch_at, detail.board_rank, detail.version, stalled=False,
        needs_next_step=is_open and not (detail.next_step or "").strip(),
    )
