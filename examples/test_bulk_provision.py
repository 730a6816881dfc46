"""Testing your own job against the emulator, with injected faults.

The job is ``bulk_provision.provision`` (next to this file); the tests run it
against a fresh emulator (the ``emulator`` fixture, installed with
``phonenumbers_async``) and check the emulator's books through its control
API, not the job's own report. Run them with::

    pytest examples/test_bulk_provision.py
"""

from __future__ import annotations

import asyncio
from typing import Any

from bulk_provision import Outcome, provision

from phonenumbers_async import AsyncClient, RetryPolicy
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo

# Quick resends, so injected faults cost milliseconds; enough of them that
# a 20 % error rate cannot exhaust them.
FAST_RETRIES = RetryPolicy(max_retries=10, backoff_base=0.01, backoff_max=0.05)


async def run_job(emu: EmulatorInfo, faults: dict[str, Any], **job: Any) -> list[Outcome]:
    """Set the faults, run the job with the master's credentials, clear the faults."""
    async with EmulatorControl(emu.root_url) as control:
        await control.set_faults(**faults)
        try:
            async with AsyncClient(
                emu.auth_id, emu.auth_token, base_url=emu.base_url, retry_policy=FAST_RETRIES
            ) as client:
                return await provision(client, **job)
        finally:
            await control.clear_faults()


async def debits(emu: EmulatorInfo) -> list[str]:
    """The numbers the emulator charged the master for, one entry per debit."""
    async with EmulatorControl(emu.root_url) as control:
        rows = await control.ledger()
    return sorted(row["e164"] for row in rows if row["type"] == "debit")


async def routing(emu: EmulatorInfo) -> tuple[str, str]:
    """The master's SIP trunk group and its first sub-account, as the emulator made them."""
    async with EmulatorControl(emu.root_url) as control:
        account = await control.account(emu.auth_id)
    return str(account["trunk_group_ids"][0]), emu.subaccounts[0][0]


async def statuses(emu: EmulatorInfo) -> dict[str, int]:
    """How many answers of each HTTP status the emulator gave (to see the faults bite)."""
    async with EmulatorControl(emu.root_url) as control:
        stats = await control.stats()
    return {str(status): int(count) for status, count in stats["statuses"].items()}


def test_every_purchase_answered_500_after_committing(emulator: EmulatorInfo) -> None:
    """Each purchase lands and then fails with 500: still exactly one debit per number."""
    trunk, sub = asyncio.run(routing(emulator))
    faults = {"purchase_fault": "commit_then_500", "purchase_fault_rate": 1.0}
    outcomes = asyncio.run(run_job(emulator, faults, count=4, trunk_group_id=trunk, subaccount=sub))

    assert [item.outcome for item in outcomes] == ["provisioned"] * 4
    assert asyncio.run(statuses(emulator)).get("500") == 4  # every purchase was hit
    assert asyncio.run(debits(emulator)) == sorted(item.e164 for item in outcomes)

    async def owners() -> set[tuple[str | None, str | None]]:
        async with AsyncClient(
            emulator.auth_id, emulator.auth_token, base_url=emulator.base_url
        ) as c:
            return {(n.account_id, n.trunk_group_id) async for n in c.numbers.iter()}

    assert asyncio.run(owners()) == {(sub, trunk)}


def test_random_server_errors_and_rate_limits(emulator: EmulatorInfo) -> None:
    """20 % 5xx and 10 % 429 on every request: all numbers provisioned, none bought twice."""
    faults = {"error_rate": 0.2, "rate_limit_rate": 0.1, "retry_after": 0, "seed": 7}
    outcomes = asyncio.run(run_job(emulator, faults, count=6, concurrency=3))

    assert all(item.provisioned for item in outcomes), outcomes
    assert len(outcomes) == 6
    answered = asyncio.run(statuses(emulator))
    assert answered.get("429", 0) > 0
    assert sum(answered.get(status, 0) for status in ("500", "502", "503", "504")) > 0
    assert asyncio.run(debits(emulator)) == sorted(item.e164 for item in outcomes)


def test_an_empty_balance_buys_nothing(emulator: EmulatorInfo) -> None:
    """With no money every purchase is refused (402): the job reports it and spends nothing."""

    async def empty_the_balance() -> None:
        async with EmulatorControl(emulator.root_url) as control:
            await control.update_account(emulator.auth_id, balance=0)

    asyncio.run(empty_the_balance())
    outcomes = asyncio.run(run_job(emulator, {}, count=2))

    assert outcomes, "the job tried"
    assert {item.outcome for item in outcomes} == {"failed"}
    assert all("InsufficientBalance" in item.detail for item in outcomes)
    assert asyncio.run(debits(emulator)) == []
