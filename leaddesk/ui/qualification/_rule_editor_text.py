"""The rule editor's sentences about a preview and a rescore, and its rescore progress
(a mixin of :class:`~leaddesk.ui.qualification.rule_editor.RuleEditorDialog`)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from leaddesk.errors import LeadDeskError
from leaddesk.services.qualification.rule_preview import RulePreview
from leaddesk.ui.qualification.temperature import grade_label


def _tr(text: str) -> str:
    return QCoreApplication.translate("RuleEditor", text)


def preview_text(result) -> str:
    if isinstance(result, LeadDeskError):
        return _tr("Preview: not possible yet: {0}").format(result)
    if isinstance(result, BaseException):
        return _tr("Preview failed: {0}").format(result)
    if not isinstance(result, RulePreview) or result.cancelled:
        return _tr("Preview: counting…")
    text = _tr("Preview: this rule hits <b>{0}</b> of {1} leads; <b>{2}</b> would change temperature.").format(
        f"{result.hits:,}", f"{result.contacts:,}", f"{result.temperature_changes:,}")
    if result.moves:
        moves = sorted(result.moves.items(), key=lambda kv: -kv[1])
        text += "<br>" + ", ".join(f"{n:,} {grade_label(a).lower()} → {grade_label(b).lower()}"
                                   for (a, b), n in moves)
    return text


def rescore_text(result) -> str:
    if isinstance(result, BaseException):
        return _tr("Rescoring stopped: {0}").format(result)
    if getattr(result, "cancelled", False):
        return _tr("Rescoring was stopped.")
    return _tr("All {0} leads rescored with the current rules: {1} scores changed.").format(
        f"{result.scored:,}", f"{result.changed:,}")


class RescoreStatus:
    """The progress bar and status line of the background rescore (mixed into the dialog)."""

    def _on_rescore_started(self) -> None:
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText(_tr("Rescoring all leads with the new rules…"))

    def _on_rescore_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.show()
        self.status.setText(_tr("Rescoring all leads: {0} of {1}…").format(f"{done:,}", f"{total:,}"))

    def _on_rescore_finished(self, result) -> None:
        self.progress.hide()
        self.status.setText(rescore_text(result))
        if isinstance(result, BaseException):
            self._failed(result)
