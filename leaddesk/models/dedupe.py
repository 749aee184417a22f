"""Duplicate records found after sync, and merges of them (sync notes 3.11).

Both are synced rows like any other, so a review decision or a merge made on one laptop
reaches the team, and both stay readable as history.

* :class:`DuplicateCandidate`: a pair of contacts (or accounts) that look like the same
  person (or company). Its id is a UUIDv5 of the entity and the ordered pair, so two
  replicas that detect the same pair make the same row (the merge treats a second
  creation of an id as an edit of it).
* :class:`RecordMerge`: an explicit merge of ``loser_id`` into ``survivor_id``: what the
  survivor took from the loser, the survivor's values before (for undo) and the child rows
  that were moved. Undo replays it backwards with normal edits.
"""

from __future__ import annotations

import uuid

from sqlalchemy import JSON, Boolean, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from leaddesk.models.base import Base, Synced, str_enum
from leaddesk.models.enums import DuplicateStatus


class DuplicateCandidate(Synced, Base):
    __tablename__ = "duplicate_candidate"

    #: "contact" or "account".
    entity: Mapped[str] = mapped_column(String(20))
    #: The ordered pair (a < b), so a pair has one id whoever finds it.
    a_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    b_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    #: 0-100: how sure the detector is.
    score: Mapped[int] = mapped_column(Integer, default=0)
    #: Why, e.g. ["same e-mail: ana@example.com", "same phone: +4930..."].
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[DuplicateStatus] = mapped_column(
        str_enum(DuplicateStatus, "duplicate_status"), default=DuplicateStatus.OPEN)

    __table_args__ = (
        Index("ix_duplicate_candidate_status", "status"),
        Index("ix_duplicate_candidate_a_id", "a_id"),
        Index("ix_duplicate_candidate_b_id", "b_id"),
    )


class RecordMerge(Synced, Base):
    __tablename__ = "record_merge"

    entity: Mapped[str] = mapped_column(String(20))
    survivor_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    loser_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    #: Field -> value the survivor took from the loser.
    choices: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Field -> the survivor's value before the merge (undo puts it back).
    previous: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Child table -> ids of its rows moved from the loser to the survivor.
    moved: Mapped[dict] = mapped_column(JSON, default=dict)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_record_merge_survivor_id", "survivor_id"),
        Index("ix_record_merge_loser_id", "loser_id"),
    )
