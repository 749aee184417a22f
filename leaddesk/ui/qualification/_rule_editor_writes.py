"""The rule editor's writes: save, delete and restore a rule (each followed by a rescore
of every lead in the background), and the thresholds. A mixin of
:class:`~leaddesk.ui.qualification.rule_editor.RuleEditorDialog`."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from leaddesk.services.qualification import rule_preview, scoring
from leaddesk.ui.jobs import run_write
from leaddesk.ui.qualification.rescoring import rescorer


def _tr(text: str) -> str:
    return QCoreApplication.translate("RuleEditor", text)


class RuleWrites:
    """Writes in the write worker; errors in the form's banner, on their field."""

    def save_rule(self) -> None:
        self.errors.clear()
        data, rule = self.rule_data(), self.rule
        if rule is None:
            work = lambda: scoring.create_rule(self.db, **data)  # noqa: E731
        else:
            work = lambda: scoring.update_rule(self.db, rule.id, expected_version=rule.version, **data)  # noqa: E731
        run_write(self, work).success(self._rule_saved).failure(self._failed).run()

    def _rule_saved(self, rule) -> None:
        self.rule = rule
        self.guard.mark_clean()
        self.status.setText(_tr("Saved “{0}”.").format(rule.name))
        self.reload(select=rule.id)
        rescorer.request(self.db)

    def delete_rule(self) -> None:
        rule = self.rule
        if rule is not None:
            run_write(self, lambda: scoring.delete_rule(self.db, rule.id, expected_version=rule.version)).success(
                lambda _c: self._changed_list(_tr("Deleted “{0}”.").format(rule.name))).failure(self._failed).run()

    def restore_rule(self) -> None:
        rule = self.rule
        if rule is not None and rule.deleted:
            run_write(self, lambda: scoring.restore_rule(self.db, rule.id, expected_version=rule.version)).success(
                lambda _c: self._changed_list(_tr("Restored “{0}”.").format(rule.name))).failure(self._failed).run()

    def _changed_list(self, text: str) -> None:
        self.guard.mark_clean()
        self.status.setText(text)
        self.rule = None
        self.reload()
        rescorer.request(self.db)

    def save_thresholds(self) -> None:
        self.errors.clear()
        hot, warm = self.hot.value(), self.warm.value()
        run_write(self, lambda: rule_preview.set_thresholds(self.db, hot=hot, warm=warm)).success(
            lambda t: self.status.setText(_tr("Thresholds saved: warm from {0}, hot from {1}.").format(
                t.warm, t.hot))).failure(self._failed).run()

    def _failed(self, exc) -> None:
        if not self.errors.show(exc):
            from leaddesk.ui.errors import show_error

            show_error(self, exc)
