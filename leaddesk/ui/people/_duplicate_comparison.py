"""The duplicate review's right side: two records side by side, a choice per differing field.

Apart from the dialog (a widget the dialog assembles): it shows one pair and reports the
choices; the dialog runs the merge.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QButtonGroup, QFrame, QGridLayout, QLabel, QRadioButton, QScrollArea, QWidget

from leaddesk.services.people import account_merge_rules, contact_merge_rules, duplicates
from leaddesk.ui.formatting import format_date
from leaddesk.ui.people._duplicate_terms import (
    ACCOUNT,
    ACCOUNT_FIELD_LABELS,
    BOTH,
    FIELD_LABELS,
    LEFT,
    RIGHT,
    _kind,
    _short,
    _shown,
    tr,
)


class ContactComparison(QScrollArea):
    """The two records (contacts or accounts) side by side; a pair of radio buttons per
    differing field."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.candidate: duplicates.CandidateInfo | None = None
        self.groups: dict[str, QButtonGroup] = {}

    def show_pair(self, cand) -> None:
        account = _kind(cand) == ACCOUNT
        fields = account_merge_rules.MERGE_FIELDS if account else contact_merge_rules.MERGE_FIELDS
        labels = ACCOUNT_FIELD_LABELS if account else FIELD_LABELS
        both_allowed = account_merge_rules.BOTH_ALLOWED if account else contact_merge_rules.BOTH_ALLOWED
        self.candidate = cand
        self.groups = {}
        body = QWidget()
        grid = QGridLayout(body)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        bold = QFont(body.font())
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.1)
        for col, side in ((1, cand.a), (2, cand.b)):
            head = QLabel(side.display_name)
            head.setFont(bold)
            head.setWordWrap(True)
            grid.addWidget(head, 0, col)
            if account:
                where = " · ".join(x for x in (side.domain, side.place) if x)
                sub = QLabel(where or tr("No website or place"))
                sub.setEnabled(bool(where))
            else:
                sub = QLabel(side.company or tr("No company"))
                sub.setEnabled(bool(side.company))
            sub.setWordWrap(True)
            grid.addWidget(sub, 1, col)
        row = 2
        hint = QLabel(tr("Where they differ, pick the value to keep:"))
        hint.setWordWrap(True)
        grid.addWidget(hint, row, 0, 1, 3)
        row += 1
        for name in fields:
            left, right = _shown(name, cand.a.values.get(name)), _shown(name, cand.b.values.get(name))
            if left is None and right is None:
                continue
            label = QLabel(tr(labels[name]))
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(label, row, 0)
            if left == right:
                same = QLabel(_short(left))
                same.setToolTip(left or "")
                same.setEnabled(False)
                grid.addWidget(same, row, 1, 1, 2)
            else:
                self._choice(grid, row, name, left, right)
                if name in both_allowed and left and right:
                    row += 1
                    both = QRadioButton(tr("Keep both tags") if name == "tags" else tr("Keep both notes"))
                    both.setObjectName(f"{name}_both")
                    self.groups[name].addButton(both, BOTH)
                    grid.addWidget(both, row, 1, 1, 2)
                    both.setChecked(True)
            row += 1
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        grid.addWidget(line, row, 0, 1, 3)
        row += 1
        kept = QLabel(tr("Kept from both, whichever stays:"))
        kept.setFont(bold)
        grid.addWidget(kept, row, 0, 1, 3)
        row += 1
        loc = QLocale()
        kept = [
            (tr("Contacts"), loc.toString(cand.a.contact_count), loc.toString(cand.b.contact_count)),
        ] if account else [
            (tr("E-mails"), _lines(cand.a.emails), _lines(cand.b.emails)),
            (tr("Phones"), _lines(cand.a.phones), _lines(cand.b.phones)),
        ]
        kept += [
            (tr("Activities"), loc.toString(cand.a.activity_count), loc.toString(cand.b.activity_count)),
            (tr("Deals"), loc.toString(cand.a.opportunity_count), loc.toString(cand.b.opportunity_count)),
            (tr("Created"), _when(cand.a), _when(cand.b)),
        ]
        for title, left, right in kept:
            label = QLabel(title)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            grid.addWidget(label, row, 0)
            for col, text in ((1, left), (2, right)):
                value = QLabel(text)
                value.setToolTip(text)
                value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                grid.addWidget(value, row, col)
            row += 1
        grid.setRowStretch(row, 1)
        self.setWidget(body)

    def _choice(self, grid: QGridLayout, row: int, name: str, left: str | None, right: str | None) -> None:
        group = QButtonGroup(self)
        self.groups[name] = group
        for col, value, ident in ((1, left, LEFT), (2, right, RIGHT)):
            button = QRadioButton(_short(value))
            button.setToolTip(value or "")
            button.setObjectName(f"{name}_{'left' if ident == LEFT else 'right'}")
            group.addButton(button, ident)
            grid.addWidget(button, row, col)
        # Default: keep what is there; an empty side takes the other's value.
        group.button(RIGHT if left is None else LEFT).setChecked(True)

    def choose(self, name: str, side: int) -> None:
        self.groups[name].button(side).setChecked(True)

    def choices(self, survivor: int) -> dict[str, str]:
        """The choices for :func:`duplicates.merge` when the ``survivor`` side (LEFT/RIGHT) stays."""
        out = {}
        for name, group in self.groups.items():
            picked = group.checkedId()
            out[name] = "both" if picked == BOTH else ("survivor" if picked == survivor else "loser")
        return out


def _lines(items) -> str:
    return "\n".join(_short(i) for i in items) or "—"


def _when(side) -> str:
    if side.created_at is None:
        return "—"
    return format_date(side.created_at.astimezone().date(), today=dt.date.today())
