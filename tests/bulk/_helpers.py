"""Helpers for the bulk engine's tests: collecting outcomes, reading the ledger."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from decimal import Decimal
from typing import cast

from phonenumbers_async import AsyncClient, BulkOutcome, Outcome
from phonenumbers_async.emulator import EmulatorControl

PURCHASE_ROUTE = "POST /api/v1/account/{auth_id}/numbers/purchase-from-inventory"


async def collect(outcomes: AsyncIterator[BulkOutcome]) -> list[BulkOutcome]:
    """Every outcome of a bulk run."""
    return [outcome async for outcome in outcomes]


def as_generator(outcomes: AsyncIterator[BulkOutcome]) -> AsyncGenerator[BulkOutcome, None]:
    """A bulk method's iterator as the async generator it is (to close it early)."""
    return cast(AsyncGenerator[BulkOutcome, None], outcomes)


def by_number(outcomes: Iterable[BulkOutcome]) -> dict[str, BulkOutcome]:
    return {outcome.e164: outcome for outcome in outcomes}


def spent(outcomes: Iterable[BulkOutcome]) -> Decimal:
    """What the outcomes say was debited for purchases."""
    return sum((o.cost or Decimal(0) for o in outcomes if o.outcome in _BOUGHT), Decimal(0))


_BOUGHT = (Outcome.PURCHASED, Outcome.PROVISIONED)


async def debits(control: EmulatorControl, auth_id: str) -> dict[str, Decimal]:
    """Per number, what the emulator's ledger debited ``auth_id`` for it."""
    totals: dict[str, Decimal] = {}
    for row in await control.ledger():
        if row["auth_id"] == auth_id and row["type"] == "debit":
            totals[row["e164"]] = totals.get(row["e164"], Decimal(0)) + Decimal(row["amount"])
    return totals


async def purchase_requests(control: EmulatorControl) -> int:
    """How many purchase requests the emulator has received."""
    stats = await control.stats()
    return int(stats["requests"].get(PURCHASE_ROUTE, 0))


async def on_sale(client: AsyncClient, count: int) -> list[str]:
    """The first ``count`` numbers of inventory."""
    found: list[str] = []
    async for number in client.inventory.iter():
        found.append(number.e164)
        if len(found) == count:
            break
    return found
