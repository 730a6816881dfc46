"""Raw access to a call's HTTP response: the ``with_raw_response`` convention of openai-python.

``await client.numbers.with_raw_response.list()`` makes the same call as
``await client.numbers.list()`` and returns a :class:`RawResponse`: the
status, headers, request id, elapsed time and attempts of the HTTP exchange,
and ``.parse()`` for the model the plain call returns. On the sync
``Client`` it is the same, without ``await``.

How it works: the call runs with a recorder in a context variable, and the
client's sender notes every exchange it finishes in it. Only calls that
return once (coroutine methods) have a raw form; a listing that streams many
responses has none.
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from ._sansio import Response, decode_json

__all__ = ["Exchange", "RawResponse", "RawResponseView", "call_raw", "raw_recorder"]

T = TypeVar("T")

_REQUEST_ID_HEADERS = ("X-Request-ID", "X-Request-Id", "Request-Id")


@attrs.frozen
class Exchange:
    """One request sent (with its retries) and the answer that ended it."""

    method: str
    url: str
    response: Response
    attempts: int
    elapsed: float


# The exchanges of the raw call running in this context (None: no raw call).
_recorder: contextvars.ContextVar[list[Exchange] | None] = contextvars.ContextVar(
    "phonenumbers_async_raw_recorder", default=None
)


#: The exchanges list of the raw call in progress, to append to; None outside one.
raw_recorder = _recorder.get


class RawResponse(Generic[T]):
    """The HTTP response of one call, and what the call returned (``parse()``).

    ``status``, ``headers``, ``request_id``, ``elapsed`` (seconds, retries
    and waits included) and ``attempts`` are those of the call's last
    exchange, the answer that decided the result; ``exchanges`` lists every
    request the call made, in order (a purchase may look the number up after
    buying it, for one).
    """

    __slots__ = ("_parsed", "exchanges")

    def __init__(self, parsed: T, exchanges: tuple[Exchange, ...]) -> None:
        if not exchanges:
            raise ValueError("a raw response needs at least one exchange")
        self._parsed = parsed
        self.exchanges = exchanges

    @property
    def _last(self) -> Exchange:
        return self.exchanges[-1]

    @property
    def status(self) -> int:
        """The HTTP status code."""
        return self._last.response.status

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (case-insensitive)."""
        return self._last.response.headers

    @property
    def request_id(self) -> str | None:
        """The server's request id (``X-Request-ID``), when it sent one."""
        headers = self.headers
        for name in _REQUEST_ID_HEADERS:
            value = headers.get(name)
            if value:
                return value
        return None

    @property
    def elapsed(self) -> float:
        """Seconds from sending the request to the answer, retries and waits included."""
        return self._last.elapsed

    @property
    def attempts(self) -> int:
        """How many times the request was sent (1 without retries)."""
        return self._last.attempts

    @property
    def method(self) -> str:
        """The request's HTTP method."""
        return self._last.method

    @property
    def url(self) -> str:
        """The request's URL, query included."""
        return self._last.url

    @property
    def content(self) -> bytes:
        """The response body's bytes."""
        return self._last.response.body

    def json(self) -> Any:
        """The response body as JSON (None for an empty body)."""
        return decode_json(self.content)

    def parse(self) -> T:
        """What the plain call returns: the model (or None)."""
        return self._parsed

    def __repr__(self) -> str:
        return (
            f"<RawResponse {self.method} {self.url} -> {self.status} "
            f"attempts={self.attempts} elapsed={self.elapsed:.3f}s request_id={self.request_id!r}>"
        )


async def call_raw(call: Callable[[], Awaitable[T]]) -> RawResponse[T]:
    """Run ``call()`` recording its exchanges; its result with the last one's response."""
    exchanges: list[Exchange] = []
    token = _recorder.set(exchanges)
    try:
        parsed = await call()
    finally:
        _recorder.reset(token)
    return RawResponse(parsed, tuple(exchanges))


def is_raw_capable(function: object) -> bool:
    """Whether a method returns once (a coroutine function), so that it has a raw form."""
    return inspect.iscoroutinefunction(function)


class RawResponseView:
    """``resource.with_raw_response``: each coroutine method of the resource, returning a
    :class:`RawResponse` instead of the model."""

    __slots__ = ("_resource",)

    def __init__(self, resource: object) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Callable[..., Awaitable[RawResponse[Any]]]:
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self._resource, name)
        if not is_raw_capable(method):
            raise AttributeError(
                f"{type(self._resource).__name__}.{name} does not return once (it streams, or is "
                "not a call), so it has no raw response; use the plain method"
            )

        async def raw(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            return await call_raw(lambda: method(*args, **kwargs))

        raw.__name__ = name
        raw.__doc__ = method.__doc__
        return raw

    def __dir__(self) -> list[str]:
        return sorted(
            name
            for name in dir(type(self._resource))
            if not name.startswith("_") and is_raw_capable(getattr(self._resource, name))
        )
