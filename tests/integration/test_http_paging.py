"""Listings over real HTTP on loopback: every page, in order, once, whatever ``total`` says."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from support.server import MASTER, TOKEN, FakeAPI, Seen, make_numbers

from phonenumbers_async import AsyncClient, FanOutError, PhoneNumber, ServerError

# A guard against a hang, never an assertion about speed.
HANG_GUARD = 10


def _e164s(api: FakeAPI, account: str = MASTER) -> list[str]:
    return [item["e164"] for item in api.numbers[account]]


async def _collect(client: AsyncClient, **kwargs: object) -> list[str]:
    async with asyncio.timeout(HANG_GUARD):
        return [number.e164 async for number in client.numbers.iter(**kwargs)]  # type: ignore[arg-type]


async def test_many_pages_arrive_in_order_complete_and_each_asked_once(
    api: FakeAPI, client: AsyncClient
) -> None:
    """1,050 numbers at 100 a page: all yielded in order, no duplicate, pages 1-11 asked once."""
    api.numbers[MASTER] = make_numbers(MASTER, 1050)

    e164s = await _collect(client, per_page=100)

    assert e164s == _e164s(api)
    assert len(set(e164s)) == 1050
    assert sorted(api.pages_seen()) == list(range(1, 12))
    assert Counter(api.pages_seen()).most_common(1)[0][1] == 1
    first = api.seen[0]
    assert first.path == f"/api/v1/account/{MASTER}/numbers"
    assert first.query_string == "page=1&per_page=100&limit=100&offset=0"
    assert first.headers["X-Auth-ID"] == MASTER
    assert first.headers["X-Auth-Token"] == TOKEN
    assert "Content-Type" not in first.headers


async def test_items_decode_over_the_wire(api: FakeAPI, client: AsyncClient) -> None:
    """Numbers read from a real socket carry their owner and Decimal money."""
    api.numbers[MASTER] = make_numbers(MASTER, 3)

    page = await client.numbers.list()

    assert [n.account_id for n in page.items] == [MASTER] * 3
    assert page.items[0].monthly_fee == Decimal("1.5")
    assert (page.page, page.per_page, page.total) == (1, 25, 3)


async def test_prefetch_is_concurrent_and_bounded(api: FakeAPI, base_url: str) -> None:
    """After page 1, exactly ``max_concurrency`` page requests are in flight at once."""
    api.numbers[MASTER] = make_numbers(MASTER, 1050)
    all_in = asyncio.Event()

    async def hold_until_four_are_open(seen: Seen) -> None:
        # A sequential client would never get four requests open: it would hang here.
        if seen.page > 1 and not all_in.is_set():
            if api.in_flight >= 4:
                all_in.set()
            await all_in.wait()

    api.gate = hold_until_four_are_open
    async with AsyncClient(
        MASTER, TOKEN, base_url=base_url, max_retries=0, max_concurrency=4
    ) as client:
        e164s = await _collect(client, per_page=100)

    assert e164s == _e164s(api)
    assert api.max_in_flight == 4


@pytest.mark.parametrize("count", [1050, 1000, 0, 100, 99])
async def test_without_total_pages_are_read_one_by_one_until_a_short_page(
    api: FakeAPI, client: AsyncClient, count: int
) -> None:
    """No ``total``: pages are asked in turn, one at a time, ending at a short or empty page."""
    api.numbers[MASTER] = make_numbers(MASTER, count)
    api.total_for = lambda actual: None

    e164s = await _collect(client, per_page=100)

    assert e164s == _e164s(api)
    assert api.pages_seen() == list(range(1, count // 100 + 2))
    assert api.max_in_flight == 1


@pytest.mark.parametrize("claimed", [2000, 1051, 5000], ids=["double", "one-more", "far"])
async def test_total_too_high_still_gives_every_number_once(
    api: FakeAPI, client: AsyncClient, claimed: int
) -> None:
    """A ``total`` above the truth stops at the first short page, missing and repeating nothing."""
    api.numbers[MASTER] = make_numbers(MASTER, 1050)
    api.total_for = lambda actual: claimed

    e164s = await _collect(client, per_page=100)

    assert e164s == _e164s(api)
    assert set(range(1, 12)) <= set(api.pages_seen())


@pytest.mark.parametrize(
    "claimed",
    [
        730,
        1049,
        1,
        # Too low by whole pages: only the one extra page past total shows it.
        pytest.param(1000, id="boundary-1000"),
        pytest.param(100, id="boundary-100"),
    ],
)
async def test_total_too_low_still_gives_every_number_once(
    api: FakeAPI, client: AsyncClient, claimed: int
) -> None:
    """A ``total`` below the truth is noticed (a page fuller than it allows) and read past."""
    api.numbers[MASTER] = make_numbers(MASTER, 1050)
    api.total_for = lambda actual: claimed

    e164s = await _collect(client, per_page=100)

    assert e164s == _e164s(api)
    assert Counter(e164s).most_common(1)[0][1] == 1


async def test_an_empty_listing_is_one_request(api: FakeAPI, client: AsyncClient) -> None:
    """No numbers at all: one request, nothing yielded."""
    assert await _collect(client) == []
    assert api.pages_seen() == [1]


# -- stopping early -----------------------------------------------------------


def _hold_pages_after_two(api: FakeAPI, started: asyncio.Event, expect: int) -> None:
    """Answer pages 1 and 2; hold the others open until the client goes away."""

    async def gate(seen: Seen) -> None:
        if seen.page <= 2:
            return
        if len([s for s in api.seen if s.page > 2]) >= expect:
            started.set()
        await api.release.wait()

    api.gate = gate


async def _wait_for_cancellations(api: FakeAPI, count: int) -> None:
    async with asyncio.timeout(HANG_GUARD):
        await api.wait_cancelled(count)


@pytest.mark.parametrize("how", ["aclosing", "aclose"])
async def test_stopping_early_cancels_requests_in_flight(
    api: FakeAPI, base_url: str, how: str
) -> None:
    """Leaving ``iter`` early (``aclosing``/``aclose``) cancels the prefetched requests."""
    api.numbers[MASTER] = make_numbers(MASTER, 1050)
    started = asyncio.Event()
    _hold_pages_after_two(api, started, expect=3)
    async with AsyncClient(
        MASTER, TOKEN, base_url=base_url, max_retries=0, max_concurrency=4
    ) as client:
        iterator = client.numbers.iter(per_page=100)
        got: list[str] = []
        async with asyncio.timeout(HANG_GUARD):
            if how == "aclosing":
                async with contextlib.aclosing(iterator):  # type: ignore[type-var]
                    async for number in iterator:
                        got.append(number.e164)
                        if len(got) == 101:
                            await started.wait()  # pages 3, 4, 5 are open on the server
                            break
            else:
                while len(got) < 101:
                    got.append((await anext(iterator)).e164)
                await started.wait()
                await iterator.aclose()  # type: ignore[attr-defined]
        await _wait_for_cancellations(api, 3)

    assert got == _e164s(api)[:101]
    assert sorted(s.page for s in api.cancelled) == [3, 4, 5]
    assert sorted(api.pages_seen()) == [1, 2, 3, 4, 5]


async def test_a_plain_break_then_closing_the_client_leaves_nothing_behind(
    api: FakeAPI, base_url: str
) -> None:
    """``break`` without ``aclose``, then leaving ``async with``: requests end, no warning."""
    api.numbers[MASTER] = make_numbers(MASTER, 1050)
    started = asyncio.Event()
    _hold_pages_after_two(api, started, expect=3)
    async with AsyncClient(
        MASTER, TOKEN, base_url=base_url, max_retries=0, max_concurrency=4
    ) as client:
        count = 0
        async with asyncio.timeout(HANG_GUARD):
            async for _ in client.numbers.iter(per_page=100):
                count += 1
                if count == 101:
                    await started.wait()
                    break
    await _wait_for_cancellations(api, 3)

    assert sorted(s.page for s in api.cancelled) == [3, 4, 5]


# -- fan-out over the master and its sub-accounts -------------------------------

SUBS = ["SA_ALPHA", "SA_BRAVO", "SA_CHARLIE", "SA_DELTA"]


async def _drain(numbers: AsyncIterator[PhoneNumber], into: list[PhoneNumber]) -> None:
    """Consume a fan-out into ``into``, so what came before an error can be checked."""
    async with asyncio.timeout(HANG_GUARD):
        async for number in numbers:
            into.append(number)


def _fan_out_data(api: FakeAPI) -> dict[str, list[str]]:
    counts = {MASTER: 230, "SA_ALPHA": 0, "SA_BRAVO": 45, "SA_CHARLIE": 310, "SA_DELTA": 100}
    api.subaccounts = list(SUBS)
    for index, (account, count) in enumerate(counts.items()):
        # Sub-account listings leave the owner out: the SDK must stamp it.
        api.numbers[account] = make_numbers(account, count, index=index, owner=account == MASTER)
    return {account: _e164s(api, account) for account in counts}


async def test_fanout_lists_every_account_and_stamps_the_owner(
    api: FakeAPI, client: AsyncClient
) -> None:
    """``iter_fanout`` yields every account's numbers once, each with its owner's Auth ID."""
    expected = _fan_out_data(api)

    async with asyncio.timeout(HANG_GUARD):
        numbers = [n async for n in client.numbers.iter_fanout(concurrency=3, per_page=100)]

    by_owner: dict[str, list[str]] = {}
    for number in numbers:
        assert number.account_id is not None
        by_owner.setdefault(number.account_id, []).append(number.e164)
    assert by_owner == {account: e164s for account, e164s in expected.items() if e164s}
    listing = [s for s in api.seen if s.path.endswith("/numbers")]
    assert {s.account for s in listing} == set(expected)
    assert all("include_subaccounts=false" in s.query_string for s in listing)
    assert all(s.headers["X-Auth-ID"] == MASTER for s in api.seen)
    sub_listing = [s for s in api.seen if "sub-accounts" in s.path]
    assert [s.path for s in sub_listing] == [f"/api/v1/accounts/{MASTER}/sub-accounts/"]
    assert sub_listing[0].query_string == "page=1&size=100"


async def test_fanout_raise_policy_raises_the_accounts_error(
    api: FakeAPI, client: AsyncClient
) -> None:
    """With ``on_error="raise"`` a failing sub-account's error is raised, naming the account."""
    _fan_out_data(api)
    api.failing = {"SA_CHARLIE"}

    with pytest.raises(ServerError) as caught:
        await _drain(client.numbers.iter_fanout(concurrency=2), [])

    assert caught.value.status == 500
    assert any("SA_CHARLIE" in note for note in caught.value.__notes__)


async def test_fanout_collect_policy_yields_the_others_then_raises(
    api: FakeAPI, client: AsyncClient
) -> None:
    """With ``on_error="collect"`` every healthy account is yielded, then ``FanOutError``."""
    expected = _fan_out_data(api)
    api.failing = {"SA_BRAVO", "SA_DELTA"}
    numbers: list[PhoneNumber] = []

    with pytest.raises(FanOutError) as caught:
        await _drain(client.numbers.iter_fanout(concurrency=2, on_error="collect"), numbers)

    assert set(caught.value.failures) == {"SA_BRAVO", "SA_DELTA"}
    assert all(isinstance(e, ServerError) for e in caught.value.failures.values())
    assert "SA_BRAVO, SA_DELTA" in str(caught.value)
    healthy = {MASTER, "SA_ALPHA", "SA_CHARLIE"}
    assert sorted((n.account_id, n.e164) for n in numbers) == sorted(
        (account, e164) for account in healthy for e164 in expected[account]
    )


async def test_fanout_with_no_sub_accounts_lists_the_master_alone(
    api: FakeAPI, client: AsyncClient
) -> None:
    """A master without sub-accounts fans out to itself only."""
    api.numbers[MASTER] = make_numbers(MASTER, 5)

    async with asyncio.timeout(HANG_GUARD):
        numbers = [n.e164 async for n in client.numbers.iter_fanout()]

    assert numbers == _e164s(api)
