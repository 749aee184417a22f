"""A read-only table over a keyset-paged service call, loading pages off the UI thread.

``fetch(after, limit) -> Page`` is any service listing (accounts, contacts ...). The view
asks ``canFetchMore``/``fetchMore`` as the user scrolls; each page arrives by signal and is
appended with ``beginInsertRows``. The loading flag stays set until rows are inserted, so
a page is never requested twice.

Sorting happens in SQL: a column with a ``sort`` key is sortable; ``sort()`` (a header
click) records the key and emits ``sort_changed``, and the owner reloads with a fetcher
that orders by it. Columns without a key ignore the click.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import run_read

_START = object()


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], Any]
    align: Qt.AlignmentFlag | None = None
    #: The service's sort key for this column (None: not sortable).
    sort: str | None = None
    tooltip: str | None = None
    #: The text colour of a cell (a QColor or QBrush, None for the default), e.g. a breach in red.
    foreground: Callable[[Any], Any] | None = None


class PagedTableModel(QAbstractTableModel):
    loading_changed = Signal(bool)
    page_loaded = Signal(int)  # rows now held
    sort_changed = Signal(str, bool)  # (sort key, descending) after a header click

    def __init__(self, columns: Sequence[Column], fetch: Callable[[Any, int], Any], *, page_size: int = 200,
                 parent=None):
        super().__init__(parent)
        self._columns = list(columns)
        self._fetch = fetch
        self._page_size = page_size
        self._rows: list[Any] = []
        self._cursor: Any = _START
        self._loading = False
        self._generation = 0
        self._sort_column = next((i for i, c in enumerate(self._columns) if c.sort), -1)
        self._sort_order = Qt.SortOrder.AscendingOrder

    # --- Qt model API ---------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        col = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = col.value(row)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.align is not None:
            return int(col.align | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col.foreground is not None:
            return col.foreground(row)
        if role == Roles.ROW:
            return row
        if role == Roles.ID:
            return getattr(row, "id", None)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self._columns):
                return self._columns[section].title
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self._columns):
                return self._columns[section].tooltip
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """A header click: remember the column's sort key; the owner reloads (``sort_changed``)."""
        if not 0 <= column < len(self._columns) or not self._columns[column].sort:
            return
        if (column, order) == (self._sort_column, self._sort_order):
            return
        self._sort_column, self._sort_order = column, order
        self.sort_changed.emit(self._columns[column].sort, order == Qt.SortOrder.DescendingOrder)

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    def sort_key(self) -> tuple[str | None, bool]:
        """(the service's sort key, descending) of the current sort."""
        if self._sort_column < 0:
            return None, False
        return self._columns[self._sort_column].sort, self._sort_order == Qt.SortOrder.DescendingOrder

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid():
            return False
        return self._cursor is not None and not self._loading

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._set_loading(True)
        generation = self._generation
        after = None if self._cursor is _START else self._cursor
        run_read(self, lambda: self._fetch(after, self._page_size)).success(
            lambda page: self._on_page(generation, page)
        ).failure(lambda exc: self._on_failed(generation, exc)).run()

    # --- ours -----------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        return self._loading

    def row_at(self, row: int):
        return self._rows[row]

    def reload(self) -> None:
        """Drop everything and load the first page again (e.g. after data changed)."""
        self._generation += 1
        self.beginResetModel()
        self._rows = []
        self._cursor = _START
        self._loading = False
        self.endResetModel()
        self.fetchMore()

    def set_fetch(self, fetch: Callable[[Any, int], Any]) -> None:
        self._fetch = fetch
        self.reload()

    def _on_page(self, generation: int, page) -> None:
        if generation != self._generation:
            return  # a reload happened meanwhile; this page is stale
        items = list(page.items)
        if items:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(items) - 1)
            self._rows.extend(items)
            self._cursor = page.next_cursor
            self.endInsertRows()
        else:
            self._cursor = None
        self._set_loading(False)
        self.page_loaded.emit(len(self._rows))

    def _on_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._cursor = None
            self._set_loading(False)
        from leaddesk.ui.errors import show_error

        show_error(None, exc)

    def _set_loading(self, value: bool) -> None:
        if self._loading != value:
            self._loading = value
            self.loading_changed.emit(value)
