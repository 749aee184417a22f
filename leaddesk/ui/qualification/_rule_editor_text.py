"""The rule editor's sentences about a preview and a finished rescore."""

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
