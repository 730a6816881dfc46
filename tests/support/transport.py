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


class HookedTransport(MockTransport):
    """A real transport with ``after(method, outcome)`` run after each of its sends.

    The wrapped transport does the sending; a test uses the hook to change the
    emulator's faults at an exact point of a call. ``sent`` lists the methods
    sent, in order. Closing closes the wrapped transport too.
    """

    def __init__(self, inner: Transport, *, after: Hook) -> None:
        self.inner = inner
        self.after = after
        super().__init__(self._forward)

    @property
    def sent(self) -> list[str]:
        return [request.method for request in self.requests]

    async def _forward(self, request: HTTPRequest) -> Response:
        try:
            response = await self.inner.send(request)
        except TransportError as exc:
            await self.after(request.method, exc)
            raise
        await self.after(request.method, response)
        return response

    async def aclose(self) -> None:
        await super().aclose()
        await self.inner.aclose()
