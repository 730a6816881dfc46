"""``Client``: the async client, driven from synchronous code through its own loop thread.

There is no second implementation: a ``Client`` owns one event loop in a
background thread (:class:`LoopThread`, started on first use) and one
:class:`AsyncClient` created inside that loop. Its resources are generated
classes (``_resources.py``) whose methods run the async methods there.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar, Unpack

from .._client import AsyncClient
from .._config import CallOptions, ClientConfig, ClientOptions, SettingsView
from ..errors import ConfigurationError
from ._base import R
from ._loop import LoopThread, own_loop_error
from ._pages import Handoff, closed_error
from ._resources import SyncClientResources

__all__ = ["Client"]

T = TypeVar("T")


class Client(SettingsView, SyncClientResources):
    """The synchronous client: :class:`AsyncClient`'s resources and methods, blocking.

    ::

        with Client() as client:
            for number in client.numbers.iter():
                ...

    It takes exactly AsyncClient's options (:class:`ClientOptions`; credentials
    from ``VOBIZ_AUTH_ID`` / ``VOBIZ_AUTH_TOKEN`` when left out) and raises
    its errors. Resources: ``numbers``, ``inventory``, ``subaccounts``,
    ``account``, each with ``with_raw_response``. Iterators stream page by
    page, never reading everything first. It runs the async client on its
    own event-loop thread, started on first use and stopped by :meth:`close`
    (or leaving ``with``), so it also works from a thread that runs another
    event loop, such as a notebook cell (it blocks that thread, like any sync
    client). Safe to share between threads. A ``transport`` passed in is used
    from the loop thread; ``session`` is refused, since an aiohttp session
    belongs to the event loop it was made in, which is never this client's.
    """

    _finalizer: weakref.finalize[[], Client] | None

    def __init__(
        self,
        auth_id: str | None = None,
        auth_token: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        if options.get("session") is not None:
            raise ConfigurationError(
                "Client runs its own event loop, and an aiohttp session works only in the "
                "loop it was created in: leave session out, or use AsyncClient in async code"
            )
        # Resolved and checked here, so a configuration error surfaces now
        # exactly as AsyncClient raises it; the client that works is built
        # from it inside the loop, where its session will live.
        config = ClientConfig.from_options(auth_id, auth_token, options)
        runner = LoopThread(
            functools.partial(AsyncClient._from_config, config, options.get("transport"))
        )
        self._setup(runner, config, None, None)
        # A Client dropped without close() still stops its thread and session.
        # The callback holds the runner, never self.
        self._finalizer = weakref.finalize(self, runner.close)

    def _setup(
        self,
        runner: LoopThread,
        config: ClientConfig,
        copy_of: AsyncClient | None,
        parent: Client | None,
    ) -> None:
        self._runner = runner
        self._config = config
        # A with_options copy: its own AsyncClient over the shared connections,
        # and its parent kept alive (the parent's finalizer would stop the loop).
        self._copy_of = copy_of
        self._parent = parent
        self._closed = False
        self._finalizer = None
        self._resources: dict[type[Any], Any] = {}

    def _sync_resource(self, cls: type[R]) -> R:
        resource = self._resources.get(cls)
        if resource is None:
            resource = self._resources[cls] = cls(self)
        return resource

    # -- settings --------------------------------------------------------

    @property
    def config(self) -> ClientConfig:
        """The resolved settings (the token is left out of its repr)."""
        return self._config

    def with_options(self, **changes: Unpack[CallOptions]) -> Client:
        """A client sharing this one's event loop and connections, with some settings changed.

        ``client.with_options(deadline=5).numbers.purchase(e164)``; the
        settings are :meth:`AsyncClient.with_options`'s (``extra_headers``
        and ``extra_query`` included, which can never replace the
        authentication headers). Closing the copy leaves this client open,
        closing this client closes the copy.
        """
        copy = self._client().with_options(**changes)
        client = object.__new__(Client)
        client._setup(self._runner, copy.config, copy, self)
        return client

    def __repr__(self) -> str:
        return f"<Client auth_id={self.auth_id!r} base_url={self.base_url!r}>"

    # -- the loop and the async client -----------------------------------

    @property
    def _stream_closed(self) -> bool:
        """Whether this client (or the one it was copied from) is closed."""
        return self._closed or self._runner.closed

    def _client(self) -> AsyncClient:
        """This client's AsyncClient (starting the loop on first use)."""
        if self._closed:
            raise closed_error()
        if self._copy_of is not None:
            return self._copy_of
        return self._runner.client()

    def _call(self, func: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        if self._closed:
            raise closed_error()
        return self._runner.call(func, *args)

    def _refuse_loop_thread(self) -> None:
        """Raise EventLoopError in the loop's own thread, where waiting would deadlock."""
        if self._runner.in_loop_thread():
            raise own_loop_error()

    def _start_stream(self, open_iterator: Callable[[], AsyncIterator[Any]]) -> Handoff:
        """Open and start pumping an iterator in the loop (one round trip)."""
        if self._closed:
            raise closed_error()
        return self._runner.start_stream(open_iterator)

    def _end_stream(self, handoff: Handoff, *, early: bool) -> None:
        """Forget a finished stream; stop its pump when it ended early."""
        self._runner.end_stream(handoff, early=early)

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
