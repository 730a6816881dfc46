"""``client.subaccounts``: sub-accounts, and handing numbers to them and back."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from functools import partial
from os import PathLike
from typing import Any, Literal, TypedDict, Unpack

from .._bulk._engine import BulkEngine, pairs_of
from .._bulk._jobs import assign_step
from .._bulk._journal import JobIdentity, JournalStore
from .._bulk._outcome import BulkOutcome
from .._models import CreatedSubAccount, Page, SubAccount
from .._paging import PageReader, iterate_items
from .._reconcile import StateChange, apply, nothing_to_recover
from .._retry import Done, NotDone, Unknown, Verdict
from .._sansio import (
    COOL_OFF_CODE,
    Idempotency,
    Request,
    decode_created_subaccount,
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
    check_text,
)
from ..errors import APIError, NotFound, OutcomeUnknown, UnexpectedResponse, ValidationError
from ._base import Resource
from ._lookup import find_owned

__all__ = ["SubAccountChanges", "SubAccountFields", "SubAccounts"]

logger = logging.getLogger("phonenumbers_async")

# Answers to a resent unassign that mean an earlier attempt already did it.
_NOT_ASSIGNED_CODES = frozenset({"not_assigned", "number_not_assigned"})


class SubAccountFields(TypedDict, total=False):
    """A sub-account's optional fields, as ``create`` takes them (None: left out)."""

    email: str | None
    password: str | None
    kyc_mode: Literal["personal_use", "customer_use"] | None
    business_type: str | None
    enabled: bool | None
    phone: str | None
    description: str | None
    rate_limit: int | None
    permissions: Mapping[str, Any] | None


class SubAccountChanges(SubAccountFields, total=False):
    """What ``update`` changes: any field, the name included."""

    name: str | None


# The fields a sub-account shows back, so an update of them can be checked.
_VISIBLE_FIELDS = frozenset(
    {"name", "email", "enabled", "phone", "description", "rate_limit", "permissions"}
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def _sub_account_fields(*, creating: bool, **given: Any) -> dict[str, Any]:
    """The body of a create or update: the given fields, each checked."""
    fields = {name: value for name, value in given.items() if value is not None}
    for name in ("name", "password", "business_type", "phone", "description"):
        if name in fields:
            check_text(fields[name], name)
    if "email" in fields and (
        not isinstance(fields["email"], str) or not _EMAIL.fullmatch(fields["email"])
    ):
        raise ValidationError(
            f"email must be an address such as 'ops@example.com', not {fields['email']!r}"
        )
    if "kyc_mode" in fields:
        if fields["kyc_mode"] not in ("personal_use", "customer_use"):
            raise ValidationError(
                f"kyc_mode must be 'personal_use' or 'customer_use', not {fields['kyc_mode']!r}"
            )
        if fields["kyc_mode"] == "customer_use" and creating and "email" not in fields:
            # An update may rely on the email the sub-account already has.
            raise ValidationError("kyc_mode='customer_use' needs an email")
    if "enabled" in fields:
        check_flag(fields["enabled"], "enabled")
    if "rate_limit" in fields and (
        isinstance(fields["rate_limit"], bool)
        or not isinstance(fields["rate_limit"], int)
        or fields["rate_limit"] < 1
    ):
        raise ValidationError(
            f"rate_limit must be a positive integer, not {fields['rate_limit']!r}"
        )
    if "permissions" in fields and not isinstance(fields["permissions"], Mapping):
        raise ValidationError(f"permissions must be a mapping, not {fields['permissions']!r}")
    return fields


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

    # -- lifecycle ---------------------------------------------------------

    async def create(self, name: str, **fields: Unpack[SubAccountFields]) -> CreatedSubAccount:
        """Create a sub-account; its Auth Token is in the answer this once (store it).

        The other fields are :class:`SubAccountFields` (``email``, ``password``,
        ``kyc_mode``…); ``kyc_mode="customer_use"`` needs an ``email``. A
        creation is never resent after an ambiguous failure (it could create
        two): the outcome is then :class:`OutcomeUnknown`; check :meth:`iter`
        before retrying.
        """
        body = _sub_account_fields(creating=True, name=name, **fields)
        if "name" not in body:
            raise ValidationError("name is required to create a sub-account")
        request = Request(
            "POST",
            path("v1", "accounts", self._client.auth_id, "sub-accounts") + "/",
            body=json_body(body),
            idempotency=Idempotency.NEVER,
        )

        async def check() -> Verdict:
            # Names need not be unique: nothing on the server tells ours apart.
            return Unknown("a new sub-account cannot be told apart from an older one")

        async def recover(exc: UnexpectedResponse) -> CreatedSubAccount:
            # Created, but without its token no caller can use it: say so.
            raise OutcomeUnknown("create", name, exc) from exc

        return await apply(
            self._client,
            StateChange(
                operation="create",
                subject=name,
                request=request,
                read=lambda response: decode_created_subaccount(response.body),
                check=check,
                own_effect=lambda error: False,
                recover=recover,
            ),
        )

    async def update(self, sub_auth_id: str, **changes: Unpack[SubAccountChanges]) -> SubAccount:
        """Change some of a sub-account's fields (:class:`SubAccountChanges`); it comes back."""
        check_subaccount_id(sub_auth_id)
        fields = _sub_account_fields(creating=False, **changes)
        if not fields:
            raise ValidationError("update needs at least one field to change")
        request = Request(
            "PUT",
            path("v1", "accounts", self._client.auth_id, "sub-accounts", sub_auth_id),
            body=json_body(fields),
            idempotency=Idempotency.RECONCILABLE,
        )
        visible = {key: value for key, value in fields.items() if key in _VISIBLE_FIELDS}

        async def check() -> Verdict:
            if not visible:
                return Unknown("none of the changed fields is shown by the server")
            current = await self.get(sub_auth_id)
            shown = {key: getattr(current, key) for key in visible}
            return Done(current) if shown == visible else NotDone()

        async def recover(_: UnexpectedResponse) -> SubAccount:
            return await self.get(sub_auth_id)

        return await apply(
            self._client,
            StateChange(
                operation="update",
                subject=sub_auth_id,
                request=request,
                read=lambda response: decode_subaccount(response.body),
                check=check,
                own_effect=lambda error: False,
                recover=recover,
            ),
        )

    async def delete(self, sub_auth_id: str) -> None:
        """Delete a sub-account (a resend told "not found" is checked, not assumed)."""
        check_subaccount_id(sub_auth_id)
        request = Request(
            "DELETE",
            path("v1", "accounts", self._client.auth_id, "sub-accounts", sub_auth_id),
            idempotency=Idempotency.RECONCILABLE,
        )

        async def check() -> Verdict:
            try:
                await self.get(sub_auth_id)
            except NotFound:
                return Done(None)
            return NotDone()

        await apply(
            self._client,
            StateChange(
                operation="delete",
                subject=sub_auth_id,
                request=request,
                read=lambda _: None,
                check=check,
                own_effect=lambda error: error.status == 404,
                recover=nothing_to_recover,
            ),
        )

    # -- numbers -------------------------------------------------------------

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
                subject=e164,
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
                subject=e164,
                request=request,
                read=lambda _: None,
                check=lambda: self._held_by(self._client.auth_id, e164),
                own_effect=own_effect,
                recover=nothing_to_recover,
            ),
        )

    def assign_many(
        self,
        assignments: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        concurrency: int = 8,
        journal: str | PathLike[str] | JournalStore | None = None,
        run_id: str | None = None,
    ) -> AsyncIterator[BulkOutcome]:
        """Hand many numbers to sub-accounts: ``(e164, sub_account_id)`` pairs or a mapping.

        Concurrent and resumable like ``numbers.purchase_many``; a number the
        sub-account already holds is reported ``assigned`` after a lookup.
        """
        targets: dict[str, str] = {}
        for e164, sub_account_id in pairs_of(assignments, "assignments"):
            targets.setdefault(check_e164(e164), check_subaccount_id(sub_account_id))
        client = self._client
        identity = JobIdentity("assign", client.auth_id, client.base_url)
        engine = BulkEngine(client, identity, journal, concurrency=concurrency, run_id=run_id)
        job = assign_step(engine, self, targets.__getitem__)
        # Arguments checked here, at the call; the run starts on the first anext().
        return engine.run(list(targets), job.handle)

    async def _held_by(self, auth_id: str, e164: str) -> Verdict:
        """Done when account ``auth_id`` itself (not a sub-account of it) now holds ``e164``."""
        found = await find_owned(self._client, e164, auth_id)
        if found.number is not None:
            return Done(None)
        return NotDone() if found.exact else Unknown("the lookup was not exact")
