"""The main window's Capture menu: business cards by photo and QR code, vCard files in and
out, and the events (trade shows, conferences …) captures are tagged with.

A mixin of :class:`~leaddesk.ui.shell.main_window.MainWindow`. Each screen lives in its
capability package (``ui/capture/``, ``ui/marketing/``) and is imported when first opened.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

#: Capture business cards… (Ctrl+Shift+B: B for business card; Ctrl+B is the BANT form in
#: the contact panel, Ctrl+Shift+A/N/Z are taken by the File and Edit menus).
CAPTURE_KEY = "Ctrl+Shift+B"


class CaptureMenu:
    """What the main window's Capture menu opens (mixed into the window)."""

    #: (menu text, module under leaddesk.ui, function, shortcut or None), in menu order.
    CAPTURE_SCREENS: tuple[tuple[str, str, str, str | None], ...] = (
        ("Capture &business cards…", "capture.capture_window", "open_capture_window", CAPTURE_KEY),
        ("&Import vCards (.vcf)…", "capture.vcards", "import_vcards", None),
        ("&Export vCards…", "capture.vcards", "export_vcards", None),
    )

    def _build_capture_menu(self, bar) -> None:
        menu = bar.addMenu(self.tr("&Capture"))
        self.capture_menu = menu
        for text, module, function, shortcut in self.CAPTURE_SCREENS:
            action: QAction = self._action(menu, self.tr(text), lambda m=module, f=function: self._open_screen(m, f),
                                           shortcut)
            action.setObjectName(f"action_{function}")
        menu.addSeparator()
        self._action(menu, self.tr("E&vents…"), self.open_events).setObjectName("action_open_events")

    def open_events(self):
        """Capture ▸ Events…: the campaigns and events screen (one per window)."""
        module = self._team_module("marketing.events", self.tr("The events screen"))
        if module is None:
            return None
        for dialog in self.findChildren(module.EventsDialog):
            dialog.show()
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        dialog = module.EventsDialog(self.db, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog
