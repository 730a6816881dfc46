"""Reruns of bulk jobs: only evidence makes a number bought or recovered, and a failed
lookup makes an outcome unknown, never "taken"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import phonenumbers_async._resources._lookup as lookup
from phonenumbers_async import (
    AsyncClient,
    JournalEntry,
    MemoryJournal,
    Outcome,
    ProvisionOrder,
)
from phonenumbers_async._bulk import _jobs
from phonenumbers_async._bulk._engine import History
from phonenumbers_async._bulk._outcome import BulkOutcome
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo
from phonenumbers_async.errors import PhoneNumbersError

from ._helpers import collect, debits, on_sale, spent


async def _failing_lookup(*_args: Any, **_kwargs: Any) -> Any:
    raise PhoneNumbersError("simulated: the lookup failed")


@pytest.mark.parametrize("holder", ["account", "sub-account"])
async def test_a_number_owned_before_the_job_is_not_reported_bought_on_a_rerun(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, holder: str
) -> None:
    """A plan number the account (or its sub-account) held before the job is replaced in
    run 1; the rerun reports the job's own three numbers, not that one, and its total is
    what the ledger debited for the job."""
    sub = emu.subaccounts[0][0]
    order = ProvisionOrder(count=3, sub_account=sub)
    plan = await client.numbers.plan_provision(order)
    owned_before = plan.lines[0].e164
    await client.numbers.purchase(owned_before)
    if holder == "sub-account":
        await client.subaccounts.assign_number(owned_before, sub)
    before = await debits(control, emu.auth_id)
    journal = MemoryJournal()
    first = await collect(client.numbers.provision(plan, journal=journal))
    assert {o.e164: o.outcome for o in first}[owned_before] is Outcome.ALREADY_OWNED
    delivered = {o.e164 for o in first if o.outcome is Outcome.PROVISIONED}
    assert len(delivered) == 3
    rerun = await collect(client.numbers.provision(plan, journal=journal))
    assert {o.e164 for o in rerun} == delivered
    assert {o.outcome for o in rerun} == {Outcome.PROVISIONED}
    assert not any(o.recovered for o in rerun)
    ledger = await debits(control, emu.auth_id)
    job = {e164: amount for e164, amount in ledger.items() if e164 not in before}
    assert set(job) == delivered
    assert spent(rerun) == sum(job.values())


async def test_a_late_purchase_after_a_stale_done_is_the_interrupted_runs(
    client: AsyncClient, control: EmulatorControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run 1 buys X, X is released, run 2 starts buying it again and dies; its request
    lands after run 3 checked: run 3 reports X bought by run 2, with the cost debited."""
    await control.set_faults(release_status=204)  # released numbers go back on sale
    [x] = await on_sale(client, 1)
    journal = MemoryJournal()
    await collect(client.numbers.purchase_many([x], journal=journal))
    await client.numbers.release(x)
    journal.entries.append(
        JournalEntry(e164=x, event="started", run_id="run2killed", at=datetime.now(UTC))
    )
    real_verify = _jobs.PurchaseJob.verify

    async def verify_then_land(
        self: _jobs.PurchaseJob, e164: str, history: History | None
    ) -> tuple[BulkOutcome | None, str | None]:
        result = await real_verify(self, e164, history)
        await client.numbers.purchase(e164)  # run 2's request lands now
        return result

    monkeypatch.setattr(_jobs.PurchaseJob, "verify", verify_then_land)
    [third] = await collect(client.numbers.purchase_many([x], journal=journal))
    debited = [
        row["amount"]
        for row in await control.ledger()
        if row["e164"] == x and row["type"] == "debit"
    ]
    assert len(debited) == 2
    assert third.outcome is Outcome.PURCHASED
    assert third.recovered
    assert third.run_id == "run2killed"
    assert third.cost == debited[-1]


async def test_a_failed_lookup_makes_provision_unknown_not_taken(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Rerunning a finished job while every account lookup fails buys nothing more: its
    numbers are unknown (never taken, never replaced), and a later rerun finds them."""
    journal = MemoryJournal()
    order = ProvisionOrder(count=2)
    first = await collect(client.numbers.provision(order, journal=journal))
    with monkeypatch.context() as patch:
        patch.setattr(lookup, "find_owned", _failing_lookup)
        blind = await collect(client.numbers.provision(order, journal=journal))
    assert {o.outcome for o in blind} == {Outcome.UNKNOWN}
    assert {o.e164 for o in blind} == {o.e164 for o in first}
    assert len(await debits(control, emu.auth_id)) == 2
    again = await collect(client.numbers.provision(order, journal=journal))
    assert {o.outcome for o in again} == {Outcome.PROVISIONED}
    assert {o.e164 for o in again} == {o.e164 for o in first}
    assert spent(again) == sum((await debits(control, emu.auth_id)).values())


async def test_a_failed_lookup_makes_purchase_many_unknown_not_gone(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """purchase_many of numbers the account owns, while the lookup fails: unknown."""
    wanted = await on_sale(client, 2)
    journal = MemoryJournal()
    await collect(client.numbers.purchase_many(wanted, journal=journal))
    monkeypatch.setattr(lookup, "find_owned", _failing_lookup)
    blind = await collect(client.numbers.purchase_many(wanted, journal=journal))
    assert {o.outcome for o in blind} == {Outcome.UNKNOWN}


async def test_a_blind_rerun_leaves_the_first_runs_purchases_its_own(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Run 2 (lookups failing) tries again and is answered 404: it bought nothing, so
    run 3 reports run 1's purchases (verified, not recovered), with run 1's costs."""
    wanted = await on_sale(client, 2)
    journal = MemoryJournal()
    first = await collect(client.numbers.purchase_many(wanted, journal=journal))
    with monkeypatch.context() as patch:
        patch.setattr(lookup, "find_owned", _failing_lookup)
        await collect(client.numbers.purchase_many(wanted, journal=journal))
    third = await collect(client.numbers.purchase_many(wanted, journal=journal))
    assert {o.run_id for o in third} == {first[0].run_id}
    assert not any(o.recovered for o in third)
    assert spent(third) == sum((await debits(control, emu.auth_id)).values())
