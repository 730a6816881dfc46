"""What every generated sync resource shares: running one async method through the loop thread.

The generated classes (``_resources.py``) have a method for each method of
an async resource, with its signature and docstring, whose body is one call
to one of these: :meth:`SyncResource._call` for a coroutine method,
:meth:`SyncResource._stream` for a method returning an async iterator, and
:meth:`SyncResource._call_raw` on the ``with_raw_response`` side.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .._raw import RawResponse, call_raw
from ._pages import stream

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["ResourceHost", "SyncResource"]

T = TypeVar("T")


async def _await(
    method: Callable[..., Awaitable[T]], resource: object, args: tuple[Any, ...], kwargs: Any
) -> T:
    return await method(resource, *args, **kwargs)


async def _await_raw(
    method: Callable[..., Awaitable[T]], resource: object, args: tuple[Any, ...], kwargs: Any
) -> RawResponse[T]:
    return await call_raw(lambda: method(resource, *args, **kwargs))


async def _open(
    method: Callable[..., AsyncIterator[Any]], resource: object, args: tuple[Any, ...], kwargs: Any
) -> AsyncIterator[Any]:
    return method(resource, *args, **kwargs)


class SyncResource:
    """A sync view of one resource of the ``Client``'s :class:`AsyncClient`."""

    __slots__ = ("_owner",)

    #: The name of the resource on AsyncClient (``numbers``, ``inventory``…).
    _attribute: ClassVar[str]

    def __init__(self, owner: Client) -> None:
        # Holding the owner keeps the Client (and its loop) alive while a
        # resource of it is still in use.
        self._owner = owner

    def _async_resource(self) -> Any:
        """The async resource this one drives (starting the loop on first use)."""
        return getattr(self._owner._client(), self._attribute)

    def _call(self, method: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """``await method(resource, *args, **kwargs)`` in the loop, blocking for the result."""
        result: T = self._owner._call(_await, method, self._async_resource(), args, kwargs)
        return result

    def _call_raw(
        self, method: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any
    ) -> RawResponse[T]:
        """The same call, returning its :class:`RawResponse`."""
        return self._owner._call(_await_raw, method, self._async_resource(), args, kwargs)

    def _stream(
        self,
        method: Callable[..., AsyncIterator[Any]],
        /,
        *args: Any,
        _flatten: bool = False,
        **kwargs: Any,
    ) -> Iterator[Any]:
        """The async iterator ``method(resource, ...)`` opens, as a sync iterator that streams.

        With ``_flatten`` the method is a listing of pages whose items are
        yielded: a page crosses threads at once, never an item at a time.
        Arguments are checked at the call, as the async method checks them.
        """
        owner = self._owner
        # Opened in the loop now, so that a bad argument raises here, at the
        # call (the async methods check theirs when called, not on first
        # use); the pump starts on the first next(). An iterator never
        # started holds nothing to close.
        iterator = owner._call(_open, method, self._async_resource(), args, kwargs)
        return stream(owner, lambda: iterator, flatten=_flatten)

    def __repr__(self) -> str:
        return f"<sync {self._attribute} of {self._owner!r}>"


R = TypeVar("R", bound=SyncResource)


class ResourceHost:
    """Where the generated resource properties find their objects: the ``Client``."""

    __slots__ = ()

    def _sync_resource(self, cls: type[R]) -> R:
        """The one instance of the sync resource ``cls`` for this client."""
        raise NotImplementedError
