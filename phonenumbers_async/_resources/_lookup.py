"""Looking one number up: how a reconciliation (and ``numbers.get``) learns a number's state.

The provider has no endpoint that returns one number; its listings take
``search`` (a part of the E.164 number), so a number is looked up with one
request and an exact match on ``e164`` in what comes back. A server that
ignores the filter shows itself by returning numbers that do not match it;
then own numbers are scanned page by page, and a miss there proves nothing
(items shift while a live listing is paged): the lookup says so
(``exact=False``). Inventory is never scanned: it is unknown instead.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import AsyncIterator, Iterable
from functools import partial

import attrs

from .._models import Page, PhoneNumber
from .._paging import PageReader, iterate_pages
from .._reconcile import Requester
from .._sansio import Request, decode_number_page, paging, path, query
from ..errors import PagingError

__all__ = ["OwnedLookup", "Presence", "find_owned", "inventory_presence"]

#: The page size of a lookup: one page holds every number the search can match.
_LOOKUP_PAGE = 100


class Presence(enum.Enum):
    """Whether a number is in a listing, as far as one lookup can tell."""

    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


@attrs.frozen
class OwnedLookup:
    """The account's own number, if found; ``exact`` tells whether a miss is proof."""

    number: PhoneNumber | None
    exact: bool

    @property
    def presence(self) -> Presence:
        if self.number is not None:
            return Presence.PRESENT
        return Presence.ABSENT if self.exact else Presence.UNKNOWN


def _honours_search(items: Iterable[PhoneNumber], e164: str) -> bool:
    """Whether every item matches the search, i.e. the server applied the filter."""
    digits = e164.lstrip("+")
    return all(digits in item.e164 for item in items)


def _owned_by(number: PhoneNumber, account: str, family: bool) -> bool:
    # With include_subaccounts=false only the account's own numbers should
    # come; the owner field, when the server sends it, must agree.
    return family or number.account_id in (None, account)


#: A search for one number that matches more pages than this is not a lookup.
_MAX_LOOKUP_PAGES = 10


def _listing(
    requester: Requester, account: str, search: str | None, family: bool
) -> AsyncIterator[Page[PhoneNumber]]:
    """The account's numbers (its family's with ``family``), through the one paginator."""
    numbers_path = path("v1", "account", account, "numbers")

    async def fetch(page: int) -> PageReader[PhoneNumber]:
        request = Request(
            "GET",
            numbers_path,
            query(
                search=search,
                include_subaccounts=None if family else False,
                **paging(page, _LOOKUP_PAGE),
            ),
        )
        response = await requester.call(request)
        return partial(decode_number_page, response.body, page, _LOOKUP_PAGE)

    return iterate_pages(fetch, concurrency=1 if search else requester.max_concurrency)


async def find_owned(
    requester: Requester, e164: str, account: str, *, family: bool = False
) -> OwnedLookup:
    """Account ``account``'s number ``e164``, looked up by search.

    Only the account's own numbers count, unless ``family``: then a
    sub-account's number (listed for its master) counts too.
    """
    pages = _listing(requester, account, e164, family)
    async with contextlib.aclosing(pages):  # type: ignore[type-var]  # an async generator
        seen = 0
        async for page in pages:
            if not _honours_search(page.items, e164):
                break
            for number in page.items:
                if number.e164 == e164 and _owned_by(number, account, family):
                    return OwnedLookup(number, exact=True)
            seen += 1
            if seen >= _MAX_LOOKUP_PAGES:
                raise PagingError(
                    f"a search for {e164} matched more than {seen} pages of numbers",
                    status=200,
                )
        else:
            return OwnedLookup(None, exact=True)
    return await _scan_owned(requester, e164, account, family)


async def _scan_owned(
    requester: Requester, e164: str, account: str, family: bool = False
) -> OwnedLookup:
    """Page through the whole listing; a miss is not proof (the listing may shift)."""
    pages = _listing(requester, account, None, family)
    async with contextlib.aclosing(pages):  # type: ignore[type-var]  # an async generator
        async for page in pages:
            for number in page.items:
                if number.e164 == e164 and _owned_by(number, account, family):
                    return OwnedLookup(number, exact=False)
    return OwnedLookup(None, exact=False)


async def inventory_presence(requester: Requester, e164: str) -> Presence:
    """Whether ``e164`` is on sale, by one search of inventory (unknown if search is ignored)."""
    request = Request(
        "GET",
        path("v1", "account", requester.auth_id, "inventory", "numbers"),
        query(search=e164, **paging(1, _LOOKUP_PAGE)),
    )
    response = await requester.call(request)
    items = decode_number_page(response.body, 1, _LOOKUP_PAGE).items
    if not _honours_search(items, e164):
        return Presence.UNKNOWN
    if any(number.e164 == e164 for number in items):
        return Presence.PRESENT
    return Presence.ABSENT if len(items) < _LOOKUP_PAGE else Presence.UNKNOWN
