"""The main window's layout rules: the pages the navigation lists, in order, and the
first window's size, the navigation's width and the board's column width for a screen.

Plain arithmetic on rectangles and widths (no widget, no database), apart from
:mod:`leaddesk.ui.shell.main_window` so the rules read (and are tested) on their own.
"""

from __future__ import annotations

from PySide6.QtCore import QRect

PAGES = ("accounts", "contacts", "pipeline", "my_day")
#: The stages of the default pipeline: the board should show them all without scrolling.
BOARD_STAGES = 5
NAV_WIDTH, NAV_WIDTH_SMALL = 180, 156


def first_geometry(available: QRect) -> tuple[QRect, bool]:
    """The first window's frame on a screen with this available area (no saved state yet):
    centred, most of the screen, and maximised on laptop-sized screens (1366x768, 1280x800)
    where anything less cuts the board. Returns (normal geometry, maximise?)."""
    small = available.width() < 1500 or available.height() < 860
    width = min(available.width(), max(int(available.width() * (0.94 if small else 0.85)), 960), 1760)
    height = min(available.height(), max(int(available.height() * (0.94 if small else 0.88)), 600), 1100)
    rect = QRect(0, 0, width, height)
    rect.moveCenter(available.center())
    return rect, small


def nav_width(window_width: int) -> int:
    return NAV_WIDTH_SMALL if window_width < 1500 else NAV_WIDTH


def board_column_width(window_width: int) -> int:
    """Column width for the pipeline board so the default five stages fit the window
    (page margins, the board's own margins and spacing subtracted); more stages, or a
    narrower window, scroll sideways."""
    free = window_width - nav_width(window_width) - 2 * 9 - 2 * 8 - (BOARD_STAGES - 1) * 10 - 6
    return max(190, min(256, free // BOARD_STAGES))
