"""The main window's Capture menu (both engines): Capture business cards… (Ctrl+Shift+B,
listed in Help ▸ Keyboard shortcuts) opens one capture window; Import vCards runs the file
in a worker and sums it up; Export vCards writes the selected contacts; Events… opens the
events screen. No key is claimed twice in the capture window or the import dialog."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication, QDialog

from leaddesk.services.people import contacts
from leaddesk.ui.capture.capture_window import CaptureWindow
from leaddesk.ui.capture.vcards import VcfImportDialog, export_vcards, import_vcards
from leaddesk.ui.shell.help_dialog import collect_shortcuts
from leaddesk.ui.shell.main_window import MainWindow
from tests.ui.test_shortcuts import ambiguous_presses

VCF = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Ruiz;Marta;;;\r\nFN:Marta Ruiz\r\nORG:Puerto Frío SL\r\n"
    "TITLE:Jefa de compras\r\nEMAIL;TYPE=INTERNET,WORK:marta.ruiz@puertofrio.es\r\n"
    "TEL;TYPE=CELL:+34 612 345 678\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lindqvist;Erik;;;\r\nFN:Erik Lindqvist\r\nORG:Kylkedja AB\r\n"
    "EMAIL:erik@kylkedja.se\r\nEND:VCARD\r\n"
)


@pytest.fixture
def window(qtbot, db) -> MainWindow:
    main = MainWindow(db, user_label="Ada")
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    main.load()
    return main


def test_capture_menu_opens_the_capture_window_once_with_ctrl_shift_b(qtbot, window):
    texts = [a.text() for a in window.capture_menu.actions() if not a.isSeparator()]
    assert texts == ["Capture &business cards…", "&Import vCards (.vcf)…", "&Export vCards…", "E&vents…"]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    opened = window.findChildren(CaptureWindow)
    assert len(opened) == 1 and opened[0].isVisible()
    window.findChild(type(window.capture_menu.actions()[0]), "action_open_capture_window").trigger()
    assert window.findChildren(CaptureWindow) == opened  # brought to the front, not a second one
    rows = [(r.area, r.action, r.keys) for r in collect_shortcuts(window)]
    assert ("Capture", "Capture business cards", "Ctrl+Shift+B") in rows


def test_capture_window_and_import_dialog_claim_no_key_twice(qtbot, window, tmp_path):
    path = tmp_path / "cards.vcf"
    path.write_text(VCF, encoding="utf-8")
    problems = []
    for dialog in (CaptureWindow(window.db, window), VcfImportDialog(window.db, str(path), window)):
        dialog.show()
        qtbot.waitExposed(dialog)
        problems += ambiguous_presses(qtbot, dialog, place=type(dialog).__name__)
        dialog.done(QDialog.DialogCode.Rejected)
    assert problems == [], "\n".join(problems)


def test_capture_menu_imports_a_vcf_with_a_summary(qtbot, db, window, tmp_path):
    path = tmp_path / "cards.vcf"
    path.write_text(VCF, encoding="utf-8")
    dialog = import_vcards(window, str(path))
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert (dialog.result.created, dialog.result.updated, dialog.result.skipped) == (2, 0, 0)
    assert dialog.summary.text().startswith("2 created, 0 updated, 0 skipped, 0 with errors.")
    assert dialog.progress.value() == dialog.progress.maximum()
    names = sorted(c.display_name for c in contacts.list_contacts(db).items)
    assert names == ["Erik Lindqvist", "Marta Ruiz"]
    # The same file again: both are someone already here, skipped.
    again = import_vcards(window, str(path))
    qtbot.addWidget(again)
    again.start()
    assert (again.result.created, again.result.skipped) == (0, 2)


def test_capture_menu_a_broken_vcf_is_refused_with_a_sentence(qtbot, db, window, tmp_path, no_dialogs):
    path = tmp_path / "broken.vcf"
    path.write_text("this is no vCard at all", encoding="utf-8")
    dialog = import_vcards(window, str(path))
    qtbot.addWidget(dialog)
    dialog.start()
    assert len(no_dialogs) == 1 and str(no_dialogs[0])
    assert dialog.summary.text() == "Nothing was imported." and dialog.import_button.isEnabled()
    assert not contacts.list_contacts(db).items


def test_capture_menu_exports_the_selected_contacts(qtbot, db, window, tmp_path):
    for given, family in (("Ana", "Ruiz"), ("Bo", "Chen"), ("Cy", "Dunn")):
        contacts.create_contact(db, given_name=given, family_name=family, emails=[f"{given.lower()}@x.example"])
    window.show_page("contacts")
    page = window.contacts_page
    page.reload()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3)
    selection = page.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in (0, 2):
        selection.select(page.model.index(row, 0), flags)
    target = tmp_path / "out.vcf"
    export_vcards(window, str(target))
    text = target.read_text(encoding="utf-8")
    assert text.count("BEGIN:VCARD") == 2
    assert "Ana" in text and "Cy" in text and "Bo" not in text
    assert "Exported 2 cards to out.vcf." in window.statusBar().currentMessage()


def test_capture_menu_events_opens_the_events_screen(qtbot, window):
    dialog = window.open_events()
    assert dialog is not None and dialog.isVisible()
    assert window.open_events() is dialog
    QApplication.processEvents()
