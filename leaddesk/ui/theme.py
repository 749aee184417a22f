"""Light and dark palettes. "System" follows the desktop's colour scheme (Qt 6.5+)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from leaddesk.ui import state

THEME_KEY = "ui/theme"
THEMES = ("system", "light", "dark")


def _dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(0x2B, 0x2D, 0x31), QColor(0x1F, 0x21, 0x24), QColor(0xE8, 0xEA, 0xED)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor(0x26, 0x28, 0x2C))
    p.setColor(QPalette.ColorRole.ToolTipBase, window)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor(0x35, 0x37, 0x3C))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor(0xFF, 0x6B, 0x6B))
    p.setColor(QPalette.ColorRole.Highlight, QColor(0x3D, 0x7E, 0xE0))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(0xFF, 0xFF, 0xFF))
    p.setColor(QPalette.ColorRole.Link, QColor(0x8A, 0xB4, 0xF8))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(0x9A, 0xA0, 0xA6))
    p.setColor(QPalette.ColorRole.Mid, QColor(0x45, 0x48, 0x4E))
    p.setColor(QPalette.ColorRole.Midlight, QColor(0x3A, 0x3D, 0x42))
    p.setColor(QPalette.ColorRole.Dark, QColor(0x18, 0x19, 0x1C))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(0x7F, 0x84, 0x8A))
    return p


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hasattr(hints, "colorScheme") and hints.colorScheme() == Qt.ColorScheme.Dark


def current_theme() -> str:
    value = str(state.value(THEME_KEY, "system"))
    return value if value in THEMES else "system"


def apply_theme(app: QApplication, theme: str | None = None) -> str:
    """Apply (and remember) a theme; returns the effective one ("light" or "dark")."""
    theme = theme or current_theme()
    state.set_value(THEME_KEY, theme)
    app.setStyle("Fusion")
    dark = theme == "dark" or (theme == "system" and system_prefers_dark())
    app.setPalette(_dark_palette() if dark else app.style().standardPalette())
    return "dark" if dark else "light"


def follow_system(app: QApplication) -> None:
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(lambda _s: current_theme() == "system" and apply_theme(app, "system"))
