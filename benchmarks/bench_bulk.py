"""1,000 purchases at 20 ms server latency, 16 at a time: the SDK bulk engine, the command
line (journal on, fsynced), bare aiohttp, and a plain loop with the provider's SDK.

The servers run in their own process: first the canned server
(``benchmarks/_server.py``, answers built ahead), then the emulator
(``python -m phonenumbers_async.emulator``, in memory, its latency fault on; each
variant buys 1,000 fresh inventory numbers). The ideal is 1,000 x 20 ms / 16 =
1.25 s; a variant's figure is the ideal divided by its time (1.0x would be perfect
overlap with no overhead). Bare aiohttp doing the same purchases shows what the
server allows (on the emulator each purchase is an SQLite transaction on its one
core). The CLI is timed as a user sees it: interpreter start, the plan (inventory
listing and balance), the purchases with their journal, and the final balance read.

``python -m benchmarks.bench_bulk`` prints these rows alone.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from phonenumbers_async import AsyncClient, Outcome

from ._data import MASTER, make_numbers
from ._harness import TOKEN, Row, ServerProcess, fmt_ratio, fmt_seconds
from .bench_emulator import _Child
from .bench_listing import vobiz_installed

__all__ = ["bulk_rows"]

PURCHASES = 1_000
LATENCY_MS = 20
CONCURRENCY = 16
IDEAL = PURCHASES * LATENCY_MS / 1000 / CONCURRENCY


def _control(root: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        root + "/_emulator" + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        text = response.read()
    return json.loads(text) if text else None


def _fresh(root: str) -> list[str]:
    """1,000 new inventory numbers (no latency while they are made)."""
    _control(root, "POST", "/faults", {"latency_ms": 0})
    numbers = list(_control(root, "POST", "/numbers", {"count": PURCHASES})["numbers"])
    _control(root, "POST", "/faults", {"latency_ms": LATENCY_MS})
    return numbers


def _committed(root: str) -> int:
    return int(_control(root, "GET", "/stats")["purchases_committed"])


async def _sdk(fields: dict[str, str], numbers: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    bought = 0
    async with AsyncClient(
        fields["auth_id"],
        fields["auth_token"],
        base_url=fields["base_url"],
        max_concurrency=CONCURRENCY,
    ) as client:
        async for outcome in client.numbers.purchase_many(numbers, concurrency=CONCURRENCY):
            bought += outcome.outcome is Outcome.PURCHASED
    return time.perf_counter() - started, bought


def _cli(fields: dict[str, str], numbers: list[str], workdir: Path) -> tuple[float, str]:
    source = workdir / "order.csv"
    source.write_text("e164\n" + "\n".join(numbers) + "\n", encoding="utf-8")
    env = {
        "VOBIZ_AUTH_ID": fields["auth_id"],
        "VOBIZ_AUTH_TOKEN": fields["auth_token"],
        "VOBIZ_BASE_URL": fields["base_url"],
        "NO_COLOR": "1",
        "PATH": "/usr/bin:/bin",
    }
    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "phonenumbers_async.cli",
            "numbers",
            "purchase",
            "--yes",
            "--from",
            str(source),
            "--concurrency",
            str(CONCURRENCY),
            "--quiet",
            "--format",
            "csv",
            "--results",
            str(workdir / "results.csv"),
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"the CLI failed ({completed.returncode}): {completed.stderr[-500:]}")
    return elapsed, completed.stderr


async def _raw(fields: dict[str, str], numbers: list[str]) -> float:
    """The server's ceiling: the same purchases with bare aiohttp, 16 at a time, no journal."""
    headers = {
        "X-Auth-ID": fields["auth_id"],
        "X-Auth-Token": fields["auth_token"],
        "Content-Type": "application/json",
    }
    url = f"{fields['base_url']}/v1/account/{fields['auth_id']}/numbers/purchase-from-inventory"
    pending = iter(numbers)
    started = time.perf_counter()
    async with aiohttp.ClientSession(headers=headers) as session:

        async def worker() -> None:
            for e164 in pending:
                async with session.post(url, data=json.dumps({"e164": e164})) as response:
                    if response.status != 200:
                        raise RuntimeError(f"{e164}: HTTP {response.status}")
                    await response.read()

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


def _vobiz(fields: dict[str, str], numbers: list[str]) -> float:
    """The provider's sync SDK: one purchase after another (it has no bulk call)."""
    import vobiz
    from vobiz.resources import numbers as vobiz_numbers

    vobiz_numbers.VOBIZ_API_V1 = fields["base_url"] + "/v1"
    started = time.perf_counter()
    with vobiz.RestClient(fields["auth_id"], fields["auth_token"]) as client:
        for e164 in numbers:
            client.phone_numbers.purchase_from_inventory(e164)
    return time.perf_counter() - started


def _measure(
    fields: dict[str, str], fresh: Callable[[], list[str]], *, vobiz_too: bool
) -> dict[str, float]:
    """Each variant's time buying ``PURCHASES`` numbers from ``fresh()``."""
    times = {"raw": asyncio.run(_raw(fields, fresh()))}
    sdk_time, bought = asyncio.run(_sdk(fields, fresh()))
    if bought != PURCHASES:
        raise RuntimeError(f"the SDK engine bought {bought} of {PURCHASES}")
    times["sdk"] = sdk_time
    with tempfile.TemporaryDirectory() as workdir:
        times["cli"] = _cli(fields, fresh(), Path(workdir))[0]
    if vobiz_too and vobiz_installed() is not None:
        times["vobiz"] = _vobiz(fields, fresh())
    return times


def _rows(server: str, times: dict[str, float], *, targets: bool) -> list[Row]:
    def ratio(name: str) -> str:
        return f"{fmt_ratio(IDEAL / times[name])} ({fmt_seconds(times[name])})"

    sdk, cli = IDEAL / times["sdk"], IDEAL / times["cli"]
    rows = [
        Row(f"{server}: raw aiohttp, 16 at a time, no journal: ideal ÷ time", ratio("raw")),
        Row(
            f"{server}: SDK `numbers.purchase_many(concurrency=16)`: ideal ÷ time",
            ratio("sdk"),
            ">= 0.8x" if targets else "",
            sdk >= 0.8 if targets else None,
        ),
        Row(
            f"{server}: CLI `numbers purchase --yes --concurrency 16` (journal fsynced; "
            "process start, plan and balance included): ideal ÷ time",
            ratio("cli"),
            ">= 0.6x" if targets else "",
            cli >= 0.6 if targets else None,
        ),
        Row(
            f"{server}: SDK vs raw aiohttp: time (raw) ÷ time (SDK)",
            fmt_ratio(times["raw"] / times["sdk"]),
        ),
    ]
    if "vobiz" in times:
        rows.append(
            Row(
                f"{server}: vobiz-python {vobiz_installed()} plain loop (sync, one at a time): "
                "ideal ÷ time",
                ratio("vobiz"),
            )
        )
        rows.append(
            Row(
                f"{server}: SDK engine vs vobiz-python loop: time (vobiz) ÷ time (SDK)",
                fmt_ratio(times["vobiz"] / times["sdk"]),
            )
        )
    elif targets:
        rows.append(Row(f"{server}: vobiz-python plain loop", "skipped: not installed"))
    return rows


def bulk_rows() -> list[Row]:
    """The table rows: each variant's time and its ratio to the ideal, from one run.

    Against the canned server (never the bottleneck: the client's figures),
    then against the emulator (a stateful server on one core: for scale).
    """
    rows = [
        Row(
            f"8. Bulk purchase: {PURCHASES:,} numbers at {LATENCY_MS} ms, concurrency "
            f"{CONCURRENCY}; ideal {fmt_seconds(IDEAL)} (benchmarks/bench_bulk.py)",
            "",
            section=True,
        )
    ]
    with ServerProcess(items=PURCHASES, latency_ms=LATENCY_MS) as canned:
        fields = {"auth_id": MASTER, "auth_token": TOKEN, "base_url": canned.base_url}
        numbers = [number["e164"] for number in make_numbers(MASTER, 0, PURCHASES)]
        times = _measure(fields, lambda: numbers, vobiz_too=True)
    rows += _rows("canned server", times, targets=True)
    child = _Child(
        ["-m", "phonenumbers_async.emulator", "--seed-inventory", "0", "--seed", "3",
         "--subaccounts", "0", "--max-half-open", "1024"]
    )  # fmt: skip
    try:
        fields = dict(part.split("=", 1) for part in child.line.split()[1:])
        root = fields["base_url"].removesuffix("/api")
        before = _committed(root)
        times = _measure(fields, lambda: _fresh(root), vobiz_too=False)
        if _committed(root) - before != 3 * PURCHASES:
            raise RuntimeError("the emulator did not sell every number exactly once")
    finally:
        child.stop()
    return rows + _rows("emulator", times, targets=False)


if __name__ == "__main__":
    from ._harness import render_text

    print(render_text([], bulk_rows()))
    sys.exit(0)
