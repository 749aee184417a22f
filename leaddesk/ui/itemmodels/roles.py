"""Every custom item-data role, in one place (no magic numbers)."""

from enum import IntEnum

from PySide6.QtCore import Qt


class Roles(IntEnum):
    ROW = Qt.ItemDataRole.UserRole + 1  # the DTO behind a row
    ID = Qt.ItemDataRole.UserRole + 2  # its uuid
    SORT = Qt.ItemDataRole.UserRole + 3
    STAGE = Qt.ItemDataRole.UserRole + 4  # stage id of a board card
    CARD = Qt.ItemDataRole.UserRole + 5  # board card DTO
    CARD_TEXT = Qt.ItemDataRole.UserRole + 6  # board card: display strings prepared once (CardText)
    COLUMN = Qt.ItemDataRole.UserRole + 7  # board card: the column it belongs in (stage id, or WON / LOST)
