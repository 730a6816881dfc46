"""``numbers.purchase_many`` and ``release_many`` against the emulator: exactly once,
the truth about earlier runs, costs that add up to the ledger, and the first 402."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from phonenumbers_async import (
    AsyncClient,
    FileJournal,
    JournalEntry,
    JournalError,
    JournalMismatch,
    MemoryJournal,
    Outcome,
    ValidationError,
)
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo

from ._helpers import as_generator, by_number, collect, debits, on_sale, purchase_requests, spent


async def test_each_number_is_bought_once_and_costs_match_the_ledger(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, tmp_path: Path
) -> None:
    """Ten numbers, four at a time: ten purchased outcomes of this run, each cost equal
    to the ledger's debit for that number."""
    wanted = await on_sale(client, 10)
    outcomes = await collect(
        client.numbers.purchase_many(wanted, concurrency=4, journal=tmp_path / "j.jsonl")
    )
    assert sorted(o.e164 for o in outcomes) == sorted(wanted)
    assert {o.outcome for o in outcomes} == {Outcome.PURCHASED}
    assert {o.earlier for o in outcomes} == {False}
    assert len({o.run_id for o in outcomes}) == 1
    ledger = await debits(control, emu.auth_id)
    assert {o.e164: o.cost for o in outcomes} == ledger


async def test_a_stale_journal_reports_the_truth_and_buys_again(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, tmp_path: Path
) -> None:
    """Buy 6, release them all, rerun with the same journal: nothing is reported as done by
    the earlier run; all 6 are bought again and the account owns them."""
    await control.set_faults(release_status=204)  # the older release: back to inventory
    wanted = await on_sale(client, 6)
    journal = tmp_path / "job.jsonl"
    first = await collect(client.numbers.purchase_many(wanted, journal=journal))
    released = await collect(client.numbers.release_many(wanted))
    assert {o.outcome for o in released} == {Outcome.RELEASED}
    again = await collect(client.numbers.purchase_many(wanted, journal=journal))
    assert {o.outcome for o in again} == {Outcome.PURCHASED}
    assert {o.earlier for o in again} == {False}
    assert all("no longer owns it" in (o.note or "") for o in again)
    owned = {n.e164 async for n in client.numbers.iter()}
    assert set(wanted) <= owned
    ledger = await control.ledger()
    assert len([row for row in ledger if row["type"] == "debit"]) == 12
    assert spent(first) + spent(again) == sum(
        (Decimal(row["amount"]) for row in ledger if row["type"] == "debit"), Decimal(0)
    )


async def test_a_rerun_verifies_what_an_earlier_run_did(
    client: AsyncClient, control: EmulatorControl, tmp_path: Path
) -> None:
    """A rerun of a finished job sends no purchase: each number is looked up and reported
    as the first run's work, with that run's id and cost."""
    wanted = await on_sale(client, 4)
    journal = tmp_path / "job.jsonl"
    first = by_number(await collect(client.numbers.purchase_many(wanted, journal=journal)))
    before = await purchase_requests(control)
    again = await collect(client.numbers.purchase_many(wanted, journal=journal))
    assert await purchase_requests(control) == before
    for outcome in again:
        assert outcome.outcome is Outcome.PURCHASED
        assert outcome.earlier
        assert outcome.verified
        assert outcome.run_id == first[outcome.e164].run_id
        assert outcome.cost == first[outcome.e164].cost


@pytest.mark.parametrize("kill_after", [0, 2, 5])
async def test_a_killed_run_resumed_reports_what_the_ledger_debited(
    client: AsyncClient,
    control: EmulatorControl,
    emu: EmulatorInfo,
    tmp_path: Path,
    kill_after: int,
) -> None:
    """The run is cancelled after ``kill_after`` outcomes with purchases in flight; the
    rerun checks while those still sleep in the server, so some land after its check.
    The rerun's total equals the ledger's debits, and nothing is bought twice."""
    wanted = await on_sale(client, 12)
    journal = tmp_path / "job.jsonl"
    await control.set_faults(latency_ms=150)
    run = client.numbers.purchase_many(wanted, concurrency=4, journal=journal)
    seen = 0
    async with contextlib.aclosing(as_generator(run)):
        async for _ in run:
            seen += 1
            if seen >= kill_after:
                break
        if kill_after == 0:
            await asyncio.sleep(0.05)  # the first requests are on their way
    await control.set_faults(latency_ms=0)
    rerun = await collect(client.numbers.purchase_many(wanted, concurrency=4, journal=journal))
    await asyncio.sleep(0.3)  # let the interrupted run's requests land (or be refused)
    ledger = await debits(control, emu.auth_id)
    assert set(ledger) == set(wanted)
    assert (await control.stats())["purchases_committed"] == len(wanted)
    assert {o.outcome for o in rerun} == {Outcome.PURCHASED}
    assert spent(rerun) == sum(ledger.values(), Decimal(0))
    assert {o.e164: o.cost for o in rerun} == ledger


async def test_the_first_402_stops_new_purchases(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """With money for two numbers, one at a time: two bought, one insufficient-balance,
    the rest skipped without a request."""
    wanted = await on_sale(client, 8)
    plan = await client.numbers.plan_purchase(wanted)
    costs = [line.cost for line in plan.lines]
    assert all(cost is not None for cost in costs)
    affordable = sum((c for c in costs[:2] if c is not None), Decimal(0))
    await control.update_account(emu.auth_id, balance=str(affordable))
    outcomes = [o.outcome for o in await collect(
        client.numbers.purchase_many(wanted, concurrency=1)
    )]  # fmt: skip
    assert outcomes[:3] == [Outcome.PURCHASED, Outcome.PURCHASED, Outcome.INSUFFICIENT_BALANCE]
    assert outcomes[3:] == [Outcome.SKIPPED] * 5
    assert await purchase_requests(control) == 3


async def test_the_plan_adds_the_fees_and_compares_with_the_balance(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """plan_purchase: the fees of inventory, the available balance, what would remain;
    not affordable once the balance is below the total; nothing is bought."""
    wanted = await on_sale(client, 3)
    fees = {n.e164: n for n in [n async for n in client.inventory.iter()] if n.e164 in wanted}
    plan = await client.numbers.plan_purchase([*wanted, "+15550000001"])
    expected = sum((fees[e].upfront_cost or Decimal(0) for e in wanted), Decimal(0))
    assert plan.count == 3
    assert plan.total == expected
    assert [line.on_sale for line in plan.lines] == [True, True, True, False]
    assert plan.remaining == (plan.available_balance or Decimal(0)) - expected
    assert plan.affordable
    await control.update_account(emu.auth_id, balance=str(expected - 1))
    poorer = await client.numbers.plan_purchase(wanted)
    assert not poorer.affordable
    assert await purchase_requests(control) == 0


async def test_a_journal_of_another_job_or_account_is_refused(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, tmp_path: Path
) -> None:
    """A purchase journal given to a release job, or to another account, raises
    JournalMismatch before any request."""
    wanted = await on_sale(client, 1)
    journal = tmp_path / "job.jsonl"
    await collect(client.numbers.purchase_many(wanted, journal=journal))
    await control.reset_stats()
    with pytest.raises(JournalMismatch, match="was written by a purchase job"):
        await collect(client.numbers.release_many(wanted, journal=journal))
    sub_id, sub_token = emu.subaccounts[0]
    async with AsyncClient(sub_id, sub_token, base_url=emu.base_url) as other:
        with pytest.raises(JournalMismatch, match=f"belongs to account {emu.auth_id}"):
            await collect(other.numbers.purchase_many(wanted, journal=journal))
    assert (await control.stats())["requests_total"] == 0


async def test_expired_entries_are_ignored_with_a_note(client: AsyncClient) -> None:
    """Entries older than the store's expiry count for nothing: the rerun handles the
    number afresh (here: already owned) and says why."""
    wanted = await on_sale(client, 2)
    store = MemoryJournal(expiry=timedelta(0))
    await collect(client.numbers.purchase_many(wanted, journal=store))
    again = await collect(client.numbers.purchase_many(wanted, journal=store))
    assert {o.outcome for o in again} == {Outcome.ALREADY_OWNED}
    assert all("older than its expiry" in (o.note or "") for o in again)


async def test_bad_input_is_refused_before_any_request(
    client: AsyncClient, control: EmulatorControl
) -> None:
    """A malformed number, a single string, or a bad concurrency is a ValidationError."""
    with pytest.raises(ValidationError):
        await collect(client.numbers.purchase_many(["+14155550100", "12"]))
    with pytest.raises(ValidationError):
        await collect(client.numbers.purchase_many("+14155550100"))
    with pytest.raises(ValidationError):
        await collect(client.numbers.purchase_many(["+14155550100"], concurrency=0))
    assert (await control.stats())["requests_total"] == 0


async def test_a_file_journal_records_runs_and_survives_reopening(
    client: AsyncClient, tmp_path: Path
) -> None:
    """The file store: a header naming the job, a run line per run, started before done."""
    wanted = await on_sale(client, 1)
    path = tmp_path / "j.jsonl"
    await collect(client.numbers.purchase_many(wanted, journal=FileJournal(path)))
    lines = path.read_text().splitlines()
    assert '"operation":"purchase"' in lines[0]
    events = [line for line in lines[1:] if '"e164"' in line]
    assert ['"event":"started"' in events[0], '"event":"done"' in events[1]] == [True, True]


@pytest.mark.parametrize("count", [1, 25])
async def test_a_purchase_that_lands_after_the_check_is_the_interrupted_runs(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, count: int
) -> None:
    """An interrupted run started the numbers; its requests land between the rerun's check
    and the rerun's own purchases (injected: each number goes to this account just before
    the purchase is handled). Reported purchased by that run, at the numbers' fees, not
    already-owned without a cost; with 25 numbers the check is one listing, and the
    answer to the purchase is still looked up afresh."""
    wanted = await on_sale(client, count)
    plan = await client.numbers.plan_purchase(wanted)
    store = MemoryJournal()
    for e164 in wanted:
        store.append(
            JournalEntry(e164=e164, event="started", run_id="killedrun001", at=datetime.now(UTC))
        )
    await control.set_faults(purchase_taken_by=emu.auth_id, purchase_taken_count=count)
    outcomes = await collect(client.numbers.purchase_many(wanted, journal=store))
    assert {o.outcome for o in outcomes} == {Outcome.PURCHASED}
    assert {(o.run_id, o.earlier, o.verified, o.recovered) for o in outcomes} == {
        ("killedrun001", True, True, True)
    }
    assert spent(outcomes) == plan.total
    assert all("interrupted run killedrun001" in (o.note or "") for o in outcomes)


async def test_a_release_cancelled_since_is_released_again(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, tmp_path: Path
) -> None:
    """Three numbers released (cancellable); one release is cancelled; the rerun reports
    the two still pending as the first run's work and releases the third again."""
    numbers = await control.create_numbers(3, owner=emu.auth_id)
    journal = tmp_path / "release.jsonl"
    first = await collect(client.numbers.release_many(numbers, journal=journal))
    assert {o.outcome for o in first} == {Outcome.PENDING_RELEASE}
    await client.numbers.cancel_release(numbers[0])
    again = by_number(await collect(client.numbers.release_many(numbers, journal=journal)))
    assert again[numbers[0]].outcome is Outcome.PENDING_RELEASE
    assert not again[numbers[0]].earlier
    assert "active again" in (again[numbers[0]].note or "")
    for e164 in numbers[1:]:
        assert again[e164].earlier
        assert again[e164].verified
    statuses = {n.e164: n.status async for n in client.numbers.iter() if n.e164 in numbers}
    assert {str(status) for status in statuses.values()} == {"pending_release"}


async def test_a_journal_that_is_not_utf8_is_a_journal_error(
    client: AsyncClient, tmp_path: Path
) -> None:
    """A journal file of bytes that are not UTF-8: JournalError, not UnicodeDecodeError."""
    path = tmp_path / "j.jsonl"
    path.write_bytes(b"\xff\xfe\x00not a journal\n")
    with pytest.raises(JournalError, match="not a phonenumbers-async journal"):
        await collect(client.numbers.purchase_many(await on_sale(client, 1), journal=path))
