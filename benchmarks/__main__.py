"""``python -m benchmarks`` (or ``make bench``): run every benchmark, print one table.

The table is also written as Markdown to ``bench-results/latest.md``. See
``benchmarks/README.md`` for what each row measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from ._harness import ROOT, Row, ServerProcess, render_markdown, render_text

LISTING_ITEMS = 10_000
FANOUT_SUBACCOUNTS = 50
FANOUT_PER_ACCOUNT = 200
MEMORY_ITEMS = 100_000
COMMAND = "make bench  # or: .venv/bin/pip install -e '.[bench]' && .venv/bin/python -m benchmarks"


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "CPU model unknown"


def header() -> list[str]:
    load = "/".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        f"phonenumbers_async {_version('phonenumbers_async')} benchmarks, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- Machine: os.cpu_count() = {os.cpu_count()}, {platform.system()} "
        f"{platform.machine()}, {_cpu_model()}; "
        f"load average at start {load}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"aiohttp {_version('aiohttp')}, orjson {_version('orjson')}, "
        f"msgspec {_version('msgspec')}, "
        f"cattrs {_version('cattrs')}, attrs {_version('attrs')}, "
        f"vobiz-python {_version('vobiz-python')} (requests {_version('requests')})",
        "- Server: canned page bytes, aiohttp.web in a separate process on 127.0.0.1, "
        "latency injected per request. Every time is the best of N runs (the variants "
        "take turns), and every ratio compares figures from this same run.",
    ]


def memory_rows(server: ServerProcess) -> list[Row]:
    def run(*extra: str) -> dict[str, float]:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.bench_memory",
                "--base-url",
                server.base_url,
                *extra,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"bench_memory failed:\n{completed.stderr}")
        result: dict[str, float] = json.loads(completed.stdout)
        if result["items"] != MEMORY_ITEMS:
            raise RuntimeError(f"bench_memory saw {result['items']} items")
        return result

    streaming = run()
    held = run("--hold")
    growth = streaming["growth_mb"]
    note = "" if streaming["exact_peak"] else " (peak since start: /proc/self/clear_refs refused)"
    return [
        Row(
            f"4. Memory: iterating {MEMORY_ITEMS:,} numbers ({MEMORY_ITEMS // 100:,} pages), "
            "fresh process, peak RSS (VmHWM) minus RSS before",
            "",
            section=True,
        ),
        Row(
            "slow consumer: `await asyncio.sleep(0)` every item, 1 ms sleep every 100 items",
            f"+{growth:.1f} MB peak growth{note} ({streaming['seconds']:.1f} s, "
            f"baseline {streaming['baseline_mb']:.0f} MB)",
            "< 50 MB",
            growth < 50,
        ),
        Row(
            "for scale: the same listing kept in a list (what the bound avoids)",
            f"+{held['growth_mb']:.0f} MB",
        ),
    ]


def facade_rows() -> list[Row]:
    if importlib.util.find_spec("benchmarks.bench_facade") is None:
        return []
    rows = [Row("5. Sync facade (benchmarks/bench_facade.py)", "", section=True)]
    try:
        module = importlib.import_module("benchmarks.bench_facade")
        results = module.run()
    except Exception as exc:  # report it in the table; the other figures stand
        return [*rows, Row("bench_facade.run() failed", f"{exc.__class__.__name__}: {exc}")]
    return rows + [Row(str(name), str(result)) for name, result in results]


def emulator_rows() -> list[Row]:
    from . import bench_emulator

    try:
        return bench_emulator.emulator_rows()
    except Exception as exc:  # report it in the table; the other figures stand
        return [Row("6. Emulator: bench_emulator failed", f"{exc.__class__.__name__}: {exc}")]


def bulk_rows() -> list[Row]:
    from . import bench_bulk

    try:
        return bench_bulk.bulk_rows()
    except Exception as exc:  # report it in the table; the other figures stand
        return [Row("8. Bulk purchase: bench_bulk failed", f"{exc.__class__.__name__}: {exc}")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--latency-ms", type=int, default=20, help="the slow case (default 20)")
    parser.add_argument("--fast-runs", type=int, default=9, help="best of N at 0 ms")
    parser.add_argument("--slow-runs", type=int, default=5, help="best of N at --latency-ms")
    parser.add_argument("--output", type=Path, default=ROOT / "bench-results" / "latest.md")
    args = parser.parse_args(argv)

    from . import bench_decode, bench_listing, bench_reconcile

    started = time.perf_counter()
    head = header()
    print("\n".join(head), flush=True)
    print(
        "\nrunning: decode, listing, fan-out, memory, facade, emulator, reconcile, bulk ...",
        flush=True,
    )
    # Build every server's pages up front, before anything is timed.
    servers = {
        "listing": ServerProcess(items=LISTING_ITEMS).start(),
        "fanout": ServerProcess(items=FANOUT_PER_ACCOUNT, subaccounts=FANOUT_SUBACCOUNTS).start(),
        "memory": ServerProcess(items=MEMORY_ITEMS).start(),
    }
    rows: list[Row] = []
    try:
        for server in servers.values():
            server.wait_ready()
        rows += bench_listing.listing_rows(
            servers["listing"],
            LISTING_ITEMS,
            {0: args.fast_runs, args.latency_ms: args.slow_runs},
        )
        print("  listing done", flush=True)
        rows += bench_decode.decode_rows()
        print("  decode done", flush=True)
        rows += bench_listing.fanout_rows(
            servers["fanout"],
            FANOUT_SUBACCOUNTS + 1,
            FANOUT_PER_ACCOUNT,
            args.latency_ms,
            args.slow_runs,
        )
        print("  fan-out done", flush=True)
        rows += memory_rows(servers["memory"])
        print("  memory done", flush=True)
    finally:
        for server in servers.values():
            server.stop()
    rows += facade_rows()
    rows += emulator_rows()
    print("  emulator done", flush=True)
    rows += bench_reconcile.reconcile_rows()
    print("  reconcile done", flush=True)
    rows += bulk_rows()
    print("  bulk done", flush=True)

    elapsed = time.perf_counter() - started
    footer = [
        f"Whole run: {elapsed:.0f} s. Reproduce with `{COMMAND}`; "
        "`benchmarks/README.md` explains each row.",
    ]
    print()
    print(render_text([], rows))
    print()
    print("\n".join(footer))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render_markdown(head, rows, footer))
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
