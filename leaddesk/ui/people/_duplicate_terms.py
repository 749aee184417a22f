"""The duplicate review's words and constants: field labels, the two kinds, the short forms.

Pure text rules (no widgets, no database), shared by the candidates model, the side-by-side
comparison and the dialog, so each of those can live apart and still say things one way.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from leaddesk.ui.widgets.stage_badges import seniority_label, source_label, stage_label


def tr(text: str) -> str:
    return QCoreApplication.translate("duplicates", text)


FIELD_LABELS = {
    "given_name": "First name", "family_name": "Last name", "job_title": "Job title",
    "department": "Department", "seniority": "Seniority", "account_id": "Company", "street": "Street",
    "city": "City", "region": "Region", "postal_code": "Postal code", "country": "Country",
    "owner_id": "Owner", "lifecycle_stage": "Stage", "source": "Source", "campaign_id": "Campaign",
    "persona_id": "Persona", "notes": "Notes", "website": "Website",
}
ACCOUNT_FIELD_LABELS = {
    "name": "Name", "website": "Website", "industry": "Industry", "employees": "Employees",
    "annual_revenue": "Annual revenue", "country": "Country", "city": "City", "phone": "Phone",
    "owner_id": "Owner", "tags": "Tags", "notes": "Notes",
}
CONTACT, ACCOUNT = "contact", "account"
#: Per kind: (list header of the first column, what a merge moves, "different ..." for a dismissal).
KINDS = {
    CONTACT: ("Contact", "e-mail, phone, activity and deal", "people"),
    ACCOUNT: ("Account", "contact, deal and activity", "companies"),
}
#: Vocabulary fields shown with the labels the rest of the app uses.
LABELS = {"seniority": seniority_label, "lifecycle_stage": stage_label, "source": source_label}
#: Short forms of the service's reasons, for the list ("Same e-mail: a@b" -> "E-mail").
REASON_KINDS = {"Same e-mail": "E-mail", "Same phone": "Phone", "Similar name at the same company": "Name + company",
                "Same web domain": "Domain", "Same name": "Name", "Similar name": "Name"}
LEFT, RIGHT, BOTH = 0, 1, 2
ELIDE = 34


def _short(text: str | None, limit: int = ELIDE) -> str:
    if not text:
        return tr("(empty)")
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[:limit - 1] + "…"


def _shown(name: str, text: str | None) -> str | None:
    return LABELS[name](text) if text and name in LABELS else text


def _kind(cand) -> str:
    return getattr(cand, "entity", CONTACT)
