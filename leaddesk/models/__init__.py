"""Tables only: columns, relationships, constraints."""

from leaddesk.models.accounts import Account
from leaddesk.models.activity import Activity
from leaddesk.models.base import BOOKKEEPING, Base, Synced
from leaddesk.models.dedupe import DuplicateCandidate, RecordMerge
from leaddesk.models.contacts import Contact, ContactCard, ContactEmail, ContactPhone, LifecycleEvent
from leaddesk.models.hub import (
    HUB_TABLES,
    AccessChange,
    ChangeLog,
    HistoryPurge,
    HubFieldVersion,
    OutboxBase,
    SyncBatch,
    SyncConflict,
)
from leaddesk.models.journal import ROW_CREATED, FieldVersion, Outbox, SyncState
from leaddesk.models.marketing import (
    Bant,
    Campaign,
    EngagementEvent,
    FunnelStageDefinition,
    Indicator,
    Persona,
    ScoringRule,
    TeamSetting,
)
from leaddesk.models.people import Team, User
from leaddesk.models.search import SEARCH_EXTRA_TABLES, SearchDoc
from leaddesk.models.pipeline import LostReason, Opportunity, OpportunityEvent, Pipeline, PipelineStage

SYNCED_MODELS = [
    Team,
    User,
    Campaign,
    Persona,
    Account,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactCard,
    LifecycleEvent,
    Pipeline,
    PipelineStage,
    LostReason,
    Opportunity,
    OpportunityEvent,
    Activity,
    EngagementEvent,
    Bant,
    ScoringRule,
    Indicator,
    FunnelStageDefinition,
    TeamSetting,
    DuplicateCandidate,
    RecordMerge,
]

__all__ = [m.__name__ for m in SYNCED_MODELS] + [
    "BOOKKEEPING",
    "Base",
    "Synced",
    "ROW_CREATED",
    "FieldVersion",
    "Outbox",
    "SyncState",
    "ChangeLog",
    "SyncBatch",
    "HistoryPurge",
    "HubFieldVersion",
    "SyncConflict",
    "OutboxBase",
    "AccessChange",
    "HUB_TABLES",
    "SYNCED_MODELS",
    "SearchDoc",
    "SEARCH_EXTRA_TABLES",
]
