"""``client.inventory``: numbers on sale."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from functools import partial

import attrs

from .._models import Page, PhoneNumber
from .._paging import PageReader, iterate_items
from .._sansio import Request, decode_number_page, paging, path, query
from .._validation import check_e164, check_exclude, check_page, check_per_page, check_search
from ..errors import UnexpectedResponse, ValidationError
from ._base import Resource
from ._lookup import Presence, inventory_presence

__all__ = ["Inventory"]

_COUNTRY = re.compile(r"[A-Za-z]{2}")


@attrs.frozen
class _Filters:
    """An inventory listing's filters, checked once where they are made."""

    country: str | None
    search: str | None
    exclude: tuple[str, ...]

    @classmethod
    def of(
        cls, country: str | None, search: str | None, exclude: str | Iterable[str] | None
    ) -> _Filters:
        if country is not None and (
            not isinstance(country, str) or not _COUNTRY.fullmatch(country)
        ):
            raise ValidationError(
                f"country must be a two-letter ISO code such as 'IN', not {country!r}"
            )
        return cls(
            country.upper() if country else None, check_search(search), check_exclude(exclude)
        )

    def query(self, page: int, per_page: int) -> tuple[tuple[str, str], ...]:
        return query(
            country=self.country,
            search=self.search,
            # Comma-separated, one of the two documented spellings.
            exclude=",".join(self.exclude) if self.exclude else None,
            **paging(page, per_page),
        )


class Inventory(Resource):
    """Browse the numbers that can be bought."""

    async def list(
        self,
        *,
        country: str | None = None,
        search: str | None = None,
        exclude: str | Iterable[str] | None = None,
        page: int = 1,
        per_page: int = 25,
    ) -> Page[PhoneNumber]:
        """One page of inventory, filtered.

        ``country`` is an ISO code, ``search`` a part of the number (digits,
        ``+`` optional), ``exclude`` prefixes to leave out (``["+9180",
        "9192"]`` or ``"9180,9192"``); the filters combine.
        """
        filters = _Filters.of(country, search, exclude)
        check_page(page)
        check_per_page(per_page)
        read = await self._fetch(page, per_page, filters)
        return read()

    async def _fetch(self, page: int, per_page: int, filters: _Filters) -> PageReader[PhoneNumber]:
        request = Request(
            "GET",
            path("v1", "account", self._client.auth_id, "inventory", "numbers"),
            filters.query(page, per_page),
        )
        response = await self._client.call(request)
        return partial(decode_number_page, response.body, page, per_page)

    def iter_pages(
        self,
        *,
        country: str | None = None,
        search: str | None = None,
        exclude: str | Iterable[str] | None = None,
        per_page: int = 100,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> AsyncIterator[Page[PhoneNumber]]:
        """Every page of inventory, in order, the next ones fetched ahead."""
        filters = _Filters.of(country, search, exclude)
        return self._pages(
            lambda number, size: self._fetch(number, size, filters),
            per_page=per_page,
            start_page=start_page,
            max_concurrency=max_concurrency,
        )

    def iter(
        self,
        *,
        country: str | None = None,
        search: str | None = None,
        exclude: str | Iterable[str] | None = None,
        per_page: int = 100,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> AsyncIterator[PhoneNumber]:
        """Every number in inventory matching the filters, lazily (``async for``)."""
        return iterate_items(
            self.iter_pages(
                country=country,
                search=search,
                exclude=exclude,
                per_page=per_page,
                start_page=start_page,
                max_concurrency=max_concurrency,
            )
        )

    async def contains(self, e164: str) -> bool:
        """Whether ``e164`` is on sale right now (one ``search`` request).

        Raises :class:`UnexpectedResponse` when the server ignores the
        search filter, since the answer would then be a guess.
        """
        check_e164(e164)
        presence = await inventory_presence(self._client, e164)
        if presence is Presence.UNKNOWN:
            raise UnexpectedResponse(
                f"inventory did not apply search={e164}: whether it is on sale is unknown",
                status=200,
            )
        return presence is Presence.PRESENT
