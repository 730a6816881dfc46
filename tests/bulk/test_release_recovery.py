"""An interrupted release found done on a rerun: its status as the account shows it and
its fee as the account's transactions show it (or unknown, never zero)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from phonenumbers_async import AsyncClient, JournalEntry, MemoryJournal, Outcome
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo

from ._helpers import collect, on_sale


async def _interrupted_release(
    client: AsyncClient, numbers: list[str], *, immediate: bool
) -> MemoryJournal:
    """A journal of a run that started releasing ``numbers`` and died before recording it;
    its requests landed."""
    journal = MemoryJournal()
    identity = client.numbers._job("release", immediate="true" if immediate else "false")
    journal.open(identity, "run1killed", datetime.now(UTC))
    for e164 in numbers:
        journal.append(
            JournalEntry(e164=e164, event="started", run_id="run1killed", at=datetime.now(UTC))
        )
        await client.numbers.release(e164, immediate=immediate)
    return journal


async def test_a_recovered_release_reports_its_fee_and_pending_status(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """Release fee 5, three releases landed by a killed run: the rerun reports them
    pending-release (as the account shows them), each at the fee the ledger debited."""
    await control.update_account(emu.auth_id, release_fee="5")
    wanted = await on_sale(client, 3)
    await collect(client.numbers.purchase_many(wanted))
    journal = await _interrupted_release(client, wanted, immediate=False)
    outcomes = await collect(client.numbers.release_many(wanted, journal=journal))
    assert {o.outcome for o in outcomes} == {Outcome.PENDING_RELEASE}
    assert all(o.recovered for o in outcomes)
    fees = [
        Decimal(row["amount"])
        for row in await control.ledger()
        if row["auth_id"] == emu.auth_id and "release" in row["description"]
    ]
    assert sum(o.cost or Decimal(0) for o in outcomes) == sum(fees) == Decimal(15)


async def test_a_recovered_release_without_a_fee_in_the_ledger_says_unknown(
    client: AsyncClient,
) -> None:
    """No release fee in the transactions: the cost is None and the note says unknown."""
    wanted = await on_sale(client, 1)
    await collect(client.numbers.purchase_many(wanted))
    journal = await _interrupted_release(client, wanted, immediate=True)
    [outcome] = await collect(client.numbers.release_many(wanted, immediate=True, journal=journal))
    assert outcome.outcome is Outcome.RELEASED
    assert outcome.cost is None
    assert "fee unknown" in (outcome.note or "")
