"""The page stream: an async iterator of the loop thread, read by a sync ``for`` elsewhere.

One round trip starts a pump task in the loop that runs the async iterator
at the loop's pace and hands each element (a page, usually) to the calling
thread through a :class:`Handoff`; the calling thread waits only when no
element is ready. Nothing crosses per item, and nothing blocks per page
unless the consumer is ahead of the network. Stopping the sync generator
early (``break``, ``close()``, an exception, garbage collection) stops the
pump, which closes the async iterator inside the loop and so cancels its
prefetching requests.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

from ..errors import ClientClosedError

__all__ = ["AHEAD", "Ended", "Handoff", "closed_error", "start_pump", "stop_pump", "stream"]

#: At most this many elements (pages) wait, decoded, for the consuming thread.
AHEAD = 8


def closed_error() -> ClientClosedError:
    """The error of a call on a closed client: the class and message AsyncClient gives."""
    return ClientClosedError("the client is closed; create a new one")


class Ended:
    """The last element of a handoff: the listing ended, with ``error`` or without."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class Handoff:
    """The elements (pages) of one async iterator, passed from the loop to the consuming thread.

    A pump task in the loop runs the iterator and appends each element; the
    consuming thread ``get``s them, waiting only when none is ready. The pump
    produces an element only with a slot: the first one has a slot from the
    start; when the consumer comes back for the second, it grants ``ahead``
    more, and one more for every element it takes after that. So a consumer
    that reads one page and stops has caused no more than the listing itself
    fetches ahead, and a consumer that reads on finds the next pages ready, at
    most ``ahead`` of them waiting (memory stays bounded however slow it is).
    """

    __slots__ = ("_ahead", "_items", "_loop", "_ready", "_slots", "_taken", "pump")

    def __init__(self, ahead: int) -> None:
        # Made in the loop's thread: the semaphore belongs to that loop.
        self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(1)
        self._ahead = ahead
        self._ready = threading.Condition()
        self._items: collections.deque[Any] = collections.deque()
        self._taken = 0  # consuming thread only
        self.pump: asyncio.Task[None] | None = None

    async def slot(self) -> None:
        """Wait until the consumer wants another element (loop thread)."""
        await self._slots.acquire()

    def put(self, element: Any) -> None:
        """Hand ``element`` over (loop thread, after ``slot``)."""
        with self._ready:
            self._items.append(element)
            self._ready.notify()

    def end(self, error: BaseException | None) -> None:
        """Mark the end, after every element put before (loop thread)."""
        self.put(Ended(error))

    def get(self) -> Any:
        """The next element, waiting for it if need be (consuming thread)."""
        if self._taken == 1:
            self._grant(self._ahead)  # reading on: let the pump run ahead
        with self._ready:
            while not self._items:
                self._ready.wait()
            element = self._items.popleft()
        self._taken += 1
        if self._taken > 1 and not isinstance(element, Ended):
            self._grant(1)
        return element

    def _grant(self, count: int) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: no pump to grant to
            self._loop.call_soon_threadsafe(self._release, count)

    def _release(self, count: int) -> None:
        for _ in range(count):
            self._slots.release()


async def start_pump(
    open_iterator: Callable[[], AsyncIterator[Any]], register: Callable[[Handoff], None]
) -> Handoff:
    """Open the iterator in the loop and start running it; its elements go to the handoff.

    Opening it here (rather than in a round trip of its own) makes starting
    a listing one crossing; an argument error raised by ``open_iterator``
    reaches the caller at once. The handoff is registered in the loop, so
    that ``close()`` stops the pump even if the caller never receives it
    (interrupted while waiting).
    """
    iterator = open_iterator()
    handoff = Handoff(AHEAD)
    register(handoff)
    handoff.pump = asyncio.ensure_future(_pump(iterator, handoff))
    handoff.pump.add_done_callback(_mark_retrieved)
    return handoff


def _mark_retrieved(task: asyncio.Task[None]) -> None:
    # A pump's own failure (its iterator failing to close) is raised to
    # whoever stops it; when nobody does, reading it here keeps asyncio from
    # logging "exception was never retrieved".
    if not task.cancelled():
        task.exception()


async def _pump(iterator: AsyncIterator[Any], handoff: Handoff) -> None:
    error: BaseException | None = None
    try:
        while True:
            await handoff.slot()
            try:
                element = await anext(iterator)
            except StopAsyncIteration:
                break
            handoff.put(element)
    except asyncio.CancelledError as exc:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            # Stopped by the consumer (who reads no further) or by close(),
            # whose consumer, if still waiting, learns that the client closed.
            error = closed_error()
            raise
        error = exc  # the listing itself was cancelled: its consumer sees that
    except BaseException as exc:  # delivered after the elements before it
        error = exc
        if not isinstance(exc, Exception):
            raise
    finally:
        try:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()  # a listing stopped early cancels its requests here
        finally:
            handoff.end(error)


async def stop_pump(handoff: Handoff) -> None:
    """Cancel the pump, wait until it has closed its iterator, and raise what that raised."""
    pump = handoff.pump
    if pump is None:
        return
    if not pump.done():
        pump.cancel()
        await asyncio.wait({pump})
    error = None if pump.cancelled() else pump.exception()
    if error is not None:
        raise error


class StreamOwner(Protocol):
    """What a stream needs of the client that started it."""

    @property
    def _stream_closed(self) -> bool:
        """Whether this client (or the loop it runs on) is closed."""
        ...

    def _refuse_loop_thread(self) -> None:
        """Raise EventLoopError in the loop's own thread, where waiting would deadlock."""
        ...

    def _start_stream(self, open_iterator: Callable[[], AsyncIterator[Any]]) -> Handoff:
        """Open and start pumping an iterator in the loop (one round trip)."""
        ...

    def _end_stream(self, handoff: Handoff, *, early: bool) -> None:
        """Forget a finished stream; stop its pump when it ended ``early``."""
        ...


def stream(
    owner: StreamOwner, open_iterator: Callable[[], AsyncIterator[Any]], *, flatten: bool
) -> Iterator[Any]:
    """Drive the iterator ``open_iterator()`` opens in the loop from this thread.

    ``flatten`` yields the items of its pages. Nothing happens before the
    first ``next()``, as with any generator.

    Once ``owner`` is closed the listing stops at the next element, and holding
    it keeps a temporary ``Client(...)`` from being finalized (which would stop
    the loop) while its generator still runs.
    """
    handoff = owner._start_stream(open_iterator)
    ended = False
    try:
        while True:
            if owner._stream_closed:
                raise closed_error()
            # Even when a page is ready: waiting for a later one there would deadlock.
            owner._refuse_loop_thread()
            element = handoff.get()
            if isinstance(element, Ended):
                ended = True
                if element.error is not None:
                    raise element.error
                return
            if flatten:
                yield from element.items
            else:
                yield element
    finally:
        owner._end_stream(handoff, early=not ended)
