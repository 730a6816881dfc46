"""The sync facade's cost: per call against the async call, and streaming 10,000 numbers.

    .venv/bin/python -m benchmarks.bench_facade

prints the rows that ``python -m benchmarks`` appends to its table (``run()``).

* Per call: ``numbers.list(per_page=1)`` through ``AsyncClient`` (awaited in
  a loop) and through ``Client``, on a fake transport that returns canned
  bytes (so only the SDK and the facade are measured), then the same on the
  canned loopback server; the difference is what the facade adds. The same
  for ``account.balance()`` on the fake transport (a call that returns one
  model). One bare ``portal.call`` of a no-op is given for scale.
* Iteration: ``for n in client.numbers.iter(per_page=100)`` over 10,000
  numbers at 0 ms latency, against ``async for`` on AsyncClient, best of N
  taking turns, each timed from creating its event loop (``asyncio.run`` for
  the async one, the portal thread for the sync one) to closing it. The
  facade makes no round trip per page: a pump task in the loop hands pages to
  the calling thread. The target is sync ≥ 0.8 times the async items/s. Two
  more variants split the cost: the whole async listing run as a single
  portal call (a loop in another thread, by itself),
  and every page fetched by one portal call then iterated in the calling
  thread (objects built in one thread, used and freed in another: the floor
  for any thread-based facade, with no per-page crossing). Wall and process
  CPU time are both given: on a shared machine the CPU figure is the steadier
  one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from anyio.from_thread import start_blocking_portal
from multidict import CIMultiDict

from phonenumbers_async import AsyncClient, Client, Page, PhoneNumber
from phonenumbers_async._sansio import Response
from phonenumbers_async._transport import HTTPRequest

from ._data import MASTER, make_numbers, number_page_bytes
from ._harness import TOKEN, ServerProcess, fmt_rate, fmt_ratio

__all__ = ["run"]

ITEMS = 10_000
PER_PAGE = 100
CALLS = 2_000
REPETITIONS = 5
ITERATION_RUNS = 15
TARGET_RATIO = 0.8
#: A balance answer shaped as the provider's recorded one.
BALANCE_BODY = (
    b'{"id": "aabbccdd-1234-5678-90ab-cdef12345678", "account_id": "MA_XXXXXXXX",'
    b' "currency": "INR", "balance": 23906.83, "reserved_funds": 0,'
    b' "promotional_balance": 0, "promotional_reserved_balance": 0,'
    b' "available_balance": 23906.83, "credit_limit": 1000, "is_postpaid": true,'
    b' "credit_limit_type": "soft", "low_balance_threshold": 50, "status": "active",'
    b' "created_at": "2026-01-19T18:39:15.050543Z", "updated_at": "2026-05-11T06:59:32.802705Z"}'
)


class CannedTransport:
    """Answers every request with the same bytes, without a network."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._headers: CIMultiDict[str] = CIMultiDict({"Content-Type": "application/json"})

    async def send(self, request: HTTPRequest) -> Response:
        return Response(200, self._headers, self._body)

    async def aclose(self) -> None:
        return None


def _best_mean(call: Callable[[], object], number: int) -> float:
    """The best, over REPETITIONS, of the mean seconds per call."""
    best = float("inf")
    for _ in range(REPETITIONS):
        started = time.perf_counter()
        for _ in range(number):
            call()
        best = min(best, (time.perf_counter() - started) / number)
    return best


async def _list_one(client: AsyncClient) -> object:
    return await client.numbers.list(per_page=1)


async def _balance(client: AsyncClient) -> object:
    return await client.account.balance()


def _async_per_call(
    make: Callable[[], AsyncClient],
    number: int,
    call: Callable[[AsyncClient], Awaitable[object]] = _list_one,
) -> float:
    async def measure() -> float:
        async with make() as client:
            await call(client)  # warm-up: session, caches
            best = float("inf")
            for _ in range(REPETITIONS):
                started = time.perf_counter()
                for _ in range(number):
                    await call(client)
                best = min(best, (time.perf_counter() - started) / number)
            return best

    return asyncio.run(measure())


def _sync_per_call(
    make: Callable[[], Client],
    number: int,
    call: Callable[[Client], object] = lambda client: client.numbers.list(per_page=1),
) -> float:
    with make() as client:
        call(client)
        return _best_mean(lambda: call(client), number)


def _portal_round_trip(number: int) -> float:
    async def nothing() -> None:
        return None

    with start_blocking_portal() as portal:
        portal.call(nothing)
        return _best_mean(lambda: portal.call(nothing), number)


def _per_call_rows(base_url: str) -> list[tuple[str, str]]:
    body = number_page_bytes(make_numbers(MASTER, 0, 1), 1, 1, 1)

    def fake_async() -> AsyncClient:
        return AsyncClient(MASTER, TOKEN, transport=CannedTransport(body))

    def fake_sync() -> Client:
        return Client(MASTER, TOKEN, transport=CannedTransport(body))

    def loopback_async() -> AsyncClient:
        return AsyncClient(MASTER, TOKEN, base_url=base_url)

    def loopback_sync() -> Client:
        return Client(MASTER, TOKEN, base_url=base_url)

    rows: list[tuple[str, str]] = []
    for label, make_async, make_sync, number in (
        ("fake transport (canned bytes, no network)", fake_async, fake_sync, CALLS),
        ("canned loopback server", loopback_async, loopback_sync, CALLS // 4),
    ):
        async_seconds = _async_per_call(make_async, number)
        sync_seconds = _sync_per_call(make_sync, number)
        rows.append(
            (
                f"per call, numbers.list(per_page=1), {label}",
                f"async {async_seconds * 1e6:.0f} µs, sync {sync_seconds * 1e6:.0f} µs: "
                f"facade adds {(sync_seconds - async_seconds) * 1e6:.0f} µs",
            )
        )
    balance_body = BALANCE_BODY
    async_seconds = _async_per_call(
        lambda: AsyncClient(MASTER, TOKEN, transport=CannedTransport(balance_body)), CALLS, _balance
    )
    sync_seconds = _sync_per_call(
        lambda: Client(MASTER, TOKEN, transport=CannedTransport(balance_body)),
        CALLS,
        lambda client: client.account.balance(),
    )
    rows.append(
        (
            "per call, account.balance(), fake transport (canned bytes, no network)",
            f"async {async_seconds * 1e6:.0f} µs, sync {sync_seconds * 1e6:.0f} µs: "
            f"facade adds {(sync_seconds - async_seconds) * 1e6:.0f} µs",
        )
    )
    rows.append(
        (
            "for scale: one bare anyio portal.call of a no-op coroutine",
            f"{_portal_round_trip(CALLS) * 1e6:.0f} µs",
        )
    )
    return rows


def _timed(iterate: Callable[[], int]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the whole process, items) of one run."""
    cpu = time.process_time()
    wall = time.perf_counter()
    count = iterate()
    return time.perf_counter() - wall, time.process_time() - cpu, count


async def _iterate_async(base_url: str) -> int:
    count = 0
    async with AsyncClient(MASTER, TOKEN, base_url=base_url) as client:
        async for _ in client.numbers.iter(per_page=PER_PAGE):
            count += 1
    return count


def _async_iteration(base_url: str) -> int:
    return asyncio.run(_iterate_async(base_url))


async def _all_pages(base_url: str) -> list[Page[PhoneNumber]]:
    async with AsyncClient(MASTER, TOKEN, base_url=base_url) as client:
        return [page async for page in client.numbers.iter_pages(per_page=PER_PAGE)]


def _pages_consumed_in_the_calling_thread(base_url: str) -> int:
    # Every page fetched by one portal call, then iterated (and freed) in this
    # thread: the floor for any design that hands objects built in the loop's
    # thread to another one, with no per-page crossing at all.
    with start_blocking_portal() as portal:
        pages = portal.call(_all_pages, base_url)
    count = 0
    for page in pages:
        for _ in page.items:
            count += 1
    return count


def _async_iteration_in_a_portal(base_url: str) -> int:
    # The whole async listing as one portal call: what running the loop in
    # another thread costs by itself, before any per-page crossing.
    with start_blocking_portal() as portal:
        return portal.call(_iterate_async, base_url)


def _sync_iteration(base_url: str) -> int:
    count = 0
    with Client(MASTER, TOKEN, base_url=base_url) as client:
        for _ in client.numbers.iter(per_page=PER_PAGE):
            count += 1
    return count


def _iteration_rows(server: ServerProcess) -> list[tuple[str, str]]:
    server.set_latency(0)
    variants: dict[str, Callable[[], int]] = {
        "async": lambda: _async_iteration(server.base_url),
        "portal": lambda: _async_iteration_in_a_portal(server.base_url),
        "handed": lambda: _pages_consumed_in_the_calling_thread(server.base_url),
        "sync": lambda: _sync_iteration(server.base_url),
    }
    for iterate in variants.values():  # warm-up round, untimed
        iterate()
    wall = dict.fromkeys(variants, float("inf"))
    cpu = dict.fromkeys(variants, float("inf"))
    # Taking turns, so load from other processes hits both alike.
    for _ in range(ITERATION_RUNS):
        for name, iterate in variants.items():
            seconds, cpu_seconds, count = _timed(iterate)
            if count != ITEMS:
                raise RuntimeError(f"{name}: saw {count} items, expected {ITEMS}")
            wall[name] = min(wall[name], seconds)
            cpu[name] = min(cpu[name], cpu_seconds)
    ratio = wall["async"] / wall["sync"]
    verdict = "met" if ratio >= TARGET_RATIO else "NOT MET"
    return [
        (
            f"async for n in AsyncClient.numbers.iter(), {ITEMS:,} numbers, 0 ms",
            f"{fmt_rate(ITEMS, wall['async'])} ({wall['async'] * 1000:.0f} ms; "
            f"CPU {cpu['async'] * 1000:.0f} ms)",
        ),
        (
            "for scale: the same async listing run whole in a portal thread (one crossing)",
            f"{fmt_rate(ITEMS, wall['portal'])} ({wall['portal'] * 1000:.0f} ms; "
            f"CPU {cpu['portal'] * 1000:.0f} ms)",
        ),
        (
            "for scale: all pages fetched in one portal call, iterated in the calling thread",
            f"{fmt_rate(ITEMS, wall['handed'])} ({wall['handed'] * 1000:.0f} ms; "
            f"CPU {cpu['handed'] * 1000:.0f} ms)",
        ),
        (
            f"for n in Client.numbers.iter(), {ITEMS:,} numbers, 0 ms",
            f"{fmt_rate(ITEMS, wall['sync'])} ({wall['sync'] * 1000:.0f} ms; "
            f"CPU {cpu['sync'] * 1000:.0f} ms)",
        ),
        (
            f"sync ÷ async items/s (target ≥ {TARGET_RATIO}x)",
            f"{fmt_ratio(ratio)} ({verdict}; best of {ITERATION_RUNS}, taking turns)",
        ),
        (
            "the same by CPU time (less sensitive to other load on the machine)",
            f"{fmt_ratio(cpu['async'] / cpu['sync'])}: the facade adds "
            f"{(cpu['sync'] - cpu['async']) * 1000:.0f} ms of CPU for {ITEMS // PER_PAGE} pages",
        ),
    ]


def run() -> list[tuple[str, str]]:
    """Every row of this benchmark: (label, figure)."""
    with ServerProcess(items=ITEMS) as server:
        return _per_call_rows(server.base_url) + _iteration_rows(server)


def main() -> None:
    rows = run()
    width = max(len(label) for label, _ in rows)
    for label, figure in rows:
        print(f"{label.ljust(width)}  {figure}")


if __name__ == "__main__":
    main()
