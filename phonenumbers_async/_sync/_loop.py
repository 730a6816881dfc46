"""The loop thread: one event loop in a background thread (an anyio blocking portal).

A sync ``Client`` and its ``with_options`` copies share one :class:`LoopThread`;
it owns the root :class:`AsyncClient`, created inside the loop (where its
HTTP session lives) on first use, and closes it there before the loop stops.

A call from any other thread blocks that thread until the loop has done the
work, even when that thread runs an event loop of its own (a notebook
kernel): nothing can deadlock, since the work runs on a loop that thread
does not need. Only a call from the loop thread itself (from code that the
client runs, such as a transport's handler) would wait on itself forever,
and is refused with :class:`EventLoopError`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

from .._client import AsyncClient
from ..errors import EventLoopError
from ._pages import Handoff, closed_error, start_pump, stop_pump

__all__ = ["THREAD_NAME_PREFIX", "LoopThread", "own_loop_error"]

T = TypeVar("T")

#: The name of every loop thread starts so (tests look for leftovers by it).
THREAD_NAME_PREFIX = "phonenumbers-async-portal-"


def own_loop_error() -> EventLoopError:
    """The error of a call that would wait for the very thread it runs in."""
    return EventLoopError(
        "phonenumbers_async.Client was called from inside its own event-loop thread (from code "
        "the client itself runs, such as a transport or a handler): waiting there for the "
        "answer would deadlock. Use AsyncClient in async code: "
        "`async with AsyncClient(...) as client: await client.numbers.list()`."
    )


async def _shutdown(streams: set[Handoff], client: AsyncClient | None) -> None:
    """Stop the listings still running, then close the client's session."""
    for handoff in streams:
        # Stopping every listing and the session matters more than one
        # listing's failure to close cleanly.
        with contextlib.suppress(Exception):
            await stop_pump(handoff)
    if client is not None:
        await client.aclose()


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


class LoopThread:
    """One blocking portal (an event loop in a thread), shared by a Client and its copies.

    ``root`` is the AsyncClient that owns the connections; closing closes it
    inside the loop before the loop stops.
    """

    def __init__(self, factory: Callable[[], AsyncClient]) -> None:
        # ``lock`` guards state and is never held across a call into the loop
        # (the loop's thread takes it when it finalizes a dropped Client);
        # ``_start_lock`` serialises starting the portal and the root client.
        self.lock = threading.Lock()
        self._start_lock = threading.Lock()
        self.closed = False
        self.root: AsyncClient | None = None
        self._factory = factory
        self._context: AbstractContextManager[BlockingPortal] | None = None
        self._portal: BlockingPortal | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_id: int | None = None
        self._streams: set[Handoff] = set()

    def in_loop_thread(self) -> bool:
        """Whether the caller runs in this loop's own thread."""
        return threading.get_ident() == self._thread_id

    def client(self) -> AsyncClient:
        """The root AsyncClient, created inside the loop (with the loop) on first use."""
        root = self.root
        if root is not None and not self.closed:
            return root
        with self._start_lock:
            if self.closed:
                raise closed_error()
            if self.root is None:
                context = start_blocking_portal(name=f"{THREAD_NAME_PREFIX}{id(self):x}")
                portal = context.__enter__()
                try:
                    self._thread_id = portal.call(threading.get_ident)
                    loop = portal.call(_running_loop)
                    root = portal.call(self._factory)  # in the loop: the session lives there
                except BaseException:
                    context.__exit__(None, None, None)
                    raise
                with self.lock:
                    closed = self.closed
                    if not closed:
                        self._context, self._portal, self.root = context, portal, root
                        self._loop = loop
                if closed:  # close() ran while this was starting
                    _stop(context, portal, set(), root)
                    raise closed_error()
            return self.root

    def _start(self) -> asyncio.AbstractEventLoop:
        self.client()
        loop = self._loop
        if loop is None:  # closed right after starting
            raise closed_error()
        return loop

    def call(self, func: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """Run ``func(*args)`` in the loop and wait for its result (or its exception).

        Scheduled with ``asyncio.run_coroutine_threadsafe`` rather than the
        portal's task group: one hop less per call (the portal is what starts
        and stops the loop). A call still running when the loop stops is
        cancelled with the loop's remaining tasks.
        """
        if self.in_loop_thread():
            raise own_loop_error()
        loop = self._loop or self._start()
        coroutine = func(*args)
        try:
            future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        except RuntimeError as exc:  # the loop stopped between the check and here
            coroutine.close()
            raise closed_error() from exc
        try:
            return future.result()
        except concurrent.futures.CancelledError as exc:
            if self.closed:  # close() cancelled this call
                raise closed_error() from exc
            raise
        except BaseException:
            # Interrupted while waiting (KeyboardInterrupt): cancel the call in the loop.
            future.cancel()
            raise

    def start_stream(self, open_iterator: Callable[[], AsyncIterator[Any]]) -> Handoff:
        """Open and start pumping an iterator in the loop (one round trip)."""
        return self.call(start_pump, open_iterator, self._register)

    def _register(self, handoff: Handoff) -> None:
        with self.lock:
            if self.closed:
                raise closed_error()
            self._streams.add(handoff)

    def end_stream(self, handoff: Handoff, *, early: bool) -> None:
        """Forget a finished stream; stop its pump when it ended early."""
        with self.lock:
            self._streams.discard(handoff)
        if not early:
            return
        portal = self._portal
        if portal is None or self.closed:
            return  # close() and the loop's shutdown deal with it
        if self.in_loop_thread():
            # Collected inside the loop's own thread: blocking here would
            # deadlock. Cancelling is safe in this thread; the pump then
            # closes the iterator itself.
            if handoff.pump is not None:
                handoff.pump.cancel()
            return
        try:
            future = portal.start_task_soon(stop_pump, handoff)
        except RuntimeError:
            return  # the portal stopped meanwhile; its shutdown stopped the pump
        # Waiting makes an early stop final: no request of this listing starts afterwards.
        future.result()

    def close(self) -> None:
        """Close open listings and the root client in the loop, then stop it, join its thread."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            context, portal, client = self._context, self._portal, self.root
            self._context = self._portal = self.root = None
            self._loop = None
            streams = set(self._streams)
            self._streams.clear()
        if context is None or portal is None:
            return
        if self.in_loop_thread():
            # Reached from the loop's own thread (a garbage-collected Client):
            # that thread cannot join itself, so another one stops it.
            threading.Thread(
                target=_stop, args=(context, portal, streams, client), daemon=True
            ).start()
            return
        _stop(context, portal, streams, client)


def _stop(
    context: AbstractContextManager[BlockingPortal],
    portal: BlockingPortal,
    streams: set[Handoff],
    client: AsyncClient | None,
) -> None:
    try:
        portal.call(_shutdown, streams, client)
        # Calls still running in other threads are cancelled rather than awaited.
        portal.call(portal.stop, True)
    finally:
        context.__exit__(None, None, None)
