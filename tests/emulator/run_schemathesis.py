"""``make contract``: schemathesis against a running emulator, checked by its own document.

    .venv/bin/python tests/emulator/run_schemathesis.py [--max-examples N] [--max-time S]

Starts an emulator (in memory, seeded), points ``st run`` at
``/_emulator/openapi.json`` with the seeded master's credentials, and checks
every response: no server error, the status, content type and body as the
document says. Prints the figures (operations, test cases, failures) and
exits non-zero on any failure. Bounded: ``--max-examples`` per operation and
``--max-time`` for the whole run.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

from phonenumbers_async.emulator import EmulatorInfo, EmulatorThread

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--max-time", type=int, default=70)
    parser.add_argument("--seed", type=int, default=20260601)
    args = parser.parse_args(argv)
    # aiohttp's HTTP layer logs (and answers 400 to) the malformed requests that
    # schemathesis sends on purpose (a NUL byte in a header): not our failures.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    st = Path(sys.executable).with_name("st")
    with (
        EmulatorThread(seed_inventory=200, subaccounts=2, seed=args.seed) as emu,
        tempfile.TemporaryDirectory() as workdir,
    ):
        with urllib.request.urlopen(emu.control_url + "/openapi.json", timeout=10) as answer:
            validate(json.loads(answer.read()))
        print("openapi-spec-validator: the served document is valid OpenAPI 3.1", flush=True)
        config = Path(workdir) / "schemathesis.toml"
        config.write_text(_config(emu))
        command = [
            str(st),
            "--config-file",
            str(config),
            "run",
            emu.control_url + "/openapi.json",
            "--url",
            emu.base_url,
            "-H",
            f"X-Auth-ID: {emu.auth_id}",
            "-H",
            f"X-Auth-Token: {emu.auth_token}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(args.max_examples),
            "--max-time",
            str(args.max_time),
            "--seed",
            str(args.seed),
            # One worker: with two, hypothesis's lambda descriptions race in CPython
            # 3.11's ast module ("AST constructor recursion depth mismatch").
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--generation-with-security-parameters",
            "false",
            "--no-color",
        ]
        started = time.monotonic()
        # In the temporary directory: schemathesis keeps a cache (.schemathesis/)
        # in its working directory, which must not land in the repository.
        completed = subprocess.run(
            command, capture_output=True, text=True, check=False, cwd=workdir
        )
        elapsed = time.monotonic() - started
    figures = _figures(completed.stdout)
    print(completed.stdout[-6000:])
    if completed.returncode != 0:
        print(completed.stderr[-3000:], file=sys.stderr)
    print(
        "schemathesis: "
        + json.dumps({**figures, "seconds": round(elapsed, 1), "exit": completed.returncode})
    )
    return completed.returncode


def _config(emu: EmulatorInfo) -> str:
    """Dictionaries of real accounts and numbers, so most cases get past 403/404 to the
    handlers' real work (buying, assigning, releasing), while the rest stay random."""
    control = emu.control_url
    owned = _post(control + "/numbers", {"count": 20, "owner": emu.auth_id})["numbers"]
    sub_owned = _post(control + "/numbers", {"count": 10, "owner": emu.subaccounts[0][0]})
    inventory = _post(control + "/numbers", {"count": 40, "owner": None})["numbers"]
    accounts = [emu.auth_id] + [sub for sub, _ in emu.subaccounts]
    numbers = owned + sub_owned["numbers"] + inventory
    with urllib.request.urlopen(control + "/accounts", timeout=10) as response:
        listed = json.loads(response.read())["items"]
    trunks = [trunk for entry in listed for trunk in entry["trunk_group_ids"]]
    applications = [app for entry in listed for app in entry["application_ids"]]
    lines = [
        "[dictionaries.accounts]",
        f"values = {json.dumps(accounts)}",
        "[dictionaries.subaccounts]",
        f"values = {json.dumps(accounts[1:])}",
        "[dictionaries.numbers]",
        f"values = {json.dumps(numbers)}",
        "[dictionaries.inventory]",
        f"values = {json.dumps(inventory)}",
        "[dictionaries.trunks]",
        f"values = {json.dumps(trunks)}",
        "[dictionaries.applications]",
        f"values = {json.dumps(applications)}",
        "[dictionaries.currencies]",
        'values = ["INR", "USD"]',
        "[parameters]",
        '"path.auth_id" = { dictionary = "accounts", probability = 0.9 }',
        '"path.sub_auth_id" = { dictionary = "subaccounts", probability = 0.8 }',
        '"path.e164" = { dictionary = "numbers", probability = 0.8 }',
        '"body.e164" = { dictionary = "inventory", probability = 0.8 }',
        '"body.sub_account_id" = { dictionary = "subaccounts", probability = 0.8 }',
        '"body.trunk_group_id" = { dictionary = "trunks", probability = 0.8 }',
        '"body.application_id" = { dictionary = "applications", probability = 0.8 }',
        '"path.currency" = { dictionary = "currencies", probability = 0.8 }',
    ]
    return "\n".join(lines) + "\n"


def _post(url: str, body: dict[str, object]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
    return result


def _figures(output: str) -> dict[str, int]:
    """Operations tested, test cases generated, and failures, from the run's summary."""

    def number(pattern: str) -> int:
        found = re.search(pattern, output)
        return int(found.group(1)) if found else 0

    return {
        "operations": number(r"Tested: (\d+)"),
        "cases": number(r"(\d+) generated"),
        "failures": number(r"(\d+) failed") + number(r"Runtime Error: (\d+)"),
    }


if __name__ == "__main__":
    sys.exit(main())
