"""Transports for tests: the package's ``MockTransport`` on a script, and a hooked real one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from phonenumbers_async import MockTransport
from phonenumbers_async._sansio import Response
from phonenumbers_async._transport import HTTPRequest, Transport
from phonenumbers_async.errors import TransportError

from .wire import Sent

#: One scripted answer: a response, an exception to raise (a network failure),
#: or a callable given the request as sent and returning either.
Answer = Response | BaseException | Callable[[Sent], "Response | BaseException"]


class ScriptedTransport(MockTransport):
    """``MockTransport`` answering from a script, one answer per request in order.

    A request past the end of the script fails the test. ``sent`` lists the
    requests as ``Sent`` records (URL parsed, headers as a dict).
    """

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        super().__init__(self._answer)

    def _answer(self, request: HTTPRequest) -> Response:
        if not self.answers:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        answer = self.answers.pop(0)
        if callable(answer):
            answer = answer(Sent.of(request))
        if isinstance(answer, BaseException):
            raise answer
        return answer

    @property
    def sent(self) -> list[Sent]:
        return [Sent.of(request) for request in self.requests]


Hook = Callable[[str, "Response | TransportError"], Awaitable[None]]


class HookedTransport:
    """A transport that runs ``after(method, outcome)`` after each send of the one it wraps.

    Not a fake: the wrapped transport does the sending. A test uses the hook to
    change the emulator's faults at an exact point of a call; ``sent`` lists the
    methods sent, in order.
    """

    def __init__(self, inner: Transport, *, after: Hook) -> None:
        self.inner = inner
        self.after = after
        self.sent: list[str] = []

    async def send(self, request: HTTPRequest) -> Response:
        method = request.method
        self.sent.append(method)
        try:
            response = await self.inner.send(request)
        except TransportError as exc:
            await self.after(method, exc)
            raise
        await self.after(method, response)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
