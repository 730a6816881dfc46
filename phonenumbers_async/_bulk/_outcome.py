"""What a bulk job reports per number: the outcome, its cost, and which run did it."""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

__all__ = ["BulkOutcome", "Outcome"]


class Outcome(enum.Enum):
    """One number's outcome in a bulk job (the value is what results files show)."""

    PURCHASED = "purchased"
    ALREADY_OWNED = "already-owned"
    NOT_IN_INVENTORY = "not-in-inventory"
    INSUFFICIENT_BALANCE = "insufficient-balance"
    TAKEN = "taken"
    RELEASED = "released"
    PENDING_RELEASE = "pending-release"
    NOT_OWNED = "not-owned"
    ROUTED = "routed"
    ASSIGNED = "assigned"
    PROVISIONED = "provisioned"
    UNKNOWN = "unknown"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def ok(self) -> bool:
        """Whether the number is where the job wanted it (done now, earlier, or already)."""
        return self in _OK


_OK = frozenset(
    {
        Outcome.PURCHASED,
        Outcome.ALREADY_OWNED,
        Outcome.RELEASED,
        Outcome.PENDING_RELEASE,
        Outcome.ROUTED,
        Outcome.ASSIGNED,
        Outcome.PROVISIONED,
    }
)


@attrs.frozen(kw_only=True)
class BulkOutcome:
    """One number's outcome, as it settled.

    ``cost`` is what this job debited for the number (setup fee and first
    month for a purchase, the release fee for a release), None when nothing
    was debited or the amount is unknown. ``run_id`` is the run that did the
    work (this run's, or an earlier interrupted run's of the same job; None
    when nothing was done); ``earlier`` says it was an earlier run, and
    ``verified`` that the account was looked at before reporting it.
    ``recovered`` marks the work of an interrupted run that never recorded
    its end, found done on the account. ``steps`` lists what a multi-step
    job (provisioning) achieved, in order; ``replaces`` names the number a
    replacement stands in for.
    """

    e164: str
    outcome: Outcome
    cost: Decimal | None = None
    error: str | None = None
    run_id: str | None = None
    earlier: bool = False
    verified: bool = False
    recovered: bool = False
    note: str | None = None
    steps: tuple[str, ...] = ()
    replaces: str | None = None

    @property
    def ok(self) -> bool:
        """Whether this number ended where the job wanted it."""
        return self.outcome.ok
