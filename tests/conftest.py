"""Shared test helpers: recorded payloads and the aioresponses compatibility shim."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import _aioresponses_compat
import attrs
import pytest
from aioresponses import aioresponses
from multidict import CIMultiDict
from yarl import URL

from phonenumbers_async import AsyncClient, RetryPolicy
from phonenumbers_async._sansio import Response
from phonenumbers_async._transport import HTTPRequest

_aioresponses_compat.install()

SAMPLES = Path(__file__).parent / "samples"


def load_sample(name: str) -> Any:
    """The decoded JSON of ``tests/samples/<name>`` (copies of the provider's examples)."""
    with (SAMPLES / name).open(encoding="utf-8") as handle:
        return json.load(handle)


def sample_bytes(name: str) -> bytes:
    """The raw bytes of ``tests/samples/<name>``."""
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def sample() -> Any:
    """``sample("purchase.json")`` gives a recorded payload, decoded."""
    return load_sample


# Wire-level test helpers -------------------------------------------------

BASE_URL = "https://api.vobiz.ai/api"
AUTH_ID = "MA_XXXXXXXX"
# Distinctive, so a test can search any text for it.
AUTH_TOKEN = "tok-S3CR3T-never-shown-9f8e7d"


@attrs.frozen
class Sent:
    """One request as the mocked or fake network saw it."""

    method: str
    url: URL
    headers: Mapping[str, str]
    body: bytes | None

    @property
    def params(self) -> dict[str, str]:
        """The query string, decoded (aioresponses sorts it; order is tested elsewhere)."""
        return dict(self.url.query)

    @property
    def json(self) -> Any:
        return None if self.body is None else json.loads(self.body)


def sent(mocked: aioresponses) -> list[Sent]:
    """Every request an ``aioresponses`` mock saw (grouped by URL, each group in order)."""
    return [
        Sent(method, url, call.kwargs.get("headers") or {}, call.kwargs.get("data"))
        for (method, url), calls in mocked.requests.items()
        for call in calls
    ]


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


def no_sleep_policy(**overrides: Any) -> tuple[RetryPolicy, list[float]]:
    """A retry policy that records its delays instead of sleeping, and that record."""
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    return RetryPolicy(sleep=sleep, random=lambda: 0.5, **overrides), delays


class FakeTransport:
    """A ``Transport`` that records requests and answers from a script.

    Each answer is a ``Response``, an exception to raise, or a callable
    taking the ``Sent`` request and returning either.
    """

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[Sent] = []
        self.closed = False

    async def send(self, http: HTTPRequest) -> Response:
        request = Sent(http.method, URL(http.url, encoded=True), dict(http.headers), http.body)
        self.requests.append(request)
        if not self.answers:
            raise AssertionError(f"unexpected request {http.method} {http.url}")
        answer = self.answers.pop(0)
        if callable(answer) and not isinstance(answer, Response):
            answer = answer(request)
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, Response)
        return answer

    async def aclose(self) -> None:
        self.closed = True


def json_response(status: int, payload: Any, **headers: str) -> Response:
    """A canned ``Response`` with a JSON body."""
    return Response(status, CIMultiDict(headers), json.dumps(payload).encode())
