"""Pipeline ▸ Lost reasons: the team's list of reasons a deal is lost (add, rename,
retire, bring back). Retired reasons stay on the deals that were lost with them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from leaddesk.db import Database
from leaddesk.services.pipeline import lost_reasons
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.widgets.form_errors import FormErrors

REASON_ROLE = Qt.ItemDataRole.UserRole + 1


class LostReasonsDialog(QDialog):
    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.setWindowTitle(self.tr("Lost reasons"))
        self.resize(420, 380)
        self.list = QListWidget()
        self.add_button = QPushButton(self.tr("&Add…"))
        self.rename_button = QPushButton(self.tr("&Rename…"))
        self.toggle_button = QPushButton(self.tr("Re&tire"))
        self.add_button.clicked.connect(self.add_reason)
        self.rename_button.clicked.connect(self.rename_reason)
        self.toggle_button.clicked.connect(self.toggle_reason)
        self.list.currentItemChanged.connect(self._update_buttons)
        self.errors = FormErrors(self, {"name": self.list})
        self.error = self.errors.label
        buttons = QVBoxLayout()
        for b in (self.add_button, self.rename_button, self.toggle_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(buttons)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Reasons offered when a deal is closed as lost:")))
        layout.addLayout(row)
        layout.addWidget(close)
        self.errors.install(layout)
        self.reload()

    def reload(self) -> None:
        run_read(self, lambda: lost_reasons.list_lost_reasons(self.db, include_inactive=True)).success(self._fill).run()

    def _fill(self, reasons) -> None:
        current = self.current_reason()
        self.list.clear()
        for reason in reasons:
            label = reason.name if reason.active else self.tr("{0} (retired)").format(reason.name)
            item = QListWidgetItem(label)
            item.setData(REASON_ROLE, reason)
            if not reason.active:
                item.setForeground(self.palette().placeholderText())
            self.list.addItem(item)
            if current is not None and reason.id == current.id:
                self.list.setCurrentItem(item)
        self._update_buttons()

    def current_reason(self):
        item = self.list.currentItem()
        return None if item is None else item.data(REASON_ROLE)

    def _update_buttons(self, *_args) -> None:
        reason = self.current_reason()
        self.rename_button.setEnabled(reason is not None)
        self.toggle_button.setEnabled(reason is not None)
        self.toggle_button.setText(self.tr("Re&tire") if reason is None or reason.active else self.tr("Bring &back"))

    def ask_name(self, title: str, text: str = "") -> str | None:
        name, ok = QInputDialog.getText(self, title, self.tr("Reason:"), text=text)
        return name if ok else None

    def _write(self, fn) -> None:
        self.errors.clear()
        run_write(self, fn).success(lambda _r: self.reload()).failure(self._failed).run()

    def _failed(self, exc) -> None:
        self.errors.show(exc)
        self.reload()

    def add_reason(self) -> None:
        name = self.ask_name(self.tr("New lost reason"))
        if name is not None:
            self._write(lambda: lost_reasons.add_lost_reason(self.db, name))

    def rename_reason(self) -> None:
        reason = self.current_reason()
        if reason is None:
            return
        name = self.ask_name(self.tr("Rename lost reason"), reason.name)
        if name is not None:
            self._write(lambda: lost_reasons.update_lost_reason(self.db, reason.id, expected_version=reason.version,
                                                                name=name))

    def toggle_reason(self) -> None:
        reason = self.current_reason()
        if reason is not None:
            self._write(lambda: lost_reasons.update_lost_reason(self.db, reason.id, expected_version=reason.version,
                                                                active=not reason.active))
