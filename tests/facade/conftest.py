"""Fixtures for the sync facade's tests: an emulator in a thread, and both clients over it."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from phonenumbers_async import AsyncClient, Client
from phonenumbers_async.emulator import EmulatorInfo, EmulatorThread

from ._helpers import OWNED, Api, Control, async_api, portal_threads, sync_api


@pytest.fixture
def emu() -> Iterator[EmulatorInfo]:
    """An emulator thread: 30 numbers on sale, 2 sub-accounts, 50 numbers owned by the master."""
    with EmulatorThread(seed_inventory=30, subaccounts=2, seed=6) as info:
        Control(info).create_numbers(OWNED, owner=info.auth_id)
        yield info
    # Known, and not the SDK's: when a client drops connections mid-request
    # just before the emulator stops, a server-side socket of the stopped
    # emulator may be left for the garbage collector. Collected here, quietly,
    # it cannot fail a later test that collects garbage for its own checks.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture
def control(emu: EmulatorInfo) -> Control:
    """The emulator's control API, blocking."""
    return Control(emu)


@pytest.fixture
def make_client(emu: EmulatorInfo) -> Iterator[Callable[..., Client]]:
    """Build sync Clients on the emulator; all are closed after the test, leaving no thread."""
    made: list[Client] = []

    def make(**options: Any) -> Client:
        client = Client(emu.auth_id, emu.auth_token, base_url=emu.base_url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
    assert portal_threads() == []


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    """A sync Client on the emulator (closed after the test)."""
    return make_client()


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, emu: EmulatorInfo) -> Iterator[Api]:
    """The same blocking calling convention over ``Client`` and over ``AsyncClient``."""
    if request.param == "sync":
        with Client(emu.auth_id, emu.auth_token, base_url=emu.base_url) as sync_client:
            yield sync_api(sync_client)
        return
    with asyncio.Runner() as runner:
        async_client = AsyncClient(emu.auth_id, emu.auth_token, base_url=emu.base_url)
        try:
            yield async_api(async_client, runner)
        finally:
            runner.run(async_client.aclose())
