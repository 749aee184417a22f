"""The main window's menus and its keys: the menu bar with its actions, and the routing
that gives a key shared by a menu action and a page action to the page while it shows.

A mixin of :class:`~leaddesk.ui.shell.main_window.MainWindow`, apart from the window's
pages and navigation: it only builds actions and connects them to the window's slots.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

from leaddesk.ui import theme
from leaddesk.ui.shell._window_layout import PAGES


class WindowMenus:
    """The main window's menu bar and shortcut routing (mixed into the window)."""

    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False, a=action, f=slot: self._dispatch(a, f))
        menu.addAction(action)
        return action

    def _menu_actions(self) -> list[QAction]:
        out: list[QAction] = []
        stack = [top.menu() for top in self.menuBar().actions() if top.menu() is not None]
        while stack:
            for action in stack.pop().actions():
                if action.menu() is not None:
                    stack.append(action.menu())
                elif not action.isSeparator():
                    out.append(action)
        return out

    def shortcut_areas(self) -> list[tuple[str, QWidget]]:
        """(title, widget) of each page whose own actions may carry shortcuts."""
        return [(self.tr("Accounts"), self.accounts_page), (self.tr("Contacts & leads"), self.contacts_page),
                (self.tr("Pipeline board"), self.pipeline_page), (self.tr("My day"), self.my_day_page),
                (self.tr("Account view"), self.account_view)]

    def _route_page_shortcuts(self) -> None:
        """One key, one action: a page action with the same key as a menu action (the contact
        list's own Ctrl+N and F5) would make Qt refuse both ("Ambiguous shortcut overload").
        The menu action keeps the key and hands it to the page's action while that page is
        shown; the page action keeps its text, its slot and its place in context menus."""
        window_keys: dict[str, QAction] = {}
        for action in self._menu_actions():
            for seq in action.shortcuts():
                window_keys.setdefault(seq.toString(), action)
        for _area, widget in self.shortcut_areas():
            for action in widget.findChildren(QAction):
                shared = [seq for seq in action.shortcuts() if seq.toString() in window_keys]
                if not shared:
                    continue
                action.setShortcuts([seq for seq in action.shortcuts() if seq.toString() not in window_keys])
                for seq in shared:
                    self._routes.setdefault(window_keys[seq.toString()], []).append(action)

    def _dispatch(self, action: QAction, slot) -> None:
        for page_action in self._routes.get(action, ()):
            widgets = [w for w in page_action.associatedObjects() if isinstance(w, QWidget)]
            if page_action.isEnabled() and any(w.isVisible() for w in widgets):
                page_action.trigger()
                return
        slot()

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self._action(file_menu, self.tr("New &account…"), self.new_account, "Ctrl+Shift+A")
        self._action(file_menu, self.tr("New &contact…"), self.new_contact, QKeySequence.StandardKey.New)
        self._action(file_menu, self.tr("New &opportunity…"), self.pipeline_page.new_opportunity, "Ctrl+Shift+N")
        file_menu.addSeparator()
        # Ctrl+Q where the platform names no Quit key (Windows, the offscreen platform).
        quit_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")]
        self._action(file_menu, self.tr("&Quit"), self.close).setShortcuts(quit_keys)

        edit_menu = bar.addMenu(self.tr("&Edit"))
        undo = self.undo_stack.createUndoAction(self, self.tr("&Undo"))
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, self.tr("&Redo"))
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        edit_menu.addSeparator()
        self._action(edit_menu, self.tr("&Find…"), self.open_search, "Ctrl+K")

        pipeline_menu = bar.addMenu(self.tr("&Pipeline"))
        self._action(pipeline_menu, self.tr("&Lost reasons…"), self.edit_lost_reasons)

        self._build_qualification_menu(bar)
        self._build_capture_menu(bar)

        team_menu = bar.addMenu(self.tr("&Team"))
        self.sync_action = self._action(team_menu, self.tr("&Sync now"), self.sync.sync_now, "F9")
        self.sync_action.setEnabled(self.sync.enabled)
        self._action(team_menu, self.tr("&Conflicts…"), self.open_conflicts)
        self._action(team_menu, self.tr("&Duplicates…"), self.open_duplicates)
        self._action(team_menu, self.tr("S&peed-to-lead && persistence…"), self.open_sla_figures)
        team_menu.addSeparator()
        self._action(team_menu, self.tr("&Join team…"), self.open_join)
        team_menu.addSeparator()
        self._action(team_menu, self.tr("&Trash"), self.open_trash)
        self._action(team_menu, self.tr("&Users…"), self.open_users)
        self.team_menu = team_menu

        view_menu = bar.addMenu(self.tr("&View"))
        for i, (name, label) in enumerate(zip(PAGES, (self.tr("&Accounts"), self.tr("&Contacts && leads"),
                                                      self.tr("&Pipeline"), self.tr("&My day")))):
            self._action(view_menu, label, lambda _c=False, n=name: self.show_page(n), f"Ctrl+{i + 1}")
        self._action(view_menu, self.tr("&Refresh"), self.refresh, QKeySequence.StandardKey.Refresh)
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu(self.tr("&Theme"))
        group = QActionGroup(self)
        current = theme.current_theme()
        for key, label in (("system", self.tr("Follow the &system")), ("light", self.tr("&Light")),
                           ("dark", self.tr("&Dark"))):
            action = QAction(label, self, checkable=True, checked=key == current)
            action.triggered.connect(lambda _c=False, k=key: theme.apply_theme(QApplication.instance(), k))
            group.addAction(action)
            theme_menu.addAction(action)

        help_menu = bar.addMenu(self.tr("&Help"))
        self._action(help_menu, self.tr("&Keyboard shortcuts"), self.show_shortcuts,
                     QKeySequence.StandardKey.HelpContents)
        self._action(help_menu, self.tr("Read the &README"), self.open_readme)
        help_menu.addSeparator()
        self._action(help_menu, self.tr("&About LeadDesk"), self.show_about)
