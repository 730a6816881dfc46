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
  second. The first round trip brings the first page only; each later one
  brings the next page plus any pages the listing has already prefetched.

Stopping a sync generator early (``break``, ``close()``, an exception,
garbage collection) closes the async generator inside the loop, which
cancels its prefetching requests.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import inspect
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from anyio.from_thread import BlockingPortal, start_blocking_portal

from ._client import AsyncClient
from ._config import ClientConfig
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

_UNSET: Any = object()
_DONE: Any = object()
_PAGES_SUFFIX = "_pages"
# At most this many elements (pages) are handed over in one crossing.
_MAX_BATCH = 8


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


class _Step:
    """How one async iterator is being stepped from a sync generator (loop thread only).

    ``task`` is a crossing in progress (a ``_next_batch`` call); ``ahead`` a
    step of the iterator started early, that the next crossing collects.
    """

    __slots__ = ("ahead", "eager", "task")

    def __init__(self) -> None:
        self.task: asyncio.Task[Any] | None = None
        self.ahead: asyncio.Task[Any] | None = None
        # False until the consumer comes back for a second batch: the first
        # crossing fetches the first element only, and starts nothing else.
        self.eager = False


async def _step_once(iterator: AsyncIterator[Any]) -> Any:
    """The next element, or ``_DONE`` (StopAsyncIteration does not cross threads well)."""
    try:
        return await anext(iterator)
    except StopAsyncIteration:
        return _DONE


def _mark_retrieved(task: asyncio.Task[Any]) -> None:
    # An early step may fail with nobody left to collect it (the consumer
    # stopped): reading the exception keeps asyncio from logging it. A consumer
    # that does collect the step still gets the exception raised.
    if not task.cancelled():
        task.exception()


async def _next_batch(iterator: AsyncIterator[Any], step: _Step) -> list[Any]:
    """The next element, then every further one already available; ``_DONE`` ends the iterator.

    After taking an element, the next step is started at once and given one
    loop turn: a page the listing has already prefetched completes in it and
    joins this batch; a page still on the network keeps loading in the loop
    and the next call collects it. One crossing thus brings back every page
    that is ready, not just one.
    """
    step.task = asyncio.current_task()
    try:
        pending, step.ahead = step.ahead, None
        element = await (pending if pending is not None else _step_once(iterator))
        batch = [element]
        if not step.eager:
            step.eager = True
            return batch
        while element is not _DONE and len(batch) < _MAX_BATCH:
            ahead = step.ahead = asyncio.ensure_future(_step_once(iterator))
            ahead.add_done_callback(_mark_retrieved)
            await asyncio.sleep(0)
            # Not ready, or failed: left for the next call, so that the pages
            # already in this batch are delivered before the error is raised.
            if not ahead.done() or ahead.cancelled() or ahead.exception() is not None:
                break
            step.ahead = None
            element = ahead.result()
            batch.append(element)
        return batch
    finally:
        step.task = None


async def _aclose(iterator: AsyncIterator[Any], step: _Step) -> None:
    """Close an async iterator, first cancelling any step of it that nobody will collect.

    Such steps are a step started early, or a crossing whose caller stopped
    waiting (Ctrl-C, or close() from another thread); closing the generator
    under a running step would fail with "asynchronous generator is already
    running".
    """
    for task in (step.task, step.ahead):
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.wait({task})
    step.ahead = None
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


async def _shutdown(iterators: dict[AsyncIterator[Any], _Step], client: AsyncClient | None) -> None:
    """Close the iterators still open, then the client's session."""
    for iterator, step in iterators.items():
        # Closing every iterator and the session matters more than one
        # iterator's failure to close cleanly.
        with contextlib.suppress(Exception):
            await _aclose(iterator, step)
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
        self._iterators: dict[AsyncIterator[Any], _Step] = {}

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
        call: Callable[..., Any],
    ) -> Iterator[Any]:
        """Drive ``iterator`` from this thread; ``flatten`` yields the items of its pages.

        ``call`` is the owning Client's ``_call``: it refuses once that Client
        is closed, and holding it keeps a temporary ``Client(...)`` from being
        finalized (which would stop this loop) while its generator still runs.
        """
        step = _Step()
        with self.lock:
            self._iterators[iterator] = step
        exhausted = False
        try:
            while True:
                for element in call(_next_batch, iterator, step):
                    if element is _DONE:
                        exhausted = True
                        return
                    if flatten:
                        yield from element.items
                    else:
                        yield element
        finally:
            with self.lock:
                self._iterators.pop(iterator, None)
            if not exhausted:
                self._close_iterator(iterator, step)

    def _close_iterator(self, iterator: AsyncIterator[Any], step: _Step) -> None:
        portal = self._portal
        if not hasattr(iterator, "aclose") or portal is None or self.closed:
            return  # nothing to close, or close() and the loop's shutdown deal with it
        if threading.get_ident() == self._thread_id:
            # Collected inside the loop's own thread: blocking here would deadlock.
            # Cancelling the early step (safe: this is the loop's thread) lets the
            # generator be collected, and asyncio's finalizer then closes it.
            if step.ahead is not None:
                step.ahead.cancel()
            return
        try:
            future = portal.start_task_soon(_aclose, iterator, step)
        except RuntimeError:
            return  # the portal stopped meanwhile; its loop finalized the generator
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
    iterators: dict[AsyncIterator[Any], _Step],
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
                return owner._runner.stream(iterator, True, owner._call)

            wrapper = items
        else:

            def call(*args: Any, **kwargs: Any) -> Any:
                result = owner._call(_invoke, getattr(resource(), name), args, kwargs)
                if isinstance(result, AsyncIterator):
                    return owner._runner.stream(result, False, owner._call)
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


class Client(_Surface):
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
        max_retries: int | None = None,
        max_concurrency: int = 8,
        rate_limit: float | None = None,
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
            "max_retries": max_retries,
            "max_concurrency": max_concurrency,
            "rate_limit": rate_limit,
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

    @property
    def auth_id(self) -> str:
        """The Auth ID this client acts as."""
        return self._config.auth_id

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def with_options(
        self,
        *,
        timeout: float | None = _UNSET,
        connect_timeout: float | None = _UNSET,
        max_retries: int = _UNSET,
        max_concurrency: int = _UNSET,
    ) -> Client:
        """A client sharing this one's event loop and connections, with some settings changed.

        ``client.with_options(timeout=5).numbers.purchase(e164)``; closing the
        copy leaves this client open, closing this client closes the copy.
        """
        changes = {
            name: value
            for name, value in (
                ("timeout", timeout),
                ("connect_timeout", connect_timeout),
                ("max_retries", max_retries),
                ("max_concurrency", max_concurrency),
            )
            if value is not _UNSET
        }
        source = self._client()
        copy: AsyncClient = self._call(_invoke, source.with_options, (), changes)
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
