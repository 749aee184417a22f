"""Help ▸ Keyboard shortcuts, built from the window's own actions (never a typed list that
drifts from the code), and where the README is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import leaddesk

#: Where the project's README lives when LeadDesk runs from its source folder.
README_WEB = "README.md in the LeadDesk source folder"


def readme_path() -> Path | None:
    """The README next to this package (a source checkout or an editable install), if any."""
    path = Path(leaddesk.__file__).resolve().parents[1] / "README.md"
    return path if path.is_file() else None


def readme_url() -> QUrl | None:
    path = readme_path()
    return QUrl.fromLocalFile(str(path)) if path is not None else None


def readme_link() -> str:
    """Rich text: a link to the README file, or where to find it."""
    url = readme_url()
    if url is None:
        return README_WEB
    return f'<a href="{url.toString()}">README.md</a>'


def clean_text(text: str) -> str:
    """A menu label as a sentence: no mnemonic ampersands, no trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".").strip()


def key_text(action: QAction) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts() if not s.isEmpty())


@dataclass(frozen=True)
class ShortcutRow:
    area: str
    action: str
    keys: str


def _menu_rows(menu: QMenu, area: str, seen: set) -> list[ShortcutRow]:
    rows: list[ShortcutRow] = []
    for action in menu.actions():
        if action.isSeparator():
            continue
        if action.menu() is not None:
            rows += _menu_rows(action.menu(), area, seen)
            continue
        keys = key_text(action)
        if keys and (clean_text(action.text()), keys) not in seen:
            seen.add((clean_text(action.text()), keys))
            rows.append(ShortcutRow(area, clean_text(action.text()), keys))
    return rows


def collect_shortcuts(window) -> list[ShortcutRow]:
    """Every action with a shortcut: the menus first (by menu), then what the pages add for
    themselves (the board's card moves, the contact list's Delete ...)."""
    rows: list[ShortcutRow] = []
    seen: set = set()
    for top in window.menuBar().actions():
        if top.menu() is not None:
            rows += _menu_rows(top.menu(), clean_text(top.text()), seen)
    menus = set(seen)
    for area, widget in window.shortcut_areas():
        for action in widget.findChildren(QAction):
            keys = key_text(action)
            text = clean_text(action.text())
            # Once per page (the board's Delete is not the contact list's), never again
            # what a menu already lists.
            if keys and text and (text, keys) not in menus and (area, text, keys) not in seen:
                seen.add((area, text, keys))
                rows.append(ShortcutRow(area, text, keys))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, rows: list[ShortcutRow], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter: an action or a key"))
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([self.tr("Action"), self.tr("Keys")])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        groups: dict[str, QTreeWidgetItem] = {}
        for row in rows:
            group = groups.get(row.area)
            if group is None:
                group = QTreeWidgetItem([row.area])
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setFirstColumnSpanned(False)
                self.tree.addTopLevelItem(group)
                groups[row.area] = group
            group.addChild(QTreeWidgetItem([row.action, row.keys]))
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(0, max(self.tree.columnWidth(0) + 24, 260))
        self.filter.textChanged.connect(self._apply_filter)
        note = QLabel(self.tr("Set-up, the team server and every command are in the {0}.").format(readme_link()))
        note.setOpenExternalLinks(True)
        note.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(520, 560)

    def visible_rows(self) -> list[tuple[str, str]]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount()):
                child = group.child(j)
                if not child.isHidden():
                    out.append((child.text(0), child.text(1)))
        return out

    def _apply_filter(self, text: str) -> None:
        needle = text.casefold().strip()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            shown = 0
            for j in range(group.childCount()):
                child = group.child(j)
                hit = not needle or needle in child.text(0).casefold() or needle in child.text(1).casefold()
                child.setHidden(not hit)
                shown += hit
            group.setHidden(shown == 0)


def open_shortcuts(window) -> ShortcutsDialog:
    dialog = ShortcutsDialog(collect_shortcuts(window), window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
