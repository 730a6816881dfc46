"""The bulk engine: many numbers at once, exactly once, resumable; the CLI is a layer over it.

The public entry points are resource methods (``client.numbers.purchase_many``,
``release_many``, ``route_many``, ``provision``, ``client.subaccounts.assign_many``)
and the plan functions (``client.numbers.plan_purchase``, ``plan_provision``).
"""

from ._jobs import RouteTarget
from ._journal import (
    DEFAULT_EXPIRY,
    FileJournal,
    JobIdentity,
    JournalArg,
    JournalEntry,
    JournalError,
    JournalMismatch,
    JournalReplay,
    JournalStore,
    MemoryJournal,
)
from ._outcome import BulkOutcome, Outcome
from ._plan import PlanLine, ProvisionOrder, PurchasePlan

__all__ = [
    "DEFAULT_EXPIRY",
    "BulkOutcome",
    "FileJournal",
    "JobIdentity",
    "JournalArg",
    "JournalEntry",
    "JournalError",
    "JournalMismatch",
    "JournalReplay",
    "JournalStore",
    "MemoryJournal",
    "Outcome",
    "PlanLine",
    "ProvisionOrder",
    "PurchasePlan",
    "RouteTarget",
]
