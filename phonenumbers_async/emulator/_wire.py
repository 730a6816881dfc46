"""JSON in and out, and the wire shapes of the objects the emulator serves."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

from ._clock import format_ts
from ._store import available_of, number_row_out

try:  # optional speed-up (the ``speedups`` extra); the plain encoder below is the reference
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    orjson = None  # type: ignore[assignment]

__all__ = [
    "E164_PATTERN",
    "STRICT",
    "Fragments",
    "Shape",
    "dump_bytes",
    "dumps",
    "loads",
    "normalize_e164",
    "number_page",
]

E164_PATTERN = re.compile(r"^\+?[1-9][0-9]{6,14}$")


def normalize_e164(value: str) -> str | None:
    """``+9198…``, ``9198…`` (and the decoded ``%2B9198…``) -> ``+9198…``; None if malformed."""
    value = value.strip()
    if not E164_PATTERN.match(value):
        return None
    return value if value.startswith("+") else "+" + value


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError("non-finite money value")
    return format(value, "f")


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(encode_basestring_ascii(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Decimal):
        out.append(_decimal_text(value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(json.dumps(value, allow_nan=False))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(", ")
            first = False
            out.append(encode_basestring_ascii(str(key)))
            out.append(": ")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(", ")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: Any) -> str:
    """JSON text; a ``Decimal`` becomes a JSON number with its own digits (``1.0``, ``100``)."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def _orjson_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(_decimal_text(value))
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dump_bytes(value: Any) -> bytes:
    """``dumps`` as UTF-8 bytes: with orjson when it is installed (same values, compact)."""
    if orjson is not None:
        try:
            return orjson.dumps(value, default=_orjson_default)
        except TypeError:
            pass  # e.g. an integer beyond 64 bits: the plain encoder writes any int
    return dumps(value).encode()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str) -> Any:
    """Parse JSON; non-integer numbers become ``Decimal``; NaN/Infinity are rejected."""
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


@dataclasses.dataclass(frozen=True)
class Shape:
    """The response variants a number is rendered in (the fault control's settings).

    The defaults are what the provider's strict generated clients accept.
    """

    owner_key: str = "account_id"
    fractional_fees: bool = False
    missing_capabilities: bool = False
    provider_ref: bool = False
    inventory_owner: str | None = ""


STRICT = Shape()

# An account number item of the provider's schema, in its order; ``OWNER`` is
# the owner key the shape names.
_NUMBER_KEYS = (
    "id",
    "OWNER",
    "e164",
    "country",
    "region",
    "capabilities",
    "status",
    "provider",
    "provider_ref",
    "trunk_group_id",
    "setup_fee",
    "monthly_fee",
    "currency",
    "application_id",
    "voice_enabled",
    "tags",
    "purchased_at",
    "released_at",
    "is_blocked",
    "created_at",
    "updated_at",
    "is_trial_number",
    "last_billing_date",
    "next_billing_date",
    "minimum_commitment_months",
    "aadhaar_verification_required",
    "aadhaar_verified",
    "source",
)
# Optional keys, left out when empty (strict clients type them as strings).
_OMIT_WHEN_NULL = frozenset(
    {
        "application_id",
        "trunk_group_id",
        "released_at",
        "last_billing_date",
        "next_billing_date",
    }
)
# The provider's inventory item schema: smaller (no purchased_at, source, routing).
_INVENTORY_NAMES = (
    "id OWNER e164 country region capabilities status provider provider_ref"
    " setup_fee monthly_fee currency voice_enabled tags is_blocked created_at updated_at"
    " is_trial_number minimum_commitment_months aadhaar_verification_required aadhaar_verified"
)
_INVENTORY_FIELDS = frozenset(_INVENTORY_NAMES.split())
_INVENTORY_KEYS = tuple(key for key in _NUMBER_KEYS if key in _INVENTORY_FIELDS)
_BOOL_KEYS = frozenset(
    {
        "voice_enabled",
        "is_blocked",
        "is_trial_number",
        "aadhaar_verification_required",
        "aadhaar_verified",
    }
)
_ONE_PLACE = Decimal("0.1")


def _fee(value: Decimal, fractional: bool) -> Decimal | int:
    """A fee: an integer (the strict schema), or with decimals (the older examples)."""
    if fractional:
        exponent = value.as_tuple().exponent
        return value.quantize(_ONE_PLACE) if isinstance(exponent, int) and exponent >= 0 else value
    if value == value.to_integral_value():
        return int(value)
    return value


def number_to_wire(
    row: dict[str, Any], *, shape: Shape = STRICT, inventory: bool = False
) -> dict[str, Any]:
    """A stored number row as the API's PhoneNumber object, in ``shape``.

    Inventory items use the smaller inventory schema; their owner is ``""``
    (or null, the ``inventory_owner`` variant).
    """
    keys = _INVENTORY_KEYS if inventory else _NUMBER_KEYS
    out: dict[str, Any] = {}
    for key in keys:
        if key == "OWNER":
            owner = row["owner"]
            out[shape.owner_key] = shape.inventory_owner if inventory and owner is None else owner
            continue
        if key == "provider_ref":
            if shape.provider_ref:
                out[key] = row[key] or ""
            continue
        value = row[key]
        if key == "capabilities":
            if value is None:
                if shape.missing_capabilities:
                    continue
                voice = bool(row["voice_enabled"])
                value = {"voice": voice, "sms": False, "mms": False, "fax": False}
        elif key in ("setup_fee", "monthly_fee"):
            value = _fee(value, shape.fractional_fees)
        elif key in _BOOL_KEYS:
            value = bool(value)
        elif key == "tags":
            value = list(value or [])
        elif key == "minimum_commitment_months":
            value = int(value or 0)
        elif key in ("provider", "region", "source") and value is None:
            value = ""
        elif value is None and key in _OMIT_WHEN_NULL:
            continue
        out[key] = value
    return out


def subaccount_to_wire(
    account: dict[str, Any], parent: dict[str, Any] | None, *, show_token: bool = False
) -> dict[str, Any]:
    """A stored sub-account as the API's SubAccount object (token masked but at creation)."""
    parent_auth_id = account["parent_auth_id"]
    return {
        "name": account["name"],
        "email": account["email"],
        "phone": account["phone"],
        "description": account["description"],
        "permissions": account["permissions"],
        "rate_limit": account["rate_limit"],
        "id": account["numeric_id"],
        "parent_account_id": parent["numeric_id"] if parent else "",
        "parent_auth_id": parent_auth_id,
        "auth_id": account["auth_id"],
        "auth_token": account["auth_token"] if show_token else "<redacted>",
        "api_id": account["api_id"],
        "email_verified": account["email_verified"],
        "enabled": account["enabled"],
        "created": account["created_at"][:10],
        "modified": account["updated_at"][:10],
        "is_active": account["is_active"],
        "created_at": account["created_at"],
        "updated_at": account["updated_at"],
        "last_used": account["last_used"],
        "account": f"/v1/Account/{parent_auth_id}/",
        "resource_uri": f"/v1/Account/{parent_auth_id}/Subaccount/{account['auth_id']}/",
    }


def account_to_control(
    account: dict[str, Any], trunks: list[str], applications: list[str]
) -> dict[str, Any]:
    """An account as the control API reports it (real token: it is a test tool)."""
    return {
        "auth_id": account["auth_id"],
        "auth_token": account["auth_token"],
        "balance": account["balance"],
        "available_balance": available_of(account),
        "reserved_funds": account["reserved_funds"],
        "credit_limit": account["credit_limit"],
        "credit_limit_type": account["credit_limit_type"],
        "release_fee": account["release_fee"],
        "trunk_group_ids": trunks,
        "application_ids": applications,
        "currency": account["currency"],
        "is_admin": account["is_admin"],
        "parent_auth_id": account["parent_auth_id"],
        "name": account["name"],
        "enabled": account["enabled"],
    }


# Rendered numbers by (owner key, inventory shape, row stamp): a page is then a
# join of byte strings, and a stamp changes whenever the number's wire form does.
Fragments = dict[tuple[Shape, bool, tuple[Any, ...]], bytes]
_MAX_FRAGMENTS = 200_000


def number_page(
    stamps: list[tuple[Any, ...]],
    *,
    rows: Callable[[list[str]], Mapping[str, sqlite3.Row]],
    fragments: Fragments,
    page: int,
    per_page: int,
    total: int,
    shape: Shape,
    inventory: bool = False,
) -> bytes:
    """The page envelope ``{"items", "page", "per_page", "total"}`` as JSON bytes.

    ``stamps`` are the page's row stamps (id first); ``rows`` reads the full
    rows of the ids whose rendering is not in ``fragments`` (one emulator's
    cache, used from its event loop only) yet.
    """
    keys = [(shape, inventory, stamp) for stamp in stamps]
    missing = [key[2][0] for key in keys if key not in fragments]
    if missing:
        if len(fragments) + len(missing) > _MAX_FRAGMENTS:
            fragments.clear()
        found = rows(missing)
        for key in keys:
            row = found.get(key[2][0])
            if row is not None and key not in fragments:
                wire = number_to_wire(number_row_out(row), shape=shape, inventory=inventory)
                fragments[key] = dump_bytes(wire)
    # A row deleted between the two reads (another process) is left out.
    items = b",".join(fragments[key] for key in keys if key in fragments)
    tail = f'],"page":{page},"per_page":{per_page},"total":{total}}}'.encode()
    return b'{"items":[' + items + tail


# -- the current API's money and health shapes

_ID_NAMESPACE = uuid.UUID("0f6d1c5e-8b4a-4f3e-9c2d-7a1b3e5f9d21")


def _stable_id(*parts: object) -> str:
    """A UUID that is the same for the same parts (ids for derived objects)."""
    return str(uuid.uuid5(_ID_NAMESPACE, "|".join(str(part) for part in parts)))


def _whole(value: Decimal) -> Decimal | int:
    return int(value) if value == value.to_integral_value() else value


def balance_to_wire(account: dict[str, Any]) -> dict[str, Any]:
    """An account's balance in its currency, as ``GET …/balance/{currency}`` answers."""
    soft = account["credit_limit_type"] == "soft"
    return {
        "id": _stable_id("balance", account["api_id"], account["currency"]),
        "account_id": account["auth_id"],
        "currency": account["currency"],
        "balance": _whole(account["balance"]),
        "reserved_funds": _whole(account["reserved_funds"]),
        "promotional_balance": 0,
        "promotional_reserved_balance": 0,
        "available_balance": _whole(available_of(account)),
        "credit_limit": _whole(account["credit_limit"]),
        "is_postpaid": soft and account["credit_limit"] > 0,
        "credit_limit_type": account["credit_limit_type"],
        "low_balance_threshold": _whole(account["low_balance_threshold"]),
        "status": "active",
        "created_at": account["created_at"],
        "updated_at": account["updated_at"],
    }


def transaction_to_wire(
    row: dict[str, Any], account: dict[str, Any], *, older: bool = False
) -> dict[str, Any]:
    """A ledger row as a transaction: a debit (``did_rental``) or a refund (a credit)."""
    refund = row["kind"] == "refund"
    ident = _stable_id("txn", row["id"], row["auth_id"], row["at"])
    balance_id = _stable_id("balance", account["api_id"], account["currency"])
    out: dict[str, Any] = {
        "id": ident if older else "txn_" + ident,
        ("account_id" if older else "auth_id"): row["auth_id"],
        "balance_id": balance_id if older else "bal_" + balance_id,
        "type": "credit" if refund else "debit",
        "amount": _whole(row["amount"]),
        "currency": row["currency"],
        "description": f"{row['description']} {row['e164']}",
        "reference": row["e164"],
        "reference_type": row["reference_type"],
        "status": "completed",
        "processed_at": row["at"],
        "created_at": row["at"],
        "updated_at": row["at"],
    }
    if older:
        del out["reference_type"]
    return out


def _bucket_start(value: datetime, hourly: bool) -> datetime:
    value = value.replace(minute=0, second=0, microsecond=0)
    return value if hourly else value.replace(hour=0)


def _rate(answered: int, total: int) -> Decimal | int:
    return _whole((Decimal(answered) * 100 / total).quantize(Decimal("0.01"))) if total else 0


def _per(amount: int, count: int, places: str = "0.01") -> Decimal | int:
    return _whole((Decimal(amount) / count).quantize(Decimal(places))) if count else 0


def build_health(
    number: dict[str, Any],
    calls: Callable[[str, datetime], list[dict[str, Any]]],
    *,
    now: datetime,
    granularity: str,
    days: int,
) -> dict[str, Any]:
    """The health dashboard of a number from its recorded calls (``calls(e164, since)``).

    One snapshot per day (or hour) of the last ``days`` days, the current one
    included; ``answer_rate`` is a percentage, durations in seconds.
    """
    hourly = granularity == "hourly"
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    count = days * 24 if hourly else days
    first = _bucket_start(now, hourly) - step * (count - 1)
    buckets: dict[datetime, list[dict[str, Any]]] = {first + step * i: [] for i in range(count)}
    for call in calls(number["e164"], first):
        start = _bucket_start(call["at"], hourly)
        if start in buckets and call["at"] <= now:
            buckets[start].append(call)
    snapshots = []
    total = answered = duration = 0
    for start, found in buckets.items():
        b_answered = sum(1 for c in found if c["answered"])
        b_duration = sum(c["duration"] for c in found)
        total += len(found)
        answered += b_answered
        duration += b_duration
        snapshots.append(
            {
                "id": _stable_id("snapshot", number["id"], granularity, start.isoformat()),
                "ts": format_ts(start),
                "total_calls": len(found),
                "answered_calls": b_answered,
                "failed_calls": len(found) - b_answered,
                "answer_rate": _rate(b_answered, len(found)),
                "total_duration": b_duration,
                "avg_duration": _per(b_duration, b_answered),
                "total_minutes": _per(b_duration, 60),
            }
        )
    return {
        "e164": number["e164"],
        "status": number["status"],
        "usage_status": "unrated",
        "is_spam": False,
        "granularity": granularity,
        "summary": {
            "period_days": days,
            "total_calls": total,
            "answered_calls": answered,
            "answer_rate": _rate(answered, total),
            "total_minutes": _per(duration, 60),
            "avg_duration": _per(duration, answered),
        },
        "snapshots": snapshots,
    }
