"""Team ▸ Join team…: connect this laptop to the team's server with one's own login.

The download runs in a background job with progress; the password goes to the OS keyring
(services/team_join.py), never to a file. Errors (wrong password, unreachable server, a
login not linked to a LeadDesk user, a laptop database that already holds data) are shown
as sentences, and nothing is half-written: the local file is only filled after the
server accepted the login, in one transaction.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from leaddesk.config import Settings, TeamProfile, load_profile
from leaddesk.services.team import join as team_join
from leaddesk.ui import errors
from leaddesk.ui.jobs import app_signals, run_background
from leaddesk.ui.widgets.form_errors import FormErrors


class _Progress(QObject):
    #: (job token, step, done, total) — the token says which join the step belongs to
    step = Signal(int, str, int, int)


class JoinDialog(QDialog):
    #: (JoinResult) once the laptop holds the team's data
    joined = Signal(object)

    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(self.tr("Join your team's server"))
        self.setMinimumWidth(460)
        intro = QLabel(self.tr(
            "Enter the connection your team's admin gave you. LeadDesk downloads what you may see and from then "
            "on works on this laptop, also without network, and syncs when the server is reachable."))
        intro.setWordWrap(True)
        self.host = QLineEdit()
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(5432)
        self.database = QLineEdit()
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sslmode = QComboBox()
        for mode, label in (("verify-full", self.tr("Verify the certificate and name (recommended)")),
                            ("verify-ca", self.tr("Verify the certificate")),
                            ("require", self.tr("Encrypt, no verification")),
                            ("disable", self.tr("No encryption (local network only)"))):
            self.sslmode.addItem(label, mode)
        self.ca = QLineEdit()
        self.ca.setPlaceholderText(self.tr("team CA certificate (.crt), optional"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca, 1)
        ca_row.addWidget(browse)
        self.remember = QCheckBox(self.tr("Keep the password in this computer's keyring"))
        self.remember.setChecked(True)
        form = QFormLayout()
        form.addRow(self.tr("Server"), self.host)
        form.addRow(self.tr("Port"), self.port)
        form.addRow(self.tr("Database"), self.database)
        form.addRow(self.tr("Your login"), self.user)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("Security"), self.sslmode)
        form.addRow(self.tr("CA certificate"), ca_row)
        form.addRow("", self.remember)
        self.status = QLabel()
        self.status.setObjectName("joinStatus")
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.join_button = self.buttons.addButton(self.tr("Join"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        # Why a join failed (wrong password, unreachable server ...) shows like every form's error.
        self.errors = FormErrors(self, {"host": self.host, "port": self.port, "database": self.database,
                                        "user": self.user, "password": self.password, "sslmode": self.sslmode,
                                        "sslrootcert": self.ca})
        self.errors.install(layout)
        # Steps come from the worker through a queued connection, so one can arrive after the job's
        # done/failed handler ran: each join carries a token, and a step whose job is no longer the
        # running one is dropped (it would overwrite "Joined as …" or an error with a stale step).
        self._job = 0
        self._running: int | None = None
        self._progress = _Progress(self)
        self._progress.step.connect(self._on_step, Qt.ConnectionType.QueuedConnection)
        existing = load_profile(settings.data_dir)
        if existing:
            self.host.setText(existing.host)
            self.port.setValue(existing.port)
            self.database.setText(existing.database)
            self.user.setText(existing.user)
            self.sslmode.setCurrentIndex(max(0, self.sslmode.findData(existing.sslmode)))
            self.ca.setText(existing.sslrootcert or "")

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Team CA certificate"), "",
                                              self.tr("Certificates (*.crt *.pem);;All files (*)"))
        if path:
            self.ca.setText(path)

    def profile(self) -> TeamProfile:
        return TeamProfile(host=self.host.text().strip(), port=self.port.value(),
                           database=self.database.text().strip(), user=self.user.text().strip(),
                           sslmode=self.sslmode.currentData(), sslrootcert=self.ca.text().strip() or None)

    def start(self) -> None:
        self.errors.clear()
        try:
            profile = team_join.check_profile(self.profile())
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self._show(exc)
            return
        password, remember, settings = self.password.text(), self.remember.isChecked(), self.settings
        self.join_button.setEnabled(False)
        self.bar.setVisible(True)
        self.bar.setRange(0, 0)
        self.status.setText(self.tr("Connecting to {0}…").format(profile.key))
        self._job += 1
        token = self._running = self._job
        step = self._progress.step

        def emit(text: str, done: int, total: int) -> None:
            step.emit(token, text, done, total)

        run_background(self, lambda: team_join.join(settings, profile, password, remember=remember,
                                                    progress=emit)).success(self._done).failure(
            self._failed).run()

    def _on_step(self, token: int, step: str, done: int, total: int) -> None:
        if token != self._running:  # a late step of a job that already finished
            return
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.status.setText(step)

    def _done(self, result) -> None:
        self._running = None
        self.bar.setVisible(False)
        note = "" if result.password_stored or not self.remember.isChecked() else " " + self.tr(
            "This computer has no keyring, so LeadDesk will ask for your password at each sync.")
        self.status.setText(self.tr("Joined as {0} ({1}): {2} records downloaded.").format(
            result.user_name, result.role, f"{result.rows:,}") + note)
        app_signals.data_changed.emit(None, self)
        self.joined.emit(result)
        self.buttons.clear()
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.accept)

    def _failed(self, exc: BaseException) -> None:
        self._running = None
        self.bar.setVisible(False)
        self.join_button.setEnabled(True)
        self.status.setText("")
        self._show(exc)

    def _show(self, exc: BaseException) -> None:
        """A sentence the user can act on goes in the form's banner; anything else in a dialog."""
        if not self.errors.show(exc):
            errors.show_error(self, exc)


def open_join_dialog(main_window) -> JoinDialog:
    """Team ▸ Join team…"""
    from leaddesk.config import load_settings

    settings = getattr(main_window, "settings", None) or load_settings()
    dialog = JoinDialog(settings, main_window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
