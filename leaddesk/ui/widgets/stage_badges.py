"""The domain's vocabulary as people read it: lifecycle stages (labels, colours, a painted
badge delegate) and the other values the contact screens show (seniority, source, kinds
of e-mail and phone, countries), plus bidi helpers for numbers inside right-to-left text.

One place for these words, so the list, the detail panel, the filter, the editor and the
stage dialog all say "Marketing-qualified lead (MQL)" the same way.
"""

from __future__ import annotations

import functools
import re

from PySide6.QtCore import QCoreApplication, QLocale, QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from leaddesk.models.enums import EmailKind, LeadSource, LifecycleStage, PhoneKind, Seniority
from leaddesk.ui.itemmodels.roles import Roles

#: Funnel order (lead ... customer), then the two side exits.
STAGES: tuple[LifecycleStage, ...] = tuple(LifecycleStage)

#: Stages the service only accepts with a reason (contacts.NEEDS_REASON).
NEEDS_REASON = frozenset({LifecycleStage.NURTURE, LifecycleStage.DISQUALIFIED})

#: (background, text) of each stage's badge: light tints with dark text, readable on
#: light and dark palettes because the badge paints its own background.
_COLOURS: dict[LifecycleStage, tuple[str, str]] = {
    LifecycleStage.LEAD: ("#e3f2fd", "#0d47a1"),
    LifecycleStage.IQL: ("#e0f7fa", "#006064"),
    LifecycleStage.MQL: ("#ede7f6", "#4527a0"),
    LifecycleStage.SQL: ("#fff3e0", "#b34700"),
    LifecycleStage.OPPORTUNITY: ("#fff8e1", "#7a5300"),
    LifecycleStage.CUSTOMER: ("#e8f5e9", "#1b5e20"),
    LifecycleStage.NURTURE: ("#fce4ec", "#880e4f"),
    LifecycleStage.DISQUALIFIED: ("#eceff1", "#455a64"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("StageBadges", text)


def stage_label(stage: LifecycleStage | str | None) -> str:
    """Short label for tables and badges ("MQL", "Nurture")."""
    if stage is None:
        return ""
    labels = {
        LifecycleStage.LEAD: _tr("Lead"),
        LifecycleStage.IQL: _tr("IQL"),
        LifecycleStage.MQL: _tr("MQL"),
        LifecycleStage.SQL: _tr("SQL"),
        LifecycleStage.OPPORTUNITY: _tr("Opportunity"),
        LifecycleStage.CUSTOMER: _tr("Customer"),
        LifecycleStage.NURTURE: _tr("Nurture"),
        LifecycleStage.DISQUALIFIED: _tr("Disqualified"),
    }
    return labels[LifecycleStage(stage)]


def stage_long_label(stage: LifecycleStage | str) -> str:
    """Spelled-out label for menus and filters ("Marketing-qualified lead (MQL)")."""
    labels = {
        LifecycleStage.LEAD: _tr("Lead"),
        LifecycleStage.IQL: _tr("Information-qualified lead (IQL)"),
        LifecycleStage.MQL: _tr("Marketing-qualified lead (MQL)"),
        LifecycleStage.SQL: _tr("Sales-qualified lead (SQL)"),
        LifecycleStage.OPPORTUNITY: _tr("Opportunity"),
        LifecycleStage.CUSTOMER: _tr("Customer"),
        LifecycleStage.NURTURE: _tr("Nurture"),
        LifecycleStage.DISQUALIFIED: _tr("Disqualified"),
    }
    return labels[LifecycleStage(stage)]


def stage_colours(stage: LifecycleStage | str) -> tuple[QColor, QColor]:
    """(background, text) colours of a stage's badge."""
    bg, fg = _COLOURS[LifecycleStage(stage)]
    return QColor(bg), QColor(fg)


def badge_style_sheet(stage: LifecycleStage | str) -> str:
    """Style sheet that turns a QLabel into the stage's badge (detail panel)."""
    bg, fg = _COLOURS[LifecycleStage(stage)]
    return (f"QLabel {{ background: {bg}; color: {fg}; border: 1px solid {fg}; border-radius: 9px;"
            " padding: 1px 8px; font-weight: 600; }")


class StageBadgeDelegate(QStyledItemDelegate):
    """Paints a row's lifecycle stage as a coloured pill (from ``Roles.ROW`` only, no I/O);
    a subclass paints another value the same way by overriding :meth:`colours`."""

    H_PAD = 8
    V_MARGIN = 3

    def colours(self, index: QModelIndex) -> tuple[QColor, QColor] | None:
        """(background, text) of the row's pill, None for a plain cell. Other badges
        (the lead's temperature) override this and keep the painting."""
        stage = getattr(index.data(Roles.ROW), "lifecycle_stage", None)
        return stage_colours(stage) if stage is not None else None

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        colours = self.colours(index)
        if colours is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        bg, fg = colours
        metrics = QFontMetrics(opt.font)
        size = QSize(metrics.horizontalAdvance(text) + 2 * self.H_PAD,
                     min(metrics.height() + 4, opt.rect.height() - 2 * self.V_MARGIN))
        area = opt.rect.adjusted(4, 0, -4, 0)
        size.setWidth(min(size.width(), area.width()))
        # alignedRect mirrors the leading edge for right-to-left layouts.
        pill = QStyle.alignedRect(opt.direction, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                  size, area)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(fg)
        painter.setBrush(bg)
        radius = pill.height() / 2
        painter.drawRoundedRect(QRectF(pill).adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
        painter.setPen(fg)
        painter.setFont(opt.font)
        elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, pill.width() - 2 * self.H_PAD + 2)
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), elided)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        metrics = QFontMetrics(option.font)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        width = metrics.horizontalAdvance(text) + 2 * self.H_PAD + 8
        return QSize(max(base.width(), width), max(base.height(), metrics.height() + 4 + 2 * self.V_MARGIN))


# --- the other vocabularies of a contact ---------------------------------------------
def _label_tr(text: str) -> str:
    return QCoreApplication.translate("ContactLabels", text)


def seniority_label(value: Seniority | str | None) -> str:
    labels = {
        Seniority.UNKNOWN: _label_tr("Not known"), Seniority.ENTRY: _label_tr("Entry level"), Seniority.SENIOR: _label_tr("Senior"),
        Seniority.MANAGER: _label_tr("Manager"), Seniority.DIRECTOR: _label_tr("Director"), Seniority.VP: _label_tr("Vice president"),
        Seniority.C_LEVEL: _label_tr("C-level"), Seniority.OWNER: _label_tr("Owner"),
    }
    return labels[Seniority(value or Seniority.UNKNOWN)]


def source_label(value: LeadSource | str | None) -> str:
    if value is None:
        return _label_tr("Not recorded")
    labels = {
        LeadSource.TRADE_SHOW: _label_tr("Trade show"), LeadSource.WEB_FORM: _label_tr("Web form"),
        LeadSource.NEWSLETTER: _label_tr("Newsletter"), LeadSource.WEBINAR: _label_tr("Webinar"),
        LeadSource.CONTENT_DOWNLOAD: _label_tr("Content download"), LeadSource.REFERRAL: _label_tr("Referral"),
        LeadSource.COLD_CALL: _label_tr("Cold call"), LeadSource.COLD_EMAIL: _label_tr("Cold e-mail"),
        LeadSource.PAID_ADS: _label_tr("Paid ads"), LeadSource.SOCIAL: _label_tr("Social media"),
        LeadSource.BUSINESS_CARD: _label_tr("Business card"), LeadSource.IMPORT: _label_tr("Import"),
        LeadSource.OTHER: _label_tr("Other"),
    }
    return labels[LeadSource(value)]


def email_kind_label(value: EmailKind | str) -> str:
    return {EmailKind.WORK: _label_tr("Work"), EmailKind.HOME: _label_tr("Home"), EmailKind.OTHER: _label_tr("Other")}[EmailKind(value)]


def phone_kind_label(value: PhoneKind | str) -> str:
    labels = {PhoneKind.WORK: _label_tr("Work"), PhoneKind.MOBILE: _label_tr("Mobile"), PhoneKind.HOME: _label_tr("Home"),
              PhoneKind.FAX: _label_tr("Fax"), PhoneKind.OTHER: _label_tr("Other")}
    return labels[PhoneKind(value)]


def ltr(text: str | None) -> str | None:
    """Keep a phone number or an e-mail address left-to-right inside right-to-left text
    (Unicode isolate), so "+90 212 555 0101" never shows as "0101 555 212 90+"."""
    return f"\u2066{text}\u2069" if text else text


def isolated(text: str | None) -> str | None:
    """Keep a value (a date) in its own direction inside surrounding text."""
    return f"\u2068{text}\u2069" if text else text


@functools.cache
def territories() -> tuple[tuple[str, str], ...]:
    """(name, ISO 3166 alpha-2 code) of every country Qt knows, by name."""
    found: dict[str, str] = {}
    for territory in QLocale.Country:
        code = QLocale.territoryToCode(territory)
        if len(code) == 2 and code.isalpha() and code not in found:
            found[code] = QLocale.territoryToString(territory)
    return tuple(sorted(((name, code) for code, name in found.items()), key=lambda p: p[0].casefold()))


def country_name(code: str | None) -> str:
    """"TR" -> "Türkiye" (the code itself if Qt does not know it)."""
    if not code:
        return ""
    territory = QLocale.codeToTerritory(code)
    return QLocale.territoryToString(territory) if territory != QLocale.Country.AnyTerritory else code


def country_choice(code: str | None) -> str:
    """How the country field shows a stored code: "Türkiye (TR)"."""
    return _label_tr("{0} ({1})").format(country_name(code), code) if code else ""


_CODE_AT_END = re.compile(r"\(([A-Za-z]{2})\)\s*$")


def country_input(text: str) -> str | None:
    """The country field's text as the service takes it: the code of a picked
    "Name (XX)" entry, else what was typed (a name or code the service resolves)."""
    text = text.strip()
    match = _CODE_AT_END.search(text)
    return match.group(1).upper() if match else (text or None)
