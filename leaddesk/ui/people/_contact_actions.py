"""What the Contacts page does to contacts: its actions, shortcuts and context menu, the
editor it opens, stage changes and deletion.

A mixin of :class:`~leaddesk.ui.people.contacts_page.ContactsPage`, apart from the page's
list, filters and selection: these only act on the contact the page points at
(``_target``) and report back through ``show_message``.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from leaddesk.services.people import contacts
from leaddesk.ui.followups.log_dialog import LogActivityDialog, open_log_dialog
from leaddesk.ui.itemmodels.roles import Roles
from leaddesk.ui.jobs import run_write
from leaddesk.ui.people.contact_editor import ContactEditorDialog


class ContactActions:
    """The Contacts page's actions on contacts (mixed into the page)."""

    def _build_actions(self) -> None:
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.new_action = QAction(self.tr("&New contact…"), self)
        self.new_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.new_action.triggered.connect(self.new_contact)
        self.edit_action = QAction(self.tr("&Edit…"), self)
        self.edit_action.triggered.connect(lambda: self.edit_contact())
        self.stage_action = QAction(self.tr("Change &stage…"), self)
        self.stage_action.triggered.connect(self.change_stage)
        self.delete_action = QAction(self.tr("&Delete"), self)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.triggered.connect(lambda: self.delete_contact())
        self.reassign_action = QAction(self.tr("&Reassign…"), self)
        self.reassign_action.setObjectName("reassignAction")
        self.reassign_action.triggered.connect(lambda: self.reassign())
        self.reload_action = QAction(self.tr("&Reload"), self)
        self.reload_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.reload_action.triggered.connect(self.reload)
        self.find_action = QAction(self.tr("&Filter"), self)
        self.find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.triggered.connect(self.focus_filter)
        self._build_log_action()
        self.cadence_action = QAction(self.tr("Apply &cadence…"), self)
        self.cadence_action.setObjectName("applyCadenceAction")
        self.cadence_action.triggered.connect(lambda: self.apply_cadence())
        for action in (self.new_action, self.edit_action, self.stage_action, self.delete_action, self.reload_action,
                       self.find_action, self.log_action):
            action.setShortcutContext(ctx)
        # Ctrl+N, F5 and Ctrl+F work anywhere on the page; Delete only in the table (not
        # while reading the history list). Right-click on a row offers the same actions.
        self.addActions([self.new_action, self.reload_action, self.find_action, self.log_action])
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        separator = QAction(self)
        separator.setSeparator(True)
        self.table.addActions([self.edit_action, self.stage_action, self.log_action, self.cadence_action,
                               self.reassign_action, self.delete_action, separator, self.new_action])
        self._update_actions()

    def _build_log_action(self) -> None:
        """Ctrl+L anywhere on the page (list or detail panel): log a touch on the contact."""
        self.log_action = QAction(self.tr("&Log activity…"), self)
        self.log_action.setShortcut(QKeySequence("Ctrl+L"))
        self.log_action.triggered.connect(lambda: self.log_activity())

    def log_activity(self, contact_id=None) -> LogActivityDialog | None:
        cid = self._target(contact_id)
        if cid is None:
            return None
        shown = self.detail.contact if self.detail.contact is not None and self.detail.contact.id == cid else None
        about = shown.display_name if shown is not None else ""
        account_id = shown.account_id if shown is not None else None
        self.log_dialog = open_log_dialog(self, self.db, contact_id=cid, account_id=account_id, about=about)
        return self.log_dialog

    # --- actions ----------------------------------------------------------------------
    def on_row_activated(self, index: QModelIndex) -> None:
        cid = index.data(Roles.ID)
        if cid is not None:
            self.contact_activated.emit(cid)
            self.edit_contact(cid)

    def new_contact(self) -> ContactEditorDialog:
        return self._open_editor(ContactEditorDialog(self.db, None, self))

    def edit_contact(self, contact_id=None) -> ContactEditorDialog | None:
        cid = self._target(contact_id)
        if cid is None:
            return None
        return self._open_editor(ContactEditorDialog(self.db, cid, self))

    def _open_editor(self, dialog: ContactEditorDialog) -> ContactEditorDialog:
        dialog.saved.connect(self.on_contact_saved)
        dialog.open_existing_requested.connect(self.select_contact)
        dialog.finished.connect(lambda _result: self._editor_closed(dialog))
        self.editor = dialog
        dialog.open()
        return dialog

    def _editor_closed(self, dialog: ContactEditorDialog) -> None:
        if self.editor is dialog:
            self.editor = None
        dialog.deleteLater()
        self.table.setFocus()

    def on_contact_saved(self, detail) -> None:
        self.select_contact(detail.id)
        self.show_message(self.tr("Saved {0}.").format(detail.display_name))

    def change_stage(self) -> None:
        cid = self._target()
        if cid is None:
            return
        if self.detail.contact is not None and self.detail.contact.id == cid:
            self.detail.change_stage()
        else:
            self.select_contact(cid)

    def selected_contact_ids(self) -> list:
        """The selected rows' contacts, in list order (the current one when none is selected)."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        ids = [self.model.row_at(row).id for row in rows]
        target = self._target()
        return ids or ([target] if target is not None else [])

    def _chosen(self, contact_ids=None) -> tuple[list, str]:
        """The contacts an action is for (given, else the selection) and how to name them
        ("Ana Ruiz", "3 contacts")."""
        ids = list(contact_ids) if contact_ids is not None else self.selected_contact_ids()
        if len(ids) != 1:
            return ids, self.tr("{0} contacts").format(len(ids))
        row = self.row_of(ids[0])
        return ids, self.model.row_at(row).display_name if row is not None else self.tr("this contact")

    def reassign(self, contact_ids=None):
        """Open "Reassign…" for the selected contacts (issue #12: with a required reason)."""
        from leaddesk.ui.qualification.reassign_dialog import open_reassign

        ids, what = self._chosen(contact_ids)
        if not ids:
            return None
        dialog = open_reassign(self, self.db, ids, what)
        dialog.reassigned.connect(lambda result: self.show_message(
            self.tr("Reassigned {0}.").format(what)))
        self.reassign_dialog = dialog
        return dialog

    def apply_cadence(self, contact_ids=None):
        """Open "Apply cadence…" for the selected contacts (issue #13: cadences)."""
        from leaddesk.ui.followups.cadence_dialog import open_apply_cadence

        ids, what = self._chosen(contact_ids)
        if not ids:
            return None
        dialog = open_apply_cadence(self, self.db, ids, what)
        dialog.applied.connect(lambda runs: self.show_message(self.tr("Cadence started for {0}.").format(what)))
        self.cadence_dialog = dialog
        return dialog

    def delete_contact(self, contact_id=None) -> None:
        cid = self._target(contact_id)
        if cid is None:
            return
        row = self.row_of(cid)
        shown = self.detail.contact if self.detail.contact is not None and self.detail.contact.id == cid else None
        name = shown.display_name if shown else (self.model.row_at(row).display_name if row is not None else "")
        if not self.confirm_delete(name):
            return
        following = None
        if row is not None and self.model.rowCount() > 1:
            following = self.model.row_at(row + 1 if row + 1 < self.model.rowCount() else row - 1).id
        db, version = self.db, shown.version if shown else None
        run_write(self, lambda: contacts.delete_contact(db, cid, expected_version=version)).success(
            lambda _changes: self._on_deleted(name, following)).run()

    def _on_deleted(self, name: str, following) -> None:
        self.show_message(self.tr("Deleted {0}. It is in the trash and can be restored.").format(name))
        if following is not None:
            self.select_contact(following)
        else:
            self.detail.show_contact(None)
        self.table.setFocus()

    def confirm_delete(self, name: str) -> bool:
        answer = QMessageBox.question(
            self, self.tr("Delete contact"),
            self.tr("Delete {0}?\n\nThe contact is moved to the trash and can be restored.").format(name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self._message_timer.start()
        self.status_message.emit(text)
