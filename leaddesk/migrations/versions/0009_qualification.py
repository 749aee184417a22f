"""qualification in the rep's hands (issue #12): BANT per part, HPI rules, persona
countries, per-rep lead caps, assignment reasons; managers edit team settings

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

* ``bant``: each of Budget, Authority, Need and Timing gets a status (unknown / yes /
  partial / no) and a note, plus its details (budget source, the decision maker's role in
  the buying committee, the offer that fits the need, what drives the timing), an explicit
  ``no_need`` (a stored "no need" used to be inferable only from a negative result) and the
  re-qualify date of a nurtured lead. Existing rows are filled from what they hold: a
  confirmed budget or an amount is Budget yes, a decision maker is Authority yes, a
  stated need is Need yes, a timing is Timing yes, a budget of 0 is Budget no, and a
  negative result that the fields do not explain was a "no need".
* ``indicator``: ``criterion`` and ``params``, so a high-probability indicator is a rule a
  lead is checked against (a written-only indicator keeps NULL).
* ``persona.countries``; ``app_user.lead_cap`` (a rep's own cap; NULL = the team's);
  ``contact.assignment_reason`` (why the owner holds the lead; the history keeps earlier).
* ``team_setting`` becomes configuration that managers change (thresholds, caps, SLAs are
  a manager's job): its PostgreSQL policies are re-created from the rule table.

Every column is a plain ADD COLUMN on both engines (SQLite's batch copy would trip over the
search triggers); the new columns sync like every payload column.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leaddesk.models import access_sql as access

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PART = ("unknown", "yes", "partial", "no")
_ROLES = ("unknown", "economic_buyer", "decision_maker", "champion", "technical_buyer", "user", "influencer",
          "gatekeeper")
_STATUS_COLUMNS = ("budget_status", "authority_status", "need_status", "timing_status")
_BANT_COLUMNS = (*_STATUS_COLUMNS, "budget_source", "budget_note", "decision_maker_role", "need_offer",
                 "need_note", "no_need", "timing_driver", "timing_note", "requalify_on")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values) + 8)


def _add_choice(col: str, values: tuple[str, ...], name: str) -> None:
    """A NOT NULL choice column with its CHECK on both engines (Alembic's SQLite ADD COLUMN
    would silently leave the CHECK out)."""
    if _pg():
        op.add_column("bant", sa.Column(col, _enum(values, name), nullable=False, server_default="unknown"))
        return
    allowed = ", ".join(f"'{v}'" for v in values)
    op.execute(f"ALTER TABLE bant ADD COLUMN {col} VARCHAR({max(len(v) for v in values) + 8}) NOT NULL "
               f"DEFAULT 'unknown' CONSTRAINT {name} CHECK ({col} IN ({allowed}))")


def upgrade() -> None:
    for col in _STATUS_COLUMNS:
        _add_choice(col, _PART, f"bant_{col}")
    op.add_column("bant", sa.Column("budget_source", sa.String(200), nullable=True))
    op.add_column("bant", sa.Column("budget_note", sa.Text(), nullable=True))
    _add_choice("decision_maker_role", _ROLES, "bant_buying_role")
    op.add_column("bant", sa.Column("need_offer", sa.String(200), nullable=True))
    op.add_column("bant", sa.Column("need_note", sa.Text(), nullable=True))
    op.add_column("bant", sa.Column("no_need", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("bant", sa.Column("timing_driver", sa.String(300), nullable=True))
    op.add_column("bant", sa.Column("timing_note", sa.Text(), nullable=True))
    op.add_column("bant", sa.Column("requalify_on", sa.Date(), nullable=True))
    op.add_column("indicator", sa.Column("criterion", sa.String(60), nullable=True))
    op.add_column("indicator", sa.Column("params", sa.JSON(), nullable=True))
    op.add_column("persona", sa.Column("countries", sa.JSON(), nullable=True))
    op.add_column("app_user", sa.Column("lead_cap", sa.Integer(), nullable=True))
    op.add_column("contact", sa.Column("assignment_reason", sa.Text(), nullable=True))

    # What the old rows already say, per part (no row's sync clock moves: these are the
    # values every replica derives the same way when it upgrades).
    op.execute("UPDATE bant SET budget_status = CASE WHEN budget_amount = 0 THEN 'no' "
               "WHEN budget_confirmed OR budget_amount > 0 THEN 'yes' ELSE 'unknown' END")
    op.execute("UPDATE bant SET authority_status = CASE WHEN authority = 'decision_maker' "
               "OR decision_maker_id IS NOT NULL THEN 'yes' WHEN authority = 'no_authority' THEN 'no' "
               "WHEN authority = 'influencer' THEN 'partial' ELSE 'unknown' END")
    op.execute("UPDATE bant SET need_status = CASE WHEN need IS NOT NULL AND trim(need) <> '' THEN 'yes' "
               "ELSE 'unknown' END")
    op.execute("UPDATE bant SET timing_status = CASE WHEN (timing IS NOT NULL AND trim(timing) <> '') "
               "OR timing_date IS NOT NULL THEN 'yes' ELSE 'unknown' END")
    op.execute("UPDATE bant SET no_need = " + ("true" if _pg() else "1") + ", need_status = 'no' "
               "WHERE result = 'negative' AND NOT (budget_amount IS NOT NULL AND budget_amount = 0)")

    if _pg():
        tables = {"team_setting"}
        for stmt in access.drop_policy_sql(tables):
            op.execute(stmt)
        for stmt in access.policy_sql(tables):
            op.execute(stmt)
        # today's check names tables of later revisions (contact_card, 0014): checked when first called
        op.execute("SET LOCAL check_function_bodies = off")
        op.execute(access.sync_check_sql())
        op.execute("SET LOCAL check_function_bodies = on")


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def downgrade() -> None:
    drops = [("contact", "assignment_reason"), ("app_user", "lead_cap"), ("persona", "countries"),
             ("indicator", "params"), ("indicator", "criterion"), *(("bant", c) for c in reversed(_BANT_COLUMNS))]
    for table, col in drops:
        if _pg():
            op.drop_column(table, col)
        else:
            # SQLite 3.35+ drops in place (the CHECKs added above are the columns' own).
            op.execute(f"ALTER TABLE {table} DROP COLUMN {col}")
