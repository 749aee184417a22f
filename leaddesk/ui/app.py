"""QApplication setup, the GUI entry point and offscreen screenshots."""

from __future__ import annotations

import logging
import os
import sys

from leaddesk.config import load_settings
from leaddesk.errors import LeadDeskError


def _make_app(argv: list[str]):
    from PySide6.QtWidgets import QApplication

    from leaddesk.ui import state

    from leaddesk.ui import i18n, theme

    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName(state.ORG)
    app.setApplicationName(state.APP)
    app.setApplicationDisplayName("LeadDesk")
    i18n.setup_language(app)
    theme.apply_theme(app)
    theme.follow_system(app)
    return app


def open_for_gui(args):
    """Open (upgrade, and seed if empty) the database the command line names."""
    from leaddesk.bootstrap import open_database
    from leaddesk.services.team import setup

    settings = load_settings(db_url=args.db)
    db = open_database(settings)
    if db.write.actor_id is None:
        setup.initialize(db)
    else:  # an existing database: the default scoring rules it lacks (a few key lookups)
        setup.seed_scoring_rules(db)
    return db


def _user_label(db) -> str | None:
    """"Name <e-mail>" of the acting user (one row read: start-up must not count tables)."""
    from leaddesk.services.team import users

    if db.write.actor_id is None:
        return None
    user = users.get_user(db, db.write.actor_id)
    return f"{user.name} <{user.email}>"


def _hub_for(settings):
    """LEADDESK_HUB / hub_url, else the joined team's profile: a callable, so the password
    is read from the keyring at each sync (and a missing one is reported then, as offline)."""
    from leaddesk.config import load_profile
    from leaddesk.services.team import join as team_join

    if settings.hub_url:
        return settings.hub_url
    try:
        profile = load_profile(settings.data_dir)
    except LeadDeskError:
        profile = None
    if profile is None:
        return None
    return lambda: team_join.hub_url(settings)


def run_gui(args) -> int:
    from leaddesk.ui import platform_deps

    # Before Qt: when its platform plugin cannot load, Qt aborts the process and names at
    # most one of the missing libraries. Say which packages to install instead.
    problem = platform_deps.check()
    if problem is not None:
        print(f"leaddesk: error: {problem.message}", file=sys.stderr)
        return 2

    from PySide6.QtWidgets import QMessageBox

    from leaddesk.ui.errors import install_excepthooks
    from leaddesk.ui.watcher import ChangeWatcher
    from leaddesk.ui.shell.main_window import MainWindow

    logging.basicConfig(level=logging.INFO)
    app = _make_app(sys.argv)
    install_excepthooks()
    try:
        db = open_for_gui(args)
    except LeadDeskError as exc:
        QMessageBox.critical(None, "LeadDesk", str(exc))
        print(f"leaddesk: error: {exc}", file=sys.stderr)
        return 2
    settings = load_settings(db_url=args.db)
    window = MainWindow(db, user_label=_user_label(db), hub_url=_hub_for(settings),
                        sync_interval_s=settings.sync_interval_s, backup_dir=settings.backup_dir,
                        settings=settings)
    window.show()
    smoke = getattr(args, "smoke", None)
    bench_page = os.environ.get("LEADDESK_BENCH_EXIT_AFTER_LOAD")
    if smoke is not None:
        window.load()
        _exit_after_first_paint(app, window, smoke)
    elif bench_page:
        _exit_when_loaded(app, window, bench_page)
    else:
        window.load()
        window.start_reminders()  # those missed while the app was closed, then once a minute
    watcher = ChangeWatcher(db)
    watcher.start()
    code = app.exec()
    watcher.stop()
    from leaddesk.ui.jobs import pools

    pools.wait()
    db.dispose()
    return code


SMOKE_TIMEOUT_S = 60


def _exit_after_first_paint(app, window, shot: str) -> None:
    """``leaddesk gui --smoke [FILE.png]``: once the window has been painted on the real
    screen and the start-up reads are done, print one line (and save a screenshot of the
    screen), then quit with 0; 1 when nothing was painted within a minute."""
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer

    from leaddesk.ui.jobs import pools

    started = time.monotonic()
    result = {"painted": None}

    def finish() -> None:
        if pools._busy:  # the first page's data is still on its way: paint that too
            QTimer.singleShot(50, finish)
            return
        app.processEvents()
        painted = result["painted"] - started
        screen = window.screen()
        size = f"{screen.size().width()}x{screen.size().height()}" if screen is not None else "unknown"
        print(f"LeadDesk smoke: window '{window.windowTitle()}' {window.width()}x{window.height()} "
              f"on {app.platformName()} (screen {size}), "
              f"page {window.current_page_name()}"
              f"{', first-start panel' if window.first_start_shown() else ''}, "
              f"painted after {painted:.2f} s", flush=True)
        if shot:
            image = screen.grabWindow(0) if screen is not None else window.grab()
            if image.isNull() or (image.width() <= 1 and image.height() <= 1):
                image = window.grab()  # platforms that cannot read the screen back
            if not image.save(shot):
                print(f"leaddesk: error: could not write {shot}", file=sys.stderr)
                app.exit(1)
                return
            print(shot, flush=True)
        window.close()
        app.exit(0)

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and result["painted"] is None:
                result["painted"] = time.monotonic()
                QTimer.singleShot(300, finish)  # let the rest of the first frame land
            return False

    watcher = FirstPaint(window)
    window.installEventFilter(watcher)
    for child in (window.nav, window.pages, window.first_start):
        child.installEventFilter(watcher)

    def give_up() -> None:
        if result["painted"] is None:
            print(f"leaddesk: error: the window was not painted within {SMOKE_TIMEOUT_S} s "
                  f"(platform {app.platformName()})", file=sys.stderr)
            app.exit(1)

    QTimer.singleShot(SMOKE_TIMEOUT_S * 1000, give_up)


def _exit_when_loaded(app, window, page: str) -> None:
    """Benchmark hook: print how long until the named page had its data, then quit.
    ``LEADDESK_BENCH_T0`` is the parent's time.time() just before it started us."""
    import resource
    import time

    from PySide6.QtCore import QTimer

    t0 = float(os.environ.get("LEADDESK_BENCH_T0", "0")) or None

    def done(*_args):
        usable = time.time() - t0 if t0 else -1
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rss_mb = peak_mb
        try:  # the resident size now, with the page loaded (Linux)
            with open("/proc/self/status") as fh:
                rss_mb = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS")) / 1024
        except (OSError, StopIteration):
            pass
        print(f"usable_s={usable:.3f}\npeak_rss_mb={peak_mb:.1f}\nrss_mb={rss_mb:.1f}", flush=True)
        QTimer.singleShot(0, app.quit)

    if page == "pipeline":
        window.pipeline_page.board_loaded.connect(done)
    else:
        window.accounts_page.model.page_loaded.connect(done)
    window.show_page(page if page in ("pipeline", "accounts") else "accounts")


def run_screenshot(args) -> int:
    """Render a view of the current database to a PNG without a screen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from leaddesk.ui.jobs import pools
    from leaddesk.ui.shell.main_window import MainWindow

    app = _make_app(sys.argv[:1])
    try:
        db = open_for_gui(args)
    except LeadDeskError as exc:
        print(f"leaddesk: error: {exc}", file=sys.stderr)
        return 2
    pools.use_sync()
    width, height = (int(x) for x in args.size.lower().split("x"))
    settings = load_settings(db_url=args.db)
    from PySide6.QtCore import QRect, Qt

    # Sized as on a screen of the requested size (board columns included), never maximised
    # to the offscreen platform's own 800x800 screen.
    window = MainWindow(db, user_label=_user_label(db), hub_url=_hub_for(settings), settings=settings,
                        sync_interval_s=0, screen_area=QRect(0, 0, width, height))
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(width, height)
    window.show()
    window.load()
    dialog_widget = None
    if args.view == "sync":
        window.sync.sync_now()  # a real sync with the team server, then the status bar
        window.show_page("pipeline")
    elif args.view in ("conflicts", "duplicates", "trash"):
        opener = {"conflicts": window.open_conflicts, "duplicates": window.open_duplicates,
                  "trash": window.open_trash}[args.view]
        dialog_widget = opener()
        dialog_widget.resize(min(width - 60, 1180), min(height - 120, 640))
    else:
        window.show_view(args.view, query=args.query)
    for _ in range(5):
        app.processEvents()
    image = window.grab()
    if args.view == "search":
        dialog_widget = window.search_dialog
    if dialog_widget is not None:
        # A dialog over the window: paint it where it would appear.
        from PySide6.QtGui import QColor, QPainter, QPen

        dialog = dialog_widget.grab()
        painter = QPainter(image)
        painter.fillRect(image.rect(), QColor(0, 0, 0, 70))  # the modal dialog dims the window
        x, y = (image.width() - dialog.width()) // 2, max(20, (image.height() - dialog.height()) // 3)
        painter.drawPixmap(x, y, dialog)
        painter.setPen(QPen(QColor(0, 0, 0, 120), 1))
        painter.drawRect(x - 1, y - 1, dialog.width() + 1, dialog.height() + 1)
        painter.end()
    ok = image.save(args.out)
    db.dispose()
    if not ok:
        print(f"leaddesk: error: could not write {args.out}", file=sys.stderr)
        return 2
    print(args.out)
    return 0
