"""``client.subaccounts``: sub-accounts, and handing numbers to them and back."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import partial

from .._models import Page, SubAccount
from .._paging import PageReader, iterate_items
from .._reconcile import StateChange, apply, nothing_to_recover
from .._retry import Done, NotDone, Unknown, Verdict
from .._sansio import (
    COOL_OFF_CODE,
    Idempotency,
    Request,
    decode_subaccount,
    decode_subaccount_page,
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
from ..errors import APIError, ValidationError
from ._base import Resource
from ._lookup import find_owned

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
        response = await self._client.call(self._list_request(page, size, active_only))
        return partial(decode_subaccount_page, response.body, page, size)

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
        response = await self._client.call(request)
        return decode_subaccount(response.body)

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
        await apply(
            self._client,
            StateChange(
                operation="assign",
                e164=e164,
                request=request,
                read=lambda _: None,
                check=lambda: self._held_by(sub_account_id, e164),
                # A resend told "conflict" may hear of our own earlier attempt.
                own_effect=lambda error: error.status == 409,
                recover=nothing_to_recover,
            ),
        )

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

        def own_effect(error: APIError) -> bool:
            # "Not assigned" to a resend: the earlier attempt may have done it.
            # A cool-off is the server's decision about the number, never ours.
            if error.code == COOL_OFF_CODE:
                return False
            return error.status == 404 or error.code in _NOT_ASSIGNED_CODES

        await apply(
            self._client,
            StateChange(
                operation="unassign",
                e164=e164,
                request=request,
                read=lambda _: None,
                check=lambda: self._held_by(self._client.auth_id, e164),
                own_effect=own_effect,
                recover=nothing_to_recover,
            ),
        )

    async def _held_by(self, auth_id: str, e164: str) -> Verdict:
        """Done when account ``auth_id`` itself (not a sub-account of it) now holds ``e164``."""
        found = await find_owned(self._client, e164, auth_id)
        if found.number is not None:
            return Done(None)
        return NotDone() if found.exact else Unknown("the lookup was not exact")
