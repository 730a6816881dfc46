"""The pytest fixtures (installed through the pytest11 entry point) and the thread runner."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from decimal import Decimal

import aiohttp
import pytest
from support.control import SyncControl

from phonenumbers_async.emulator import EmulatorInfo, EmulatorThread, start_emulator_thread


def _get(info: EmulatorInfo, path: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        info.base_url + path,
        headers={"X-Auth-ID": info.auth_id, "X-Auth-Token": info.auth_token},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_plugin_is_registered_by_the_entry_point(pytestconfig: pytest.Config) -> None:
    """Installing the package registers the plugin; no conftest import is needed."""
    plugin = pytestconfig.pluginmanager.get_plugin("phonenumbers_async_emulator")
    assert plugin is not None
    assert plugin.__name__ == "phonenumbers_async.emulator.pytest_plugin"


def test_emulator_fixture_from_a_sync_test(emulator: EmulatorInfo) -> None:
    """A plain sync test uses the fixture with blocking HTTP."""
    status, body = _get(emulator, f"/v1/account/{emulator.auth_id}/inventory/numbers")
    assert status == 200
    assert body["total"] == 50
    assert len(emulator.subaccounts) == 2


async def test_emulator_fixture_from_an_async_test(emulator: EmulatorInfo) -> None:
    """An async test on its own loop talks to the fixture's server with aiohttp."""
    headers = {"X-Auth-ID": emulator.auth_id, "X-Auth-Token": emulator.auth_token}
    async with aiohttp.ClientSession(headers=headers) as session:
        url = f"{emulator.base_url}/v1/accounts/{emulator.auth_id}/sub-accounts/"
        async with session.get(url) as response:
            assert response.status == 200
            assert (await response.json())["total"] == 2


def test_emulator_factory_with_options(emulator_factory: Callable[..., EmulatorInfo]) -> None:
    """The factory starts emulators with custom options; each is independent."""
    small = emulator_factory(seed_inventory=3, subaccounts=0, balance="42.5")
    other = emulator_factory(seed_inventory=1)
    assert small.root_url != other.root_url
    status, body = _get(small, f"/v1/account/{small.auth_id}/inventory/numbers")
    assert (status, body["total"]) == (200, 3)
    account = SyncControl(small.root_url)(lambda control: control.account(small.auth_id))
    assert account["balance"] == Decimal("42.5")
    assert small.subaccounts == ()


def test_emulator_thread_stops_cleanly() -> None:
    """Leaving the with-block stops the server and joins its thread."""
    before = {t.name for t in threading.enumerate()}
    runner = EmulatorThread(seed_inventory=2)
    with runner as info:
        assert _get(info, f"/v1/account/{info.auth_id}/numbers")[0] == 200
        assert runner.info is info
    assert not any(t.name == "phonenumbers-async-emulator" for t in threading.enumerate()), (
        "thread leaked"
    )
    assert {t.name for t in threading.enumerate()} <= before | {"MainThread"}
    with pytest.raises(urllib.error.URLError, match="refused"):
        urllib.request.urlopen(info.root_url + "/_emulator/clock", timeout=2)
    with pytest.raises(RuntimeError):
        runner.info  # noqa: B018
    runner.stop()  # idempotent


def test_start_emulator_thread_returns_a_running_server() -> None:
    """start_emulator_thread() starts at once; its context manager stops it."""
    with start_emulator_thread(seed_inventory=1, subaccounts=1) as info:
        assert info.base_url.startswith("http://127.0.0.1:")
        assert info.base_url.endswith("/api")
        assert len(info.subaccounts) == 1
        assert info.port > 0


def test_startup_errors_surface_in_the_caller() -> None:
    """A failure to start (a non-loopback host) raises in the caller, not silently in the thread."""
    with pytest.raises(ValueError, match="non-loopback"):
        EmulatorThread(host="192.0.2.1").start()


def test_info_repr_hides_tokens(emulator: EmulatorInfo) -> None:
    """EmulatorInfo's repr does not show the tokens; startup_line has the documented form."""
    assert emulator.auth_token not in repr(emulator)
    line = emulator.startup_line()
    assert line.startswith(f"EMULATOR base_url={emulator.base_url} auth_id={emulator.auth_id} ")
    subs = ",".join(f"{a}:{t}" for a, t in emulator.subaccounts)
    assert line.endswith(f"auth_token={emulator.auth_token} subaccounts={subs}")
