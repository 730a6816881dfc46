"""Fixtures for the SDK bulk engine's tests: an emulator on this test's loop, its control
client, and an AsyncClient for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from phonenumbers_async import AsyncClient
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo, run_emulator

SEED = 1414


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorInfo]:
    """A fresh in-memory emulator: 60 numbers on sale, 2 sub-accounts."""
    async with run_emulator(seed_inventory=60, subaccounts=2, seed=SEED) as info:
        yield info


@pytest.fixture
async def control(emu: EmulatorInfo) -> AsyncIterator[EmulatorControl]:
    """The emulator's control API."""
    async with EmulatorControl(emu.root_url) as client:
        yield client


@pytest.fixture
async def client(emu: EmulatorInfo) -> AsyncIterator[AsyncClient]:
    """An AsyncClient for the emulator's master account."""
    async with AsyncClient(emu.auth_id, emu.auth_token, base_url=emu.base_url) as sdk:
        yield sdk
