"""Exactly-once purchase under every ambiguous fault the emulator injects.

In each case the emulator's own records (ledger, stored owner, counters) are
the judge: one sale, one debit, and the SDK says what really happened.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from support.server import Proxy, proxied, wait_for
from support.transport import HookedTransport
from support.wire import fast_policy

from phonenumbers_async import AsyncClient, PhoneNumber
from phonenumbers_async._transport import AiohttpTransport
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo
from phonenumbers_async.errors import (
    InsufficientBalance,
    NotFound,
    PurchaseOutcomeUnknown,
    ServerError,
    TransportError,
)

PURCHASE = "POST /api/v1/account/{auth_id}/numbers/purchase-from-inventory"
INVENTORY = "GET /api/v1/account/{auth_id}/inventory/numbers"


async def an_inventory_number(control: EmulatorControl) -> dict[str, Any]:
    """A fresh number in inventory, as the emulator stores it."""
    [e164] = await control.create_numbers(1)
    return await control.number(e164)


async def balance(control: EmulatorControl, auth_id: str) -> Decimal:
    return Decimal((await control.account(auth_id))["balance"])


async def assert_sold_once(
    control: EmulatorControl, emu: EmulatorInfo, row: dict[str, Any], before: Decimal
) -> None:
    """One debit of the number's price, one committed sale, and the master owns it."""
    ledger = [entry for entry in await control.ledger() if entry["e164"] == row["e164"]]
    assert len(ledger) == 1
    assert ledger[0]["auth_id"] == emu.auth_id
    cost = Decimal(row["setup_fee"]) + Decimal(row["monthly_fee"])
    assert Decimal(ledger[0]["amount"]) == cost
    assert await balance(control, emu.auth_id) == before - cost
    assert (await control.number(row["e164"]))["owner"] == emu.auth_id
    assert (await control.stats())["purchases_committed"] == 1


async def owned_times(client: AsyncClient, e164: str) -> int:
    return len([n async for n in client.numbers.iter(include_subaccounts=True) if n.e164 == e164])


@pytest.mark.parametrize(
    ("fault", "posts"),
    [("commit_then_500", 1), ("commit_then_drop", 1), ("no_commit_then_500", 2)],
)
async def test_purchase_under_an_ambiguous_fault_buys_exactly_once(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, fault: str, posts: int
) -> None:
    """The first attempt fails ambiguously; the SDK reconciles and returns the one purchase."""
    row = await an_inventory_number(control)
    before = await balance(control, emu.auth_id)
    await control.set_faults(purchase_fault=fault, purchase_fault_count=1)

    bought = await client.numbers.purchase(row["e164"])

    assert isinstance(bought, PhoneNumber)
    assert bought.e164 == row["e164"]
    assert bought.account_id == emu.auth_id
    assert (await control.request("GET", "/faults"))["purchase_faults_applied"] == 1
    await control.clear_faults()
    stats = await control.stats()
    assert stats["requests"][PURCHASE] == posts
    assert stats["requests"][INVENTORY] >= 1  # it looked before deciding
    await assert_sold_once(control, emu, row, before)
    assert await owned_times(client, row["e164"]) == 1


async def test_purchase_that_times_out_but_commits_returns_the_owned_number(
    control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """The server commits but its answer comes after the timeout: reconciled as owned, no resend."""
    row = await an_inventory_number(control)
    before = await balance(control, emu.auth_id)

    def plan(method: str, n: int) -> tuple[float, float]:
        # The first POST is forwarded at once; its answer is held past the timeout.
        return (0.0, 1.0) if method == "POST" and n == 1 else (0.0, 0.0)

    proxy = Proxy(emu.root_url, plan=plan)
    async with (
        proxied(proxy) as server,
        AsyncClient(
            emu.auth_id,
            emu.auth_token,
            base_url=server.base_url,
            timeout=0.5,
            retry_policy=fast_policy(),
        ) as client,
    ):
        bought = await client.numbers.purchase(row["e164"])

    assert bought.e164 == row["e164"]
    assert bought.account_id == emu.auth_id
    assert proxy.counts["POST"] == 1
    assert proxy.forwarded[0] == ("POST", 1, 200)
    await assert_sold_once(control, emu, row, before)


async def test_purchase_timed_out_by_latency_is_checked_then_resent_once(
    control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """Emulator latency above the timeout: the abandoned attempt buys nothing, one resend does."""
    row = await an_inventory_number(control)
    before = await balance(control, emu.auth_id)
    await control.set_faults(latency_ms=800)

    async def after(method: str, outcome: object) -> None:
        if method == "POST" and isinstance(outcome, TransportError):
            await control.clear_faults()  # let the check and the resend through

    transport = HookedTransport(AiohttpTransport(), after=after)
    async with AsyncClient(
        emu.auth_id,
        emu.auth_token,
        base_url=emu.base_url,
        timeout=0.5,
        transport=transport,
        retry_policy=fast_policy(),
    ) as client:
        bought = await client.numbers.purchase(row["e164"])

    assert bought.e164 == row["e164"]
    # Timed out, checked (inventory, then the account), resent.
    assert transport.sent[:4] == ["POST", "GET", "GET", "POST"]
    # The abandoned attempt may still be asleep in the emulator, but the number
    # is sold now: whatever it does later cannot buy it again.
    await assert_sold_once(control, emu, row, before)


async def test_purchase_whose_first_check_fails_checks_again(
    control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """Commit then 500, and the check's first look gets a 500 too: it looks again, finds it."""
    row = await an_inventory_number(control)
    before = await balance(control, emu.auth_id)
    await control.set_faults(purchase_fault="commit_then_500", purchase_fault_count=1)

    def replace(method: str, n: int) -> web.Response | None:
        if method == "GET" and n == 1:
            return web.json_response({"error": "internal"}, status=500)
        return None

    proxy = Proxy(emu.root_url, replace=replace)
    async with (
        proxied(proxy) as server,
        AsyncClient(
            emu.auth_id, emu.auth_token, base_url=server.base_url, retry_policy=fast_policy()
        ) as client,
    ):
        bought = await client.numbers.purchase(row["e164"])

    assert bought.e164 == row["e164"]
    assert proxy.counts["POST"] == 1
    assert proxy.counts["GET"] >= 3  # the failed look, the inventory, the account's numbers
    await assert_sold_once(control, emu, row, before)


async def test_purchase_timeout_that_commits_after_the_check_still_reports_the_purchase(
    control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """Timed out, checked (on sale), then the first attempt commits: the resend's 404 is ours."""
    row = await an_inventory_number(control)
    before = await balance(control, emu.auth_id)

    async def gate(method: str, n: int) -> None:
        if method == "POST" and n == 1:
            # Held until the client, having timed out, has looked and seen it on sale.
            await wait_for(lambda: _forwarded(proxy, "GET", 1))
        if method == "POST" and n == 2:
            # The resend reaches the emulator after the first attempt committed.
            await wait_for(lambda: _forwarded(proxy, "POST", 1))

    proxy = Proxy(emu.root_url, gate=gate)
    async with (
        proxied(proxy) as server,
        AsyncClient(
            emu.auth_id,
            emu.auth_token,
            base_url=server.base_url,
            timeout=0.5,
            retry_policy=fast_policy(),
        ) as client,
    ):
        bought = await client.numbers.purchase(row["e164"])

    assert bought.e164 == row["e164"]
    assert bought.account_id == emu.auth_id
    posts = [entry for entry in proxy.forwarded if entry[0] == "POST"]
    assert posts == [("POST", 1, 200), ("POST", 2, 404)]
    await assert_sold_once(control, emu, row, before)


async def _forwarded(proxy: Proxy, method: str, n: int) -> bool:
    return any(entry[:2] == (method, n) for entry in proxy.forwarded)


@pytest.mark.parametrize("fault", ["commit_then_500", "commit_then_drop", "no_commit_then_500"])
async def test_purchase_whose_outcome_cannot_be_established_says_so(
    control: EmulatorControl, emu: EmulatorInfo, fault: str
) -> None:
    """Every request after the failure 5xxs: PurchaseOutcomeUnknown with the number; <= 1 sale."""
    row = await an_inventory_number(control)
    await control.set_faults(purchase_fault=fault, purchase_fault_count=1)

    async def after(method: str, outcome: object) -> None:
        if method == "POST":
            await control.set_faults(error_rate=1.0)  # from now on, every request fails

    transport = HookedTransport(AiohttpTransport(), after=after)
    async with AsyncClient(
        emu.auth_id,
        emu.auth_token,
        base_url=emu.base_url,
        transport=transport,
        retry_policy=fast_policy(max_retries=3),
    ) as client:
        with pytest.raises(PurchaseOutcomeUnknown) as caught:
            await client.numbers.purchase(row["e164"])

    assert caught.value.e164 == row["e164"]
    assert row["e164"] in str(caught.value)
    assert isinstance(caught.value.cause, ServerError | TransportError)
    assert transport.sent.count("POST") == 1  # never resent blindly
    await control.clear_faults()
    ledger = [entry for entry in await control.ledger() if entry["e164"] == row["e164"]]
    committed = fault != "no_commit_then_500"
    assert len(ledger) == (1 if committed else 0)
    owner = (await control.number(row["e164"]))["owner"]
    assert owner == (emu.auth_id if committed else None)


async def test_insufficient_balance_is_never_resent(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """402: one POST, no reconciliation, no sale."""
    row = await an_inventory_number(control)
    await control.update_account(emu.auth_id, balance="0")
    await control.reset_stats()
    with pytest.raises(InsufficientBalance) as caught:
        await client.numbers.purchase(row["e164"])
    assert caught.value.attempts == 1
    stats = await control.stats()
    assert stats["requests"] == {PURCHASE: 1}
    assert await control.ledger() == []


async def test_number_not_in_inventory_is_never_resent(
    client: AsyncClient, control: EmulatorControl
) -> None:
    """404: one POST, no reconciliation, no sale."""
    await control.reset_stats()
    with pytest.raises(NotFound) as caught:
        await client.numbers.purchase("+15550000002")
    assert caught.value.attempts == 1
    stats = await control.stats()
    assert stats["requests"] == {PURCHASE: 1}
    assert await control.ledger() == []
