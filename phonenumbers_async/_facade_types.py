"""The sync facade's typed surface, generated from the async resources: do not edit.

Regenerate with ``python tools/gen_facade_types.py`` after changing a resource
(``tests/facade/test_surface.py`` fails while this file is stale). At run
time ``Client`` wraps the async resources generically; these protocols only
tell the type checker what that wrapping returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal, Protocol, Unpack

from ._models import (
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
from ._resources.subaccounts import SubAccountChanges, SubAccountFields

__all__ = ["SyncAccount", "SyncInventory", "SyncNumbers", "SyncResources", "SyncSubAccounts"]


class SyncNumbers(Protocol):
    """The numbers an account owns: list them, buy from inventory, release.

    ``client.numbers`` of the sync ``Client``: the methods of
    ``phonenumbers_async._resources.numbers.Numbers``, blocking.
    """

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
        ...

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
        ...

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
        ...

    def get(self, e164: str, *, auth_id: str | None = None) -> PhoneNumber:
        """The account's own number ``e164``, looked up with one ``search`` request.

        Raises :class:`NotFound` when the account does not own it. Against a
        server that ignores ``search`` the account's listing is scanned, and
        the error says that a miss there is not proof.
        """
        ...

    def find(self, e164: str, *, auth_id: str | None = None) -> PhoneNumber | None:
        """The account's own number ``e164``, or None (like :meth:`get`, without the error)."""
        ...

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
        ...

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
        ...

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
        ...

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
        ...

    def cancel_release(self, e164: str, *, auth_id: str | None = None) -> ReleaseCancellation:
        """Put a ``pending_release`` number back to ``active`` (within its 24-hour window).

        A resend told "number is not pending release" looks the number up:
        active on the account means an earlier attempt cancelled it.
        """
        ...

    def assign_trunk(self, e164: str, trunk_group_id: str, *, auth_id: str | None = None) -> None:
        """Route ``e164`` to SIP trunk group ``trunk_group_id`` (a UUID).

        A number already on a trunk is refused (unassign it first); a resend
        told so looks the number up, and is done if it is on *this* trunk.
        """
        ...

    def unassign_trunk(self, e164: str, *, auth_id: str | None = None) -> None:
        """Take ``e164`` off its SIP trunk (a resend told "not on a trunk" is checked)."""
        ...

    def attach_application(
        self, e164: str, application_id: str, *, auth_id: str | None = None
    ) -> None:
        """Route ``e164`` to application ``application_id`` (refused while it is on a trunk)."""
        ...

    def detach_application(self, e164: str, *, auth_id: str | None = None) -> None:
        """Take ``e164`` off its application (a resend told "not found" is checked)."""
        ...

    def health(
        self, e164: str, *, granularity: str = "daily", days: int = 30, auth_id: str | None = None
    ) -> NumberHealth:
        """The number's health: usage, spam flag, answer rate, per-day (or hour) snapshots."""
        ...


class SyncInventory(Protocol):
    """Browse the numbers that can be bought.

    ``client.inventory`` of the sync ``Client``: the methods of
    ``phonenumbers_async._resources.inventory.Inventory``, blocking.
    """

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
        ...

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
        ...

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
        ...

    def contains(self, e164: str) -> bool:
        """Whether ``e164`` is on sale right now (one ``search`` request).

        Raises :class:`UnexpectedResponse` when the server ignores the
        search filter, since the answer would then be a guess.
        """
        ...


class SyncSubAccounts(Protocol):
    """The master account's sub-accounts, and number assignment.

    ``client.subaccounts`` of the sync ``Client``: the methods of
    ``phonenumbers_async._resources.subaccounts.SubAccounts``, blocking.
    """

    def list(
        self, *, page: int = 1, per_page: int = 25, active_only: bool | None = None
    ) -> Page[SubAccount]:
        """One page of sub-accounts (``per_page`` is sent as the API's ``size``)."""
        ...

    def iter_pages(
        self,
        *,
        per_page: int = 100,
        active_only: bool | None = None,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> Iterator[Page[SubAccount]]:
        """Every page of sub-accounts, in order."""
        ...

    def iter(
        self,
        *,
        per_page: int = 100,
        active_only: bool | None = None,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> Iterator[SubAccount]:
        """Every sub-account, lazily (``for``)."""
        ...

    def get(self, sub_auth_id: str) -> SubAccount:
        """One sub-account by its ``SA_…`` Auth ID."""
        ...

    def create(self, name: str, **fields: Unpack[SubAccountFields]) -> CreatedSubAccount:
        """Create a sub-account; its Auth Token is in the answer this once (store it).

        The other fields are :class:`SubAccountFields` (``email``, ``password``,
        ``kyc_mode``…); ``kyc_mode="customer_use"`` needs an ``email``. A
        creation is never resent after an ambiguous failure (it could create
        two): the outcome is then :class:`OutcomeUnknown`; check :meth:`iter`
        before retrying.
        """
        ...

    def update(self, sub_auth_id: str, **changes: Unpack[SubAccountChanges]) -> SubAccount:
        """Change some of a sub-account's fields (:class:`SubAccountChanges`); it comes back."""
        ...

    def delete(self, sub_auth_id: str) -> None:
        """Delete a sub-account (a resend told "not found" is checked, not assumed)."""
        ...

    def assign_number(self, e164: str, sub_account_id: str) -> None:
        """Move ``e164`` from the master's pool to sub-account ``sub_account_id``."""
        ...

    def unassign_number(self, e164: str, *, force: bool = False) -> None:
        """Move ``e164`` back from its sub-account to the master's pool.

        Refused with :class:`CoolOffInEffect` within 15 days of the number's
        last call, unless ``force=True`` (admin accounts only; audited).
        """
        ...


class SyncAccount(Protocol):
    """The account's money: balances per currency and the transactions ledger.

    ``client.account`` of the sync ``Client``: the methods of
    ``phonenumbers_async._resources.account.Account``, blocking.
    """

    def balance(self, currency: str = "INR") -> Balance:
        """The balance in ``currency``; ``available_balance`` is what a purchase may spend."""
        ...

    def list_transactions(self, *, page: int = 1, per_page: int = 50) -> Page[Transaction]:
        """One page of the ledger (``per_page`` at most 100), newest first as the server sends."""
        ...

    def iter_transactions_pages(
        self, *, per_page: int = 100, start_page: int = 1, max_concurrency: int | None = None
    ) -> Iterator[Page[Transaction]]:
        """Every page of the ledger, in order, the next ones fetched ahead."""
        ...

    def iter_transactions(
        self, *, per_page: int = 100, start_page: int = 1, max_concurrency: int | None = None
    ) -> Iterator[Transaction]:
        """Every transaction of the ledger, lazily (``for``)."""
        ...


class SyncResources:
    """The resources of a sync ``Client`` (declarations for the type checker)."""

    numbers: SyncNumbers
    inventory: SyncInventory
    subaccounts: SyncSubAccounts
    account: SyncAccount
