"""1,000 purchases at 20 ms server latency, 16 at a time: the SDK bulk engine, the command
line (journal on, fsync per record), and a plain loop with the provider's SDK.

The server is the emulator in its own process (``python -m phonenumbers_async.emulator``,
in memory) with the latency fault on every request; each variant buys 1,000 fresh
inventory numbers. The ideal is 1,000 x 20 ms / 16 = 1.25 s; a variant's figure is the
ideal divided by its time (1.0x would be perfect overlap with no overhead). The CLI is
timed as a user sees it: interpreter start, the plan (inventory listing and balance),
the purchases with their journal, and the final balance read.

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
from pathlib import Path
from typing import Any

from phonenumbers_async import AsyncClient, Outcome

from ._harness import Row, fmt_ratio, fmt_seconds
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
        [sys.executable, "-m", "phonenumbers_async.cli", "numbers", "purchase", "--yes",
         "--from", str(source), "--concurrency", str(CONCURRENCY), "--quiet",
         "--format", "csv", "--results", str(workdir / "results.csv")],  # fmt: skip
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


def bulk_rows() -> list[Row]:
    """The table rows: each variant's time and its ratio to the ideal, from one run."""
    child = _Child(
        ["-m", "phonenumbers_async.emulator", "--seed-inventory", "0", "--seed", "3",
         "--subaccounts", "0", "--max-half-open", "1024"]  # fmt: skip
    )
    try:
        fields = dict(part.split("=", 1) for part in child.line.split()[1:])
        root = fields["base_url"].removesuffix("/api")
        rows = [
            Row(
                f"8. Bulk purchase: {PURCHASES:,} numbers at {LATENCY_MS} ms, concurrency "
                f"{CONCURRENCY}; ideal {fmt_seconds(IDEAL)} (benchmarks/bench_bulk.py)",
                "",
                section=True,
            )
        ]
        before = _committed(root)
        sdk_time, bought = asyncio.run(_sdk(fields, _fresh(root)))
        if bought != PURCHASES or _committed(root) - before != PURCHASES:
            raise RuntimeError(f"the SDK engine bought {bought} of {PURCHASES}")
        sdk_ratio = IDEAL / sdk_time
        rows.append(
            Row(
                "SDK `numbers.purchase_many(concurrency=16)`: ideal ÷ time",
                f"{fmt_ratio(sdk_ratio)} ({fmt_seconds(sdk_time)})",
                ">= 0.8x",
                sdk_ratio >= 0.8,
            )
        )
        with tempfile.TemporaryDirectory() as workdir:
            before = _committed(root)
            cli_time, _ = _cli(fields, _fresh(root), Path(workdir))
            if _committed(root) - before != PURCHASES:
                raise RuntimeError("the CLI did not buy every number")
        cli_ratio = IDEAL / cli_time
        rows.append(
            Row(
                "CLI `numbers purchase --yes --concurrency 16` (journal fsynced, plan and "
                "balance included, process start included): ideal ÷ time",
                f"{fmt_ratio(cli_ratio)} ({fmt_seconds(cli_time)})",
                ">= 0.6x",
                cli_ratio >= 0.6,
            )
        )
        version = vobiz_installed()
        if version is None:
            rows.append(Row("vobiz-python plain loop", "skipped: not installed"))
        else:
            vobiz_time = _vobiz(fields, _fresh(root))
            rows.append(
                Row(
                    f"vobiz-python {version} plain loop (sync, one at a time): ideal ÷ time",
                    f"{fmt_ratio(IDEAL / vobiz_time)} ({fmt_seconds(vobiz_time)})",
                )
            )
            rows.append(
                Row(
                    "SDK engine vs vobiz-python loop: time (vobiz) ÷ time (SDK)",
                    fmt_ratio(vobiz_time / sdk_time),
                )
            )
        return rows
    finally:
        child.stop()


if __name__ == "__main__":
    from ._harness import render_text

    print(render_text([], bulk_rows()))
    sys.exit(0)
