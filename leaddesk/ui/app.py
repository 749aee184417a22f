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

    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName(state.ORG)
    app.setApplicationName(state.APP)
    app.setApplicationDisplayName("LeadDesk")
    return app


def open_for_gui(args):
    """Open (upgrade, and seed if empty) the database the command line names."""
    from leaddesk.bootstrap import open_database
    from leaddesk.services import setup

    settings = load_settings(db_url=args.db)
    db = open_database(settings)
    if db.write.actor_id is None:
        setup.initialize(db)
    return db


def _user_label(db) -> str | None:
    from leaddesk.services.info import database_info

    return database_info(db).acting_user


def run_gui(args) -> int:
    from PySide6.QtWidgets import QMessageBox

    from leaddesk.ui.errors import install_excepthooks
    from leaddesk.ui.widgets.main_window import MainWindow

    logging.basicConfig(level=logging.INFO)
    app = _make_app(sys.argv)
    install_excepthooks()
    try:
        db = open_for_gui(args)
    except LeadDeskError as exc:
        QMessageBox.critical(None, "LeadDesk", str(exc))
        print(f"leaddesk: error: {exc}", file=sys.stderr)
        return 2
    window = MainWindow(db, user_label=_user_label(db))
    window.show()
    window.load()
    code = app.exec()
    from leaddesk.ui.jobs import pools

    pools.wait()
    db.dispose()
    return code


def run_screenshot(args) -> int:
    """Render a view of the current database to a PNG without a screen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from leaddesk.ui.jobs import pools
    from leaddesk.ui.widgets.main_window import MainWindow

    app = _make_app(sys.argv[:1])
    try:
        db = open_for_gui(args)
    except LeadDeskError as exc:
        print(f"leaddesk: error: {exc}", file=sys.stderr)
        return 2
    pools.use_sync()
    width, height = (int(x) for x in args.size.lower().split("x"))
    window = MainWindow(db, user_label=_user_label(db))
    window.resize(width, height)
    window.show()
    window.load()
    window.show_view(args.view, query=args.query) if hasattr(window, "show_view") else None
    for _ in range(5):
        app.processEvents()
    ok = window.grab().save(args.out)
    db.dispose()
    if not ok:
        print(f"leaddesk: error: could not write {args.out}", file=sys.stderr)
        return 2
    print(args.out)
    return 0
