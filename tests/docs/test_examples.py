"""Every script of ``examples/`` runs against a fresh emulator and does what it says."""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from aiohttp.test_utils import TestClient, TestServer

from phonenumbers_async import AsyncClient
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo

from ._blocks import REPO

EXAMPLES = REPO / "examples"
# Each example and the test below that runs it; a new example needs a test here.
TESTED = {"bulk_provision.py", "number_service.py", "test_bulk_provision.py"}


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _owned(emulator: EmulatorInfo) -> dict[str, tuple[str | None, str | None]]:
    async with AsyncClient(emulator.auth_id, emulator.auth_token, base_url=emulator.base_url) as c:
        return {n.e164: (n.account_id, n.trunk_group_id) async for n in c.numbers.iter()}


def test_every_example_is_tested() -> None:
    """Each file of ``examples/`` is one this module runs: none is left untested."""
    assert {path.name for path in EXAMPLES.glob("*.py")} == TESTED


def test_bulk_provision_script(
    emulator: EmulatorInfo, reader_env: dict[str, str], tmp_path: Path
) -> None:
    """The script buys the numbers it was asked for, routes them and hands them over."""
    sub = emulator.subaccounts[0][0]
    trunk = reader_env["VOBIZ_TRUNK_GROUP_ID"]
    results = tmp_path / "numbers.csv"
    args = [str(EXAMPLES / "bulk_provision.py"), "--count", "3", "--trunk-group-id", trunk]
    finished = _run([*args, "--subaccount", sub, "--results", str(results)], reader_env, tmp_path)

    assert finished.returncode == 0, finished.stderr
    assert "provisioned 3 of 3 numbers" in finished.stdout
    with results.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["outcome"] for row in rows] == ["provisioned"] * 3
    assert asyncio.run(_owned(emulator)) == {row["e164"]: (sub, trunk) for row in rows}


def test_bulk_provision_script_reports_bad_arguments(
    reader_env: dict[str, str], tmp_path: Path
) -> None:
    """A count of 0 is a usage error (exit 2) with a message, not a traceback."""
    finished = _run([str(EXAMPLES / "bulk_provision.py"), "--count", "0"], reader_env, tmp_path)

    assert finished.returncode == 2
    assert "--count and --concurrency must be at least 1" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_bulk_provision_script_without_money(
    emulator: EmulatorInfo, reader_env: dict[str, str], tmp_path: Path
) -> None:
    """With an empty balance nothing is bought: exit 1, each refusal on stderr."""

    async def empty() -> None:
        async with EmulatorControl(emulator.root_url) as control:
            await control.update_account(emulator.auth_id, balance=0)

    asyncio.run(empty())
    finished = _run([str(EXAMPLES / "bulk_provision.py"), "--count", "1"], reader_env, tmp_path)

    assert finished.returncode == 1
    assert "provisioned 0 of 1 numbers" in finished.stdout
    assert "InsufficientBalance" in finished.stderr
    assert asyncio.run(_owned(emulator)) == {}


async def test_number_service(reader_env: dict[str, str], emulator: EmulatorInfo) -> None:
    """The service lists inventory, buys, lists and releases through one shared client,
    and answers SDK errors and bad input with 4xx statuses."""
    service = _load("number_service")
    async with TestClient(TestServer(service.make_app())) as http:
        offers = await (await http.get("/inventory", params={"per_page": "2"})).json()
        e164 = offers["items"][0]["e164"]

        bought = await http.post("/numbers", json={"e164": e164})
        assert bought.status == 201, await bought.text()
        assert (await bought.json())["e164"] == e164

        again = await http.post("/numbers", json={"e164": e164})  # ours now: not on sale
        assert again.status == 404, await again.text()

        owned = await (await http.get("/numbers")).json()
        assert [item["e164"] for item in owned["items"]] == [e164]

        released = await http.delete(f"/numbers/{e164}")
        assert released.status == 200
        assert (await released.json())["status"] == "pending_release"

        assert (await http.post("/numbers", json={"e164": "12345"})).status == 400
        assert (await http.post("/numbers", data=b"not json")).status == 400
        assert (await http.get("/numbers", params={"per_page": "many"})).status == 400
        assert (await http.get("/numbers", params={"per_page": "1000"})).status == 400


def test_fault_injection_recipe_passes(reader_env: dict[str, str]) -> None:
    """``examples/test_bulk_provision.py`` passes under pytest, as a reader would run it."""
    finished = _run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/test_bulk_provision.py"],
        reader_env,
        REPO,
    )

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "3 passed" in finished.stdout


@pytest.mark.parametrize("name", sorted(TESTED - {"test_bulk_provision.py"}))
def test_example_help(name: str, reader_env: dict[str, str], tmp_path: Path) -> None:
    """Each runnable example explains itself with ``--help`` (its docstring's first line)."""
    finished = _run([str(EXAMPLES / name), "--help"], reader_env, tmp_path)

    assert finished.returncode == 0, finished.stderr
    assert "usage:" in finished.stdout
