"""Listing 10,000 numbers and the master-account fan-out, against the canned server.

Each variant is timed from creating its client (or session) to closing it,
so connection set-up is included for all of them alike.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from phonenumbers_async import AsyncClient

from ._data import MASTER
from ._harness import TOKEN, Row, ServerProcess, best_of, fmt_rate, fmt_ratio, fmt_seconds

__all__ = ["fanout_rows", "listing_rows"]

PER_PAGE = 100
HEADERS = {
    "X-Auth-ID": MASTER,
    "X-Auth-Token": TOKEN,
    "Accept": "application/json",
    "User-Agent": "benchmarks-raw-aiohttp",
}


def _client(base_url: str) -> AsyncClient:
    return AsyncClient(MASTER, TOKEN, base_url=base_url)


# -- the variants ------------------------------------------------------------


async def sdk_iter(base_url: str, max_concurrency: int | None) -> tuple[float, int]:
    """(a)/(b): ``client.numbers.iter()``, each item a PhoneNumber."""
    started = time.perf_counter()
    count = 0
    async with _client(base_url) as client:
        async for _ in client.numbers.iter(per_page=PER_PAGE, max_concurrency=max_concurrency):
            count += 1
    return time.perf_counter() - started, count


async def raw_aiohttp(base_url: str, concurrency: int) -> tuple[float, int]:
    """(c): the same requests with bare aiohttp and ``orjson.loads``; no objects built.

    Page 1 first (its ``total`` says how many pages there are, as for the SDK),
    then the rest with ``concurrency`` requests in flight.
    """
    started = time.perf_counter()
    url = f"{base_url}/v1/account/{MASTER}/numbers"
    async with aiohttp.ClientSession(headers=HEADERS) as session:

        async def get(page: int) -> Any:
            async with session.get(f"{url}?page={page}&per_page={PER_PAGE}") as response:
                if response.status != 200:
                    raise RuntimeError(f"page {page}: HTTP {response.status}")
                return orjson.loads(await response.read())

        first = await get(1)
        count = len(first["items"])
        pages = iter(range(2, -(-first["total"] // PER_PAGE) + 1))

        async def worker() -> None:
            nonlocal count
            for page in pages:
                items = len((await get(page))["items"])
                count += items  # after the await: `count += await …` would lose updates

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, count


def vobiz_installed() -> str | None:
    try:
        return importlib.metadata.version("vobiz-python")
    except importlib.metadata.PackageNotFoundError:
        return None


def vobiz_list(base_url: str) -> tuple[float, int]:
    """(d): the provider's sync SDK, page after page, its module constant on loopback."""
    import vobiz
    from vobiz.resources import numbers as vobiz_numbers

    vobiz_numbers.VOBIZ_API_V1 = f"{base_url}/v1"
    started = time.perf_counter()
    with vobiz.RestClient(MASTER, TOKEN) as client:
        first = client.phone_numbers.list(page=1, per_page=PER_PAGE)
        count = len(first.items)
        for page in range(2, -(-first.total // PER_PAGE) + 1):
            count += len(client.phone_numbers.list(page=page, per_page=PER_PAGE).items)
    return time.perf_counter() - started, count


# -- listing -----------------------------------------------------------------

VARIANTS = {
    "a8": "(a) SDK `numbers.iter()`, prefetch (max_concurrency=8)",
    "b1": "(b) SDK `numbers.iter(max_concurrency=1)`",
    "c8": "(c) raw aiohttp + orjson.loads, 8 at a time",
    "c1": "(c) raw aiohttp + orjson.loads, 1 at a time",
    "d1": "(d) vobiz-python (sync, requests), page by page",
}


def _measure_listing(
    server: ServerProcess,
    runner: asyncio.Runner,
    repetitions: int,
    items: int,
    cpu: dict[str, float] | None = None,
) -> dict[str, float]:
    base = server.base_url
    variants: dict[str, Callable[[], tuple[float, int]]] = {
        "a8": lambda: runner.run(sdk_iter(base, None)),
        "b1": lambda: runner.run(sdk_iter(base, 1)),
        "c8": lambda: runner.run(raw_aiohttp(base, 8)),
        "c1": lambda: runner.run(raw_aiohttp(base, 1)),
    }
    if vobiz_installed():
        variants["d1"] = lambda: vobiz_list(base)
    return best_of(variants, repetitions, expected=items, cpu=cpu)


def listing_rows(server: ServerProcess, items: int, repetitions: dict[int, int]) -> list[Row]:
    """Rows for 0 ms and 20 ms; ``repetitions`` maps latency to best-of count."""
    vobiz_version = vobiz_installed()
    rows: list[Row] = []
    best: dict[int, dict[str, float]] = {}
    cpu: dict[int, dict[str, float]] = {}
    with asyncio.Runner() as runner:
        # One untimed round: imports, code paths and the converter's caches warm.
        _measure_listing(server, runner, 1, items)
        for latency, count in repetitions.items():
            server.set_latency(latency)
            cpu[latency] = {}
            best[latency] = _measure_listing(server, runner, count, items, cpu[latency])
    server.set_latency(0)

    for latency, times in best.items():
        rows.append(
            Row(
                f"1. Listing {items:,} numbers ({items // PER_PAGE} pages x {PER_PAGE}), "
                f"{latency} ms per request, best of {repetitions[latency]}",
                "",
                section=True,
            )
        )
        for key, label in VARIANTS.items():
            if key == "d1" and vobiz_version:
                label = label.replace("vobiz-python", f"vobiz-python {vobiz_version}")
            if key not in times:
                rows.append(
                    Row(f"{latency} ms · {label}", "skipped: not installed (`make bench` adds it)")
                )
                continue
            rows.append(
                Row(f"{latency} ms · {label}", _time_rate(times[key], items)),
            )

    slow, fast = best[max(best)], best[min(best)]
    slow_ms, fast_ms = max(best), min(best)
    rows.append(Row("Listing ratios (from the best times above)", "", section=True))
    rows.append(
        _target_row(
            f"{slow_ms} ms · prefetch vs sequential: time (b) ÷ time (a)",
            slow["b1"] / slow["a8"],
            ">= 5x",
            lambda value: value >= 5,
        )
    )
    rows.append(
        _target_row(
            f"{slow_ms} ms · SDK prefetch vs raw aiohttp at 8: time (a) ÷ time (c, 8)",
            slow["a8"] / slow["c8"],
            "<= 1.3x",
            lambda value: value <= 1.3,
        )
    )
    if "d1" in slow:
        rows.append(
            _target_row(
                f"{slow_ms} ms · SDK prefetch vs vobiz-python: time (d) ÷ time (a)",
                slow["d1"] / slow["a8"],
                ">= 5x",
                lambda value: value >= 5,
            )
        )
    else:
        rows.append(Row(f"{slow_ms} ms · SDK vs vobiz-python", "skipped: not installed", ">= 5x"))
    rows.append(
        _target_row(
            f"{fast_ms} ms · SDK prefetch items/s ÷ raw aiohttp + orjson items/s (both at 8)",
            fast["c8"] / fast["a8"],
            ">= 0.5x",
            lambda value: value >= 0.5,
        )
    )
    fast_cpu = cpu[fast_ms]
    rows.append(
        Row(
            f"{fast_ms} ms · the same by client CPU time (less sensitive to other load)",
            f"{fmt_ratio(fast_cpu['c8'] / fast_cpu['a8'])}: SDK {fast_cpu['a8'] * 1000:.0f} ms, "
            f"raw {fast_cpu['c8'] * 1000:.0f} ms of CPU",
        )
    )
    rows.append(
        Row(
            f"{fast_ms} ms · SDK sequential items/s ÷ raw aiohttp items/s (both at 1)",
            fmt_ratio(fast["c1"] / fast["b1"]),
        )
    )
    floor = slow_ms / 1000 * (1 + -(-(items // PER_PAGE - 1) // 8))
    rows.append(
        Row(
            f"{slow_ms} ms · latency floor at 8 in flight (page 1, then 99 pages 8 at a time)",
            f"{fmt_seconds(floor)}; (a) is {fmt_ratio(slow['a8'] / floor)} of it",
        )
    )
    if "d1" in fast:
        rows.append(
            Row(
                f"{fast_ms} ms · SDK prefetch vs vobiz-python: time (d) ÷ time (a)",
                fmt_ratio(fast["d1"] / fast["a8"]),
            )
        )
    return rows


# -- fan-out -----------------------------------------------------------------


async def sdk_fanout(base_url: str, concurrency: int) -> tuple[float, int]:
    started = time.perf_counter()
    count = 0
    async with _client(base_url) as client:
        async for number in client.numbers.iter_fanout(concurrency=concurrency):
            if number.account_id is None:
                raise RuntimeError(f"{number.e164} has no owner")
            count += 1
    return time.perf_counter() - started, count


async def sdk_accounts_in_turn(base_url: str) -> tuple[float, int]:
    """The same accounts one after another, each listed page by page."""
    started = time.perf_counter()
    count = 0
    async with _client(base_url) as client:
        accounts = [MASTER] + [sub.auth_id async for sub in client.subaccounts.iter()]
        for account in accounts:
            async for _ in client.numbers.iter(
                auth_id=account, include_subaccounts=False, max_concurrency=1
            ):
                count += 1
    return time.perf_counter() - started, count


def fanout_rows(
    server: ServerProcess, accounts: int, per_account: int, latency_ms: int, repetitions: int
) -> list[Row]:
    base = server.base_url
    expected = accounts * per_account
    with asyncio.Runner() as runner:
        variants: dict[str, Callable[[], tuple[float, int]]] = {
            "fanout": lambda: runner.run(sdk_fanout(base, 8)),
            "sequential": lambda: runner.run(sdk_accounts_in_turn(base)),
        }
        best_of(variants, 1, expected=expected)  # warm-up, untimed
        server.set_latency(latency_ms)
        best = best_of(variants, repetitions, expected=expected)
        server.set_latency(0)
    subs = accounts - 1
    return [
        Row(
            f"3. Fan-out: 1 master + {subs} sub-accounts x {per_account} numbers "
            f"({expected:,} numbers), {latency_ms} ms per request, best of {repetitions}",
            "",
            section=True,
        ),
        Row(
            f"{latency_ms} ms · `iter_fanout(concurrency=8)`",
            _time_rate(best["fanout"], expected),
        ),
        Row(
            f"{latency_ms} ms · the same accounts in turn, `iter(auth_id=…, "
            "include_subaccounts=False, max_concurrency=1)`",
            _time_rate(best["sequential"], expected),
        ),
        _target_row(
            f"{latency_ms} ms · fan-out vs in turn: time (in turn) ÷ time (fan-out)",
            best["sequential"] / best["fanout"],
            ">= 5x",
            lambda value: value >= 5,
        ),
    ]


# -- formatting --------------------------------------------------------------


def _time_rate(seconds: float, items: int) -> str:
    return f"{fmt_seconds(seconds)} · {fmt_rate(items, seconds)}"


def _target_row(name: str, value: float, target: str, check: Callable[[float], bool]) -> Row:
    return Row(name, fmt_ratio(value), target, check(value))
