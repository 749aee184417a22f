"""The Settings tab of the team settings dialog: every team setting
(:data:`leaddesk.services.settings.SPECS`) with its help text and an editor of its kind,
grouped; Save writes the changed ones in one unit of work
(:func:`~leaddesk.services.settings.set_settings`), and a refused value is shown on its
field (outlined, with the sentence beside it and in the banner)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from leaddesk.db import Database
from leaddesk.services import settings as team_settings
from leaddesk.services import validation
from leaddesk.ui.jobs import run_read, run_write
from leaddesk.ui.team._cadences_edit import CadencesEdit
from leaddesk.ui.team._source_minutes import SourceMinutesEdit
from leaddesk.ui.widgets.form_errors import ERROR_RED, FormErrors


def _tr(text: str) -> str:
    return QCoreApplication.translate("TeamSettings", text)


#: (group title, keys) in screen order; a key no group names goes to "Other".
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Service levels (SLA)", ("sla_assign_hours", "sla_first_touch_minutes", "sla_first_touch_by_source",
                              "sla_first_week_calls", "sla_attempt_days", "monthly_lead_target")),
    ("Caps", ("lead_cap", "stale_lead_days")),
    ("Scoring thresholds", ("score_hot", "score_warm")),
    ("Qualification", ("bant_required", "requalify_days", "auto_handoff")),
    ("Defaults", ("default_currency", "default_region")),
    ("Cadences: follow-up steps applied to leads", ("cadences",)),
)
LABELS = {
    "sla_assign_hours": "Assign a new lead within", "sla_first_touch_minutes": "First touch within",
    "sla_first_week_calls": "Attempts in the first days",
    "sla_first_touch_by_source": "First touch by source", "sla_attempt_days": "First days of a lead", "monthly_lead_target": "Leads a month from marketing",
    "lead_cap": "Open leads per rep", "stale_lead_days": "Lead neglected after", "score_hot": "Hot from score",
    "score_warm": "Warm from score", "bant_required": "BANT parts required", "requalify_days": "Qualify again after",
    "auto_handoff": "Hand hot leads to sales", "default_currency": "Default currency",
    "default_region": "Default country", "cadences": "Cadences",
}
#: Settings whose editor takes the whole width (below the columns, without a label).
WIDE = frozenset({"cadences"})
SUFFIXES = {"sla_assign_hours": " h", "sla_first_touch_minutes": " min", "stale_lead_days": " days",
            "sla_attempt_days": " days",
            "requalify_days": " days"}
BANT_LABELS = {"budget": "Budget", "authority": "Authority", "need": "Need", "timing": "Timing"}


#: Settings edited on a screen of their own, not here: the caps per rep and per team
#: (Qualification ▸ Assignment & caps…, next to each rep's open leads).
ELSEWHERE = frozenset({"lead_cap_by_rep", "lead_cap_by_team"})


def grouped_keys() -> list[tuple[str, tuple[str, ...]]]:
    named = {k for _t, keys in GROUPS for k in keys} | ELSEWHERE
    groups = [(title, tuple(k for k in keys if k in team_settings.SPECS)) for title, keys in GROUPS]
    rest = tuple(k for k in team_settings.SPECS if k not in named)
    return groups + ([("Other", rest)] if rest else [])


class BantPartsEdit(QWidget):
    """The BANT parts that must be 'yes', as four check boxes."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for part in team_settings.BANT_PARTS:
            box = QCheckBox(_tr(BANT_LABELS[part]))
            box.setObjectName(f"bant_{part}")
            box.toggled.connect(lambda _c: self.changed.emit())
            self.boxes[part] = box
            row.addWidget(box)
        row.addStretch(1)

    def value(self) -> list[str]:
        return [p for p, box in self.boxes.items() if box.isChecked()]

    def set_value(self, parts) -> None:
        for part, box in self.boxes.items():
            box.setChecked(part in (parts or ()))


class SettingsTab(QWidget):
    """Every setting, its help and its editor. ``saved`` (dict of stored values) after a save."""

    saved = Signal(object)

    def __init__(self, db: Database, editable: bool, parent=None):
        super().__init__(parent)
        self.db = db
        self.editable = editable
        self.loaded: dict[str, Any] = {}
        self.editors: dict[str, QWidget] = {}
        self.inline: dict[str, QLabel] = {}
        self.errors = FormErrors(self, checks={"default_currency": lambda: self._check("default_currency"),
                                               "default_region": lambda: self._check("default_region")})
        body = QWidget()
        outer = QVBoxLayout(body)
        body_layout = QHBoxLayout()
        columns = (QVBoxLayout(), QVBoxLayout())
        wide_boxes: list[QGroupBox] = []
        groups = grouped_keys()
        for i, (title, keys) in enumerate(groups):
            box = QGroupBox(_tr(title))
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for key in keys:
                if key in WIDE:  # the whole width of the tab, without a label
                    form.addRow(self._row(key))
                else:
                    form.addRow(self._label(key), self._row(key))
            if set(keys) & WIDE:  # under the columns
                wide_boxes.append(box)
            elif i == 0:  # the SLA, with its grid of sources, across the top
                outer.addWidget(box)
            else:  # caps and defaults left; scoring and qualification right
                columns[0 if title in ("Caps", "Defaults", "Other") else 1].addWidget(box)
        for column in columns:
            column.addStretch(1)
            body_layout.addLayout(column, 1)
        outer.addLayout(body_layout, 1)
        for box in wide_boxes:
            outer.addWidget(box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        self.save_button = QPushButton(_tr("&Save settings"))
        self.save_button.setObjectName("saveSettings")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton(_tr("Re&vert"))
        self.revert_button.clicked.connect(lambda: self._fill(self.loaded))
        self.message = QLabel()
        self.message.setObjectName("settingsMessage")
        self.message.setStyleSheet("QLabel#settingsMessage { color: #2e7d32; }")
        foot = QHBoxLayout()
        foot.addWidget(self.message, 1)
        foot.addWidget(self.revert_button)
        foot.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(foot)
        self.errors.install(layout)
        for w in (self.save_button, self.revert_button):
            w.setVisible(editable)
            w.setAutoDefault(False)

    # --- building -------------------------------------------------------------------------
    def _editor(self, key: str) -> QWidget:
        spec = team_settings.SPECS[key]
        if key == "bant_required":
            editor = BantPartsEdit()
            editor.setEnabled(self.editable)
        elif key == "cadences":
            editor = CadencesEdit(read_only=not self.editable)
        elif spec.kind is dict:
            editor = SourceMinutesEdit()
            editor.setReadOnly(not self.editable)
        elif spec.kind is bool:
            editor = QCheckBox()
            editor.setEnabled(self.editable)
        elif spec.kind is int:
            editor = QSpinBox()
            editor.setRange(spec.minimum if spec.minimum is not None else 0, 1_000_000)
            editor.setSuffix(_tr(SUFFIXES.get(key, "")))
            editor.setFixedWidth(120)
            editor.setReadOnly(not self.editable)
            editor.setButtonSymbols(QSpinBox.ButtonSymbols.UpDownArrows if self.editable
                                    else QSpinBox.ButtonSymbols.NoButtons)
        else:
            editor = QLineEdit()
            editor.setReadOnly(not self.editable)
            if key == "default_currency":
                editor.setMaxLength(3)
                editor.setPlaceholderText(_tr("ISO code, e.g. EUR"))
            elif key == "default_region":
                editor.setPlaceholderText(_tr("ISO code or name, e.g. DE"))
            editor.setFixedWidth(120)
        editor.setObjectName(f"setting_{key}")
        editor.setAccessibleName(_tr(LABELS.get(key, key)))
        return editor

    def _label(self, key: str) -> QLabel:
        label = QLabel(_tr(LABELS.get(key, key.replace("_", " ").capitalize())))
        longest = max((_tr(t) for t in LABELS.values()), key=len)
        label.setMinimumWidth(label.fontMetrics().horizontalAdvance(longest) + 8)
        return label

    def _row(self, key: str) -> QWidget:
        spec = team_settings.SPECS[key]
        editor = self.editors[key] = self._editor(key)
        self.errors.add_field(key, editor)
        error = self.inline[key] = QLabel()
        error.setObjectName(f"error_{key}")
        error.setStyleSheet(f"color: {ERROR_RED};")
        error.setWordWrap(True)
        error.hide()
        for name in ("valueChanged", "toggled", "textEdited", "changed"):
            signal = getattr(editor, name, None)
            if signal is not None:
                signal.connect(lambda *_a: self._sync_inline())
        help_label = QLabel(_tr(spec.help))
        help_label.setWordWrap(True)
        help_label.setEnabled(False)  # the palette's quieter text
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        wide = isinstance(editor, (BantPartsEdit, SourceMinutesEdit, CadencesEdit))
        line.addWidget(editor, 1 if wide else 0)
        line.addWidget(error, 0 if isinstance(editor, CadencesEdit) else 1)
        line.addStretch(0 if wide else 1)
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 2)
        column.setSpacing(1)
        column.addLayout(line)
        column.addWidget(help_label)
        return cell

    # --- values ---------------------------------------------------------------------------
    def value_of(self, key: str) -> Any:
        editor = self.editors[key]
        if isinstance(editor, (BantPartsEdit, SourceMinutesEdit, CadencesEdit)):
            return editor.value()
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QSpinBox):
            return editor.value()
        return editor.text().strip()

    def set_value(self, key: str, value: Any) -> None:
        editor = self.editors[key]
        if isinstance(editor, (BantPartsEdit, SourceMinutesEdit, CadencesEdit)):
            editor.set_value(value)
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value))
        else:
            editor.setText("" if value is None else str(value))

    def changed_values(self) -> dict[str, Any]:
        return {k: self.value_of(k) for k in self.editors if self.value_of(k) != self.loaded.get(k)}

    def _check(self, key: str) -> None:
        text = self.value_of(key)
        if key == "default_currency":
            validation.currency(text, field=key)
        else:
            validation.country(text, field=key)

    # --- loading and saving ---------------------------------------------------------------
    def reload(self) -> None:
        run_read(self, lambda: team_settings.get_settings(self.db)).success(self._fill).run()

    def _fill(self, values: dict[str, Any]) -> None:
        self.loaded = dict(values)
        for key, value in values.items():
            if key in self.editors:
                self.set_value(key, value)
        self.errors.clear()
        self._sync_inline()

    def save(self) -> None:
        if not self.editable:
            return
        changes = self.changed_values()
        self.errors.clear()
        self._sync_inline()
        if not changes:
            self.message.setText(_tr("Nothing to save: no setting was changed."))
            return
        db = self.db
        run_write(self, lambda: team_settings.set_settings(db, changes)).success(self._saved).failure(
            self._failed).run()

    def _saved(self, stored: dict[str, Any]) -> None:
        self.loaded.update(stored)
        for key, value in stored.items():
            self.set_value(key, value)  # as stored: "usd" comes back "USD"
        self.message.setText(_tr("Saved {0} setting(s).").format(len(stored)))
        self.saved.emit(dict(self.loaded))

    def _failed(self, exc: BaseException) -> None:
        self.message.clear()
        if not self.errors.show(exc):
            from leaddesk.ui.errors import show_error

            show_error(self, exc)
        self._sync_inline()

    def _sync_inline(self) -> None:
        """The error sentence beside its field while the banner shows it."""
        field = self.errors.invalid_field if self.errors.is_shown() else None
        for key, label in self.inline.items():
            label.setVisible(key == field)
            label.setText(self.errors.label.text() if key == field else "")
