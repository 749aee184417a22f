"""The main window's Team menu: the conflict inbox, the duplicate review, the trash, joining
a team and the users, each opened when asked.

A mixin of :class:`~leaddesk.ui.shell.main_window.MainWindow`, apart from the window's
pages and navigation: these dialogs are written separately and imported when used, so
the window works without them.
"""

from __future__ import annotations

import importlib

import shiboken6
from PySide6.QtWidgets import QMessageBox


class TeamMenu:
    """What the main window's Team menu opens (mixed into the window)."""

    # --- team -----------------------------------------------------------------------------
    def _team_module(self, name: str, what: str):
        """A Team-menu module written separately (imported when used, so the window works
        without it); None, after telling the user, when this LeadDesk does not have it."""
        module = f"leaddesk.ui.{name}"
        try:
            return importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            QMessageBox.information(self, what, self.tr("{0} is not part of this version of LeadDesk yet.")
                                    .format(what))
            return None

    def open_conflicts(self):
        module = self._team_module("team.conflict_inbox", self.tr("The conflict inbox"))
        return module.open_conflict_inbox(self) if module is not None else None

    def open_duplicates(self):
        module = self._team_module("people.duplicate_review", self.tr("The duplicate review"))
        return module.open_duplicate_review(self) if module is not None else None

    def open_sla_figures(self):
        """Team ▸ Speed-to-lead & persistence… (the per-rep SLA figures)."""
        module = self._team_module("followups.sla_figures", self.tr("Speed-to-lead & persistence"))
        return module.open_sla_figures(self) if module is not None else None

    def open_trash(self):
        """Team ▸ Trash (one window; a second click brings it to the front)."""
        dialog = self._trash_dialog
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.show()
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        from leaddesk.ui.team.trash_view import open_trash

        dialog = open_trash(self, self.db)
        dialog.view.status_message.connect(self._show_status)
        self._trash_dialog = dialog
        return dialog

    def open_join(self):
        """Team ▸ Join team…: once joined, background sync starts with the new profile."""
        from leaddesk.ui.team.join_dialog import open_join_dialog

        dialog = open_join_dialog(self)
        dialog.joined.connect(self._joined)
        return dialog

    def _joined(self, _result) -> None:
        self.sync.set_hub(self._profile_hub())
        self.sync_action.setEnabled(self.sync.enabled)

    def _profile_hub(self):
        from leaddesk.config import load_settings
        from leaddesk.services.team import join as team_join

        data_dir = self.settings.data_dir if self.settings else None
        return lambda: team_join.hub_url(load_settings() if data_dir is None else _with_dir(data_dir))

    def open_users(self) -> None:
        """Team ▸ Users… (administrators only; others are told why)."""
        from leaddesk.ui.team.user_admin import open_user_admin

        open_user_admin(self, self.db)


def _with_dir(data_dir):
    import os

    from leaddesk.config import load_settings

    env = dict(os.environ)
    env["LEADDESK_DATA_DIR"] = str(data_dir)
    return load_settings(env=env)
