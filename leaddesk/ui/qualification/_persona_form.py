"""The persona editor's form: every field of a persona, in two tabs ("Who they are": what
matching reads; "What they care about": what a rep reads before the call), plus the
reviewed line. It holds no database: :meth:`PersonaForm.values` gives the fields as the
service takes them, :meth:`PersonaForm.load` shows a persona."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from leaddesk.models.enums import Seniority
from leaddesk.services.qualification.dto import PersonaDetail
from leaddesk.ui.widgets.stage_badges import country_name, seniority_label, territories

#: (field, label, placeholder) of the free texts, in the order of the second tab.
TEXTS = (
    ("goals", "Goals", "What they are measured on, what they want to reach"),
    ("motivations", "Motivations", "Why they would buy: what they gain"),
    ("background", "Background", "Education, career, the company they work in"),
    ("daily_activities", "Daily activities", "What a normal day looks like"),
    ("interests", "Interests", "Topics, events, publications they follow"),
    ("talking_points", "Talking points", "What to say first; what to ask"),
)
#: (field, label, placeholder) of the comma-separated lists of the first tab.
LISTS = (
    ("job_titles", "Role and title patterns", "e.g. Warehouse Manager, Head of Logistics (any language matches)"),
    ("departments", "Departments", "e.g. Logistics, Operations"),
    ("industries", "Industries", "e.g. Logistics, Retail"),
    ("countries", "Countries", "ISO codes or names, e.g. DE, AT, CH (empty: any country)"),
)
SENIORITIES = tuple(s for s in Seniority if s is not Seniority.UNKNOWN)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def months_since(when: dt.datetime | None, today: dt.date | None = None) -> int | None:
    if when is None:
        return None
    today = today or dt.date.today()
    return max(0, (today.year - when.year) * 12 + today.month - when.month - (today.day < when.day))


class PersonaForm(QWidget):
    """All fields of one persona. ``changed`` is emitted on every edit by the user."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tabs = QTabWidget()
        who, cares = QWidget(), QWidget()
        self.tabs.addTab(who, self.tr("Who they are"))
        self.tabs.addTab(cares, self.tr("What they care about"))
        outer = QVBoxLayout(who)
        form = QFormLayout()
        outer.addLayout(form)
        outer.addStretch(1)  # the rows keep their height; the space goes below them
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("e.g. Operations Olivia"))
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText(self.tr("Who this is, in a sentence or two"))
        self.description.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        form.addRow(self.tr("&Name:"), self.name)
        form.addRow(self.tr("Description:"), self.description)
        self.lists: dict[str, QLineEdit] = {}
        for key, label, hint in LISTS:
            edit = self.lists[key] = QLineEdit()
            edit.setPlaceholderText(self.tr(hint))
            edit.setObjectName(key)
            if key == "countries":
                box = QVBoxLayout()
                box.setContentsMargins(0, 0, 0, 0)
                self.country_names = QLabel()
                self.country_names.setWordWrap(True)
                self.country_names.setObjectName("countryNames")
                box.addWidget(edit)
                box.addWidget(self.country_names)
                form.addRow(self.tr("Countries:"), box)
                edit.textChanged.connect(self._show_country_names)
            else:
                form.addRow(self.tr(label) + ":", edit)
            if key == "job_titles":
                form.addRow(self.tr("Seniorities:"), self._seniority_boxes())
        sizes = QHBoxLayout()
        self.size_min, self.size_max = QSpinBox(), QSpinBox()
        for spin in (self.size_min, self.size_max):
            spin.setRange(0, 10_000_000)
            spin.setGroupSeparatorShown(True)
            spin.setSpecialValueText(self.tr("any"))
            spin.setMinimumWidth(110)
        sizes.addWidget(self.size_min)
        sizes.addWidget(QLabel(self.tr("to")))
        sizes.addWidget(self.size_max)
        sizes.addWidget(QLabel(self.tr("employees")))
        sizes.addStretch(1)
        form.addRow(self.tr("Company size:"), sizes)
        self.avoid = QCheckBox(self.tr("Avoid: this profile tends to end closed-lost (never matched to leads)"))
        form.addRow("", self.avoid)
        texts = QFormLayout(cares)
        self.texts: dict[str, QPlainTextEdit] = {}
        for key, label, hint in TEXTS:
            edit = self.texts[key] = QPlainTextEdit()
            edit.setPlaceholderText(self.tr(hint))
            edit.setTabChangesFocus(True)
            texts.addRow(self.tr(label) + ":", edit)
        self.description.setTabChangesFocus(True)
        self.reviewed = QLabel()
        self.reviewed.setObjectName("reviewedLine")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.reviewed)
        for w in (self.name, *self.lists.values()):
            w.textEdited.connect(self.changed)
        for w in (self.description, *self.texts.values()):
            w.textChanged.connect(self._text_changed)
        for w in (self.size_min, self.size_max):
            w.valueChanged.connect(self._value_changed)
        for w in (self.avoid, *self.seniorities.values()):
            w.clicked.connect(self.changed)
        self._loading = False
        self.load(None)

    def _seniority_boxes(self) -> QWidget:
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.seniorities: dict[Seniority, QCheckBox] = {}
        for i, s in enumerate(SENIORITIES):
            check = self.seniorities[s] = QCheckBox(seniority_label(s))
            grid.addWidget(check, i // 4, i % 4)
        return box

    def _text_changed(self) -> None:
        if not self._loading:
            self.changed.emit()

    def _value_changed(self, _value) -> None:
        if not self._loading:
            self.changed.emit()

    def _show_country_names(self) -> None:
        known = {code for _name, code in territories()}
        shown, unknown = [], []
        for part in _split(self.lists["countries"].text()):
            code = part.upper()
            if len(code) == 2 and code in known:
                shown.append(self.tr("{0} ({1})").format(country_name(code), code))
            elif len(code) == 2:
                unknown.append(part)
            else:
                shown.append(part)
        text = ", ".join(shown) if shown else self.tr("Any country")
        if unknown:
            text += " — " + self.tr("not ISO country codes: {0}").format(", ".join(unknown))
        self.country_names.setText(text)
        self.country_names.setStyleSheet("color: #b3261e;" if unknown else "")

    # --- values -------------------------------------------------------------------------

    def values(self) -> dict:
        """The fields as the service takes them."""
        out: dict = {"name": self.name.text(), "description": self.description.toPlainText()}
        out.update({key: _split(edit.text()) for key, edit in self.lists.items()})
        out["seniorities"] = [s.value for s, check in self.seniorities.items() if check.isChecked()]
        out["company_size_min"] = self.size_min.value() or None
        out["company_size_max"] = self.size_max.value() or None
        out.update({key: edit.toPlainText() for key, edit in self.texts.items()})
        out["avoid"] = self.avoid.isChecked()
        return out

    def load(self, persona: PersonaDetail | None) -> None:
        """Show ``persona`` (None: an empty form for a new one)."""
        self._loading = True
        try:
            p = persona
            self.name.setText(p.name if p else "")
            self.description.setPlainText((p.description or "") if p else "")
            for key, edit in self.lists.items():
                edit.setText(", ".join(getattr(p, key)) if p else "")
            for s, check in self.seniorities.items():
                check.setChecked(bool(p) and s in p.seniorities)
            self.size_min.setValue((p.company_size_min or 0) if p else 0)
            self.size_max.setValue((p.company_size_max or 0) if p else 0)
            for key, edit in self.texts.items():
                edit.setPlainText((getattr(p, key) or "") if p else "")
            self.avoid.setChecked(bool(p and p.avoid))
            self._show_country_names()
            self._show_reviewed(p)
        finally:
            self._loading = False

    def _show_reviewed(self, p: PersonaDetail | None) -> None:
        if p is None:
            self.reviewed.setText(self.tr("A new persona: save it to review it."))
            self.reviewed.setStyleSheet("")
            return
        months = months_since(p.reviewed_at)
        if months is None:
            text, stale = self.tr("Never reviewed. Personas change: review them with the team regularly."), True
        elif months == 0:
            text, stale = self.tr("Reviewed on {0}.").format(p.reviewed_at.date().isoformat()), False
        else:
            text = (self.tr("Not reviewed for 1 month (last on {0}).") if months == 1 else
                    self.tr("Not reviewed for {1} months (last on {0}).")).format(p.reviewed_at.date().isoformat(),
                                                                                  months)
            stale = months >= 6
        self.reviewed.setText(text)
        self.reviewed.setStyleSheet("color: #b3261e;" if stale else "")

    def set_read_only(self, read_only: bool) -> None:
        """For reps: everything shown, nothing editable, no "e.g. ..." hints in empty fields."""
        for w in (self.name, *self.lists.values(), self.description, *self.texts.values()):
            w.setReadOnly(read_only)
            if read_only:
                w.setPlaceholderText("—")
        for w in (self.size_min, self.size_max):
            w.setReadOnly(read_only)
            w.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons if read_only else QSpinBox.ButtonSymbols.UpDownArrows)
        for w in (self.avoid, *self.seniorities.values()):
            w.setEnabled(not read_only)
