"""Where the SDK's listing time goes: cProfile, and a breakdown against raw aiohttp.

    python -m benchmarks.profile_sdk               # cProfile of iter() at 0 ms
    python -m benchmarks.profile_sdk --breakdown   # raw / SDK / SDK without structuring

The breakdown switches decoders for some variants (in this process only,
nothing is written): the general decoder instead of msgspec, and the general
decoder with its item structuring stubbed out, which separates the cost of
the SDK's plumbing (requests, paging, the async generators) from the cost of
building PhoneNumber objects. Not part of ``python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from typing import Any

from phonenumbers_async import AsyncClient
from phonenumbers_async import _sansio as sansio

from ._data import MASTER
from ._harness import TOKEN, ServerProcess, best_of
from .bench_listing import raw_aiohttp, sdk_iter

ITEMS = 10_000


async def sdk_pages(base_url: str) -> tuple[float, int]:
    started = time.perf_counter()
    count = 0
    async with AsyncClient(MASTER, TOKEN, base_url=base_url) as client:
        async for page in client.numbers.iter_pages(per_page=100):
            count += len(page.items)
    return time.perf_counter() - started, count


def breakdown(server: ServerProcess, runner: asyncio.Runner, runs: int) -> None:
    real_structure, real_fast = sansio.structure_number, sansio.decode_number_page_fast

    def unstructured(data: Any, _: Any) -> Any:
        return data

    def general() -> tuple[float, int]:
        sansio.decode_number_page_fast = None
        try:
            return runner.run(sdk_iter(server.base_url, None))
        finally:
            sansio.decode_number_page_fast = real_fast

    def stubbed() -> tuple[float, int]:
        sansio.decode_number_page_fast = None
        sansio.structure_number = unstructured
        try:
            return runner.run(sdk_iter(server.base_url, None))
        finally:
            sansio.structure_number = real_structure
            sansio.decode_number_page_fast = real_fast

    variants = {
        "raw aiohttp + orjson.loads, 8 at a time": lambda: runner.run(
            raw_aiohttp(server.base_url, 8)
        ),
        "SDK iter() (as shipped)": lambda: runner.run(sdk_iter(server.base_url, None)),
        "SDK iter_pages() (no per-item generator)": lambda: runner.run(sdk_pages(server.base_url)),
        "SDK iter(), general decoder (no msgspec)": general,
        "SDK iter(), general decoder, no structuring": stubbed,
    }
    cpu: dict[str, float] = {}
    best = best_of(variants, runs, expected=ITEMS, cpu=cpu)
    raw = "raw aiohttp + orjson.loads, 8 at a time"
    for name, seconds in best.items():
        print(
            f"{name:45s} wall {seconds * 1000:6.1f} ms ({best[raw] / seconds:4.2f}x raw items/s)"
            f"  CPU {cpu[name] * 1000:6.1f} ms ({cpu[raw] / cpu[name]:4.2f}x raw)"
            f"  {cpu[name] / ITEMS * 1e6:5.2f} µs CPU/item"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", help="a pstats sort key (tottime, cumtime)")
    parser.add_argument("--max-concurrency", type=int, default=None)
    parser.add_argument("--breakdown", action="store_true")
    args = parser.parse_args(argv)

    with (
        ServerProcess(items=ITEMS, latency_ms=args.latency_ms) as server,
        asyncio.Runner() as runner,
    ):
        for _ in range(2):  # warm up
            runner.run(sdk_iter(server.base_url, args.max_concurrency))
        if args.breakdown:
            breakdown(server, runner, args.runs)
            return
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.runs):
            runner.run(sdk_iter(server.base_url, args.max_concurrency))
        profile.disable()
    pstats.Stats(profile).strip_dirs().sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
