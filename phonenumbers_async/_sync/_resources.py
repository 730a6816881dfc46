"""The sync resources of ``Client``, generated from the async ones: do not edit.

Regenerate with ``python tools/gen_sync.py`` after changing a resource
(``tests/facade/test_surface.py`` fails while this file is stale). Each
method runs the async method of the same name through the loop thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from os import PathLike
from typing import Literal, Unpack

from .._bulk._jobs import RouteTarget
from .._bulk._journal import JournalStore
from .._bulk._outcome import BulkOutcome
from .._bulk._plan import ProvisionOrder, PurchasePlan
from .._models import (
    Balance,
    CreatedSubAccount,
    NumberHealth,
    Page,
    PhoneNumber,
    Release,
    ReleaseCancellation,
    SubAccount,
    Transaction,
)
from .._raw import RawResponse
from .._resources.account import Account
from .._resources.inventory import Inventory
from .._resources.numbers import Numbers
from .._resources.subaccounts import SubAccountChanges, SubAccountFields, SubAccounts
from ._base import ResourceHost, SyncResource

__all__ = [
    "SyncAccount",
    "SyncAccountWithRawResponse",
    "SyncClientResources",
    "SyncInventory",
    "SyncInventoryWithRawResponse",
    "SyncNumbers",
    "SyncNumbersWithRawResponse",
    "SyncSubAccounts",
    "SyncSubAccountsWithRawResponse",
]


class SyncNumbersWithRawResponse(SyncResource):
    """``client.numbers.with_raw_response``: each call returns a
    :class:`RawResponse` (status, headers, request id, elapsed, attempts;
    ``.parse()`` gives what the plain call returns).
    """

    __slots__ = ()
    _attribute = "numbers"

    def list(
        self,
        *,
        page: int = 1,
        per_page: int = 25,
        include_subaccounts: bool | None = None,
        search: str | None = None,
        auth_id: str | None = None,
    ) -> RawResponse[Page[PhoneNumber]]:
        """One page of the account's numbers (a master's include its sub-accounts' by default).

        ``search`` keeps the numbers containing it (a part of the E.164
        number, ``+`` optional); ``auth_id`` lists a sub-account's numbers
        with the master's credentials.
        """
        return self._call_raw(
            Numbers.list,
            page=page,
            per_page=per_page,
            include_subaccounts=include_subaccounts,
            search=search,
            auth_id=auth_id,
        )

    def get(self, e164: str, *, auth_id: str | None = None) -> RawResponse[PhoneNumber]:
        """The account's own number ``e164``, looked up with one ``search`` request.

        Raises :class:`NotFound` when the account does not own it. Against a
        server that ignores ``search`` the account's listing is scanned, and
        the error says that a miss there is not proof.
        """
        return self._call_raw(Numbers.get, e164, auth_id=auth_id)

    def find(self, e164: str, *, auth_id: str | None = None) -> RawResponse[PhoneNumber | None]:
        """The account's own number ``e164``, or None (like :meth:`get`, without the error)."""
        return self._call_raw(Numbers.find, e164, auth_id=auth_id)

    def purchase(
        self, e164: str, *, currency: str | None = None, auth_id: str | None = None
    ) -> RawResponse[PhoneNumber]:
        """Buy ``e164`` from inventory for this account (or sub-account ``auth_id``).

        Never resent blindly: after an ambiguous failure (a timeout, a dropped
        connection, a 5xx) the client looks the number up (inventory, then the
        account's own numbers) and then resends, returns the owned number,
        raises :class:`NumberTaken` (another buyer got it) or
        :class:`PurchaseOutcomeUnknown`.
        """
        return self._call_raw(Numbers.purchase, e164, currency=currency, auth_id=auth_id)

    def release(
        self, e164: str, *, immediate: bool = False, auth_id: str | None = None
    ) -> RawResponse[Release]:
        """Release ``e164`` from the account; the answer says what happens next.

        The current API keeps the number as ``pending_release`` for 24 hours
        (:meth:`cancel_release` undoes it; ``immediate=True`` skips that
        window), then quarantines it for 45 days. Older servers answer 204 or
        a message and return it to inventory at once (``status`` ``released``).
        After an ambiguous failure, or a resend told "not owned", the number
        is looked up: pending release or gone means an attempt of this call
        did it.
        """
        return self._call_raw(Numbers.release, e164, immediate=immediate, auth_id=auth_id)

    def cancel_release(
        self, e164: str, *, auth_id: str | None = None
    ) -> RawResponse[ReleaseCancellation]:
        """Put a ``pending_release`` number back to ``active`` (within its 24-hour window).

        A resend told "number is not pending release" looks the number up:
        active on the account means an earlier attempt cancelled it.
        """
        return self._call_raw(Numbers.cancel_release, e164, auth_id=auth_id)

    def assign_trunk(
        self, e164: str, trunk_group_id: str, *, auth_id: str | None = None
    ) -> RawResponse[None]:
        """Route ``e164`` to SIP trunk group ``trunk_group_id`` (a UUID).

        A number already on a trunk is refused (unassign it first); a resend
        told so looks the number up, and is done if it is on *this* trunk.
        """
        return self._call_raw(Numbers.assign_trunk, e164, trunk_group_id, auth_id=auth_id)

    def unassign_trunk(self, e164: str, *, auth_id: str | None = None) -> RawResponse[None]:
        """Take ``e164`` off its SIP trunk (a resend told "not on a trunk" is checked)."""
        return self._call_raw(Numbers.unassign_trunk, e164, auth_id=auth_id)

    def attach_application(
        self, e164: str, application_id: str, *, auth_id: str | None = None
    ) -> RawResponse[None]:
        """Route ``e164`` to application ``application_id`` (refused while it is on a trunk)."""
        return self._call_raw(Numbers.attach_application, e164, application_id, auth_id=auth_id)

    def detach_application(self, e164: str, *, auth_id: str | None = None) -> RawResponse[None]:
        """Take ``e164`` off its application (a resend told "not found" is checked)."""
        return self._call_raw(Numbers.detach_application, e164, auth_id=auth_id)

    def plan_purchase(
        self, numbers: Iterable[str], *, currency: str | None = None
    ) -> RawResponse[PurchasePlan]:
        """What buying ``numbers`` would cost (fees from inventory) against the balance."""
        return self._call_raw(Numbers.plan_purchase, numbers, currency=currency)

    def plan_provision(self, order: ProvisionOrder) -> RawResponse[PurchasePlan]:
        """The numbers an order would pick from inventory now, their cost, and the balance."""
        return self._call_raw(Numbers.plan_provision, order)

    def health(
        self, e164: str, *, granularity: str = "daily", days: int = 30, auth_id: str | None = None
    ) -> RawResponse[NumberHealth]:
        """The number's health: usage, spam flag, answer rate, per-day (or hour) snapshots."""
        return self._call_raw(
            Numbers.health, e164, granularity=granularity, days=days, auth_id=auth_id
        )


class SyncNumbers(SyncResource):
    """The numbers an account owns: list them, buy from inventory, release.

    ``client.numbers`` of the sync ``Client``: the methods of
    :class:`phonenumbers_async._resources.numbers.Numbers`, blocking; iterators stream.
    """

    __slots__ = ()
    _attribute = "numbers"

    @property
    def with_raw_response(self) -> SyncNumbersWithRawResponse:
        """The same calls, each returning a :class:`RawResponse` instead of the model."""
        return SyncNumbersWithRawResponse(self._owner)

    def list(
        self,
        *,
        page: int = 1,
        per_page: int = 25,
        include_subaccounts: bool | None = None,
        search: str | None = None,
        auth_id: str | None = None,
    ) -> Page[PhoneNumber]:
        """One page of the account's numbers (a master's include its sub-accounts' by default).

        ``search`` keeps the numbers containing it (a part of the E.164
        number, ``+`` optional); ``auth_id`` lists a sub-account's numbers
        with the master's credentials.
        """
        return self._call(
            Numbers.list,
            page=page,
            per_page=per_page,
            include_subaccounts=include_subaccounts,
            search=search,
            auth_id=auth_id,
        )

    def iter_pages(
        self,
        *,
        per_page: int = 100,
        include_subaccounts: bool | None = None,
        search: str | None = None,
        auth_id: str | None = None,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> Iterator[Page[PhoneNumber]]:
        """Every page of the account's numbers, in order, the next ones fetched ahead."""
        return self._stream(
            Numbers.iter_pages,
            per_page=per_page,
            include_subaccounts=include_subaccounts,
            search=search,
            auth_id=auth_id,
            start_page=start_page,
            max_concurrency=max_concurrency,
        )

    def iter(
        self,
        *,
        per_page: int = 100,
        include_subaccounts: bool | None = None,
        search: str | None = None,
        auth_id: str | None = None,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> Iterator[PhoneNumber]:
        """Every number of the account (containing ``search``), lazily; pages are prefetched."""
        return self._stream(
            Numbers.iter_pages,
            per_page=per_page,
            include_subaccounts=include_subaccounts,
            search=search,
            auth_id=auth_id,
            start_page=start_page,
            max_concurrency=max_concurrency,
            _flatten=True,
        )

    def get(self, e164: str, *, auth_id: str | None = None) -> PhoneNumber:
        """The account's own number ``e164``, looked up with one ``search`` request.

        Raises :class:`NotFound` when the account does not own it. Against a
        server that ignores ``search`` the account's listing is scanned, and
        the error says that a miss there is not proof.
        """
        return self._call(Numbers.get, e164, auth_id=auth_id)

    def find(self, e164: str, *, auth_id: str | None = None) -> PhoneNumber | None:
        """The account's own number ``e164``, or None (like :meth:`get`, without the error)."""
        return self._call(Numbers.find, e164, auth_id=auth_id)

    def iter_fanout_pages(
        self,
        *,
        concurrency: int | None = None,
        per_page: int = 100,
        on_error: Literal["raise", "collect"] = "raise",
    ) -> Iterator[Page[PhoneNumber]]:
        """Pages of the master's and every sub-account's numbers, listed concurrently.

        Pages of different accounts arrive interleaved, each account's in order.
        """
        return self._stream(
            Numbers.iter_fanout_pages, concurrency=concurrency, per_page=per_page, on_error=on_error
        )

    def iter_fanout(
        self,
        *,
        concurrency: int | None = None,
        per_page: int = 100,
        on_error: Literal["raise", "collect"] = "raise",
    ) -> Iterator[PhoneNumber]:
        """Every number of the master and of each sub-account, listed concurrently.

        Each number's ``account_id`` is its owner. A failing account raises its
        error at once (``on_error="raise"``), or, with ``on_error="collect"``,
        the other accounts are still yielded and a :class:`FanOutError` listing
        the failures is raised at the end.
        """
        return self._stream(
            Numbers.iter_fanout_pages,
            concurrency=concurrency,
            per_page=per_page,
            on_error=on_error,
            _flatten=True,
        )

    def purchase(
        self, e164: str, *, currency: str | None = None, auth_id: str | None = None
    ) -> PhoneNumber:
        """Buy ``e164`` from inventory for this account (or sub-account ``auth_id``).

        Never resent blindly: after an ambiguous failure (a timeout, a dropped
        connection, a 5xx) the client looks the number up (inventory, then the
        account's own numbers) and then resends, returns the owned number,
        raises :class:`NumberTaken` (another buyer got it) or
        :class:`PurchaseOutcomeUnknown`.
        """
        return self._call(Numbers.purchase, e164, currency=currency, auth_id=auth_id)

    def release(self, e164: str, *, immediate: bool = False, auth_id: str | None = None) -> Release:
        """Release ``e164`` from the account; the answer says what happens next.

        The current API keeps the number as ``pending_release`` for 24 hours
        (:meth:`cancel_release` undoes it; ``immediate=True`` skips that
        window), then quarantines it for 45 days. Older servers answer 204 or
        a message and return it to inventory at once (``status`` ``released``).
        After an ambiguous failure, or a resend told "not owned", the number
        is looked up: pending release or gone means an attempt of this call
        did it.
        """
        return self._call(Numbers.release, e164, immediate=immediate, auth_id=auth_id)

    def cancel_release(self, e164: str, *, auth_id: str | None = None) -> ReleaseCancellation:
        """Put a ``pending_release`` number back to ``active`` (within its 24-hour window).

        A resend told "number is not pending release" looks the number up:
        active on the account means an earlier attempt cancelled it.
        """
        return self._call(Numbers.cancel_release, e164, auth_id=auth_id)

    def assign_trunk(self, e164: str, trunk_group_id: str, *, auth_id: str | None = None) -> None:
        """Route ``e164`` to SIP trunk group ``trunk_group_id`` (a UUID).

        A number already on a trunk is refused (unassign it first); a resend
        told so looks the number up, and is done if it is on *this* trunk.
        """
        return self._call(Numbers.assign_trunk, e164, trunk_group_id, auth_id=auth_id)

    def unassign_trunk(self, e164: str, *, auth_id: str | None = None) -> None:
        """Take ``e164`` off its SIP trunk (a resend told "not on a trunk" is checked)."""
        return self._call(Numbers.unassign_trunk, e164, auth_id=auth_id)

    def attach_application(
        self, e164: str, application_id: str, *, auth_id: str | None = None
    ) -> None:
        """Route ``e164`` to application ``application_id`` (refused while it is on a trunk)."""
        return self._call(Numbers.attach_application, e164, application_id, auth_id=auth_id)

    def detach_application(self, e164: str, *, auth_id: str | None = None) -> None:
        """Take ``e164`` off its application (a resend told "not found" is checked)."""
        return self._call(Numbers.detach_application, e164, auth_id=auth_id)

    def purchase_many(
        self,
        numbers: Iterable[str],
        *,
        concurrency: int = 8,
        journal: str | PathLike[str] | JournalStore | None = None,
        run_id: str | None = None,
    ) -> Iterator[BulkOutcome]:
        """Buy every number of ``numbers``, ``concurrency`` at a time; outcomes as they settle.

        ``journal`` (a path, a :class:`JournalStore`, or None for one in
        memory) makes the job resumable: a rerun with the same journal
        verifies on the account what earlier runs did before reporting it
        (``earlier``, ``run_id``), buys again what the account no longer
        owns, and reports a purchase an interrupted run made with its cost.
        After the first ``402`` no more purchases start; the numbers not yet
        tried come out ``skipped``.
        """
        return self._stream(
            Numbers.purchase_many, numbers, concurrency=concurrency, journal=journal, run_id=run_id
        )

    def release_many(
        self,
        numbers: Iterable[str],
        *,
        immediate: bool = False,
        concurrency: int = 8,
        journal: str | PathLike[str] | JournalStore | None = None,
        run_id: str | None = None,
    ) -> Iterator[BulkOutcome]:
        """Release every number of ``numbers`` (see :meth:`release`), resumable like
        :meth:`purchase_many`; a release cancelled since an earlier run is done again.
        """
        return self._stream(
            Numbers.release_many,
            numbers,
            immediate=immediate,
            concurrency=concurrency,
            journal=journal,
            run_id=run_id,
        )

    def route_many(
        self,
        routes: Mapping[str, str | RouteTarget] | Iterable[tuple[str, str | RouteTarget]],
        *,
        to: Literal["trunk", "application"] = "trunk",
        concurrency: int = 8,
        journal: str | PathLike[str] | JournalStore | None = None,
        run_id: str | None = None,
    ) -> Iterator[BulkOutcome]:
        """Route many numbers: ``(e164, target)`` pairs or a mapping ``e164 -> target``.

        A target is a :class:`RouteTarget`, or a string read as a trunk group
        id (``to="trunk"``) or an application id (``to="application"``). Each
        number already routed there (by an earlier run or otherwise) is
        reported ``routed`` without a request that would change it.
        """
        return self._stream(
            Numbers.route_many,
            routes,
            to=to,
            concurrency=concurrency,
            journal=journal,
            run_id=run_id,
        )

    def plan_purchase(self, numbers: Iterable[str], *, currency: str | None = None) -> PurchasePlan:
        """What buying ``numbers`` would cost (fees from inventory) against the balance."""
        return self._call(Numbers.plan_purchase, numbers, currency=currency)

    def plan_provision(self, order: ProvisionOrder) -> PurchasePlan:
        """The numbers an order would pick from inventory now, their cost, and the balance."""
        return self._call(Numbers.plan_provision, order)

    def provision(
        self,
        order: ProvisionOrder | PurchasePlan,
        *,
        concurrency: int = 8,
        journal: str | PathLike[str] | JournalStore | None = None,
        run_id: str | None = None,
    ) -> Iterator[BulkOutcome]:
        """Deliver ``order.count`` numbers: buy each, hand it to the order's sub-account, route it.

        ``order`` is a :class:`ProvisionOrder` (planned now) or a plan from
        :meth:`plan_provision` (its numbers are tried first). A number bought
        away by someone else mid-job is reported ``taken`` and replaced from
        inventory. Each finished number is ``provisioned`` with the steps it
        went through; a rerun with the same journal finishes what an
        interrupted run started without buying anything twice.
        """
        return self._stream(
            Numbers.provision, order, concurrency=concurrency, journal=journal, run_id=run_id
        )

    def health(
        self, e164: str, *, granularity: str = "daily", days: int = 30, auth_id: str | None = None
    ) -> NumberHealth:
        """The number's health: usage, spam flag, answer rate, per-day (or hour) snapshots."""
        return self._call(Numbers.health, e164, granularity=granularity, days=days, auth_id=auth_id)


class SyncInventoryWithRawResponse(SyncResource):
    """``client.inventory.with_raw_response``: each call returns a
    :class:`RawResponse` (status, headers, request id, elapsed, attempts;
    ``.parse()`` gives what the plain call returns).
    """

    __slots__ = ()
    _attribute = "inventory"

    def list(
        self,
        *,
        country: str | None = None,
        search: str | None = None,
        exclude: str | Iterable[str] | None = None,
        page: int = 1,
        per_page: int = 25,
    ) -> RawResponse[Page[PhoneNumber]]:
        """One page of inventory, filtered.

        ``country`` is an ISO code, ``search`` a part of the number (digits,
        ``+`` optional), ``exclude`` prefixes to leave out (``["+9180",
        "9192"]`` or ``"9180,9192"``); the filters combine.
        """
        return self._call_raw(
            Inventory.list,
            country=country,
            search=search,
            exclude=exclude,
            page=page,
            per_page=per_page,
        )

    def contains(self, e164: str) -> RawResponse[bool]:
        """Whether ``e164`` is on sale right now (one ``search`` request).

        Raises :class:`UnexpectedResponse` when the server ignores the
        search filter, since the answer would then be a guess.
        """
        return self._call_raw(Inventory.contains, e164)


class SyncInventory(SyncResource):
    """Browse the numbers that can be bought.

    ``client.inventory`` of the sync ``Client``: the methods of
    :class:`phonenumbers_async._resources.inventory.Inventory`, blocking; iterators stream.
    """

    __slots__ = ()
    _attribute = "inventory"

    @property
    def with_raw_response(self) -> SyncInventoryWithRawResponse:
        """The same calls, each returning a :class:`RawResponse` instead of the model."""
        return SyncInventoryWithRawResponse(self._owner)

    def list(
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
        return self._call(
            Inventory.list,
            country=country,
            search=search,
            exclude=exclude,
            page=page,
            per_page=per_page,
        )

    def iter_pages(
        self,
        *,
        country: str | None = None,
        search: str | None = None,
        exclude: str | Iterable[str] | None = None,
        per_page: int = 100,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> Iterator[Page[PhoneNumber]]:
        """Every page of inventory, in order, the next ones fetched ahead."""
        return self._stream(
            Inventory.iter_pages,
            country=country,
            search=search,
            exclude=exclude,
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
    ) -> Iterator[PhoneNumber]:
        """Every number in inventory matching the filters, lazily (``for``)."""
        return self._stream(
            Inventory.iter_pages,
            country=country,
            search=search,
            exclude=exclude,
            per_page=per_page,
            start_page=start_page,
            max_concurrency=max_concurrency,
            _flatten=True,
        )

    def contains(self, e164: str) -> bool:
        """Whether ``e164`` is on sale right now (one ``search`` request).

        Raises :class:`UnexpectedResponse` when the server ignores the
        search filter, since the answer would then be a guess.
        """
        return self._call(Inventory.contains, e164)


class SyncSubAccountsWithRawResponse(SyncResource):
    """``client.subaccounts.with_raw_response``: each call returns a
    :class:`RawResponse` (status, headers, request id, elapsed, attempts;
    ``.parse()`` gives what the plain call returns).
    """

    __slots__ = ()
    _attribute = "subaccounts"

    def list(
        self, *, page: int = 1, per_page: int = 25, active_only: bool | None = None
    ) -> RawResponse[Page[SubAccount]]:
        """One page of sub-accounts (``per_page`` is sent as the API's ``size``)."""
        return self._call_raw(
            SubAccounts.list, page=page, per_page=per_page, active_only=active_only
        )

    def get(self, sub_auth_id: str) -> RawResponse[SubAccount]:
        """One sub-account by its ``SA_…`` Auth ID."""
        return self._call_raw(SubAccounts.get, sub_auth_id)

    def create(
        self, name: str, **fields: Unpack[SubAccountFields]
    ) -> RawResponse[CreatedSubAccount]:
        """Create a sub-account; its Auth Token is in the answer this once (store it).

        The other fields are :class:`SubAccountFields` (``email``, ``password``,
        ``kyc_mode``…); ``kyc_mode="customer_use"`` needs an ``email``. A
        creation is never resent after an ambiguous failure (it could create
        two): the outcome is then :class:`OutcomeUnknown`; check :meth:`iter`
        before retrying.
        """
        return self._call_raw(SubAccounts.create, name, **fields)

    def update(
        self, sub_auth_id: str, **changes: Unpack[SubAccountChanges]
    ) -> RawResponse[SubAccount]:
        """Change some of a sub-account's fields (:class:`SubAccountChanges`); it comes back."""
        return self._call_raw(SubAccounts.update, sub_auth_id, **changes)

    def delete(self, sub_auth_id: str) -> RawResponse[None]:
        """Delete a sub-account (a resend told "not found" is checked, not assumed)."""
        return self._call_raw(SubAccounts.delete, sub_auth_id)

    def assign_number(self, e164: str, sub_account_id: str) -> RawResponse[None]:
        """Move ``e164`` from the master's pool to sub-account ``sub_account_id``."""
        return self._call_raw(SubAccounts.assign_number, e164, sub_account_id)

    def unassign_number(self, e164: str, *, force: bool = False) -> RawResponse[None]:
        """Move ``e164`` back from its sub-account to the master's pool.

        Refused with :class:`CoolOffInEffect` within 15 days of the number's
        last call, unless ``force=True`` (admin accounts only; audited).
        """
        return self._call_raw(SubAccounts.unassign_number, e164, force=force)


class SyncSubAccounts(SyncResource):
    """The master account's sub-accounts, and number assignment.

    ``client.subaccounts`` of the sync ``Client``: the methods of
    :class:`phonenumbers_async._resources.subaccounts.SubAccounts`, blocking; iterators stream.
    """

    __slots__ = ()
    _attribute = "subaccounts"

    @property
    def with_raw_response(self) -> SyncSubAccountsWithRawResponse:
        """The same calls, each returning a :class:`RawResponse` instead of the model."""
        return SyncSubAccountsWithRawResponse(self._owner)

    def list(
        self, *, page: int = 1, per_page: int = 25, active_only: bool | None = None
    ) -> Page[SubAccount]:
        """One page of sub-accounts (``per_page`` is sent as the API's ``size``)."""
        return self._call(SubAccounts.list, page=page, per_page=per_page, active_only=active_only)

    def iter_pages(
        self,
        *,
        per_page: int = 100,
        active_only: bool | None = None,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> Iterator[Page[SubAccount]]:
        """Every page of sub-accounts, in order."""
        return self._stream(
            SubAccounts.iter_pages,
            per_page=per_page,
            active_only=active_only,
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
    ) -> Iterator[SubAccount]:
        """Every sub-account, lazily (``for``)."""
        return self._stream(
            SubAccounts.iter_pages,
            per_page=per_page,
            active_only=active_only,
            start_page=start_page,
            max_concurrency=max_concurrency,
            _flatten=True,
        )

    def get(self, sub_auth_id: str) -> SubAccount:
        """One sub-account by its ``SA_…`` Auth ID."""
        return self._call(SubAccounts.get, sub_auth_id)

    def create(self, name: str, **fields: Unpack[SubAccountFields]) -> CreatedSubAccount:
        """Create a sub-account; its Auth Token is in the answer this once (store it).

        The other fields are :class:`SubAccountFields` (``email``, ``password``,
        ``kyc_mode``…); ``kyc_mode="customer_use"`` needs an ``email``. A
        creation is never resent after an ambiguous failure (it could create
        two): the outcome is then :class:`OutcomeUnknown`; check :meth:`iter`
        before retrying.
        """
        return self._call(SubAccounts.create, name, **fields)

    def update(self, sub_auth_id: str, **changes: Unpack[SubAccountChanges]) -> SubAccount:
        """Change some of a sub-account's fields (:class:`SubAccountChanges`); it comes back."""
        return self._call(SubAccounts.update, sub_auth_id, **changes)

    def delete(self, sub_auth_id: str) -> None:
        """Delete a sub-account (a resend told "not found" is checked, not assumed)."""
        return self._call(SubAccounts.delete, sub_auth_id)

    def assign_number(self, e164: str, sub_account_id: str) -> None:
        """Move ``e164`` from the master's pool to sub-account ``sub_account_id``."""
        return self._call(SubAccounts.assign_number, e164, sub_account_id)

    def unassign_number(self, e164: str, *, force: bool = False) -> None:
        """Move ``e164`` back from its sub-account to the master's pool.

        Refused with :class:`CoolOffInEffect` within 15 days of the number's
        last call, unless ``force=True`` (admin accounts only; audited).
        """
        return self._call(SubAccounts.unassign_number, e164, force=force)

    def assign_many(
        self,
        assignments: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        concurrency: int = 8,
        journal: str | PathLike[str] | JournalStore | None = None,
        run_id: str | None = None,
    ) -> Iterator[BulkOutcome]:
        """Hand many numbers to sub-accounts: ``(e164, sub_account_id)`` pairs or a mapping.

        Concurrent and resumable like ``numbers.purchase_many``; a number the
        sub-account already holds is reported ``assigned`` after a lookup.
        """
        return self._stream(
            SubAccounts.assign_many,
            assignments,
            concurrency=concurrency,
            journal=journal,
            run_id=run_id,
        )


class SyncAccountWithRawResponse(SyncResource):
    """``client.account.with_raw_response``: each call returns a
    :class:`RawResponse` (status, headers, request id, elapsed, attempts;
    ``.parse()`` gives what the plain call returns).
    """

    __slots__ = ()
    _attribute = "account"

    def balance(self, currency: str = "INR") -> RawResponse[Balance]:
        """The balance in ``currency``; ``available_balance`` is what a purchase may spend."""
        return self._call_raw(Account.balance, currency)

    def list_transactions(
        self, *, page: int = 1, per_page: int = 50
    ) -> RawResponse[Page[Transaction]]:
        """One page of the ledger (``per_page`` at most 100), newest first as the server sends."""
        return self._call_raw(Account.list_transactions, page=page, per_page=per_page)


class SyncAccount(SyncResource):
    """The account's money: balances per currency and the transactions ledger.

    ``client.account`` of the sync ``Client``: the methods of
    :class:`phonenumbers_async._resources.account.Account`, blocking; iterators stream.
    """

    __slots__ = ()
    _attribute = "account"

    @property
    def with_raw_response(self) -> SyncAccountWithRawResponse:
        """The same calls, each returning a :class:`RawResponse` instead of the model."""
        return SyncAccountWithRawResponse(self._owner)

    def balance(self, currency: str = "INR") -> Balance:
        """The balance in ``currency``; ``available_balance`` is what a purchase may spend."""
        return self._call(Account.balance, currency)

    def list_transactions(self, *, page: int = 1, per_page: int = 50) -> Page[Transaction]:
        """One page of the ledger (``per_page`` at most 100), newest first as the server sends."""
        return self._call(Account.list_transactions, page=page, per_page=per_page)

    def iter_transactions_pages(
        self, *, per_page: int = 100, start_page: int = 1, max_concurrency: int | None = None
    ) -> Iterator[Page[Transaction]]:
        """Every page of the ledger, in order, the next ones fetched ahead."""
        return self._stream(
            Account.iter_transactions_pages,
            per_page=per_page,
            start_page=start_page,
            max_concurrency=max_concurrency,
        )

    def iter_transactions(
        self, *, per_page: int = 100, start_page: int = 1, max_concurrency: int | None = None
    ) -> Iterator[Transaction]:
        """Every transaction of the ledger, lazily (``for``)."""
        return self._stream(
            Account.iter_transactions_pages,
            per_page=per_page,
            start_page=start_page,
            max_concurrency=max_concurrency,
            _flatten=True,
        )


class SyncClientResources(ResourceHost):
    """The resources of the sync ``Client``, as properties (``dir`` and ``help`` list them)."""

    __slots__ = ()

    @property
    def numbers(self) -> SyncNumbers:
        """The account's numbers: list, get, purchase, release, routing, health."""
        return self._sync_resource(SyncNumbers)

    @property
    def inventory(self) -> SyncInventory:
        """Numbers on sale: list, iterate, check one."""
        return self._sync_resource(SyncInventory)

    @property
    def subaccounts(self) -> SyncSubAccounts:
        """Sub-accounts: their lifecycle, and handing numbers to them."""
        return self._sync_resource(SyncSubAccounts)

    @property
    def account(self) -> SyncAccount:
        """The account's money: balance and transactions."""
        return self._sync_resource(SyncAccount)
