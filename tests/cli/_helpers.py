"""Helpers for the command line's tests: the real command in a subprocess, and raw
HTTP (urllib, not the SDK) to check what the emulator did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from phonenumbers_async.emulator import EmulatorInfo

# A hang protection only: nothing asserts on how long a command takes.
COMMAND_TIMEOUT = 120

COMMAND = [sys.executable, "-m", "phonenumbers_async.cli"]


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


def run_cli(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    stdin: int | None = subprocess.DEVNULL,
) -> subprocess.CompletedProcess[str]:
    """Run ``phonenumbers-async ARGS`` to completion and capture its output."""
    return subprocess.run(
        [*COMMAND, *args],
        env=dict(env),
        cwd=cwd,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def parse(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def parse_lines(text: str) -> list[Any]:
    """JSON Lines (what `--all --format json` streams): one object a line."""
    return [parse(line) for line in text.splitlines() if line.strip()]


@dataclass
class Emu:
    """One running emulator, inspected over raw HTTP."""

    info: EmulatorInfo

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """A control API call (``path`` under ``/_emulator``)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.info.control_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return parse(text) if text else None

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
        return list(self.control("GET", "/ledger")["items"])

    def create_numbers(self, count: int, owner: str | None = None) -> list[str]:
        """New numbers, in inventory or owned by ``owner``."""
        body = self.control("POST", "/numbers", {"count": count, "owner": owner})
        return list(body["numbers"])

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
