"""Peak RSS growth while iterating a long listing with a slow consumer.

Run as its own process (``python -m benchmarks.bench_memory --base-url URL``)
so that nothing the other benchmarks allocated counts toward the peak; it
prints one JSON object. ``--hold`` keeps every number in a list instead, to
show what the bound saves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time

from phonenumbers_async import AsyncClient

from ._data import MASTER
from ._harness import TOKEN

__all__ = ["main"]


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False where not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _peak_kib() -> int:
    peak = _status_kib("VmHWM")
    if peak is not None:
        return peak
    # ru_maxrss is KiB on Linux, bytes on macOS.
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss // 1024 if sys.platform == "darwin" else maxrss


def _rss_kib() -> int:
    rss = _status_kib("VmRSS")
    return rss if rss is not None else _peak_kib()


async def consume(base_url: str, hold: bool, every: int, pause: float) -> tuple[int, int]:
    """Iterate every number; return (count, numbers kept)."""
    kept = []
    count = 0
    async with AsyncClient(MASTER, TOKEN, base_url=base_url) as client:
        async for number in client.numbers.iter(per_page=100):
            count += 1
            if hold:
                kept.append(number)
                continue
            await asyncio.sleep(0)  # a consumer that yields on every item...
            if count % every == 0:
                await asyncio.sleep(pause)  # ...and does some I/O now and then
    return count, len(kept)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--hold", action="store_true")
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--pause-ms", type=float, default=1.0)
    args = parser.parse_args(argv)

    # Warm up imports and the event loop machinery outside the measurement.
    asyncio.run(asyncio.sleep(0))
    baseline = _rss_kib()
    exact = _reset_peak()
    if not exact:
        baseline = _peak_kib()
    started = time.perf_counter()
    count, kept = asyncio.run(consume(args.base_url, args.hold, args.every, args.pause_ms / 1000))
    seconds = time.perf_counter() - started
    peak = _peak_kib()
    json.dump(
        {
            "items": count,
            "kept": kept,
            "seconds": seconds,
            "baseline_mb": baseline * 1024 / 1e6,
            "peak_mb": peak * 1024 / 1e6,
            "growth_mb": (peak - baseline) * 1024 / 1e6,
            "exact_peak": exact,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
