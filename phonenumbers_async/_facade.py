"""``Client``: the async client, driven from synchronous code through an anyio blocking portal.

There is no second implementation here. A ``Client`` owns one event loop in a
background thread (an anyio blocking portal, started on first use) and one
:class:`AsyncClient` created inside that loop. ``client.numbers`` and the
other resources are generic wrappers: any public method of the async
resource is found by name and run in the loop, so a method added to the
async core appears here without new code.

* A coroutine method becomes a blocking call (one portal round trip).
* A method returning an async iterator becomes a sync generator. An item
  iterator ``X`` that has a page-level twin ``X_pages`` with the same
  parameters is driven through the twin instead, page by page, because a
  round trip costs 100 µs or more: per item, 10,000 numbers would cost a
  second. One round trip starts a pump task in the loop that runs the
  listing at the loop's pace and hands each page to the calling thread (at
  most ``_AHEAD`` waiting); the calling thread waits only when no page is
  ready, so a listing is not held up by a round trip per page either.

Stopping a sync generator early (``break``, ``close()``, an exception,
garbage collection) stops the pump, which closes the async generator inside
the loop and so cancels its prefetching requests.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import functools
import inspect
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

import aiohttp
from anyio.from_thread import BlockingPortal, start_blocking_portal

from ._client import AsyncClient
from ._config import CallOptions, ClientConfig, SettingsView
from ._resources._base import Resource
from ._retry import RetryPolicy
from ._transport import Transport
from .errors import ClientClosedError, ConfigurationError, EventLoopError

if TYPE_CHECKING:
    from ._facade_types import SyncResources as _Surface
else:
    _Surface = object

__all__ = ["Client"]

T = TypeVar("T")

_DONE: Any = object()
_PAGES_SUFFIX = "_pages"
# At most this many elements (pages) wait, decoded, for the consuming thread.
_AHEAD = 8


def _running_loop() -> bool:
    # The low-level getter returns None instead of raising: cheap on every call.
    return asyncio._get_running_loop() is not None


def _loop_error() -> EventLoopError:
    return EventLoopError(
        "phonenumbers_async.Client is the synchronous client and cannot be called from a "
        "thread that runs an event loop: it would block that loop, or deadlock. Use "
        "AsyncClient there: `async with AsyncClient(...) as client: await client.numbers.list()`."
    )


def _closed_error() -> ClientClosedError:
    # The same class and message AsyncClient gives after aclose().
    return ClientClosedError("the client is closed; create a new one")


async def _invoke(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call ``func`` inside the loop; await what it returns when that is awaitable."""
    result = func(*args, **kwargs)
    if inspect.isawaitable(result):
        return await result
    return result


class _Ended:
    """The last element of a handoff: the listing ended, with ``error`` or without."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class _Handoff:
    """The elements (pages) of one async iterator, passed from the loop to the consuming thread.

    A pump task in the loop runs the iterator and appends each element; the
    consuming thread ``get``s them, waiting only when none is ready. The pump
    produces an element only with a slot: the first one has a slot from the
    start; when the consumer comes back for the second, it grants ``ahead``
    more, and one more for every element it takes after that. So a consumer
    that reads one page and stops has caused no more than the listing itself
    fetches ahead, and a consumer that reads on finds the next pages ready, at
    most ``ahead`` of them waiting (memory stays bounded however slow it is).
    Nothing crosses per item, and nothing blocks per page unless the consumer
    is ahead of the network.
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
        self.put(_Ended(error))

    def get(self) -> Any:
        """The next element, waiting for it if need be (consuming thread)."""
        if self._taken == 1:
            self._grant(self._ahead)  # reading on: let the pump run ahead
        with self._ready:
            while not self._items:
                self._ready.wait()
            element = self._items.popleft()
        self._taken += 1
        if self._taken > 1 and not isinstance(element, _Ended):
            self._grant(1)
        return element

    def _grant(self, count: int) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: no pump to grant to
            self._loop.call_soon_threadsafe(self._release, count)

    def _release(self, count: int) -> None:
        for _ in range(count):
            self._slots.release()


async def _start_pump(
    iterator: AsyncIterator[Any], register: Callable[[AsyncIterator[Any], _Handoff], None]
) -> _Handoff:
    """Start running ``iterator`` in the loop; its elements go to the returned handoff.

    The handoff is registered here, in the loop, so that ``close()`` stops the
    pump even if the caller never receives it (interrupted while waiting).
    """
    handoff = _Handoff(_AHEAD)
    register(iterator, handoff)
    handoff.pump = asyncio.ensure_future(_pump(iterator, handoff))
    handoff.pump.add_done_callback(_mark_retrieved)
    return handoff


def _mark_retrieved(task: asyncio.Task[None]) -> None:
    # A pump's own failure (its iterator failing to close) is raised to
    # whoever stops it; when nobody does, reading it here keeps asyncio from
    # logging "exception was never retrieved".
    if not task.cancelled():
        task.exception()


async def _pump(iterator: AsyncIterator[Any], handoff: _Handoff) -> None:
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
            error = _closed_error()
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


async def _stop_pump(handoff: _Handoff) -> None:
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


async def _shutdown(
    iterators: dict[AsyncIterator[Any], _Handoff], client: AsyncClient | None
) -> None:
    """Stop the listings still running, then close the client's session."""
    for handoff in iterators.values():
        # Stopping every listing and the session matters more than one
        # listing's failure to close cleanly.
        with contextlib.suppress(Exception):
            await _stop_pump(handoff)
    if client is not None:
        await client.aclose()


class _Runner:
    """One blocking portal (an event loop in a thread), shared by a Client and its copies.

    ``root`` is the AsyncClient that owns the connections; closing the runner
    closes it inside the loop before the loop stops.
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
        self._thread_id: int | None = None
        self._iterators: dict[AsyncIterator[Any], _Handoff] = {}

    def client(self) -> AsyncClient:
        """The root AsyncClient, created inside the loop (with the loop) on first use."""
        root = self.root
        if root is not None and not self.closed:
            return root
        if _running_loop():
            raise _loop_error()
        with self._start_lock:
            if self.closed:
                raise _closed_error()
            if self.root is None:
                context = start_blocking_portal(name=f"phonenumbers-async-portal-{id(self):x}")
                portal = context.__enter__()
                try:
                    self._thread_id = portal.call(threading.get_ident)
                    root = portal.call(self._factory)  # in the loop: the session lives there
                except BaseException:
                    context.__exit__(None, None, None)
                    raise
                with self.lock:
                    closed = self.closed
                    if not closed:
                        self._context, self._portal, self.root = context, portal, root
                if closed:  # close() ran while this was starting
                    _stop(context, portal, {}, root)
                    raise _closed_error()
            return self.root

    def _start(self) -> BlockingPortal:
        self.client()
        portal = self._portal
        if portal is None:  # closed right after starting
            raise _closed_error()
        return portal

    def call(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``func(*args)`` in the loop and wait for its result (or its exception)."""
        if _running_loop():
            raise _loop_error()
        portal = self._portal or self._start()
        try:
            future = portal.start_task_soon(func, *args)
        except RuntimeError as exc:  # the portal stopped between the check and here
            raise _closed_error() from exc
        try:
            return future.result()
        except concurrent.futures.CancelledError as exc:
            if self.closed:  # close() cancelled this call
                raise _closed_error() from exc
            raise
        except BaseException:
            # Interrupted while waiting (KeyboardInterrupt): cancel the call in the loop.
            future.cancel()
            raise

    def stream(
        self,
        iterator: AsyncIterator[Any],
        flatten: bool,
        owner: Client,
    ) -> Iterator[Any]:
        """Drive ``iterator`` from this thread; ``flatten`` yields the items of its pages.

        ``owner`` is the Client that started the listing: once it is closed
        (a ``with_options`` copy can be, alone) the listing stops at the next
        page, and holding it keeps a temporary ``Client(...)`` from being
        finalized (which would stop this loop) while its generator still runs.
        """
        handoff: _Handoff = owner._call(_start_pump, iterator, self._register)
        ended = False
        try:
            while True:
                if _running_loop():
                    # Even a page that is ready: the next one would block that loop.
                    raise _loop_error()
                if owner._closed or self.closed:
                    raise _closed_error()
                element = handoff.get()
                if isinstance(element, _Ended):
                    ended = True
                    if element.error is not None:
                        raise element.error
                    return
                if flatten:
                    yield from element.items
                else:
                    yield element
        finally:
            with self.lock:
                self._iterators.pop(iterator, None)
            if not ended:
                self._stop_listing(handoff)

    def _register(self, iterator: AsyncIterator[Any], handoff: _Handoff) -> None:
        with self.lock:
            if self.closed:
                raise _closed_error()
            self._iterators[iterator] = handoff

    def _stop_listing(self, handoff: _Handoff) -> None:
        portal = self._portal
        if portal is None or self.closed:
            return  # close() and the loop's shutdown deal with it
        if threading.get_ident() == self._thread_id:
            # Collected inside the loop's own thread: blocking here would
            # deadlock. Cancelling is safe in this thread; the pump then
            # closes the iterator itself.
            if handoff.pump is not None:
                handoff.pump.cancel()
            return
        try:
            future = portal.start_task_soon(_stop_pump, handoff)
        except RuntimeError:
            return  # the portal stopped meanwhile; its shutdown stopped the pump
        if not _running_loop():
            # Waiting makes an early stop final: no request of this listing starts afterwards.
            future.result()

    def close(self) -> None:
        """Close open generators and the root client in the loop, then stop it, join its thread."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            context, portal, client = self._context, self._portal, self.root
            self._context = self._portal = self.root = None
            iterators = dict(self._iterators)
            self._iterators.clear()
        if context is None or portal is None:
            return
        if threading.get_ident() == self._thread_id:
            # Reached from the loop's own thread (a garbage-collected Client):
            # that thread cannot join itself, so another one stops it.
            threading.Thread(
                target=_stop, args=(context, portal, iterators, client), daemon=True
            ).start()
            return
        _stop(context, portal, iterators, client)


def _stop(
    context: AbstractContextManager[BlockingPortal],
    portal: BlockingPortal,
    iterators: dict[AsyncIterator[Any], _Handoff],
    client: AsyncClient | None,
) -> None:
    try:
        portal.call(_shutdown, iterators, client)
        # Calls still running in other threads are cancelled rather than awaited.
        portal.call(portal.stop, True)
    finally:
        context.__exit__(None, None, None)


class _SyncResource:
    """A synchronous view of one async resource; its methods are found by name.

    What exists, and whether a method is an item iterator with a page-level
    twin, is read off ``shape`` (the same resource of an AsyncClient that never
    sends), so looking a method up needs no event loop: only calling it does.
    Each call then runs the same method of the working AsyncClient in the loop.
    """

    def __init__(self, owner: Client, name: str, shape: Resource) -> None:
        # Holding the owner keeps the Client (and its loop) alive while a
        # resource or a method of it is still in use.
        self._owner = owner
        self._name = name
        self._shape = shape

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        attribute = getattr(self._shape, name)
        if not callable(attribute):
            return getattr(self._resource(), name)
        wrapper = self._wrap(name, attribute)
        # Later lookups find it in the instance dict and skip __getattr__.
        self.__dict__[name] = wrapper
        return wrapper

    def __dir__(self) -> list[str]:
        return sorted(name for name in dir(self._shape) if not name.startswith("_"))

    def __repr__(self) -> str:
        return f"<sync {type(self._shape).__name__} of {self._owner!r}>"

    def _resource(self) -> Any:
        """The working AsyncClient's resource (starting the loop on first use)."""
        return getattr(self._owner._client(), self._name)

    def _wrap(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        owner = self._owner
        resource = self._resource
        pages = None
        if not name.endswith(_PAGES_SUFFIX):
            pages = getattr(self._shape, name + _PAGES_SUFFIX, None)
            if pages is not None and not _same_parameters(method, pages):
                pages = None

        if pages is not None:
            pages_name = name + _PAGES_SUFFIX

            def items(*args: Any, **kwargs: Any) -> Iterator[Any]:
                page_method = getattr(resource(), pages_name)
                iterator = owner._call(_invoke, page_method, args, kwargs)
                return owner._runner.stream(iterator, True, owner)

            wrapper = items
        else:

            def call(*args: Any, **kwargs: Any) -> Any:
                result = owner._call(_invoke, getattr(resource(), name), args, kwargs)
                if isinstance(result, AsyncIterator):
                    return owner._runner.stream(result, False, owner)
                return result

            wrapper = call
        functools.update_wrapper(wrapper, method)
        return wrapper


def _same_parameters(first: Callable[..., Any], second: Callable[..., Any]) -> bool:
    try:
        return list(inspect.signature(first).parameters.values()) == list(
            inspect.signature(second).parameters.values()
        )
    except (TypeError, ValueError):
        return False


class Client(SettingsView, _Surface):
    """The synchronous client: :class:`AsyncClient`'s resources and methods, blocking.

    ::

        with Client() as client:
            for number in client.numbers.iter():
                ...

    It takes AsyncClient's arguments and raises its errors. Iterators stream
    page by page, never reading everything first. It runs the async client on
    its own event-loop thread, started on first use and stopped by
    :meth:`close` (or leaving ``with``). Safe to share between threads; not
    usable from a thread that runs an event loop (use :class:`AsyncClient`
    there). A ``transport`` passed in is used from that event-loop thread;
    ``session`` is refused, since an aiohttp session belongs to the event loop
    it was made in, which is never this client's.
    """

    _finalizer: weakref.finalize[[], Client] | None

    def __init__(
        self,
        auth_id: str | None = None,
        auth_token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = 30.0,
        connect_timeout: float | None = 10.0,
        deadline: float | None = None,
        max_retries: int | None = None,
        max_concurrency: int = 8,
        rate_limit: float | None = None,
        max_response_bytes: int | None = None,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        retry_policy: RetryPolicy | None = None,
        allow_http: bool = False,
    ) -> None:
        if session is not None:
            raise ConfigurationError(
                "Client runs its own event loop, and an aiohttp session works only in the "
                "loop it was created in: leave session out, or use AsyncClient in async code"
            )
        arguments: dict[str, Any] = {
            "base_url": base_url,
            "timeout": timeout,
            "connect_timeout": connect_timeout,
            "deadline": deadline,
            "max_retries": max_retries,
            "max_concurrency": max_concurrency,
            "rate_limit": rate_limit,
            "max_response_bytes": max_response_bytes,
            "session": session,
            "transport": transport,
            "retry_policy": retry_policy,
            "allow_http": allow_http,
        }
        # Built here, outside any loop and never used to send (its session is
        # lazy), to check the arguments, so a configuration error surfaces now
        # exactly as AsyncClient raises it; and to tell which resources and
        # methods exist without starting the loop.
        shape = AsyncClient(auth_id, auth_token, **arguments)
        config = shape.config
        # The client that works is built inside the loop, where its session will
        # live; the resolved credentials keep it from reading the environment again.
        arguments["base_url"] = config.base_url
        runner = _Runner(
            functools.partial(AsyncClient, config.auth_id, config.auth_token, **arguments)
        )
        self._setup(runner, shape, config, None, None)
        # A Client dropped without close() still stops its thread and session.
        # The callback holds the runner, never self.
        self._finalizer = weakref.finalize(self, runner.close)

    def _setup(
        self,
        runner: _Runner,
        shape: AsyncClient,
        config: ClientConfig,
        copy_of: AsyncClient | None,
        parent: Client | None,
    ) -> None:
        self._runner = runner
        self._shape = shape
        self._config = config
        # A with_options copy: its own AsyncClient over the shared connections,
        # and its parent kept alive (the parent's finalizer would stop the loop).
        self._copy_of = copy_of
        self._parent = parent
        self._closed = False
        self._finalizer = None

    # -- settings --------------------------------------------------------

    @property
    def config(self) -> ClientConfig:
        """The resolved settings (the token is left out of its repr)."""
        return self._config

    def with_options(self, **changes: Unpack[CallOptions]) -> Client:
        """A client sharing this one's event loop and connections, with some settings changed.

        ``client.with_options(deadline=5).numbers.purchase(e164)``; the
        settings are :meth:`AsyncClient.with_options`'s. Closing the copy
        leaves this client open, closing this client closes the copy.
        """
        source = self._client()
        copy: AsyncClient = self._call(_invoke, source.with_options, (), dict(changes))
        client = object.__new__(Client)
        client._setup(self._runner, self._shape, copy.config, copy, self)
        return client

    def __repr__(self) -> str:
        return f"<Client auth_id={self.auth_id!r} base_url={self.base_url!r}>"

    # -- the loop and the async client -----------------------------------

    def _client(self) -> AsyncClient:
        """This client's AsyncClient (starting the loop on first use)."""
        if self._closed:
            raise _closed_error()
        if self._copy_of is not None:
            return self._copy_of
        return self._runner.client()

    def _call(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        if self._closed:
            raise _closed_error()
        return self._runner.call(func, *args)

    if not TYPE_CHECKING:
        # Hidden from the type checker, which sees the resources through
        # _Surface (generated protocols) and so still flags a misspelt name.

        def __getattr__(self, name: str) -> Any:
            if name.startswith("_"):
                raise AttributeError(name)
            shape = getattr(self._shape, name, None)
            if not isinstance(shape, Resource):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            resource = _SyncResource(self, name, shape)
            self.__dict__[name] = resource
            return resource

    # -- lifetime --------------------------------------------------------

    def __enter__(self) -> Client:
        self._client()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session and stop the event-loop thread; a second call does nothing.

        Closing a copy from :meth:`with_options` only makes that copy unusable
        (it does not own the connections).
        """
        if self._closed:
            return
        self._closed = True
        if self._finalizer is not None:
            self._finalizer.detach()
            self._runner.close()
