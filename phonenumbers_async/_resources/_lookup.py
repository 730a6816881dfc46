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
from collections.abc import Iterable
from functools import partial

import attrs

from .._models import PhoneNumber
from .._paging import PageReader, iterate_pages
from .._reconcile import Requester
from .._sansio import Request, decode_number_page, paging, path, query

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


def _owned_by(number: PhoneNumber, account: str) -> bool:
    # With include_subaccounts=false only the account's own numbers should
    # come; the owner field, when the server sends it, must agree.
    return number.account_id in (None, account)


async def find_owned(requester: Requester, e164: str, account: str) -> OwnedLookup:
    """Account ``account``'s own number ``e164`` (not a sub-account's), looked up by search."""
    numbers_path = path("v1", "account", account, "numbers")

    async def fetch(page: int) -> list[PhoneNumber]:
        request = Request(
            "GET",
            numbers_path,
            query(search=e164, include_subaccounts=False, **paging(page, _LOOKUP_PAGE)),
        )
        response = await requester.call(request)
        return list(decode_number_page(response.body, page, _LOOKUP_PAGE).items)

    page_number = 1
    while True:
        items = await fetch(page_number)
        if not _honours_search(items, e164):
            return await _scan_owned(requester, e164, account)
        for number in items:
            if number.e164 == e164 and _owned_by(number, account):
                return OwnedLookup(number, exact=True)
        # Longer numbers may contain this one; a full page may hide it further on.
        if len(items) < _LOOKUP_PAGE:
            return OwnedLookup(None, exact=True)
        page_number += 1


async def _scan_owned(requester: Requester, e164: str, account: str) -> OwnedLookup:
    """Page through the whole listing; a miss is not proof (the listing may shift)."""
    numbers_path = path("v1", "account", account, "numbers")

    async def fetch(page: int) -> PageReader[PhoneNumber]:
        request = Request(
            "GET", numbers_path, query(include_subaccounts=False, **paging(page, _LOOKUP_PAGE))
        )
        response = await requester.call(request)
        return partial(decode_number_page, response.body, page, _LOOKUP_PAGE)

    pages = iterate_pages(fetch, concurrency=requester.max_concurrency)
    async with contextlib.aclosing(pages):  # type: ignore[type-var]  # an async generator
        async for page in pages:
            for number in page.items:
                if number.e164 == e164 and _owned_by(number, account):
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
