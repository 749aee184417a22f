"""Language and layout direction.

``LEADDESK_LANG`` (e.g. ``fa``, ``ar``, ``de``) overrides the system locale. Qt's own
translations are loaded when installed; LeadDesk's (``resources/translations/leaddesk_<lang>.qm``)
when present. Right-to-left languages flip every layout.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

_translators: list[QTranslator] = []
TRANSLATIONS = Path(__file__).resolve().parents[1] / "resources" / "translations"


def setup_language(app: QApplication, lang: str | None = None) -> QLocale:
    lang = lang or os.environ.get("LEADDESK_LANG")
    locale = QLocale(lang) if lang else QLocale.system()
    QLocale.setDefault(locale)
    for tr in _translators:
        app.removeTranslator(tr)
    _translators.clear()
    qt_tr = QTranslator(app)
    if qt_tr.load(locale, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt_tr)
        _translators.append(qt_tr)
    own = QTranslator(app)
    if own.load(locale, "leaddesk", "_", str(TRANSLATIONS)):
        app.installTranslator(own)
        _translators.append(own)
    app.setLayoutDirection(locale.textDirection())
    return locale
