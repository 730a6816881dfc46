"""``client.account``: the balance to check before buying, and the ledger of what was spent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

from .._models import Balance, Page, Transaction
from .._paging import PageReader, iterate_items
from .._sansio import Request, decode_balance, decode_transaction_page, paging, path
from .._validation import check_currency, check_page, check_per_page
from ._base import Resource

__all__ = ["Account"]


class Account(Resource):
    """The account's money: balances per currency and the transactions ledger."""

    async def balance(self, currency: str = "INR") -> Balance:
        """The balance in ``currency``; ``available_balance`` is what a purchase may spend."""
        request = Request(
            "GET", path("v1", "Account", self._client.auth_id, "balance", check_currency(currency))
        )
        response = await self._client.call(request)
        return decode_balance(response.body)

    async def list_transactions(self, *, page: int = 1, per_page: int = 50) -> Page[Transaction]:
        """One page of the ledger (``per_page`` at most 100), newest first as the server sends."""
        check_page(page)
        check_per_page(per_page)
        read = await self._fetch(page, per_page)
        return read()

    async def _fetch(self, page: int, per_page: int) -> PageReader[Transaction]:
        request = Request(
            "GET",
            path("v1", "account", self._client.auth_id, "transactions"),
            tuple((name, str(value)) for name, value in paging(page, per_page).items()),
        )
        response = await self._client.call(request)
        return partial(decode_transaction_page, response.body, page, per_page)

    def iter_transactions_pages(
        self, *, per_page: int = 100, start_page: int = 1, max_concurrency: int | None = None
    ) -> AsyncIterator[Page[Transaction]]:
        """Every page of the ledger, in order, the next ones fetched ahead."""
        return self._pages(
            self._fetch, per_page=per_page, start_page=start_page, max_concurrency=max_concurrency
        )

    def iter_transactions(
        self, *, per_page: int = 100, start_page: int = 1, max_concurrency: int | None = None
    ) -> AsyncIterator[Transaction]:
        """Every transaction of the ledger, lazily (``async for``)."""
        return iterate_items(
            self.iter_transactions_pages(
                per_page=per_page, start_page=start_page, max_concurrency=max_concurrency
            )
        )
