"""Helpers for the command line's tests: the command run in-process (so coverage sees
it) or, for a few smoke tests, as a real subprocess; and the emulator inspected over raw
HTTP (urllib, not the SDK) and its control API (the package's ``EmulatorControl``)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from support.control import SyncControl

from phonenumbers_async.cli import main
from phonenumbers_async.emulator import EmulatorInfo

# A hang protection only: nothing asserts on how long a command takes.
COMMAND_TIMEOUT = 120

COMMAND = [sys.executable, "-m", "phonenumbers_async.cli"]

#: The ``cli`` fixture: ``cli(*args, env=None)`` runs the command against the test's emulator.
Runner = Callable[..., subprocess.CompletedProcess[str]]


def cli_env(info: EmulatorInfo | None, **overrides: str | None) -> dict[str, str]:
    """The environment a command runs in: the emulator's credentials, no colours."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("VOBIZ_") and key not in {"FORCE_COLOR", "TTY_COMPATIBLE"}
    }
    env["NO_COLOR"] = "1"
    if info is not None:
        env.update(
            VOBIZ_AUTH_ID=info.auth_id,
            VOBIZ_AUTH_TOKEN=info.auth_token,
            VOBIZ_BASE_URL=info.base_url,
        )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class _Pipe(io.StringIO):
    """A captured stream that, like a pipe, is not a terminal."""

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def _process_state(env: Mapping[str, str], cwd: Path) -> Iterator[None]:
    """This process's environment and working folder as a subprocess would have them."""
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def run_cli(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    stdin: str = "",
    in_process: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``phonenumbers-async ARGS`` to completion and capture its output.

    In-process by default: the real entry point (``phonenumbers_async.cli.main``)
    with ``env`` as the whole environment, ``cwd`` as the working folder and
    stdin, stdout and stderr as pipes (not terminals), so the outcome is what a
    subprocess would show, and coverage sees the command's code.
    ``in_process=False`` runs ``python -m phonenumbers_async.cli`` for the few
    smoke tests of the real process (its entry point, exit status and streams).
    """
    if not in_process:
        return subprocess.run(
            [*COMMAND, *args],
            env=dict(env),
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    stdout, stderr = _Pipe(), _Pipe()
    saved_stdin = sys.stdin
    sys.stdin = _Pipe(stdin)
    try:
        with (
            _process_state(env, cwd),
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
        ):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # what the interpreter would turn into a status
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdin = saved_stdin
    return subprocess.CompletedProcess(
        [*COMMAND, *args], code, stdout.getvalue(), stderr.getvalue()
    )


def parse(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def parse_lines(text: str) -> list[Any]:
    """JSON Lines (what `--all --format json` streams): one object a line."""
    return [parse(line) for line in text.splitlines() if line.strip()]


@dataclass
class Emu:
    """One running emulator: its wire API over raw HTTP, and its control API."""

    info: EmulatorInfo
    controller: SyncControl = field(init=False)

    def __post_init__(self) -> None:
        self.controller = SyncControl(self.info.root_url)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """A control API call (``path`` under ``/_emulator``)."""
        return self.controller.request(method, path, body)

    def api(self, path: str, query: Mapping[str, Any] | None = None) -> Any:
        """A GET on the wire API as the master account (``path`` under the base URL)."""
        url = self.info.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(
            url, headers={"X-Auth-ID": self.info.auth_id, "X-Auth-Token": self.info.auth_token}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return parse(response.read().decode())

    def _all(self, path: str, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.api(path, {**query, "page": page, "per_page": 100})
            items += body["items"]
            if len(items) >= body["total"] or not body["items"]:
                return items
            page += 1

    def inventory(self, **query: Any) -> list[dict[str, Any]]:
        """Every number on sale (matching ``query``)."""
        return self._all(f"/v1/account/{self.info.auth_id}/inventory/numbers", query)

    def owned(self, *, include_subaccounts: bool = True) -> dict[str, str]:
        """E.164 -> owner of every number the master (and its sub-accounts) own."""
        flag = "true" if include_subaccounts else "false"
        rows = self._all(f"/v1/account/{self.info.auth_id}/numbers", {"include_subaccounts": flag})
        return {row["e164"]: str(row.get("account_id") or row.get("auth_id")) for row in rows}

    def ledger(self) -> list[dict[str, Any]]:
        return self.controller(lambda control: control.ledger())

    def create_numbers(self, count: int, owner: str | None = None) -> list[str]:
        """New numbers, in inventory or owned by ``owner``."""
        return self.controller(lambda control: control.create_numbers(count, owner=owner))

    def record_call(self, e164: str, **details: Any) -> None:
        """Record a call on ``e164`` (``at``, ``answered``, ``duration_seconds``)."""
        self.controller(lambda control: control.record_call(e164, **details))

    @property
    def sub(self) -> str:
        return self.info.subaccounts[0][0]


def lines(text: str) -> list[str]:
    """The non-blank lines of ``text``."""
    return [line for line in text.splitlines() if line.strip()]


@dataclass
class Ran:
    """What an in-process run of the command line did."""

    code: int
    out: str
    err: str
