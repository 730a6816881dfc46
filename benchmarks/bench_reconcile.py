"""Requests spent establishing the outcome of ambiguous purchases, by account size.

Against the emulator (in this process), with the purchase fault
``commit_then_500``: the number is bought, the answer is a 500, and the SDK
must find out what happened. Counted from the emulator's own request
counters, so the figure is what a server would see. Beside it, for scale,
the requests a scan of the account's listing costs at the same size (what
the reconciliation did before it looked numbers up with ``search``).

``python -m benchmarks.bench_reconcile`` prints the rows alone.
"""

from __future__ import annotations

import asyncio
import time

from phonenumbers_async import AsyncClient, RetryPolicy
from phonenumbers_async._resources._lookup import _scan_owned
from phonenumbers_async.emulator import EmulatorControl, run_emulator

from ._harness import Row

SIZES = (100, 10_000, 100_000)
BULK_PURCHASES = 1_000
BULK_FAULT_RATE = 0.1
BULK_ACCOUNT_SIZE = 100_000
BULK_CONCURRENCY = 16


def _reads(stats: dict[str, object]) -> int:
    requests = stats["requests"]
    assert isinstance(requests, dict)
    return sum(int(count) for route, count in requests.items() if route.startswith("GET /api"))


def _posts(stats: dict[str, object]) -> int:
    requests = stats["requests"]
    assert isinstance(requests, dict)
    return sum(int(count) for route, count in requests.items() if route.startswith("POST /api"))


async def _one_purchase(size: int) -> tuple[int, int, int]:
    """(reconciliation requests, purchase requests, scan requests) on an account of ``size``."""
    async with run_emulator(seed_inventory=10, subaccounts=0) as emu:
        control = EmulatorControl(emu.root_url)
        async with (
            control,
            AsyncClient(emu.auth_id, emu.auth_token, base_url=emu.base_url) as client,
        ):
            await control.create_numbers(size, owner=emu.auth_id)
            [offer] = await control.create_numbers(1)
            await control.set_faults(purchase_fault="commit_then_500", purchase_fault_count=1)
            await control.reset_stats()
            number = await client.numbers.purchase(offer)
            assert number.e164 == offer
            stats = await control.stats()
            checks, posts = _reads(stats), _posts(stats)
            await control.reset_stats()
            found = await _scan_owned(client._sender, offer, emu.auth_id)
            assert found.number is not None
            scan = _reads(await control.stats())
    return checks, posts, scan


async def _bulk() -> tuple[int, int, int, float]:
    """(ambiguous purchases, reconciliation requests, POSTs, seconds) for the bulk run."""
    async with run_emulator(seed_inventory=10, subaccounts=0) as emu:
        control = EmulatorControl(emu.root_url)
        policy = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.05)
        async with (
            control,
            AsyncClient(
                emu.auth_id, emu.auth_token, base_url=emu.base_url, retry_policy=policy
            ) as client,
        ):
            await control.create_numbers(BULK_ACCOUNT_SIZE, owner=emu.auth_id)
            offers = await control.create_numbers(BULK_PURCHASES)
            await control.set_faults(
                purchase_fault="commit_then_500", purchase_fault_rate=BULK_FAULT_RATE, seed=7
            )
            await control.reset_stats()
            slots = asyncio.Semaphore(BULK_CONCURRENCY)

            async def buy(e164: str) -> None:
                async with slots:
                    await client.numbers.purchase(e164)

            started = time.perf_counter()
            await asyncio.gather(*(buy(e164) for e164 in offers))
            seconds = time.perf_counter() - started
            stats = await control.stats()
            faults = await control.request("GET", "/faults")
            ambiguous = int(faults.get("purchase_faults_applied", 0))
    return ambiguous, _reads(stats), _posts(stats), seconds


def reconcile_rows() -> list[Row]:
    rows = [
        Row(
            "7. Reconciling an ambiguous purchase (commit, then 500), emulator request counters",
            "",
            section=True,
        )
    ]
    for size in SIZES:
        checks, posts, scan = asyncio.run(_one_purchase(size))
        rows.append(
            Row(
                f"one purchase, account of {size:,} numbers: requests to reconcile "
                f"(a listing scan would cost {scan:,})",
                f"{checks} GET + {posts} POST",
                "<= 3 at every size",
                checks <= 3,
            )
        )
    ambiguous, checks, posts, seconds = asyncio.run(_bulk())
    per = checks / ambiguous if ambiguous else 0.0
    rows.append(
        Row(
            f"bulk: {BULK_PURCHASES:,} purchases, {BULK_FAULT_RATE:.0%} commit-then-500, "
            f"account of {BULK_ACCOUNT_SIZE:,}, concurrency {BULK_CONCURRENCY}",
            f"{ambiguous} ambiguous, {checks} reconciliation GETs ({per:.2f} each), "
            f"{posts} POSTs, {seconds:.1f} s",
            "<= 3 per ambiguous purchase",
            per <= 3 and posts == BULK_PURCHASES,
        )
    )
    return rows


if __name__ == "__main__":
    from ._harness import render_text

    print(render_text([], reconcile_rows()))
