"""Listing every page: sequential, or with the next pages fetched ahead.

``iterate_pages`` reads the first page, and when its ``total`` tells how many
pages there are, keeps up to ``concurrency`` of the following pages in flight
(from the moment the first page arrives) while the caller works through the
current one. Pages are still yielded in order, and besides the page being
read at most ``concurrency`` are fetched or waiting, whatever the consumer's
speed. A prefetched page waits as the bytes that came in and is decoded only
when its turn comes: the objects of one page at a time are alive, which keeps
the working set small and in cache.

When ``total`` is missing or turns out wrong, it falls back to asking page
after page until a short or empty one. When ``total`` is an
exact multiple of the page size, one page past it is asked for too (in
parallel with the rest), since only that shows whether ``total`` was too low.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from ._models import Page
from .errors import PagingError

__all__ = ["iterate_items", "iterate_pages"]

T = TypeVar("T")

# Decodes one fetched page; called when the page's turn comes, not on arrival.
PageReader = Callable[[], Page[T]]
# Sends the request for a page number and returns its reader.
PageFetcher = Callable[[int], Awaitable[PageReader[T]]]


def _expected_size(page_number: int, per_page: int, total: int) -> int:
    return max(0, min(per_page, total - (page_number - 1) * per_page))


async def _cancel_all(tasks: deque[tuple[int, asyncio.Task[PageReader[T]]]]) -> None:
    for _, task in tasks:
        task.cancel()
    # Retrieve every outcome so no "exception was never retrieved" warning fires.
    await asyncio.gather(*(task for _, task in tasks), return_exceptions=True)
    tasks.clear()


async def _sequential(
    fetch: Callable[[int], Awaitable[Page[T]]], page_number: int, per_page: int
) -> AsyncIterator[Page[T]]:
    while True:
        page = await fetch(page_number)
        if page.items:
            yield page
        if len(page.items) < per_page or not page.items:
            return
        page_number += 1


#: A listing stops with PagingError past this many pages without a short one
#: (10 million numbers at 100 a page): only a server that ignores paging gets there.
MAX_PAGES = 100_000


class _Progress:
    """Refuses a listing that cannot end: a page that repeats the one before, or no end in sight.

    A server that ignores the paging parameters answers the same page again
    and again (saying so, or leaving ``page`` out); without these checks the
    listing would repeat it forever.
    """

    __slots__ = ("first", "last", "pages")

    def __init__(self) -> None:
        self.pages = 0
        self.first: object = None
        self.last: object = None

    def check(self, number: int, read: PageReader[T]) -> Page[T]:
        page = read()
        if page.page != number:
            raise PagingError(
                f"asked for page {number} of a listing, the server answered page {page.page}",
                status=200,
            )
        self.pages += 1
        if self.pages > MAX_PAGES:
            raise PagingError(
                f"the listing ran past {MAX_PAGES} pages without a short one: "
                "the server seems to ignore paging",
                status=200,
            )
        items = page.items
        if items:
            # The first and last item of each page are enough: distinct
            # records never make two consecutive pages start and end alike.
            if self.pages > 1 and items[0] == self.first and items[-1] == self.last:
                raise PagingError(
                    f"page {number} of the listing repeats the page before it: "
                    "the server seems to ignore paging",
                    status=200,
                )
            self.first, self.last = items[0], items[-1]
        return page


async def iterate_pages(
    fetch: PageFetcher[T], *, start: int = 1, concurrency: int = 8
) -> AsyncIterator[Page[T]]:
    """Yield every page from ``start`` on, in order, prefetching when ``total`` allows."""

    progress = _Progress()

    async def fetch_now(number: int) -> Page[T]:
        return progress.check(number, await fetch(number))

    first = await fetch_now(start)
    per_page = first.per_page
    last = first.page_count
    total = first.total
    if (
        not first.items
        or per_page <= 0
        or last is None
        or total is None
        or len(first.items) != _expected_size(start, per_page, total)
    ):
        yield first
        if not first.items or per_page <= 0:
            return
        seen = (start - 1) * per_page + len(first.items)
        if len(first.items) >= per_page or (total is not None and total > seen):
            # No usable total, or a first page smaller than asked for although
            # more items exist (a server capping the page size): page by page,
            # a page as large as the first one counting as full.
            async for page in _sequential(fetch_now, start + 1, len(first.items)):
                yield page
        return
    if total % per_page == 0:
        # A full last page cannot show that total was too low by whole pages;
        # one more (normally empty) page, fetched with the others, settles it.
        last += 1

    inflight: deque[tuple[int, asyncio.Task[PageReader[T]]]] = deque()
    next_number = start + 1

    def top_up() -> None:
        nonlocal next_number
        while len(inflight) < concurrency and next_number <= last:
            inflight.append((next_number, asyncio.ensure_future(fetch(next_number))))
            next_number += 1

    try:
        # The next pages are on their way while the caller reads the first.
        top_up()
        yield first
        while True:
            top_up()
            if not inflight:
                return
            number, task = inflight.popleft()
            page = progress.check(number, await task)
            if page.items:
                yield page
            if len(page.items) != _expected_size(number, per_page, total):
                # total was wrong: stop at a short page, or go on one by one
                # after a page that held more than total allowed.
                await _cancel_all(inflight)
                if len(page.items) >= per_page:
                    async for extra in _sequential(fetch_now, number + 1, per_page):
                        yield extra
                return
    finally:
        await _cancel_all(inflight)


async def iterate_items(pages: AsyncIterator[Page[T]]) -> AsyncIterator[T]:
    """Flatten pages into items, closing the page iterator when the caller stops."""
    async with contextlib.aclosing(pages):  # type: ignore[type-var]  # an async generator
        async for page in pages:
            for item in page.items:
                yield item
