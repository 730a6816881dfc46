"""Fixtures for the loopback tests: a fake API on a real socket, and a client of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from support.server import MASTER, TOKEN, FakeAPI, serve_api

from phonenumbers_async import AsyncClient


@pytest.fixture
def api() -> FakeAPI:
    """The fake API's state; tests fill it before the server is used."""
    return FakeAPI()


@pytest.fixture
async def base_url(api: FakeAPI) -> AsyncIterator[str]:
    """The running server's base URL on 127.0.0.1."""
    async with serve_api(api) as url:
        yield url


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[AsyncClient]:
    """A client of the fake API (no retries: a failure shows at once)."""
    async with AsyncClient(MASTER, TOKEN, base_url=base_url, max_retries=0) as instance:
        yield instance


@pytest.fixture(autouse=True)
def asyncio_errors_fail_every_test(no_asyncio_errors: None) -> None:
    """Every test here runs under ``no_asyncio_errors`` (tests/conftest.py)."""
