"""Pre-flight: what a purchase or a provisioning order would cost, and whether it is affordable."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, cast

import attrs

from .._models import PhoneNumber
from .._validation import (
    check_application_id,
    check_e164,
    check_exclude,
    check_search,
    check_subaccount_id,
    check_trunk_group_id,
)
from ..errors import ValidationError

if TYPE_CHECKING:
    from .._resources.account import Account
    from .._resources.inventory import Inventory

__all__ = ["PlanLine", "ProvisionOrder", "PurchasePlan", "plan_order", "plan_purchase"]

CAPABILITIES = ("voice", "sms", "mms", "fax")
#: Up to this many numbers, fees are looked up one ``search`` each; above, one listing.
_SEARCH_EACH_UP_TO = 20
_LOOKUPS_IN_FLIGHT = 8


@attrs.frozen(kw_only=True)
class PlanLine:
    """One number of a plan: its fees (from inventory), or why it is not on sale."""

    e164: str
    setup_fee: Decimal | None = None
    monthly_fee: Decimal | None = None
    currency: str | None = None
    on_sale: bool = True

    @property
    def cost(self) -> Decimal | None:
        """What buying it debits: setup fee plus the first month.

        None when not on sale, or when inventory showed neither fee (unknown, not zero).
        """
        if not self.on_sale or (self.setup_fee is None and self.monthly_fee is None):
            return None
        return (self.setup_fee or Decimal(0)) + (self.monthly_fee or Decimal(0))

    @classmethod
    def of(cls, number: PhoneNumber) -> PlanLine:
        return cls(
            e164=number.e164,
            setup_fee=number.setup_fee,
            monthly_fee=number.monthly_fee,
            currency=number.currency,
        )


def _no_duplicates(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value)
    return tuple(seen)


@attrs.frozen(kw_only=True)
class ProvisionOrder:
    """An order by criteria: which numbers to pick from inventory, and what to do with each.

    Every number is bought, then (optionally) handed to ``sub_account`` and
    routed to ``trunk_group_id`` or ``application_id``. Checked where it is made.
    """

    count: int
    country: str | None = None
    region: str | None = None
    search: str | None = None
    exclude: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    max_monthly_fee: Decimal | None = None
    sub_account: str | None = None
    trunk_group_id: str | None = None
    application_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValidationError(f"count must be a positive integer, not {self.count!r}")
        if self.country is not None and not (
            isinstance(self.country, str) and len(self.country) == 2 and self.country.isalpha()
        ):
            raise ValidationError(f"country must be a two-letter ISO code, not {self.country!r}")
        check_search(self.search)
        if self.region is not None and not (isinstance(self.region, str) and self.region.strip()):
            raise ValidationError(f"region must be a region's name, not {self.region!r}")
        # One string is one prefix list (commas allowed), never its characters.
        object.__setattr__(self, "exclude", check_exclude(self.exclude))
        unknown = [name for name in self.capabilities if name not in CAPABILITIES]
        if unknown:
            raise ValidationError(
                f"unknown capability {unknown[0]!r}: expected one of {', '.join(CAPABILITIES)}"
            )
        fee = self.max_monthly_fee
        if fee is not None and (not isinstance(fee, Decimal) or not fee.is_finite() or fee < 0):
            raise ValidationError(f"max_monthly_fee must be a non-negative Decimal, not {fee!r}")
        if self.sub_account is not None:
            check_subaccount_id(self.sub_account)
        if self.trunk_group_id is not None and self.application_id is not None:
            raise ValidationError("route to a trunk group or to an application, not both")
        if self.trunk_group_id is not None:
            object.__setattr__(self, "trunk_group_id", check_trunk_group_id(self.trunk_group_id))
        if self.application_id is not None:
            check_application_id(self.application_id)
        object.__setattr__(self, "capabilities", _no_duplicates(self.capabilities))
        if self.country is not None:
            object.__setattr__(self, "country", self.country.upper())

    def parameters(self) -> tuple[tuple[str, str], ...]:
        """The order as a job's parameters: a rerun of the same order is the same job."""
        fields = {
            "count": str(self.count),
            "country": self.country,
            "region": self.region,
            "search": self.search,
            "exclude": ",".join(self.exclude) or None,
            "capabilities": ",".join(self.capabilities) or None,
            "max_monthly_fee": None if self.max_monthly_fee is None else str(self.max_monthly_fee),
            "sub_account": self.sub_account,
            "trunk_group_id": self.trunk_group_id,
            "application_id": self.application_id,
        }
        return tuple((key, value) for key, value in fields.items() if value is not None)

    @classmethod
    def from_parameters(cls, parameters: dict[str, str]) -> ProvisionOrder:
        """The order :meth:`parameters` describes (for a plan read back from a file)."""
        fee = parameters.get("max_monthly_fee")
        try:
            count = int(parameters.get("count", ""))
        except ValueError:
            raise ValidationError("the plan's order has no valid count") from None
        return cls(
            count=count,
            country=parameters.get("country"),
            region=parameters.get("region"),
            search=parameters.get("search"),
            exclude=tuple(filter(None, parameters.get("exclude", "").split(","))),
            capabilities=tuple(filter(None, parameters.get("capabilities", "").split(","))),
            max_monthly_fee=None if fee is None else Decimal(fee),
            sub_account=parameters.get("sub_account"),
            trunk_group_id=parameters.get("trunk_group_id"),
            application_id=parameters.get("application_id"),
        )

    def accepts(self, number: PhoneNumber) -> bool:
        """Whether an inventory number meets the criteria the listing cannot filter on."""
        if self.region is not None and (number.region or "").casefold() != self.region.casefold():
            return False
        if self.max_monthly_fee is not None and (
            number.monthly_fee is None or number.monthly_fee > self.max_monthly_fee
        ):
            return False
        caps = number.capabilities
        return all(caps is not None and getattr(caps, name) for name in self.capabilities)


@attrs.frozen(kw_only=True)
class PurchasePlan:
    """What a job would buy and what it would cost, against the balance it may spend.

    ``total`` is setup fees plus first months of the numbers on sale;
    ``available_balance`` is the account's (None when not known) and
    ``remaining`` what would be left. ``order`` is set for a provisioning plan.
    """

    lines: tuple[PlanLine, ...]
    currency: str
    available_balance: Decimal | None
    order: ProvisionOrder | None = None

    @property
    def to_buy(self) -> tuple[PlanLine, ...]:
        return tuple(line for line in self.lines if line.on_sale)

    @property
    def count(self) -> int:
        return len(self.to_buy)

    @property
    def setup_total(self) -> Decimal:
        return sum((line.setup_fee or Decimal(0) for line in self.to_buy), Decimal(0))

    @property
    def monthly_total(self) -> Decimal:
        return sum((line.monthly_fee or Decimal(0) for line in self.to_buy), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.setup_total + self.monthly_total

    @property
    def remaining(self) -> Decimal | None:
        return None if self.available_balance is None else self.available_balance - self.total

    @property
    def affordable(self) -> bool:
        """Whether the available balance covers the plan (True when the balance is unknown)."""
        return self.available_balance is None or self.total <= self.available_balance

    @property
    def shortfall(self) -> int:
        """How many numbers an order asked for that inventory could not supply."""
        return 0 if self.order is None else max(0, self.order.count - self.count)


async def _fees_by_search(inventory: Inventory, numbers: Sequence[str]) -> dict[str, PhoneNumber]:
    slots = asyncio.Semaphore(_LOOKUPS_IN_FLIGHT)

    async def one(e164: str) -> PhoneNumber | None:
        async with slots:
            page = await inventory.list(search=e164, per_page=100)
        return next((number for number in page.items if number.e164 == e164), None)

    found = await asyncio.gather(*(one(e164) for e164 in numbers))
    return {number.e164: number for number in found if number is not None}


async def _fees_by_listing(inventory: Inventory, numbers: Sequence[str]) -> dict[str, PhoneNumber]:
    wanted = set(numbers)
    found: dict[str, PhoneNumber] = {}
    # Closed explicitly: stopping early must stop the listing's page fetches now.
    async with contextlib.aclosing(_generator(inventory.iter(per_page=100))) as listing:
        async for number in listing:
            if number.e164 in wanted:
                found[number.e164] = number
                if len(found) == len(wanted):
                    break
    return found


def _generator(items: AsyncIterator[PhoneNumber]) -> AsyncGenerator[PhoneNumber, None]:
    """An inventory listing as the async generator it is (to close it early)."""
    return cast(AsyncGenerator[PhoneNumber, None], items)


async def _balance(account: Account, currency: str) -> Decimal | None:
    return (await account.balance(currency)).available_balance


async def plan_purchase(
    inventory: Inventory, account: Account, numbers: Iterable[str], currency: str | None = None
) -> PurchasePlan:
    """The plan for buying ``numbers``: each one's fees from inventory, and the balance."""
    wanted = _no_duplicates(check_e164(e164) for e164 in numbers)
    if len(wanted) <= _SEARCH_EACH_UP_TO:
        on_sale = await _fees_by_search(inventory, wanted)
    else:
        on_sale = await _fees_by_listing(inventory, wanted)
    lines = tuple(
        PlanLine.of(on_sale[e164]) if e164 in on_sale else PlanLine(e164=e164, on_sale=False)
        for e164 in wanted
    )
    currency = currency or next((line.currency for line in lines if line.currency), None) or "INR"
    return PurchasePlan(
        lines=lines, currency=currency, available_balance=await _balance(account, currency)
    )


async def select(
    inventory: Inventory, order: ProvisionOrder, count: int, skip: set[str]
) -> list[PhoneNumber]:
    """Up to ``count`` inventory numbers meeting ``order``, leaving out ``skip``."""
    chosen: list[PhoneNumber] = []
    if count <= 0:
        return chosen
    listing = inventory.iter(
        country=order.country, search=order.search, exclude=order.exclude or None, per_page=100
    )
    async with contextlib.aclosing(_generator(listing)) as numbers:
        async for number in numbers:
            if number.e164 in skip or not order.accepts(number):
                continue
            chosen.append(number)
            if len(chosen) >= count:
                break
    return chosen


async def plan_order(inventory: Inventory, account: Account, order: ProvisionOrder) -> PurchasePlan:
    """The plan for a provisioning order: the first ``count`` matching numbers on sale."""
    chosen = await select(inventory, order, order.count, set())
    lines = tuple(PlanLine.of(number) for number in chosen)
    currency = next((line.currency for line in lines if line.currency), None) or "INR"
    return PurchasePlan(
        lines=lines,
        currency=currency,
        available_balance=await _balance(account, currency),
        order=order,
    )
