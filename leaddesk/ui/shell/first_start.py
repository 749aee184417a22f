"""The first-start panel: what an empty database shows instead of three empty pages.

Each choice is one button that does the real thing: load the demo data (the demo service,
in a worker, with progress), join the team (Team ▸ Join team…), add a contact or an
account. The window decides which choices apply (no demo data on a team server or a
joined laptop: it would mix with, and sync as, real records).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from leaddesk.ui.shell.help_dialog import readme_link


EXPLAIN_WIDTH = 460


class _DemoProgress(QObject):
    """Carries the demo service's progress hook (called on the worker) to the UI thread."""

    step = Signal(str, int, int)


class FirstStartPanel(QWidget):
    demo_requested = Signal()
    join_requested = Signal()
    contact_requested = Signal()
    account_requested = Signal()

    def __init__(self, *, can_load_demo: bool = True, can_join: bool = True, parent=None):
        super().__init__(parent)
        self.setObjectName("firstStart")
        self.progress_hook = _DemoProgress(self)
        self.progress_hook.step.connect(self._on_step)

        title = QLabel(self.tr("Welcome to LeadDesk"))
        title.setObjectName("pageTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        intro = QLabel(self.tr("This database is empty. Where would you like to start?"))
        intro.setWordWrap(True)

        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(12)
        choices = []
        if can_load_demo:
            choices.append(("demo", self.tr("&Load demo data"), self.tr(
                "A made-up team's CRM to look around in: 1,000 contacts with their accounts, deals "
                "and activities. Keep real work in another data folder (LEADDESK_DATA_DIR)."),
                self.demo_requested))
        if can_join:
            choices.append(("join", self.tr("&Join your team…"), self.tr(
                "Connect to your team's server with the login your admin gave you, and download "
                "what you may see. You keep working offline; LeadDesk syncs."), self.join_requested))
        choices.append(("contact", self.tr("Add a &contact…"), self.tr(
            "Start with the first person you spoke to (Ctrl+N)."), self.contact_requested))
        choices.append(("account", self.tr("Add an &account…"), self.tr(
            "Start with a company (Ctrl+Shift+A); its contacts and deals follow."), self.account_requested))
        for row, (key, label, text, signal) in enumerate(choices):
            button = QPushButton(label)
            button.setObjectName(f"firstStart_{key}")
            button.setMinimumWidth(190)
            button.clicked.connect(signal)
            explain = QLabel(text)
            explain.setWordWrap(True)
            # Wrapped text in a layout needs a fixed width to be given the height it needs.
            explain.setFixedWidth(EXPLAIN_WIDTH)
            explain.setMinimumHeight(explain.heightForWidth(EXPLAIN_WIDTH))
            explain.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum)
            grid.addWidget(button, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(explain, row, 1)
            self.buttons[key] = button

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("firstStartStatus")
        self.status.setWordWrap(True)
        self.status.hide()
        readme = QLabel(self.tr("New here? The README explains set-up, the team server and every command: "
                                "{0}. Help ▸ Keyboard shortcuts lists every key.").format(readme_link()))
        readme.setWordWrap(True)
        readme.setFixedWidth(EXPLAIN_WIDTH + 190 + 16)
        readme.setMinimumHeight(readme.heightForWidth(readme.width()))
        readme.setOpenExternalLinks(True)
        readme.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)

        card = QFrame()
        card.setObjectName("firstStartCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(14)
        inner.addWidget(title)
        inner.addWidget(intro)
        inner.addSpacing(6)
        inner.addLayout(grid)
        inner.addWidget(self.progress)
        inner.addWidget(self.status)
        inner.addSpacing(6)
        inner.addWidget(readme)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    # --- the demo load's progress (the window runs the job) ------------------------------
    def demo_started(self) -> None:
        for button in self.buttons.values():
            button.setEnabled(False)
        self.status.hide()
        self.progress.setRange(0, 0)
        self.progress.setFormat(self.tr("Loading the demo data…"))
        self.progress.show()

    def demo_failed(self, message: str) -> None:
        self.progress.hide()
        for button in self.buttons.values():
            button.setEnabled(True)
        self.status.setText(message)
        self.status.show()

    def demo_finished(self) -> None:
        self.progress.hide()
        for button in self.buttons.values():
            button.setEnabled(True)

    def report(self, step: str, done: int, total: int) -> None:
        """The demo service's progress hook: safe to call from the worker thread."""
        self.progress_hook.step.emit(step, done, total)

    def _on_step(self, step: str, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, total))
        self.progress.setFormat(self.tr("Loading the demo data: {0} %v of %m").format(step))
