"""The lead view: one contact's qualification at a glance, inside the contact panel.

It shows the score with its temperature (hot, warm, cold by the team's thresholds), fit and
interest, the fit x interest quadrant with what to do, the reasons (each rule that gives or
takes points, with how long ago the engagement was), the lifecycle stage's written
definition and entry criteria (tooltip, and a link that opens them), the persona (assigned,
else the best match) with why and its talking points, the HPIs met, the BANT state, and the
owner with the assignment time.

Everything comes from :func:`leaddesk.services.qualification.lead_view.lead_view`, read on
a worker (never on the UI thread) and read again when data it shows changes. The panel only
reads: viewing a lead never changes it.
"""

from __future__ import annotations

import datetime as dt
import html
import uuid

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from leaddesk.db import Database
from leaddesk.errors import NotFound
from leaddesk.models.enums import BantResult
from leaddesk.services.qualification.lead_view import LeadReason, LeadView, lead_view, reason_text
from leaddesk.ui.errors import show_error
from leaddesk.ui.widgets.sla_timer import SlaTimerLabel
from leaddesk.ui.formatting import format_moment
from leaddesk.ui.jobs import app_signals, run_read
from leaddesk.ui.qualification.bant_form import BantForm, open_bant_form
from leaddesk.ui.qualification.temperature import grade_badge_style_sheet, grade_label, quadrant_action, quadrant_label
from leaddesk.ui.widgets.stage_badges import isolated, stage_long_label
from leaddesk.ui.widgets.when_shown import WhenShown

#: Entities whose change can alter the lead view (a contact's only when it is this one).
RELEVANT = frozenset({"contact", "contact_email", "account", "app_user", "engagement_event", "bant", "persona",
                      "scoring_rule", "indicator", "team_setting", "funnel_stage_definition"})


def ago_text(at: dt.datetime, now: dt.datetime | None = None) -> str:
    """"today", "yesterday", "5 days ago" (whole days, in UTC)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    days = max(0, (now - at).days)
    if days == 0:
        return QCoreApplication.translate("LeadPanel", "today")
    if days == 1:
        return QCoreApplication.translate("LeadPanel", "yesterday")
    return QCoreApplication.translate("LeadPanel", "%n days ago", None, days)


class LeadPanel(QWidget):
    """The lead view of one contact; ``show_contact(id)`` loads it, ``None`` clears it."""

    loaded = Signal(object)  # LeadView

    def __init__(self, db: Database, parent=None):
        super().__init__(parent)
        self.db = db
        self.contact_id: uuid.UUID | None = None
        self.view: LeadView | None = None
        self._generation = 0
        self._when_shown = WhenShown(self, self.refresh)
        self._build()
        app_signals.data_changed.connect(self.on_data_changed)

    # --- building ---------------------------------------------------------------------
    def _label(self, name: str, *, rich: bool = False) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                      | (Qt.TextInteractionFlag.LinksAccessibleByMouse if rich
                                         else Qt.TextInteractionFlag.NoTextInteraction))
        return label

    def _build(self) -> None:
        title = QLabel(self.tr("Qualification"))
        title.setObjectName("sectionTitle")
        bold = title.font()
        bold.setBold(True)
        title.setFont(bold)
        self.temperature = QLabel()
        self.temperature.setObjectName("temperatureBadge")
        self.score = self._label("leadScore")
        self.score.setWordWrap(False)
        score_row = QHBoxLayout()
        score_row.addWidget(self.temperature)
        score_row.addWidget(self.score, 1)
        self.stale = self._label("leadStoredScore")
        self.stale.setEnabled(False)  # a side note, greyed
        self.quadrant = self._label("leadQuadrant")
        self.reasons = self._label("leadReasons")
        self.stage = self._label("leadStage", rich=True)
        self.stage.linkActivated.connect(lambda _link: self.show_definition())

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setContentsMargins(0, 0, 0, 0)
        self.persona = self._label("leadPersona")
        self.talking_points = self._label("leadTalkingPoints")
        self.indicators = self._label("leadIndicators")
        self.bant = self._label("leadBant")
        self.owner = self._label("leadOwner")
        for title_text, label in ((self.tr("Stage:"), self.stage), (self.tr("Persona:"), self.persona),
                                  (self.tr("Talking points:"), self.talking_points), (self.tr("HPIs:"), self.indicators),
                                  (self.tr("BANT:"), self.bant), (self.tr("Owner:"), self.owner)):
            form.addRow(title_text, label)
        self._form = form

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addLayout(score_row)
        layout.addWidget(self.stale)
        layout.addWidget(self.quadrant)
        layout.addWidget(self.reasons)
        self._add_sla_timer(layout)
        layout.addLayout(form)
        self._add_bant_button(layout)
        self._add_reassign_button(layout)
        self.setVisible(False)

    def _add_sla_timer(self, layout: QVBoxLayout) -> None:
        """The first-touch timer ("First touch due in 3 min", "SLA breached 2 h ago")."""
        self.sla_timer = SlaTimerLabel(self.db, self)
        layout.addWidget(self.sla_timer)

    def _add_bant_button(self, layout: QVBoxLayout) -> None:
        """The BANT form, opened on this contact (Ctrl+B in the contact detail)."""
        self.bant_button = QPushButton(self.tr("Qualify (BANT)…"))
        self.bant_button.setObjectName("qualifyBant")
        self.bant_button.setAutoDefault(False)
        self.bant_button.setToolTip(self.tr("Budget, authority, need and timing, by keyboard during the call (Ctrl+B)"))
        self.bant_button.clicked.connect(self.open_bant)
        self.bant_parts = self._label("leadBantParts")  # beside the button: the parts it edits
        row = QHBoxLayout()
        row.addWidget(self.bant_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.bant_parts, 1)
        layout.addLayout(row)

    def open_bant(self) -> BantForm | None:
        return open_bant_form(self, self.db, self.contact_id) if self.contact_id is not None else None

    def _add_reassign_button(self, layout) -> None:
        """"Reassign…" under the owner: opens the rep chooser (ui/qualification/reassign_dialog.py)."""
        self.reassign_button = QPushButton(self.tr("Reassign…"))
        self.reassign_button.setObjectName("leadReassign")
        self.reassign_button.setToolTip(self.tr("Give this lead to another rep, saying why"))
        self.reassign_button.clicked.connect(lambda: self.reassign())
        self.cadence_button = QPushButton(self.tr("Apply cadence…"))
        self.cadence_button.setObjectName("leadApplyCadence")
        self.cadence_button.setToolTip(self.tr("Start one of the team's series of follow-up steps on this lead"))
        self.cadence_button.clicked.connect(lambda: self.apply_cadence())
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cadence_button)
        row.addWidget(self.reassign_button)
        layout.addLayout(row)

    def reassign(self):
        from leaddesk.ui.qualification.reassign_dialog import open_reassign

        if self.contact_id is None:
            return None
        what = self.view.display_name if self.view is not None else self.tr("this lead")
        dialog = open_reassign(self, self.db, [self.contact_id], what)
        if self.view is not None and self.view.owner_id is not None:
            dialog.choose(self.view.owner_id)
        return dialog

    def apply_cadence(self):
        from leaddesk.ui.followups.cadence_dialog import open_apply_cadence

        if self.contact_id is None:
            return None
        what = self.view.display_name if self.view is not None else self.tr("this lead")
        return open_apply_cadence(self, self.db, [self.contact_id], what)

    # --- loading ----------------------------------------------------------------------
    def show_contact(self, contact_id) -> None:
        self.contact_id = contact_id
        self._generation += 1
        if contact_id is None:
            self.view = None
            self.sla_timer.show_contact(None)
            self.setVisible(False)
            return
        generation, db = self._generation, self.db
        self.sla_timer.show_contact(contact_id)
        run_read(self, lambda: lead_view(db, contact_id)).success(
            lambda view: self._on_loaded(generation, view)).failure(
            lambda exc: self._on_failed(generation, exc)).run()

    def refresh(self) -> None:
        if self.contact_id is not None:
            self.show_contact(self.contact_id)

    def on_data_changed(self, changes, _initiator) -> None:
        if self.contact_id is None:
            return
        if changes is not None:
            entities = getattr(changes, "entities", frozenset())
            ids = getattr(changes, "ids", frozenset())
            if self.contact_id not in ids and not (entities & (RELEVANT - {"contact"})):
                return
        self._when_shown.run(self.isVisible() or self.parentWidget() is None or self.parentWidget().isVisible())

    def _on_loaded(self, generation: int, view: LeadView) -> None:
        if generation != self._generation:
            return
        self.view = view
        self._fill(view)
        self.setVisible(True)
        self.loaded.emit(view)

    def _on_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.view = None
        self.setVisible(False)
        if not isinstance(exc, NotFound):  # the contact panel says "deleted" itself
            show_error(self, exc)

    # --- showing ----------------------------------------------------------------------
    def _fill(self, v: LeadView) -> None:
        self.temperature.setText(grade_label(v.grade))
        self.temperature.setStyleSheet(grade_badge_style_sheet(v.grade))
        self.temperature.setToolTip(self.tr("Hot from {0} points, warm from {1} (the team's thresholds)").format(
            v.thresholds.hot, v.thresholds.warm))
        self.score.setText(self.tr("{0} points · fit {1} · interest {2}").format(v.total, v.fit, v.interest))
        self.stale.setText(self.tr("The list shows {0}, stored before the current rules and data; "
                                   "it changes at the next rescoring.").format(v.stored_total))
        self.stale.setVisible(v.total != v.stored_total)
        self.quadrant.setText(f"{quadrant_label(v.quadrant)} → {quadrant_action(v.quadrant)}")
        self.reasons.setText("\n".join(self.reason_lines(v)) if v.reasons
                             else self.tr("No scoring rule gives or takes points yet."))
        self._fill_stage(v)
        self._fill_persona(v)
        self._set(self.indicators, self.hpi_text(v))
        self._set(self.bant, self.bant_text(v))
        self.bant_parts.setText(self.bant_parts_text(v.bant) if v.bant is not None else "")
        owner = v.owner_name or self.tr("Unassigned")
        if v.owner_name and v.assigned_at is not None:
            owner = self.tr("{0}, assigned {1}").format(owner, isolated(format_moment(v.assigned_at)))
        self._set(self.owner, owner)

    def hpi_text(self, v: LeadView) -> str:
        """"2 of 3 met" then ✓ met, ✗ not met, – not checkable (a written-only HPI)."""
        if not v.indicators:
            return self.tr("The team has named no HPIs yet.")
        met = {i.id for i in v.indicators_met}
        checkable = [i for i in v.indicators if i.checkable]
        marks = "\n".join(("✓ " + i.name) if i.id in met else ("✗ " + i.name) if i.checkable
                          else "– " + self.tr("{0} (not checkable)").format(i.name) for i in v.indicators)
        return self.tr("{0} of {1} met").format(len(met), len(checkable)) + "\n" + marks

    def reason_lines(self, v: LeadView) -> list[str]:
        # a true minus sign for the negative points, never in the rule's name
        return [reason_text(r, ago=self._ago(r)).replace("-", "−", 1) if r.points < 0
                else reason_text(r, ago=self._ago(r)) for r in v.reasons]

    def _ago(self, reason: LeadReason) -> str | None:
        return ago_text(reason.last_at) if reason.last_at is not None else None

    def _fill_stage(self, v: LeadView) -> None:
        name = html.escape(v.definition.name if v.definition else stage_long_label(v.stage))
        if v.definition is None:
            self.stage.setText(name)
            self.stage.setToolTip(self.tr("The team has not written down what this stage means yet."))
            return
        link = self.tr("what it means")
        self.stage.setText(f'{name} — <a href="definition">{html.escape(link)}</a>')
        tip = v.definition.definition
        if v.definition.entry_criteria:
            tip += "\n\n" + self.tr("Entry criteria: {0}").format(v.definition.entry_criteria)
        self.stage.setToolTip(tip)

    def _fill_persona(self, v: LeadView) -> None:
        match = v.persona
        if match is None:
            self._set(self.persona, self.tr("No persona matches yet."))
            self._set(self.talking_points, "")
            return
        why = "\n".join(match.reasons[:2])  # matching traits come first; all in the tooltip
        self.persona.setToolTip("\n".join(match.reasons))
        if v.persona_assigned:
            text = self.tr("{0} ({1} % match)").format(match.persona.name, match.score)
        else:
            text = self.tr("Best match: {0} ({1} %)").format(match.persona.name, match.score)
        if match.persona.avoid:
            text += " " + self.tr("— a profile the team avoids")
        self._set(self.persona, f"{text}\n{why}" if why else text)
        self._set(self.talking_points, match.persona.talking_points or "")

    def bant_text(self, v: LeadView) -> str:
        b = v.bant
        if b is None:
            return self.tr("Not qualified yet")
        when = isolated(format_moment(b.assessed_at)) if b.assessed_at else ""
        verdict = {BantResult.POSITIVE: self.tr("Positive"), BantResult.INCOMPLETE: self.tr("Incomplete"),
                   BantResult.NEGATIVE: self.tr("Negative")}[BantResult(b.result)]
        text = f"{verdict}: {', '.join(b.problems)}" if b.problems else verdict
        return self.tr("{0} ({1})").format(text, when) if when else text

    def bant_parts_text(self, b) -> str:
        """``"B yes · A partial · N yes · T unknown · re-qualify on 2027-03-06"``."""
        parts = " · ".join(f"{part[0].upper()} {status.value}" for part, status in b.statuses().items())
        if b.requalify_on is not None and BantResult(b.result) is not BantResult.POSITIVE:
            parts += " · " + self.tr("re-qualify on {0}").format(b.requalify_on.isoformat())
        return parts

    def _set(self, label: QLabel, text: str) -> None:
        label.setText(text)
        self._form.setRowVisible(label, bool(text))

    def show_definition(self) -> QMessageBox | None:
        """The stage's written definition and entry criteria, in a window (non-blocking)."""
        if self.view is None or self.view.definition is None:
            return None
        d = self.view.definition
        box = QMessageBox(QMessageBox.Icon.Information, d.name, d.definition, QMessageBox.StandardButton.Close, self)
        if d.entry_criteria:
            box.setInformativeText(self.tr("Entry criteria: {0}").format(d.entry_criteria))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box
