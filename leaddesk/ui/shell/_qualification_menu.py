"""The main window's Qualification menu: the manager's screens that tune how leads are
qualified (scoring rules and thresholds, HPIs, personas, learning from won/lost, the team's
settings and pipelines), each opened when asked.

A mixin of :class:`~leaddesk.ui.shell.main_window.MainWindow`. Each screen lives in its
capability package and exposes one ``open_...(window)`` function; the menu only names it.
"""

from __future__ import annotations

from PySide6.QtGui import QAction


class QualificationMenu:
    """What the main window's Qualification menu opens (mixed into the window)."""

    #: (menu text, module under leaddesk.ui, function, shortcut or None), in menu order.
    #: Each entry is one screen; add yours here.
    QUALIFICATION_SCREENS: tuple[tuple[str, str, str, str | None], ...] = (
        ("&Scoring rules…", "qualification.rule_editor", "open_rule_editor", None),
        ("High-probability &indicators…", "qualification.indicator_editor", "open_indicator_editor", None),
        ("Buyer &personas…", "qualification.persona_editor", "open_persona_editor", None),
        ("&Assignment && caps…", "qualification.assignment_screen", "open_assignment", None),
        ("&Learn from won/lost…", "qualification.learning_dialog", "open_learning", None),
        ("&Team settings && pipelines…", "team.settings_dialog", "open_team_settings", None),
    )

    def _build_qualification_menu(self, bar) -> None:
        menu = bar.addMenu(self.tr("&Qualification"))
        self.qualification_menu = menu
        for text, module, function, shortcut in self.QUALIFICATION_SCREENS:
            action: QAction = self._action(menu, self.tr(text), lambda m=module, f=function: self._open_screen(m, f),
                                           shortcut)
            action.setObjectName(f"action_{function}")

    def _open_screen(self, module: str, function: str):
        screen = self._team_module(module, module.rsplit(".", 1)[-1].replace("_", " ").capitalize())
        return getattr(screen, function)(self) if screen is not None else None
