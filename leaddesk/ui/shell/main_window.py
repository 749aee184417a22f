"""The main window: navigation, pages, menus, shortcuts and status bar."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QAction, QDesktopServices, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from leaddesk import __version__
from leaddesk.db import Database
from leaddesk.ui import state
from leaddesk.ui.followups.my_day import MyDayPage
from leaddesk.ui.jobs import app_signals
from leaddesk.ui.people.account_view import AccountView
from leaddesk.ui.people.accounts_page import AccountsPage
from leaddesk.ui.people.contacts_page import ContactsPage
from leaddesk.ui.pipeline.pipeline_page import PipelinePage
from leaddesk.ui.people.search_dialog import SearchDialog
from leaddesk.ui.shell._capture_menu import CaptureMenu
from leaddesk.ui.shell._qualification_menu import QualificationMenu
from leaddesk.ui.shell._team_menu import TeamMenu
from leaddesk.ui.shell._window_layout import PAGES, board_column_width, first_geometry, nav_width
from leaddesk.ui.shell._window_menus import WindowMenus
from leaddesk.ui.team.sync_status import SyncController


class MainWindow(WindowMenus, QualificationMenu, CaptureMenu, TeamMenu, QMainWindow):
    def __init__(self, db: Database, *, user_label: str | None = None, hub_url=None,
                 sync_interval_s: int = 120, backup_dir=None, settings=None, parent=None,
                 screen_area: QRect | None = None):
        super().__init__(parent)
        self.db = db
        #: leaddesk.config.Settings of this run (Team ▸ Join team… saves the profile there).
        self.settings = settings
        self.sync = SyncController(db, hub_url, interval_s=sync_interval_s, backup_dir=backup_dir, parent=self)
        self.setWindowTitle(self.tr("LeadDesk"))
        self.undo_stack = QUndoStack(self)
        # The first size comes from the screen's free area (screen_area: another screen's,
        # for screenshots and tests); a saved geometry wins over it.
        self._first_rect, self._first_maximized = first_geometry(screen_area or self.screen().availableGeometry())

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(nav_width(self._first_rect.width()))
        self.nav.setStyleSheet(
            "QListWidget#navigation { background: palette(window); border: none; padding: 6px; }"
            "QListWidget#navigation::item { padding: 9px 10px; margin: 1px 0; border-radius: 5px; }"
            "QListWidget#navigation::item:selected { background: palette(highlight);"
            " color: palette(highlighted-text); }")
        self.nav.setFrameShape(QListWidget.Shape.NoFrame)
        self.pages = QStackedWidget()
        self.accounts_page = AccountsPage(db)
        self.contacts_page = ContactsPage(db)
        self.pipeline_page = PipelinePage(db, self.undo_stack,
                                          column_width=board_column_width(self._first_rect.width()))
        self.my_day_page = MyDayPage(db)
        self.account_view = AccountView(db, self.undo_stack)
        for title, page in ((self.tr("Accounts"), self.accounts_page), (self.tr("Contacts && leads"), self.contacts_page),
                            (self.tr("Pipeline"), self.pipeline_page), (self.tr("My day"), self.my_day_page)):
            self.nav.addItem(QListWidgetItem(title.replace("&&", "&")))
            self.pages.addWidget(page)
        self.pages.addWidget(self.account_view)  # reached from an account, not from the list
        self.nav.currentRowChanged.connect(self._on_nav)
        self.nav.itemClicked.connect(lambda _item: self._leave_first_start())
        self.accounts_page.account_activated.connect(self.open_account)
        self.account_view.back_requested.connect(lambda: self.show_page("accounts"))
        self.account_view.contact_activated.connect(self.open_contact)
        self.my_day_page.open_requested.connect(self.open_linked)
        for page in (self.contacts_page, self.pipeline_page, self.my_day_page):
            page.status_message.connect(self._show_status)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.pages, 1)
        from leaddesk.ui.shell.first_start import FirstStartPanel

        # On an empty database, shown in the pages' place until the user picks a way in.
        self.first_start = FirstStartPanel(can_load_demo=self._may_load_demo(hub_url),
                                           can_join=hub_url is None and db.dialect == "sqlite")
        self.first_start.hide()
        self.first_start.demo_requested.connect(self.load_demo)
        self.first_start.join_requested.connect(self.open_join)
        self.first_start.contact_requested.connect(self.new_contact)
        self.first_start.account_requested.connect(self.new_account)
        row.addWidget(self.first_start, 1)
        outer = QWidget()  # the reminder banner goes above everything (start_reminders)
        self._top = QVBoxLayout(outer)
        self._top.setContentsMargins(0, 0, 0, 0)
        self._top.setSpacing(0)
        self._top.addWidget(central, 1)
        self.setCentralWidget(outer)
        self.reminders = None

        self.search_dialog = SearchDialog(db, self)
        self.search_dialog.hit_chosen.connect(self.open_hit)
        self._loaded: set[str] = set()
        self._trash_dialog = None
        #: the first-start panel's check: "not yet", "running" (the first load asked), "done"
        self._start_check = "not yet"
        #: window action -> page actions with the same keys (see _route_page_shortcuts)
        self._routes: dict[QAction, list[QAction]] = {}
        self._build_menus()
        self._route_page_shortcuts()
        self._build_status_bar(user_label)
        last = state.value(state.LAST_PAGE_KEY, "accounts")
        self.nav.setCurrentRow(PAGES.index(last) if last in PAGES else 0)
        if not state.restore_window(self):
            self.setGeometry(self._first_rect)
            if self._first_maximized:
                self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    # --- chrome -------------------------------------------------------------------------
    def _db_text(self) -> str:
        if self.db.dialect == "sqlite":
            return self.tr("SQLite: {0}").format(self.db.engine.url.database)
        return self.tr("PostgreSQL: {0}").format(self.db.url)

    def _build_status_bar(self, user_label: str | None) -> None:
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.db_label = QLabel(self._db_text())
        self.user_label = QLabel(self.tr("User: {0}").format(user_label or self.tr("(none)")))
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().addPermanentWidget(self.sync.label)
        clicked = getattr(self.sync.label, "conflicts_clicked", None)  # the "2 conflicts" badge
        if clicked is not None:
            clicked.connect(self.open_conflicts)
        self.statusBar().addPermanentWidget(self.db_label)
        self.statusBar().addPermanentWidget(self.user_label)
        # A bound method (not a lambda): Qt disconnects it when the window is destroyed.
        app_signals.busy_changed.connect(self._on_busy_changed)

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    def _on_busy_changed(self, count: int) -> None:
        self.busy.setVisible(count > 0)

    # --- navigation -------------------------------------------------------------------
    def _on_nav(self, row: int) -> None:
        if row < 0:
            return
        self._leave_first_start()
        self.pages.setCurrentIndex(row)
        name = PAGES[row]
        if name not in self._loaded:
            self._loaded.add(name)
            self.pages.widget(row).load()

    def show_page(self, name: str) -> None:
        row = PAGES.index(name)
        if self.nav.currentRow() == row:
            self._on_nav(row)
        else:
            self.nav.setCurrentRow(row)

    def current_page_name(self) -> str:
        widget = self.pages.currentWidget()
        if widget is self.account_view:
            return "account"
        return PAGES[self.pages.currentIndex()]

    def load(self) -> None:
        """Load the page being shown (the others load when first opened), and find out
        whether the database is empty (then the first-start panel shows)."""
        self._on_nav(max(self.nav.currentRow(), 0))
        if self._start_check == "not yet":
            from leaddesk.services import first_start
            from leaddesk.ui.jobs import run_read

            self._start_check = "running"  # any navigation before the answer cancels it
            run_read(self, lambda: first_start.is_empty(self.db)).success(self._on_emptiness).run()

    def start_reminders(self, *, clock=None, tz=None, interval_ms: int | None = None, use_tray=None):
        """Reminders of the user this installation acts as: checked now (those missed while
        the app was closed) and once a minute, in a worker (ui/followups/reminders.py)."""
        from leaddesk.ui.followups.reminders import CHECK_INTERVAL_MS, ReminderCenter

        if self.reminders is None and self.db.write.actor_id is not None:
            self.reminders = ReminderCenter(self.db, self.db.write.actor_id, clock=clock, tz=tz, use_tray=use_tray,
                                            interval_ms=interval_ms or CHECK_INTERVAL_MS, parent=self)
            self._top.insertWidget(0, self.reminders.banner)
            self.reminders.open_record.connect(
                lambda kind, ident: self.open_contact(ident) if kind == "contact" else self.open_account(ident))
            self.reminders.raise_requested.connect(lambda: (self.showNormal(), self.raise_(), self.activateWindow()))
            self.reminders.start()
        return self.reminders

    # --- first start ----------------------------------------------------------------------
    def _may_load_demo(self, hub_url) -> bool:
        """Demo data only on a standalone local file: on a team server or a joined laptop it
        would mix with real records (and a laptop would sync it)."""
        return self.db.dialect == "sqlite" and hub_url is None

    def _on_emptiness(self, empty: bool) -> None:
        if empty and self._start_check == "running":
            self.pages.hide()
            self.first_start.show()
            self.nav.clearSelection()  # no page is shown; a click on one leaves the panel
        self._start_check = "done"

    def first_start_shown(self) -> bool:
        return not self.first_start.isHidden()

    def _leave_first_start(self) -> None:
        if self._start_check == "running":
            self._start_check = "done"  # the user already went somewhere: do not pull them back
        if not self.first_start.isHidden():
            self.first_start.hide()
            self.pages.show()
            if self.nav.currentItem() is not None:
                self.nav.currentItem().setSelected(True)

    def load_demo(self):
        """The first-start panel's "Load demo data": the real demo service, in a worker."""
        from leaddesk.services.demo import generate as demo
        from leaddesk.ui.jobs import run_write

        panel = self.first_start
        panel.demo_started()

        def done(summary) -> None:
            panel.demo_finished()
            self._loaded.clear()
            self.show_page("pipeline")
            self._show_status(self.tr("Demo data loaded: {0} contacts, {1} accounts, {2} opportunities.")
                              .format(f"{summary.contacts:,}", f"{summary.accounts:,}",
                                      f"{summary.opportunities:,}"))

        def failed(exc) -> None:
            from leaddesk.ui.errors import show_error

            panel.demo_failed(str(exc))
            show_error(self, exc)

        from leaddesk.services.demo import my_day

        def write():
            summary = demo.generate(self.db, "small", progress=panel.report, captures=True)
            my_day.plan_my_day(self.db, summary.seed)  # the signed-in user's own day (My day)
            return summary

        return run_write(self, write).success(done).failure(failed).run()

    def refresh(self) -> None:
        self._loaded.clear()
        widget = self.pages.currentWidget()
        if widget is self.account_view and self.account_view.account_id is not None:
            self.account_view.show_account(self.account_view.account_id)
        else:
            self.load()

    def open_account(self, account_id) -> None:
        if account_id is None:
            return
        # The account view belongs under "Accounts": keep that row current (an item view
        # with no current row would pick row 0 on focus-in and switch pages behind our back).
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(PAGES.index("accounts"))
        self.nav.blockSignals(False)
        self.pages.setCurrentWidget(self.account_view)
        self.account_view.show_account(account_id)

    def open_contact(self, contact_id) -> None:
        self.show_page("contacts")
        self.contacts_page.select_contact(contact_id)

    def open_hit(self, hit) -> None:
        self.open_linked(hit.entity, hit.id)

    def open_linked(self, entity: str, ident) -> None:
        """Open a contact, an account or an opportunity (in its account's view): a search hit,
        My day's "open the record"."""
        if entity == "contact":
            self.open_contact(ident)
        elif entity == "account":
            self.open_account(ident)
        else:
            from leaddesk.services.pipeline import opportunities as pipeline
            from leaddesk.ui.jobs import run_read

            run_read(self, lambda: pipeline.get_opportunity(self.db, ident)).success(
                lambda opp: self.open_account(opp.account_id)).run()

    def open_search(self) -> None:
        self.search_dialog.open_with("")

    def edit_lost_reasons(self):
        from leaddesk.ui.pipeline.lost_reasons_dialog import LostReasonsDialog

        dialog = LostReasonsDialog(self.db, self)
        dialog.open()
        return dialog

    def new_contact(self) -> None:
        self.show_page("contacts")
        self.contacts_page.new_contact()

    def new_account(self) -> None:
        self._leave_first_start()
        self.accounts_page.new_account()

    def show_view(self, view: str, *, query: str | None = None) -> None:
        """For `leaddesk screenshot`: show a named view of the current data."""
        if view in PAGES:
            self.show_page(view)
            found = None
            if view == "contacts" and query:
                from leaddesk.services.people import lists

                found = next(iter(lists.list_contact_rows(self.db, text=query, limit=1).items), None)
            if found is not None:
                self.contacts_page.select_contact(found.id)  # the list stays whole, scrolled to it
            elif view == "contacts" and self.contacts_page.model.rowCount():
                self.contacts_page.table.selectRow(0)  # show the detail panel too
        elif view == "board":
            self.show_page("pipeline")
        elif view == "account":
            from leaddesk.services.pipeline import board

            cards = board.load_board(self.db).cards
            if cards:
                busiest = max({c.account_id for c in cards}, key=lambda a: sum(c.account_id == a for c in cards))
                self.open_account(busiest)
            else:
                self.show_page("accounts")
        elif view == "search":
            self.show_page("accounts")
            self.search_dialog.open_with(query or "")
            self.search_dialog.run_query()

    def show_shortcuts(self):
        """Help ▸ Keyboard shortcuts: the list is read from the actions themselves."""
        from leaddesk.ui.shell.help_dialog import open_shortcuts

        return open_shortcuts(self)

    def open_readme(self) -> None:
        from leaddesk.ui.shell.help_dialog import README_WEB, readme_url

        url = readme_url()
        if url is None or not QDesktopServices.openUrl(url):
            QMessageBox.information(self, self.tr("README"), self.tr("The README is the {0}.").format(README_WEB))

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About LeadDesk"),
            self.tr("<h3>LeadDesk {0}</h3><p>An offline-first CRM for small sales teams.</p>"
                    "<p>Database: {1}</p>").format(__version__, self._db_text()),
        )

    def closeEvent(self, event) -> None:
        if self.reminders is not None:
            self.reminders.stop()
        state.save_window(self)
        name = self.current_page_name()
        state.set_value(state.LAST_PAGE_KEY, "accounts" if name == "account" else name)
        for page in (self.accounts_page, self.contacts_page, self.pipeline_page, self.account_view):
            if hasattr(page, "save_state"):
                page.save_state()
        super().closeEvent(event)
