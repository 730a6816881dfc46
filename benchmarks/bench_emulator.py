"""The emulator under load: 100-item number pages at 32 concurrent clients, against a
canned-bytes aiohttp server sending the same page, and page depth (page 200 vs page 1).

    python -m benchmarks.bench_emulator          # this section alone
    python -m benchmarks                         # every benchmark (make bench)

Both servers run as child processes on 127.0.0.1, so the load generator (this
process) and the server each have a core of a 2-core machine. The emulator
(``python -m phonenumbers_async.emulator``, in memory) gets 20,000 numbers owned
by its master; the canned server answers every request with the bytes of the
emulator's page 1, so both send the same payload. Throughput is the best of
``ROUNDS`` timed windows per server, the servers taking turns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp

from ._harness import ROOT, Row, fmt_ratio, render_text

__all__ = ["emulator_rows"]

NUMBERS = 20_000
PER_PAGE = 100
CLIENTS = 32
WINDOW_SECONDS = 4.0
ROUNDS = 3
DEPTH_SAMPLES = 60
DEEP_PAGE = NUMBERS // PER_PAGE  # 200: the last page


class _Child:
    """A server process that prints one line when it listens; stopped with SIGTERM."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.line = self.process.stdout.readline().strip()
        if not self.line:
            self.stop()
            raise RuntimeError(f"server did not start: {' '.join(args)}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def _start_emulator() -> tuple[_Child, dict[str, str]]:
    child = _Child(
        [
            *("-m", "phonenumbers_async.emulator", "--seed-inventory", "0", "--seed", "1"),
            *("--subaccounts", "2", "--max-half-open", "1024"),
        ]
    )
    fields = dict(part.split("=", 1) for part in child.line.split()[1:])
    root = fields["base_url"].removesuffix("/api")
    request = urllib.request.Request(
        root + "/_emulator/numbers",
        data=json.dumps({"count": NUMBERS, "owner": fields["auth_id"]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        created = json.loads(response.read())["created"]
    if created != NUMBERS:
        raise RuntimeError(f"the emulator created {created} numbers")
    return child, fields


def _call_url(base_url: str, page: bytes) -> str:
    """The control URL that records a call on the first number of ``page``."""
    e164 = json.loads(page)["items"][0]["e164"]
    return base_url.removesuffix("/api") + f"/_emulator/numbers/{e164.replace('+', '%2B')}/calls"


def _numbers_url(base_url: str, auth_id: str) -> str:
    return f"{base_url}/v1/account/{auth_id}/numbers"


async def _throughput(
    url: str, headers: dict[str, str], pages: int, write_url: str | None = None
) -> tuple[float, float]:
    """Requests/s of ``CLIENTS`` clients looping over pages 1..``pages`` for a window.

    With ``write_url``, one more client posts to it (records a call) in a loop
    meanwhile; the second figure is its writes/s.
    """
    connector = aiohttp.TCPConnector(limit=CLIENTS + 1)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        done = 0
        writes = 0
        stop_at = 0.0

        async def writer() -> None:
            nonlocal writes
            while write_url is not None and time.perf_counter() < stop_at:
                async with session.post(write_url, json={}) as response:
                    if response.status != 200:
                        raise RuntimeError(f"write: HTTP {response.status}")
                    await response.read()
                writes += 1

        async def client(offset: int) -> None:
            nonlocal done
            page = offset
            while time.perf_counter() < stop_at:
                params = {"page": str(page % pages + 1), "per_page": str(PER_PAGE)}
                async with session.get(url, params=params) as response:
                    body = await response.read()
                    if response.status != 200 or not body.startswith(b'{"items":['):
                        raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
                done += 1
                page += CLIENTS

        # warm-up: open the connections and fill the server's caches
        stop_at = time.perf_counter() + 0.5
        await asyncio.gather(*(client(i) for i in range(CLIENTS)), writer())
        done = writes = 0
        started = time.perf_counter()
        stop_at = started + WINDOW_SECONDS
        await asyncio.gather(*(client(i) for i in range(CLIENTS)), writer())
        elapsed = time.perf_counter() - started
    return done / elapsed, writes / elapsed


async def _depth(
    url: str, headers: dict[str, str], write_url: str | None = None
) -> dict[str, float]:
    """Median latency (ms) of page 1 and page 200, one request at a time, interleaved.

    With ``write_url``, a write (a recorded call) precedes every sample, so no
    page is served from a cache that the write invalidated: the cold cost.
    """
    samples: dict[int, list[float]] = {1: [], DEEP_PAGE: []}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def timed(page: int) -> float:
            started = time.perf_counter()
            async with session.get(url, params={"page": str(page), "per_page": "100"}) as r:
                body = await r.read()
                if r.status != 200 or body.count(b'"e164"') != PER_PAGE:
                    raise RuntimeError(f"page {page}: HTTP {r.status}")
            return (time.perf_counter() - started) * 1000

        for page in samples:  # warm-up
            await timed(page)
        for _ in range(DEPTH_SAMPLES):
            for page, times in samples.items():
                if write_url is not None:
                    async with session.post(write_url, json={}) as response:
                        await response.read()
                times.append(await timed(page))
    return {f"page_{page}": statistics.median(times) for page, times in samples.items()}


def emulator_rows() -> list[Row]:
    """The table rows of this benchmark (the emulator's and the canned server's figures)."""
    emulator, fields = _start_emulator()
    base_url, auth_id = fields["base_url"], fields["auth_id"]
    headers = {"X-Auth-ID": auth_id, "X-Auth-Token": fields["auth_token"]}
    url = _numbers_url(base_url, auth_id)
    with tempfile.TemporaryDirectory() as workdir:
        page_file = Path(workdir) / "page.json"
        request = urllib.request.Request(url + "?page=1&per_page=100", headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            page_file.write_bytes(response.read())
        canned = _Child(["-m", "benchmarks.bench_emulator", "--canned", str(page_file)])
        try:
            canned_url = _numbers_url(f"http://127.0.0.1:{canned.line}/api", auth_id)
            call_url = _call_url(base_url, page_file.read_bytes())
            emulator_rates: list[float] = []
            canned_rates: list[float] = []
            for _ in range(ROUNDS):
                emulator_rates.append(asyncio.run(_throughput(url, headers, DEEP_PAGE))[0])
                canned_rates.append(asyncio.run(_throughput(canned_url, headers, DEEP_PAGE))[0])
            mixed, writes = asyncio.run(_throughput(url, headers, DEEP_PAGE, call_url))
            depth = asyncio.run(_depth(url, headers))
            cold = asyncio.run(_depth(url, headers, call_url))
        finally:
            canned.stop()
            emulator.stop()
    emulator_rps, canned_rps = max(emulator_rates), max(canned_rates)
    ratio = emulator_rps / canned_rps
    depth_ratio = depth[f"page_{DEEP_PAGE}"] / depth["page_1"]
    cold_ratio = cold[f"page_{DEEP_PAGE}"] / cold["page_1"]
    return [
        Row(
            f"6. Emulator: {PER_PAGE}-item number pages, {CLIENTS} concurrent clients, "
            f"{NUMBERS:,} numbers (benchmarks/bench_emulator.py)",
            "",
            section=True,
        ),
        Row(
            f"emulator requests/s (best of {ROUNDS} x {WINDOW_SECONDS:g} s, pages 1-{DEEP_PAGE})",
            f"{emulator_rps:,.0f} req/s",
        ),
        Row("canned-bytes aiohttp server, the same page bytes", f"{canned_rps:,.0f} req/s"),
        Row("emulator / canned", fmt_ratio(ratio), ">= 0.25x", ratio >= 0.25),
        Row(
            f"page {DEEP_PAGE} latency / page 1 latency (median of {DEPTH_SAMPLES}, one at a time)",
            f"{fmt_ratio(depth_ratio)} ({depth[f'page_{DEEP_PAGE}']:.2f} ms vs "
            f"{depth['page_1']:.2f} ms)",
            "<= 1.5x",
            depth_ratio <= 1.5,
        ),
        Row(
            "the same with a write (a recorded call) before every request: nothing cached",
            f"{fmt_ratio(cold_ratio)} ({cold[f'page_{DEEP_PAGE}']:.2f} ms vs "
            f"{cold['page_1']:.2f} ms)",
        ),
        Row(
            f"emulator requests/s while one more client records calls non-stop ({writes:,.0f}"
            " writes/s; every write invalidates the cached pages)",
            f"{mixed:,.0f} req/s ({fmt_ratio(mixed / canned_rps)} of canned)",
        ),
    ]


async def _serve_canned(body: bytes) -> None:
    """Answer every GET with ``body``; print the port; stop on SIGTERM."""
    import signal

    from aiohttp import web

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/v1/account/{auth_id}/numbers", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site.port, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_emulator")
    parser.add_argument("--canned", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.canned is not None:
        asyncio.run(_serve_canned(args.canned.read_bytes()))
        return 0
    print(render_text([], emulator_rows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
