"""``numbers.provision`` (buy, hand to a sub-account, route), ``route_many`` and
``subaccounts.assign_many`` against the emulator, async and through the sync ``Client``."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest

from phonenumbers_async import (
    AsyncClient,
    Client,
    JournalMismatch,
    Outcome,
    ProvisionOrder,
    RouteTarget,
    ValidationError,
)
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo, EmulatorThread

from ._helpers import as_generator, collect, debits, on_sale, spent


async def _order(control: EmulatorControl, emu: EmulatorInfo, count: int) -> ProvisionOrder:
    account = await control.account(emu.auth_id)
    return ProvisionOrder(
        count=count,
        capabilities=("voice",),
        sub_account=emu.subaccounts[0][0],
        trunk_group_id=str(account["trunk_group_ids"][0]),
    )


async def _delivered(control: EmulatorControl, order: ProvisionOrder, numbers: list[str]) -> None:
    for e164 in numbers:
        row = await control.number(e164)
        assert row["owner"] == order.sub_account
        assert str(row["trunk_group_id"]).lower() == order.trunk_group_id


async def test_provision_delivers_n_numbers_when_some_are_bought_away(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, tmp_path: Path
) -> None:
    """Two purchases find their number taken by another buyer: both are reported taken and
    replaced from inventory; exactly 5 numbers end assigned and routed, 5 debits."""
    order = await _order(control, emu, 5)
    other = (await control.create_account(parent_auth_id=None))["auth_id"]
    await control.set_faults(purchase_taken_by=other, purchase_taken_count=2)
    outcomes = await collect(
        client.numbers.provision(order, concurrency=3, journal=tmp_path / "p.jsonl")
    )
    counts = Counter(o.outcome for o in outcomes)
    assert counts == {Outcome.PROVISIONED: 5, Outcome.TAKEN: 2}
    delivered = [o.e164 for o in outcomes if o.outcome is Outcome.PROVISIONED]
    replacements = [o for o in outcomes if o.replaces is not None]
    taken = {o.e164 for o in outcomes if o.outcome is Outcome.TAKEN}
    assert {o.replaces for o in replacements} == taken
    await _delivered(control, order, delivered)
    for o in outcomes:
        if o.outcome is Outcome.PROVISIONED:
            assert o.steps == ("purchased", "assigned", "routed")
    ledger = await debits(control, emu.auth_id)
    assert set(ledger) == set(delivered)
    assert spent(outcomes) == sum(ledger.values())


async def test_provision_resumes_after_a_kill_without_buying_twice(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, tmp_path: Path
) -> None:
    """The job is stopped after its first outcome; the rerun with the same order and
    journal finishes the job: 4 numbers provisioned in all, 4 debits, the first one
    reported as the first run's work."""
    order = await _order(control, emu, 4)
    journal = tmp_path / "p.jsonl"
    await control.set_faults(latency_ms=60)
    run = client.numbers.provision(order, concurrency=2, journal=journal)
    async with contextlib.aclosing(as_generator(run)):
        first = await anext(run)
    await control.set_faults(latency_ms=0)
    rerun = await collect(client.numbers.provision(order, concurrency=2, journal=journal))
    assert Counter(o.outcome for o in rerun) == {Outcome.PROVISIONED: 4}
    by_number = {o.e164: o for o in rerun}
    assert by_number[first.e164].earlier
    assert by_number[first.e164].run_id == first.run_id
    ledger = await debits(control, emu.auth_id)
    assert set(ledger) == set(by_number)
    assert (await control.stats())["purchases_committed"] == 4
    assert spent(rerun) == sum(ledger.values())
    await _delivered(control, order, list(by_number))


async def test_a_plan_is_applied_as_planned_and_costs_what_it_said(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """plan_provision picks the numbers; provision(plan) buys exactly those, for the total."""
    order = await _order(control, emu, 3)
    plan = await client.numbers.plan_provision(order)
    assert plan.count == 3
    outcomes = await collect(client.numbers.provision(plan))
    assert {o.e164 for o in outcomes} == {line.e164 for line in plan.lines}
    assert spent(outcomes) == plan.total


async def test_route_many_and_assign_many_are_done_once(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, tmp_path: Path
) -> None:
    """Route three numbers to a trunk and hand them to a sub-account; rerunning either
    job reports them done by the first run, verified, without changing anything."""
    wanted = await on_sale(client, 3)
    await collect(client.numbers.purchase_many(wanted))
    trunk = str((await control.account(emu.auth_id))["trunk_group_ids"][0])
    sub = emu.subaccounts[0][0]
    routed = await collect(
        client.numbers.route_many({e164: trunk for e164 in wanted}, journal=tmp_path / "r")
    )
    assert {o.outcome for o in routed} == {Outcome.ROUTED}
    assigned = await collect(
        client.subaccounts.assign_many([(e, sub) for e in wanted], journal=tmp_path / "a")
    )
    assert {o.outcome for o in assigned} == {Outcome.ASSIGNED}
    for e164 in wanted:
        row = await control.number(e164)
        assert (row["owner"], str(row["trunk_group_id"]).lower()) == (sub, trunk.lower())
    pairs = [(e164, RouteTarget(trunk_group_id=trunk)) for e164 in wanted]
    again = await collect(client.numbers.route_many(pairs, journal=tmp_path / "r"))
    assert all(o.earlier and o.verified for o in again)
    assert {o.run_id for o in again} == {routed[0].run_id}


def test_the_sync_client_iterates_the_same_outcomes(tmp_path: Path) -> None:
    """Client.numbers.purchase_many is a plain iterator of the same outcomes; a rerun
    through it verifies the first run's work. (Typed through Any until the generated
    sync facade lists the bulk methods.)"""
    with (
        EmulatorThread(seed_inventory=10, subaccounts=1, seed=5) as emu,
        Client(emu.auth_id, emu.auth_token, base_url=emu.base_url) as sync,
    ):
        numbers = cast(Any, sync.numbers)
        wanted = [number.e164 for number in sync.inventory.iter()][:3]
        plan = numbers.plan_purchase(wanted)
        first = list(numbers.purchase_many(wanted, journal=tmp_path / "j.jsonl"))
        assert {o.outcome for o in first} == {Outcome.PURCHASED}
        assert spent(first) == plan.total
        again = list(numbers.purchase_many(wanted, journal=tmp_path / "j.jsonl"))
        assert all(o.earlier and o.verified for o in again)


def test_the_sync_client_stops_at_the_first_402_and_refuses_a_foreign_journal(
    tmp_path: Path,
) -> None:
    """Through the sync Client: with money for one number, one purchase, one 402, the rest
    skipped; a purchase journal handed to a release job raises JournalMismatch."""
    with (
        EmulatorThread(seed_inventory=10, subaccounts=1, seed=6) as emu,
        Client(emu.auth_id, emu.auth_token, base_url=emu.base_url) as sync,
    ):
        numbers = cast(Any, sync.numbers)
        wanted = [number.e164 for number in sync.inventory.iter()][:5]
        plan = numbers.plan_purchase(wanted)
        first_cost = plan.lines[0].cost
        control_url = emu.root_url + "/_emulator/accounts/" + emu.auth_id
        _patch(control_url, {"balance": str(first_cost)})
        outcomes = [o.outcome for o in numbers.purchase_many(wanted, concurrency=1)]
        assert outcomes == [Outcome.PURCHASED, Outcome.INSUFFICIENT_BALANCE] + [Outcome.SKIPPED] * 3
        journal = tmp_path / "j.jsonl"
        list(numbers.purchase_many(wanted[:1], journal=journal))
        with pytest.raises(JournalMismatch):
            list(numbers.release_many(wanted[:1], journal=journal))


def _patch(url: str, body: dict[str, str]) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="PATCH",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30):
        pass


def test_the_sync_client_tells_the_truth_about_stale_and_interrupted_runs(
    tmp_path: Path,
) -> None:
    """Through the sync Client: a run stopped after two outcomes and resumed buys each
    number once, its total the ledger's; after releasing them all, the same journal does
    not claim them: they are bought again."""
    with (
        EmulatorThread(seed_inventory=12, subaccounts=1, seed=8) as emu,
        Client(emu.auth_id, emu.auth_token, base_url=emu.base_url) as sync,
    ):
        numbers = cast(Any, sync.numbers)
        wanted = [number.e164 for number in sync.inventory.iter()][:8]
        journal = tmp_path / "j.jsonl"
        stream = numbers.purchase_many(wanted, concurrency=2, journal=journal)
        for seen, _ in enumerate(stream, start=1):
            if seen == 2:
                break
        stream.close()
        rerun = list(numbers.purchase_many(wanted, concurrency=2, journal=journal))
        assert {o.outcome for o in rerun} == {Outcome.PURCHASED}
        assert sum(o.earlier for o in rerun) >= 2
        ledger = _ledger(emu.root_url)
        assert sorted(row["e164"] for row in ledger) == sorted(wanted)
        assert spent(rerun) == sum(Decimal(str(row["amount"])) for row in ledger)
        _post(emu.root_url + "/_emulator/faults", {"release_status": 204})
        list(numbers.release_many(wanted))
        again = list(numbers.purchase_many(wanted, journal=journal))
        assert {(o.outcome, o.earlier) for o in again} == {(Outcome.PURCHASED, False)}
        assert len(_ledger(emu.root_url)) == 16


def _ledger(root_url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(root_url + "/_emulator/ledger", timeout=30) as response:
        rows: list[dict[str, Any]] = json.loads(response.read())["items"]
    return [row for row in rows if row["type"] == "debit"]


def _post(url: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30):
        pass


async def test_provision_refuses_a_missing_sub_account_before_buying(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """An order for a sub-account the account does not have: a ValidationError before
    any purchase."""
    order = ProvisionOrder(count=2, sub_account="SA_" + "Z" * 18)
    with pytest.raises(ValidationError, match="not found"):
        await collect(client.numbers.provision(order))
    assert await debits(control, emu.auth_id) == {}


async def test_a_refused_route_stops_further_purchases(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """A trunk the account cannot route to: the first number's route fails and no more
    numbers are bought; the rest come out skipped."""
    order = ProvisionOrder(count=4, trunk_group_id="3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c")
    outcomes = await collect(client.numbers.provision(order, concurrency=1))
    counts = Counter(o.outcome for o in outcomes)
    assert counts == {Outcome.FAILED: 1, Outcome.SKIPPED: 3}
    assert len(await debits(control, emu.auth_id)) == 1
