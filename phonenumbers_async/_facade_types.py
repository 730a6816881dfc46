"""The sync facade's typed surface, generated from the async resources: do not edit.

Regenerate with ``python tools/gen_facade_types.py`` after changing a resource
(``tests/facade/test_surface.py`` fails while this file is stale). At run
time ``Client`` wraps the async resources generically; these protocols only
tell the type checker what that wrapping returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Protocol

from ._models import Page, PhoneNumber, SubAccount

__all__ = ["SyncInventory", "SyncNumbers", "SyncResources", "SyncSubAccounts"]


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

    def release(self, e164: str, *, auth_id: str | None = None) -> None:
        """Release ``e164`` from the account.

        When a release fails ambiguously, or a resend is told "not owned",
        the client looks the number up before reporting: no longer owned (or
        listed as being released) means an attempt of this call did it.
        """
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
        page: int = 1,
        per_page: int = 25,
    ) -> Page[PhoneNumber]:
        """One page of inventory, filtered by ``country`` (ISO code) and ``search`` (digits)."""
        ...

    def iter_pages(
        self,
        *,
        country: str | None = None,
        search: str | None = None,
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

    def assign_number(self, e164: str, sub_account_id: str) -> None:
        """Move ``e164`` from the master's pool to sub-account ``sub_account_id``."""
        ...

    def unassign_number(self, e164: str, *, force: bool = False) -> None:
        """Move ``e164`` back from its sub-account to the master's pool.

        Refused with :class:`CoolOffInEffect` within 15 days of the number's
        last call, unless ``force=True`` (admin accounts only; audited).
        """
        ...


class SyncResources:
    """The resources of a sync ``Client`` (declarations for the type checker)."""

    numbers: SyncNumbers
    inventory: SyncInventory
    subaccounts: SyncSubAccounts
