"""Fixtures for the emulator's tests: a real server on loopback, driven with raw aiohttp."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from phonenumbers_async.emulator import EmulatorInfo, run_emulator

from ._helpers import SEED, Api


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorInfo]:
    """An in-memory emulator on this test's event loop (30 numbers, 2 sub-accounts)."""
    async with run_emulator(seed_inventory=30, subaccounts=2, seed=SEED) as info:
        yield info


@pytest.fixture
async def api(emu: EmulatorInfo) -> AsyncIterator[Api]:
    """Raw aiohttp access to ``emu``."""
    async with aiohttp.ClientSession() as session:
        yield Api(session, emu)
