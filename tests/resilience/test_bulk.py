"""A bulk job of 200 concurrent purchases rides through 10% faults, buying each number once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from phonenumbers_async import AsyncClient, PhoneNumber
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo, run_emulator

from ._helpers import fast_policy

COUNT = 200
log = logging.getLogger(__name__)


@pytest.fixture
async def big_emu() -> AsyncIterator[EmulatorInfo]:
    """An emulator with no seeded inventory (the test creates its 200 numbers)."""
    async with run_emulator(seed_inventory=0, subaccounts=0, seed=99) as info:
        yield info


async def test_200_purchases_under_faults_buy_every_number_exactly_once(
    big_emu: EmulatorInfo,
) -> None:
    """10% random 5xx plus 10% commit-then-500: 200 numbers owned, 200 debits, exact balance."""
    emu = big_emu
    async with EmulatorControl(emu.root_url) as control:
        wanted = await control.create_numbers(COUNT)
        rows = {e164: await control.number(e164) for e164 in wanted}
        cost = sum(
            (Decimal(row["setup_fee"]) + Decimal(row["monthly_fee"]) for row in rows.values()),
            Decimal(0),
        )
        before = Decimal((await control.account(emu.auth_id))["balance"])
        await control.set_faults(
            error_rate=0.1,
            purchase_fault="commit_then_500",
            purchase_fault_rate=0.1,
            seed=20240601,
        )

        slots = asyncio.Semaphore(16)
        async with AsyncClient(
            emu.auth_id,
            emu.auth_token,
            base_url=emu.base_url,
            retry_policy=fast_policy(max_retries=8),
        ) as client:

            async def buy(e164: str) -> PhoneNumber:
                async with slots:
                    return await client.numbers.purchase(e164)

            started = time.monotonic()
            bought = await asyncio.gather(*(buy(e164) for e164 in wanted))
            elapsed = time.monotonic() - started
            log.info("bulk: %d purchases in %.2f s", COUNT, elapsed)

            faults = await control.request("GET", "/faults")
            stats = await control.stats()
            await control.clear_faults()
            owned = [n.e164 async for n in client.numbers.iter()]

        # The faults really happened, on the purchases too.
        assert faults["purchase_faults_applied"] > 0
        assert sum(v for k, v in stats["statuses"].items() if k.startswith("5")) > COUNT * 0.1
        # Every number bought, and each exactly once.
        assert sorted(number.e164 for number in bought) == sorted(wanted)
        assert Counter(owned) == Counter(wanted)
        ledger = await control.ledger()
        assert len(ledger) == COUNT
        assert Counter(entry["e164"] for entry in ledger) == Counter(wanted)
        assert stats["purchases_committed"] == COUNT
        after = Decimal((await control.account(emu.auth_id))["balance"])
        assert before - after == cost
