"""JSON in and out, and the wire shapes of the objects the emulator serves."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Mapping
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

from ._store import number_row_out

try:  # optional speed-up (the ``speedups`` extra); the plain encoder below is the reference
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    orjson = None  # type: ignore[assignment]

__all__ = [
    "E164_PATTERN",
    "Fragments",
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
# Optional keys the real API leaves out when they are empty.
_OMIT_WHEN_NULL = frozenset(
    {
        "capabilities",
        "application_id",
        "purchased_at",
        "released_at",
        "last_billing_date",
        "next_billing_date",
    }
)
# The provider's inventory examples carry only these fields (in the order above);
# one string rather than a second column of the number's keys.
_INVENTORY_NAMES = (
    "id OWNER e164 country region capabilities status provider provider_ref"
    " setup_fee monthly_fee currency created_at updated_at"
)
_INVENTORY_FIELDS = frozenset(_INVENTORY_NAMES.split())
_INVENTORY_KEYS = tuple(key for key in _NUMBER_KEYS if key in _INVENTORY_FIELDS)


def number_to_wire(
    row: dict[str, Any], *, owner_key: str = "account_id", inventory: bool = False
) -> dict[str, Any]:
    """A stored number row as the API's PhoneNumber object.

    Inventory items use the shorter shape of the provider's inventory examples.
    """
    keys = _INVENTORY_KEYS if inventory else _NUMBER_KEYS
    out: dict[str, Any] = {}
    for key in keys:
        if key == "OWNER":
            out[owner_key] = row["owner"]
            continue
        value = row[key]
        if value is None and key in _OMIT_WHEN_NULL:
            continue
        out[key] = value
    return out


def subaccount_to_wire(account: dict[str, Any], parent: dict[str, Any] | None) -> dict[str, Any]:
    """A stored sub-account as the API's SubAccount object (token masked)."""
    parent_auth_id = account["parent_auth_id"]
    return {
        "name": account["name"],
        "email": account["email"],
        "phone": account["phone"],
        "description": account["description"],
        "permissions": account["permissions"],
        "rate_limit": account["rate_limit"],
        "id": account["numeric_id"],
        "parent_account_id": parent["numeric_id"] if parent else None,
        "parent_auth_id": parent_auth_id,
        "auth_id": account["auth_id"],
        "auth_token": "<redacted>",
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


def account_to_control(account: dict[str, Any]) -> dict[str, Any]:
    """An account as the control API reports it (real token: it is a test tool)."""
    return {
        "auth_id": account["auth_id"],
        "auth_token": account["auth_token"],
        "balance": account["balance"],
        "currency": account["currency"],
        "is_admin": account["is_admin"],
        "parent_auth_id": account["parent_auth_id"],
        "name": account["name"],
        "enabled": account["enabled"],
    }


# Rendered numbers by (owner key, inventory shape, row stamp): a page is then a
# join of byte strings, and a stamp changes whenever the number's wire form does.
Fragments = dict[tuple[str, bool, tuple[Any, ...]], bytes]
_MAX_FRAGMENTS = 200_000


def number_page(
    stamps: list[tuple[Any, ...]],
    *,
    rows: Callable[[list[str]], Mapping[str, sqlite3.Row]],
    fragments: Fragments,
    page: int,
    per_page: int,
    total: int,
    owner_key: str,
    inventory: bool = False,
) -> bytes:
    """The page envelope ``{"items", "page", "per_page", "total"}`` as JSON bytes.

    ``stamps`` are the page's row stamps (id first); ``rows`` reads the full
    rows of the ids whose rendering is not in ``fragments`` (one emulator's
    cache, used from its event loop only) yet.
    """
    keys = [(owner_key, inventory, stamp) for stamp in stamps]
    missing = [key[2][0] for key in keys if key not in fragments]
    if missing:
        if len(fragments) + len(missing) > _MAX_FRAGMENTS:
            fragments.clear()
        found = rows(missing)
        for key in keys:
            row = found.get(key[2][0])
            if row is not None and key not in fragments:
                wire = number_to_wire(number_row_out(row), owner_key=owner_key, inventory=inventory)
                fragments[key] = dump_bytes(wire)
    # A row deleted between the two reads (another process) is left out.
    items = b",".join(fragments[key] for key in keys if key in fragments)
    tail = f'],"page":{page},"per_page":{per_page},"total":{total}}}'.encode()
    return b'{"items":[' + items + tail
