"""Fixtures every test may use; the helpers themselves live in ``tests/support``."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aioresponses import aioresponses
from support import aioresponses_compat
from support.samples import load_sample
from support.wire import AUTH_ID, AUTH_TOKEN, BASE_URL

from phonenumbers_async import AsyncClient
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo

aioresponses_compat.install()


@pytest.fixture
def sample() -> Callable[[str], Any]:
    """``sample("purchase.json")`` gives a recorded payload, decoded."""
    return load_sample


@pytest.fixture
def mock_api() -> Iterator[aioresponses]:
    """aiohttp's network replaced by canned answers; unmatched requests fail to connect."""
    with aioresponses() as mocked:
        yield mocked


@pytest.fixture
async def client() -> AsyncIterator[AsyncClient]:
    """A client of the production base URL, without retries, closed after the test."""
    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, max_retries=0) as instance:
        yield instance


@pytest.fixture
async def control(emu: EmulatorInfo) -> AsyncIterator[EmulatorControl]:
    """The control API (faults, clock, ledger, stats) of the test's ``emu``.

    Each folder or module that runs an emulator on the test's loop defines ``emu``.
    """
    async with EmulatorControl(emu.root_url) as instance:
        yield instance


@pytest.fixture
def no_asyncio_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test that leaves an unclosed session, a pending task or a lost exception behind.

    Those are reported through the event loop's exception handler (the
    ``asyncio`` logger), not as warnings, so the warning filter alone misses them.
    The integration and resilience folders use it for every test.
    """
    caplog.set_level(logging.ERROR, logger="asyncio")
    yield
    gc.collect()
    problems = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert problems == []
