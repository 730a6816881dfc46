"""The API's objects as frozen attrs value classes.

Attribute names are the wire names. Fields the API adds later are kept in
``extra`` (and written back by ``to_dict()``), so a new field never breaks a
client and survives a round trip.

Every model (not ``Page``) has ``to_dict()`` / ``to_json()`` and the inverse
class methods ``from_dict()`` / ``from_json()``: see :class:`Serializable`.
A model's repr shows its key fields only; ``to_dict()`` has them all.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, Self, TypeVar

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
    "Serializable",
    "SubAccount",
    "Transaction",
]

T = TypeVar("T")
M = TypeVar("M", bound="Serializable")


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


def _short(value: Any) -> str:
    """A field's value as the short repr shows it."""
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, datetime):
        return repr(value.isoformat())
    if isinstance(value, Decimal):
        return f"Decimal('{value}')"
    return repr(value)


class Serializable:
    """What every model has: a JSON-safe dict form, both ways, and a short repr.

    ``model.to_dict()`` is a dict of JSON types only, with the wire names:
    money as strings with their exact digits (``"1.50"`` stays ``"1.50"``,
    never a float), times as ISO 8601 text (UTC as ``Z``), statuses as their
    values, nested models as dicts, tuples as lists, and the fields this SDK
    does not know yet (``extra``) merged back in. ``to_json()`` is the same
    as JSON text. ``Model.from_dict(data)`` / ``Model.from_json(text)`` read
    either back (or a raw API answer) into an equal model: the round trip is
    exact, money digits included. Data that is not a model's raises
    :class:`~phonenumbers_async.errors.ValidationError`.
    """

    __slots__ = ()

    #: The fields the repr shows (when set); the others are summed up as ``…``.
    _repr_fields: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        """This model as a dict of JSON types (money as exact strings, times ISO 8601)."""
        from ._convert import json_converter

        data: dict[str, Any] = json_converter.unstructure(self)
        return data

    def to_json(self, *, indent: int | None = None) -> str:
        """This model as JSON text: ``json.dumps(model.to_dict())``."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The model ``data`` describes: what ``to_dict()`` gave, or an API answer's object."""
        from ._convert import structure_checked

        return structure_checked(cls, data)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """The model in JSON ``text``: what ``to_json()`` gave, or an API answer's object."""
        from .errors import ValidationError

        try:
            data = json.loads(text)
        except (ValueError, TypeError) as exc:
            raise ValidationError(f"{cls.__name__}.from_json: not JSON text ({exc})") from None
        return cls.from_dict(data)

    def __repr__(self) -> str:
        shown = []
        hidden = False
        for field in attrs.fields(type(self)):  # type: ignore[arg-type]  # every subclass is attrs
            value = getattr(self, field.name)
            if field.name in self._repr_fields:
                if value is not None:
                    shown.append(f"{field.name}={_short(value)}")
            elif field.repr and value is not None and value != field.default:
                hidden = True
        if hidden:
            shown.append("…")
        return f"{type(self).__name__}({', '.join(shown)})"


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


@attrs.frozen(kw_only=True, repr=False)
class Capabilities(Serializable):
    """What a number can do."""

    _repr_fields = ("voice", "sms", "mms", "fax")

    voice: bool = False
    sms: bool = False
    mms: bool = False
    fax: bool = False
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


# Not slotted: listings build thousands of these, and a dict-backed frozen
# class can be filled in one step by the decoder (``_convert``), which costs a
# third of setting 29 slots one by one through ``object.__setattr__``.
@attrs.frozen(kw_only=True, slots=False, repr=False)
class PhoneNumber(Serializable):
    """A phone number, owned (``account_id`` set) or in inventory (``account_id`` None)."""

    _repr_fields = ("e164", "status", "account_id", "country", "monthly_fee", "currency")

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


@attrs.frozen(kw_only=True, repr=False)
class SubAccount(Serializable):
    """A sub-account of a master account; ``auth_id`` (``SA_…``) is used in paths."""

    _repr_fields = ("auth_id", "name", "is_active")

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


@attrs.frozen(kw_only=True, repr=False)
class Page(Generic[T]):
    """One page of a listing. ``total`` counts every matching record (None if not sent).

    ``to_dict()`` / ``to_json()`` write ``items`` (each model's ``to_dict()``),
    ``page``, ``per_page`` and ``total``; ``Page.from_dict(data, PhoneNumber)``
    reads that back. Its repr counts the items rather than showing them.
    """

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

    def to_dict(self) -> dict[str, Any]:
        """This page as a dict of JSON types; the items as their ``to_dict()``."""
        return {
            "items": [
                item.to_dict() if isinstance(item, Serializable) else item for item in self.items
            ],
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """This page as JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], item_type: type[M]) -> Page[M]:
        """The page ``data`` describes (what ``to_dict()`` gave), items read as ``item_type``."""
        from .errors import ValidationError

        if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
            raise ValidationError("Page.from_dict takes a mapping with a list of items")
        page, per_page, total = data.get("page"), data.get("per_page"), data.get("total")
        if (
            not isinstance(page, int)
            or not isinstance(per_page, int)
            or not (total is None or isinstance(total, int))
        ):
            raise ValidationError("Page.from_dict: page, per_page and total must be integers")
        items = tuple(item_type.from_dict(item) for item in data["items"])
        return Page(items=items, page=page, per_page=per_page, total=total)

    @classmethod
    def from_json(cls, text: str | bytes, item_type: type[M]) -> Page[M]:
        """The page in JSON ``text``, its items read as ``item_type``."""
        from .errors import ValidationError

        try:
            data = json.loads(text)
        except (ValueError, TypeError) as exc:
            raise ValidationError(f"Page.from_json: not JSON text ({exc})") from None
        return cls.from_dict(data, item_type)

    def __repr__(self) -> str:
        kinds = sorted({type(item).__name__ for item in self.items})
        return (
            f"Page(page={self.page}, per_page={self.per_page}, total={self.total}, "
            f"items=<{len(self.items)} {'/'.join(kinds) or 'items'}>)"
        )


@attrs.frozen(kw_only=True, repr=False)
class Release(Serializable):
    """What a release answered.

    The current API keeps the number on the account as ``pending_release``
    for 24 hours (cancellable, until ``cooldown_ends_at``) and may debit a
    ``release_fee``; the older answers (204, or 200 with only a message)
    returned it to inventory at once and read as ``status`` ``released``.
    """

    _repr_fields = ("status", "cooldown_ends_at", "release_fee")

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


@attrs.frozen(kw_only=True, repr=False)
class ReleaseCancellation(Serializable):
    """What ``cancel-release`` answered: the number is ``active`` again, maybe with a refund."""

    _repr_fields = ("status", "refund_amount", "currency")

    status: NumberStatus | None = None
    message: str | None = None
    currency: str | None = None
    refund_amount: Decimal | None = None
    refund_status: str | None = None
    refund_error: str | None = None
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


@attrs.frozen(kw_only=True, repr=False)
class HealthSummary(Serializable):
    """A number's calls over the health period."""

    _repr_fields = ("period_days", "total_calls", "answer_rate")

    period_days: int | None = None
    total_calls: int | None = None
    answered_calls: int | None = None
    answer_rate: float | None = None
    total_minutes: float | None = None
    avg_duration: float | None = None
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


@attrs.frozen(kw_only=True, repr=False)
class HealthSnapshot(Serializable):
    """One day's (or hour's) figures of a number's health."""

    _repr_fields = ("ts", "total_calls", "answer_rate")

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


@attrs.frozen(kw_only=True, repr=False)
class NumberHealth(Serializable):
    """A number's health dashboard: usage, spam flag, a summary and snapshots."""

    _repr_fields = ("e164", "status", "usage_status", "is_spam")

    e164: str
    status: NumberStatus | None = None
    usage_status: str | None = None
    is_spam: bool | None = None
    granularity: str | None = None
    summary: HealthSummary | None = None
    snapshots: tuple[HealthSnapshot, ...] = ()
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)


@attrs.frozen(kw_only=True, repr=False)
class Balance(Serializable):
    """An account's balance in one currency; check ``available_balance`` before buying."""

    _repr_fields = ("currency", "available_balance", "balance")

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


@attrs.frozen(kw_only=True, repr=False)
class Transaction(Serializable):
    """One entry of the account's ledger (number purchases are ``did_rental`` debits)."""

    _repr_fields = ("id", "type", "amount", "currency", "created_at")

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


@attrs.frozen(kw_only=True, repr=False)
class CreatedSubAccount(Serializable):
    """A sub-account just created, and its Auth Token: shown this once, never in a repr."""

    _repr_fields = ("sub_account", "message")

    sub_account: SubAccount
    auth_token: str | None = attrs.field(default=None, repr=False)
    message: str | None = None
    tokens: Mapping[str, Any] | None = attrs.field(default=None, repr=False, hash=False)
    extra: Mapping[str, Any] = attrs.field(default=EMPTY_EXTRA, hash=False)

    @property
    def auth_id(self) -> str:
        """The new sub-account's Auth ID (``SA_…``)."""
        return self.sub_account.auth_id
