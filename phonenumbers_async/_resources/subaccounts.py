"""``client.subaccounts``: sub-accounts, and handing numbers to them and back."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import partial

from .._models import Page, SubAccount
from .._paging import PageReader, iterate_items
from .._retry import is_ambiguous_status
from .._sansio import (
    COOL_OFF_CODE,
    Idempotency,
    Request,
    decode_subaccount,
    decode_subaccount_page,
    error_from_response,
    json_body,
    path,
    query,
)
from .._validation import (
    check_e164,
    check_flag,
    check_page,
    check_per_page,
    check_subaccount_id,
)
from ..errors import ValidationError
from ._base import Resource, done_anyway

__all__ = ["SubAccounts"]

logger = logging.getLogger("phonenumbers_async")

# Answers to a resent unassign that mean an earlier attempt already did it.
_NOT_ASSIGNED_CODES = frozenset({"not_assigned", "number_not_assigned"})


class SubAccounts(Resource):
    """The master account's sub-accounts, and number assignment."""

    def _list_request(self, page: int, size: int, active_only: bool | None) -> Request:
        return Request(
            "GET",
            # The API spells this one "accounts", plural, with a trailing slash.
            path("v1", "accounts", self._client.auth_id, "sub-accounts") + "/",
            query(page=page, size=size, active_only=active_only),
        )

    async def list(
        self, *, page: int = 1, per_page: int = 25, active_only: bool | None = None
    ) -> Page[SubAccount]:
        """One page of sub-accounts (``per_page`` is sent as the API's ``size``)."""
        check_page(page)
        check_per_page(per_page)
        check_flag(active_only, "active_only")
        read = await self._fetch(page, per_page, active_only)
        return read()

    async def _fetch(
        self, page: int, size: int, active_only: bool | None
    ) -> PageReader[SubAccount]:
        result = await self._client._call(self._list_request(page, size, active_only))
        return partial(decode_subaccount_page, result.response.body, page, size)

    def iter_pages(
        self,
        *,
        per_page: int = 100,
        active_only: bool | None = None,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> AsyncIterator[Page[SubAccount]]:
        """Every page of sub-accounts, in order."""
        check_flag(active_only, "active_only")
        return self._pages(
            lambda number, size: self._fetch(number, size, active_only),
            per_page=per_page,
            start_page=start_page,
            max_concurrency=max_concurrency,
        )

    def iter(
        self,
        *,
        per_page: int = 100,
        active_only: bool | None = None,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> AsyncIterator[SubAccount]:
        """Every sub-account, lazily (``async for``)."""
        return iterate_items(
            self.iter_pages(
                per_page=per_page,
                active_only=active_only,
                start_page=start_page,
                max_concurrency=max_concurrency,
            )
        )

    async def get(self, sub_auth_id: str) -> SubAccount:
        """One sub-account by its ``SA_…`` Auth ID."""
        check_subaccount_id(sub_auth_id)
        request = Request(
            "GET", path("v1", "accounts", self._client.auth_id, "sub-accounts", sub_auth_id)
        )
        result = await self._client._call(request)
        return decode_subaccount(result.response.body)

    async def assign_number(self, e164: str, sub_account_id: str) -> None:
        """Move ``e164`` from the master's pool to sub-account ``sub_account_id``."""
        check_e164(e164)
        check_subaccount_id(sub_account_id)
        request = Request(
            "POST",
            path("v1", "account", self._client.auth_id, "numbers", e164, "assign-subaccount"),
            body=json_body({"sub_account_id": sub_account_id}),
            idempotency=Idempotency.RECONCILABLE,
        )
        result = await self._client._send(request)
        if result.response.ok:
            return
        error = error_from_response(result.response, attempts=result.attempts)
        # Done already? A resend told "conflict" after an ambiguous attempt, or
        # a last answer (500, 502, 504) that leaves open whether it was done.
        maybe_done = (
            result.earlier_attempt_ambiguous and error.status == 409
        ) or is_ambiguous_status(error.status, result.response.retry_after)
        if maybe_done and await done_anyway(self._holds(sub_account_id, e164), error):
            logger.info("assign of %s: an earlier attempt had assigned it", e164)
            return
        raise error

    async def unassign_number(self, e164: str, *, force: bool = False) -> None:
        """Move ``e164`` back from its sub-account to the master's pool.

        Refused with :class:`CoolOffInEffect` within 15 days of the number's
        last call, unless ``force=True`` (admin accounts only; audited).
        """
        check_e164(e164)
        if not isinstance(force, bool):
            raise ValidationError(f"force must be True or False, not {force!r}")
        request = Request(
            "DELETE",
            path("v1", "account", self._client.auth_id, "numbers", e164, "assign-subaccount"),
            query(force=True if force else None),
            idempotency=Idempotency.RECONCILABLE,
        )
        result = await self._client._send(request)
        if result.response.ok:
            return
        error = error_from_response(result.response, attempts=result.attempts)
        if error.code == COOL_OFF_CODE:
            raise error
        if result.earlier_attempt_ambiguous and error.code in _NOT_ASSIGNED_CODES:
            # The server itself says the number is back in the pool.
            logger.info("unassign of %s: an earlier attempt had unassigned it", e164)
            return
        # Done already? A 404 to a resend after an ambiguous attempt, or a last
        # answer (500, 502, 504) that leaves open whether it was done.
        maybe_done = (
            result.earlier_attempt_ambiguous and error.status == 404
        ) or is_ambiguous_status(error.status, result.response.retry_after)
        if maybe_done and await done_anyway(self._holds(self._client.auth_id, e164), error):
            logger.info("unassign of %s: an earlier attempt had unassigned it", e164)
            return
        raise error

    async def _holds(self, auth_id: str, e164: str) -> bool:
        """Whether account ``auth_id`` itself (not a sub-account of it) owns ``e164``."""
        return await self._client.numbers.find(e164, auth_id=auth_id) is not None
