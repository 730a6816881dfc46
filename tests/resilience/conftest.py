"""Fixtures for the resilience tests: an emulator on the test's loop and its control API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from support.wire import fast_policy

from phonenumbers_async import AsyncClient
from phonenumbers_async.emulator import EmulatorInfo, run_emulator

SEED = 4242


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorInfo]:
    """An in-memory emulator on this test's event loop (30 numbers, 1 sub-account)."""
    async with run_emulator(seed_inventory=30, subaccounts=1, seed=SEED) as info:
        yield info


@pytest.fixture
async def client(emu: EmulatorInfo) -> AsyncIterator[AsyncClient]:
    """The master's client of ``emu`` with short real backoffs and 8 retries."""
    async with AsyncClient(
        emu.auth_id, emu.auth_token, base_url=emu.base_url, retry_policy=fast_policy()
    ) as instance:
        yield instance


@pytest.fixture(autouse=True)
def asyncio_errors_fail_every_test(no_asyncio_errors: None) -> None:
    """Every test here runs under ``no_asyncio_errors`` (tests/conftest.py)."""
