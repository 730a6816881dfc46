"""What every benchmark shares: the canned server's process, timing, the table."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "ROOT",
    "TOKEN",
    "Row",
    "ServerProcess",
    "best_of",
    "best_per_call",
    "fmt_rate",
    "fmt_ratio",
    "fmt_seconds",
]

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "benchmark-token"


@attrs.frozen
class Row:
    """One line of the table; ``met`` is None for a row without a target."""

    name: str
    result: str
    target: str = ""
    met: bool | None = None
    section: bool = False

    @property
    def status(self) -> str:
        if self.met is None:
            return ""
        return "yes" if self.met else "NO"


class ServerProcess:
    """``python -m benchmarks._server`` in a child process, stopped by closing its stdin."""

    def __init__(self, *, items: int, subaccounts: int = 0, latency_ms: float = 0.0) -> None:
        self.args = [
            sys.executable,
            "-m",
            "benchmarks._server",
            "--items",
            str(items),
            "--subaccounts",
            str(subaccounts),
            "--latency-ms",
            str(latency_ms),
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> ServerProcess:
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        return self

    def wait_ready(self) -> ServerProcess:
        assert self.process is not None
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip():
            self.stop()
            raise RuntimeError(f"the benchmark server did not start: {' '.join(self.args)}")
        self.port = int(line)
        return self

    @property
    def base_url(self) -> str:
        """The SDK's base URL (``.../api``); the API's paths start with ``/v1``."""
        return f"http://127.0.0.1:{self.port}/api"

    def _control(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def set_latency(self, latency_ms: float) -> None:
        self._control("POST", "/_bench/latency", {"latency_ms": latency_ms})

    def requests_served(self) -> int:
        return int(self._control("GET", "/_bench/stats")["requests"])

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=10)
        process.stdout.close()

    def __enter__(self) -> ServerProcess:
        return self.start().wait_ready()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def best_of(
    variants: dict[str, Callable[[], tuple[float, int]]],
    repetitions: int,
    *,
    expected: int,
    cpu: dict[str, float] | None = None,
) -> dict[str, float]:
    """Best wall time per variant; the variants take turns so noise hits them alike.

    Each callable runs once and returns (seconds, items seen); a wrong item
    count is an error, not a figure. When ``cpu`` is given, it receives each
    variant's best CPU time of this process (the server's is not in it).
    """
    best = dict.fromkeys(variants, float("inf"))
    best_cpu = dict.fromkeys(variants, float("inf"))
    for _ in range(repetitions):
        for name, run in variants.items():
            cpu_started = time.process_time()
            seconds, items = run()
            cpu_seconds = time.process_time() - cpu_started
            if items != expected:
                raise RuntimeError(f"{name}: saw {items} items, expected {expected}")
            best[name] = min(best[name], seconds)
            best_cpu[name] = min(best_cpu[name], cpu_seconds)
    if cpu is not None:
        cpu.update(best_cpu)
    return best


def best_per_call(
    functions: dict[str, tuple[Callable[[], object], int]], repetitions: int
) -> dict[str, float]:
    """Best mean seconds per call of each function, run ``number`` times per round.

    ``functions`` maps a name to (function, number). The functions take turns
    within each round, and the garbage collector is paused, as ``timeit`` does.
    """
    import gc

    best = dict.fromkeys(functions, float("inf"))
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repetitions):
            for name, (function, number) in functions.items():
                started = time.perf_counter()
                for _ in range(number):
                    function()
                best[name] = min(best[name], (time.perf_counter() - started) / number)
    finally:
        if enabled:
            gc.enable()
    return best


def fmt_seconds(seconds: float) -> str:
    return f"{seconds:.3f} s"


def fmt_rate(items: int, seconds: float) -> str:
    return f"{items / seconds:,.0f} items/s"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}x"


def render_text(header: Iterable[str], rows: list[Row]) -> str:
    columns = ("Benchmark", "Result", "Target", "Met")
    cells = [(row.name, row.result, row.target, row.status) for row in rows]
    widths = [max(len(c[i]) for c in [columns, *cells]) for i in range(4)]
    line = "  ".join("-" * width for width in widths)
    out = [*header, "", "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)), line]
    for row, cell in zip(rows, cells, strict=True):
        if row.section:
            out.append("")
            out.append(row.name)
            continue
        out.append("  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)).rstrip())
    return "\n".join(out)


def render_markdown(header: Iterable[str], rows: list[Row], footer: Iterable[str]) -> str:
    out = [*header, "", "| Benchmark | Result | Target | Met |", "|---|---|---|---|"]
    for row in rows:
        if row.section:
            out.append(f"| **{row.name}** | | | |")
        else:
            status = "**NO**" if row.met is False else row.status
            cells = (row.name, row.result, row.target, status)
            out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    out += ["", *footer]
    return "\n".join(out) + "\n"
