"""What wire-level tests share: fake credentials, requests as sent, a sleepless retry policy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import attrs
from aioresponses import aioresponses
from multidict import CIMultiDict
from yarl import URL

from phonenumbers_async import RetryPolicy
from phonenumbers_async._sansio import Response
from phonenumbers_async._transport import HTTPRequest

BASE_URL = "https://api.vobiz.ai/api"
AUTH_ID = "MA_XXXXXXXX"
# Distinctive, so a test can search any text for it.
AUTH_TOKEN = "tok-S3CR3T-never-shown-9f8e7d"


def quote_e164(e164: str) -> str:
    """A number as a path segment or query value: ``+`` is sent as ``%2B``.

    Written out here rather than imported from the SDK, so that a test building
    an expected URL with it checks the SDK's encoding instead of repeating it.
    """
    return e164.replace("+", "%2B")


@attrs.frozen
class Sent:
    """One request as the mocked or fake network saw it."""

    method: str
    url: URL
    headers: Mapping[str, str]
    body: bytes | None

    @classmethod
    def of(cls, request: HTTPRequest) -> Sent:
        """The record of a request a transport was given."""
        return cls(
            request.method, URL(request.url, encoded=True), dict(request.headers), request.body
        )

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


def json_response(status: int, payload: Any, **headers: str) -> Response:
    """A canned ``Response`` with a JSON body."""
    return Response(status, CIMultiDict(headers), json.dumps(payload).encode())


def no_sleep_policy(**overrides: Any) -> tuple[RetryPolicy, list[float]]:
    """A retry policy that records its delays instead of sleeping, and that record.

    Each "sleep" still yields to the event loop once, so other tasks run between
    attempts as they would with a real delay. The jitter is fixed at its middle
    unless ``random`` is overridden.
    """
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        await asyncio.sleep(0)

    settings: dict[str, Any] = {"random": lambda: 0.5, **overrides}
    return RetryPolicy(sleep=sleep, **settings), delays


def fast_policy(max_retries: int = 8) -> RetryPolicy:
    """Real but short sleeps, for jobs against the emulator."""
    return RetryPolicy(max_retries=max_retries, backoff_base=0.01, backoff_max=0.05)
