"""The Contacts list's columns: what each shows, where the special ones sit, their default widths.

A plain description of the list's item model (no widgets, no database), apart from the page
that shows it; the page and its tests name the columns through these constants.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from leaddesk.ui.widgets.sla_timer import list_cell_colour, list_cell_text
from leaddesk.ui.itemmodels.paged_table_model import Column
from leaddesk.ui.qualification.temperature import grade_label
from leaddesk.ui.widgets.stage_badges import ltr, stage_label

#: Until the user sizes a column, Phone, Stage and Score get what their text needs and the
#: other columns share the rest in these proportions (then the user's widths, kept by
#: ui/state.py, win).
COLUMN_WEIGHTS = {0: 1.5, 1: 0.9, 2: 1.0, 3: 1.0, 8: 0.7, 9: 0.7}
MIN_WIDTH = 56
PHONE_COLUMN = 4
STAGE_COLUMN = 5
SCORE_COLUMN = 6
TEMPERATURE_COLUMN = 7
PERSONA_COLUMN = 8
OWNER_COLUMN = 9
FIRST_TOUCH_COLUMN = 10
#: Settings key of the column widths (v2: score and owner columns were added; v3:
#: temperature and persona; v4: first touch).
HEADER_KEY = "ContactsPage.v4"


def contact_columns(tr) -> list[Column]:
    right = Qt.AlignmentFlag.AlignRight
    return [
        Column(tr("Name"), lambda r: r.display_name, sort="name"),
        Column(tr("Job title"), lambda r: r.job_title),
        Column(tr("Company"), lambda r: r.account_name, sort="company"),
        Column(tr("E-mail"), lambda r: ltr(r.email)),
        Column(tr("Phone"), lambda r: ltr(r.phone)),
        Column(tr("Stage"), lambda r: stage_label(r.lifecycle_stage), sort="stage"),
        Column(tr("Score"), lambda r: r.score, align=right, sort="score",
               tooltip=tr("Fit plus interest (lead scoring)")),
        Column(tr("Temperature"), lambda r: grade_label(r.temperature), sort="temperature",
               tooltip=tr("Hot, warm or cold: the score by the team's thresholds")),
        Column(tr("Persona"), lambda r: r.persona_name or "", sort="persona",
               tooltip=tr("The contact's buyer persona")),
        Column(tr("Owner"), lambda r: r.owner_name or "", sort="owner"),
        Column(tr("First touch"), lambda r: list_cell_text(r.first_touch_due_at),
               tooltip=tr("The SLA: when a new lead's first touch is due, or how long ago it was breached"),
               foreground=lambda r: list_cell_colour(r.first_touch_due_at)),
    ]
