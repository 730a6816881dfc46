"""What every resource shares: the client's sender, the account in paths, page fetchers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from .._models import Page
from .._paging import PageReader, iterate_pages
from .._raw import RawResponseView
from .._reconcile import Requester
from .._validation import check_auth_id, check_concurrency, check_page, check_per_page

T = TypeVar("T")


class Resource:
    """A group of operations bound to one client, seen through its ``Requester``."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> RawResponseView:
        """The same calls, each returning a :class:`RawResponse` instead of the model.

        ``raw = await client.numbers.with_raw_response.list()``: ``raw.status``,
        ``raw.headers``, ``raw.request_id``, ``raw.elapsed``, ``raw.attempts``,
        and ``raw.parse()`` for the page. Listings that stream have no raw form.
        """
        return RawResponseView(self)

    def _account(self, auth_id: str | None) -> str:
        """The Auth ID for the path: the given one (checked) or the client's own."""
        return self._client.auth_id if auth_id is None else check_auth_id(auth_id)

    def _pages(
        self,
        fetch: Callable[[int, int], Awaitable[PageReader[T]]],
        *,
        per_page: int,
        start_page: int,
        max_concurrency: int | None,
        size_name: str = "per_page",
    ) -> AsyncIterator[Page[T]]:
        """Every page from ``start_page`` on; arguments are checked now, not on first use."""
        check_per_page(per_page, size_name)
        check_page(start_page)
        concurrency = (
            self._client.max_concurrency
            if max_concurrency is None
            else check_concurrency(max_concurrency)
        )
        return iterate_pages(
            lambda number: fetch(number, per_page), start=start_page, concurrency=concurrency
        )
