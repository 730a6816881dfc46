"""Fixtures for the loopback tests: a fake API on a real socket, and a client of it."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterator

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
def no_asyncio_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test that leaves an unclosed session, a pending task or a lost exception behind.

    Those are reported through the event loop's exception handler (the
    ``asyncio`` logger), not as warnings, so the warning filter alone misses them.
    """
    caplog.set_level(logging.ERROR, logger="asyncio")
    yield
    gc.collect()
    problems = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert problems == []
