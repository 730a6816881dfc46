"""The API's objects as frozen attrs value classes.

Attribute names are the wire names. Fields the API adds later are kept in
``extra`` (and written back by :func:`phonenumbers_async.unstructure`), so a
new field never breaks a client and survives a round trip.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import attrs

__all__ = [
    "EMPTY_EXTRA",
    "Balance",
    "Capabilities",
    "CreatedSubAccount",
    "ExtraFields",
    "HealthSnapshot",
    "HealthSummary",
    "NumberHealth",
    "NumberStatus",
    "Page",
    "PhoneNumber",
    "Release",
    "ReleaseCancellation",
    "SubAccount",
    "Transaction",
]

T = TypeVar("T")


class ExtraFields(Mapping[str, Any]):
    """The fields of an object that this SDK does not know yet, read-only.

    Read-only because decoders share one instance between many objects (the
    empty one, and a memoized capability set's); picklable and copyable,
    unlike ``types.MappingProxyType``, so a model holding it is too.
    """

    __slots__ = ("_fields",)

    def __init__(self, fields: Mapping[str, Any] | None = None) -> None:
        self._fields: dict[str, Any] = dict(fields or {})

    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return repr(self._fields)

    def __reduce__(self) -> tuple[type[ExtraFields], tuple[dict[str, Any]]]:
        return type(self), (self._fields,)


#: The ``extra`` of an object without unknown fields, shared by all of them.
EMPTY_EXTRA = ExtraFields()


class NumberStatus(enum.StrEnum):
    """A number's lifecycle status; values the SDK does not know yet are kept as-is."""

    ACTIVE = "active"
    PENDING_PURCHASE = "pending_purchase"
    PENDING_RELEASE = "pending_release"
    RELEASED = "released"
    BLOCKED = "blocked"

    @classmethod
    def _missing_(cls, value: object) -> NumberStatus | None:
        # A status the provider adds later becomes a pseudo-member instead of
        # an error, so listings keep working and the value is not lost.
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """Whether this status is one the SDK was written for."""
        return type(self)._value2member_map_.get(self._value_) is self


@attrs.frozen(kw_only=True)
class Capabilities:
    """What a number can do."""

    voice: bool = False
    sms: bool = False
    mms: bool = False
    fax: bool = False
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


# Not slotted: listings build thousands of these, and a dict-backed frozen
# class can be filled in one step by the decoder (``_convert``), which costs a
# third of setting 29 slots one by one through ``object.__setattr__``.
@attrs.frozen(kw_only=True, slots=False)
class PhoneNumber:
    """A phone number, owned (``account_id`` set) or in inventory (``account_id`` None)."""

    e164: str
    id: str | None = None
    account_id: str | None = None
    country: str | None = None
    region: str | None = None
    capabilities: Capabilities | None = None
    status: NumberStatus | None = None
    provider: str | None = None
    provider_ref: str | None = None
    setup_fee: Decimal | None = None
    monthly_fee: Decimal | None = None
    currency: str | None = None
    application_id: str | None = None
    trunk_group_id: str | None = None
    voice_enabled: bool | None = None
    is_blocked: bool | None = None
    is_trial_number: bool | None = None
    aadhaar_verification_required: bool | None = None
    aadhaar_verified: bool | None = None
    tags: tuple[str, ...] = ()
    source: str | None = None
    minimum_commitment_months: int | None = None
    purchased_at: datetime | None = None
    released_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_billing_date: datetime | None = None
    next_billing_date: datetime | None = None
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)

    @property
    def upfront_cost(self) -> Decimal | None:
        """What a purchase debits: ``setup_fee + monthly_fee`` (None when unknown)."""
        if self.setup_fee is None and self.monthly_fee is None:
            return None
        return (self.setup_fee or Decimal(0)) + (self.monthly_fee or Decimal(0))


@attrs.frozen(kw_only=True)
class SubAccount:
    """A sub-account of a master account; ``auth_id`` (``SA_…``) is used in paths."""

    auth_id: str
    id: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    permissions: Mapping[str, Any] | None = attrs.field(default=None, hash=False)
    rate_limit: int | None = None
    parent_auth_id: str | None = None
    parent_account_id: str | None = None
    api_id: str | None = None
    enabled: bool | None = None
    is_active: bool | None = None
    email_verified: bool | None = None
    # A secret: the API masks it except at creation, and it never shows in a repr.
    auth_token: str | None = attrs.field(default=None, repr=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_used: datetime | None = None
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a listing. ``total`` counts every matching record (None if not sent)."""

    items: tuple[T, ...]
    page: int
    per_page: int
    total: int | None = None

    @property
    def page_count(self) -> int | None:
        """How many pages the listing has, by ``total`` (None when unknown)."""
        if self.total is None or self.per_page <= 0:
            return None
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        """Whether another page should exist after this one."""
        count = self.page_count
        if count is None:
            return len(self.items) >= self.per_page > 0
        return self.page < count

    def __len__(self) -> int:
        return len(self.items)


@attrs.frozen(kw_only=True)
class Release:
    """What a release answered.

    The current API keeps the number on the account as ``pending_release``
    for 24 hours (cancellable, until ``cooldown_ends_at``) and may debit a
    ``release_fee``; the older answers (204, or 200 with only a message)
    returned it to inventory at once and read as ``status`` ``released``.
    """

    status: NumberStatus
    message: str | None = None
    cooldown_ends_at: datetime | None = None
    release_fee: Decimal | None = None
    cancel_url: str | None = None
    note: str | None = None
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)

    @property
    def cancellable(self) -> bool:
        """Whether :meth:`Numbers.cancel_release` can still undo it."""
        return self.status is NumberStatus.PENDING_RELEASE


@attrs.frozen(kw_only=True)
class ReleaseCancellation:
    """What ``cancel-release`` answered: the number is ``active`` again, maybe with a refund."""

    status: NumberStatus | None = None
    message: str | None = None
    currency: str | None = None
    refund_amount: Decimal | None = None
    refund_status: str | None = None
    refund_error: str | None = None
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


@attrs.frozen(kw_only=True)
class HealthSummary:
    """A number's calls over the health period."""

    period_days: int | None = None
    total_calls: int | None = None
    answered_calls: int | None = None
    answer_rate: float | None = None
    total_minutes: float | None = None
    avg_duration: float | None = None
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


@attrs.frozen(kw_only=True)
class HealthSnapshot:
    """One day's (or hour's) figures of a number's health."""

    id: str | None = None
    ts: datetime | None = None
    total_calls: int | None = None
    answered_calls: int | None = None
    failed_calls: int | None = None
    answer_rate: float | None = None
    total_duration: float | None = None
    avg_duration: float | None = None
    total_minutes: float | None = None
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


@attrs.frozen(kw_only=True)
class NumberHealth:
    """A number's health dashboard: usage, spam flag, a summary and snapshots."""

    e164: str
    status: NumberStatus | None = None
    usage_status: str | None = None
    is_spam: bool | None = None
    granularity: str | None = None
    summary: HealthSummary | None = None
    snapshots: tuple[HealthSnapshot, ...] = ()
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


@attrs.frozen(kw_only=True)
class Balance:
    """An account's balance in one currency; check ``available_balance`` before buying."""

    currency: str | None = None
    balance: Decimal | None = None
    available_balance: Decimal | None = None
    reserved_funds: Decimal | None = None
    promotional_balance: Decimal | None = None
    promotional_reserved_balance: Decimal | None = None
    credit_limit: Decimal | None = None
    credit_limit_type: str | None = None
    is_postpaid: bool | None = None
    low_balance_threshold: Decimal | None = None
    status: str | None = None
    account_id: str | None = None
    id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


@attrs.frozen(kw_only=True)
class Transaction:
    """One entry of the account's ledger (number purchases are ``did_rental`` debits)."""

    id: str | None = None
    type: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    description: str | None = None
    reference: str | None = None
    reference_type: str | None = None
    status: str | None = None
    account_id: str | None = None
    balance_id: str | None = None
    processed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


@attrs.frozen(kw_only=True)
class CreatedSubAccount:
    """A sub-account just created, and its Auth Token: shown this once, never in a repr."""

    sub_account: SubAccount
    auth_token: str | None = attrs.field(default=None, repr=False)
    message: str | None = None
    tokens: Mapping[str, Any] | None = attrs.field(default=None, repr=False, hash=False)
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)

    @property
    def auth_id(self) -> str:
        """The new sub-account's Auth ID (``SA_…``)."""
        return self.sub_account.auth_id
