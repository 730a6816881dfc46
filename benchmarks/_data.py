"""Realistic PhoneNumber payloads, shared by the canned server and the decode benchmark.

Every field of ``tests/samples/list-numbers.account-id.json`` is present, with
values that vary the way a real listing does: distinct E.164 numbers and ids,
fees sent as JSON integers and as floats, timestamps with 0, 3 and 6
fractional digits, a few non-empty tags, several regions and capability sets,
and ``account_id`` naming each number's owner. Generation is deterministic
(a number's fields depend only on its account and index).
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = [
    "MASTER",
    "make_number",
    "make_numbers",
    "number_page_bytes",
    "subaccount_ids",
    "subaccount_page_bytes",
]

MASTER = "MA_BENCHMARK"

_REGIONS = ("Karnataka", "Mumbai", "Delhi", "Tamil Nadu", "Kerala", "Gujarat", "Punjab")
_CAPABILITIES = (
    {"voice": True, "sms": False, "mms": False, "fax": False},
    {"voice": True, "sms": True, "mms": False, "fax": False},
    {"voice": True, "sms": True, "mms": True, "fax": False},
    {"voice": False, "sms": True, "mms": False, "fax": False},
)
# Fees as the API sends them: integers mostly, floats sometimes.
_FEES = ((100, 300), (100, 200), (0, 149.5), (250, 499.99), (50, 75), (0.5, 1.25))
_STATUSES = ("active",) * 17 + ("pending_release", "blocked", "pending_purchase")
_SOURCES = ("purchased", "purchased", "purchased", "ported", "assigned")
_TAGS: tuple[list[str], ...] = ([], [], [], ["support"], ["sales", "north"], ["ivr"])
_FRACTIONS = ("", ".123", ".796024")


def _timestamp(seed: int, day_offset: int = 0) -> str:
    month = 1 + seed % 12
    day = 1 + (seed // 12 + day_offset) % 28
    hour, minute, second = seed % 24, (seed * 7) % 60, (seed * 13) % 60
    fraction = _FRACTIONS[seed % 3]
    if fraction == ".796024":
        fraction = f".{(seed * 7919) % 1_000_000:06d}"
    elif fraction == ".123":
        fraction = f".{(seed * 31) % 1000:03d}"
    return f"2026-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}Z"


def make_number(account: str, index: int) -> dict[str, Any]:
    """The ``index``-th number owned by ``account``, with every field of the fixture."""
    seed = _stable_seed(account, index)
    setup_fee, monthly_fee = _FEES[seed % len(_FEES)]
    return {
        "id": f"{seed:08x}-{index & 0xFFFF:04x}-4{seed % 4096:03x}-a{index % 4096:03x}-{seed:012x}",
        "account_id": account,
        # Distinct within an account: its code, then the index.
        "e164": f"+91{7_000_000_000 + _stable_seed(account, 0) % 2000 * 1_000_000 + index}",
        "country": "IN",
        "region": _REGIONS[seed % len(_REGIONS)],
        "capabilities": _CAPABILITIES[seed % len(_CAPABILITIES)],
        "status": _STATUSES[seed % len(_STATUSES)],
        "provider": "" if seed % 5 else "tata",
        "setup_fee": setup_fee,
        "monthly_fee": monthly_fee,
        "currency": "INR",
        "application_id": str(20_000_000_000_000_000 + seed * 7919) if seed % 4 else None,
        "voice_enabled": bool(seed % 6),
        "tags": _TAGS[seed % len(_TAGS)],
        "purchased_at": _timestamp(seed),
        "is_blocked": seed % 20 == 0,
        "created_at": _timestamp(seed + 1),
        "updated_at": _timestamp(seed + 2),
        "is_trial_number": seed % 11 == 0,
        "last_billing_date": _timestamp(seed, 0),
        "next_billing_date": _timestamp(seed + 5, 3),
        "minimum_commitment_months": (0, 0, 3, 12)[seed % 4],
        "aadhaar_verification_required": seed % 9 == 0,
        "aadhaar_verified": seed % 18 == 0,
        "source": _SOURCES[seed % len(_SOURCES)],
    }


def _stable_seed(account: str, index: int) -> int:
    # Not hash(): that changes between processes, and the server and the
    # decode benchmark must agree on the data.
    value = index * 2_654_435_761
    for char in account:
        value = (value * 31 + ord(char)) & 0xFFFFFFFF
    return (value ^ (value >> 13)) & 0x7FFFFFFF


def make_numbers(account: str, first_index: int, count: int) -> list[dict[str, Any]]:
    """Numbers ``first_index`` .. ``first_index + count - 1`` of ``account``."""
    return [make_number(account, index) for index in range(first_index, first_index + count)]


def number_page_bytes(items: list[dict[str, Any]], page: int, per_page: int, total: int) -> bytes:
    """The page envelope (``items``, ``page``, ``per_page``, ``total``) as the API sends it."""
    return orjson.dumps({"items": items, "page": page, "per_page": per_page, "total": total})


def subaccount_ids(count: int) -> list[str]:
    return [f"SA_BENCH{index:04d}" for index in range(1, count + 1)]


def subaccount_page_bytes(master: str, ids: list[str], page: int, size: int) -> bytes:
    """The sub-accounts envelope (``sub_accounts``, ``total``, ``page``, ``size``)."""
    chunk = ids[(page - 1) * size : page * size]
    subs = [
        {
            "name": f"Customer {auth_id[-4:]}",
            "email": None,
            "phone": None,
            "description": None,
            "permissions": None,
            "rate_limit": 1000,
            "id": str(500_000 + number),
            "parent_account_id": "500000",
            "parent_auth_id": master,
            "auth_id": auth_id,
            "auth_token": "<redacted>",
            "api_id": f"{number:08x}-1234-5678-90ab-cdef12345678",
            "email_verified": False,
            "enabled": True,
            "created": "2026-03-25",
            "modified": "2026-03-25",
            "is_active": True,
            "created_at": "2026-03-25T08:33:24.700542Z",
            "updated_at": "2026-03-25T08:33:24.700542Z",
            "last_used": None,
            "account": f"/v1/Account/{master}/",
            "resource_uri": f"/v1/Account/{master}/Subaccount/{auth_id}/",
        }
        for number, auth_id in enumerate(chunk, start=(page - 1) * size + 1)
    ]
    return orjson.dumps({"sub_accounts": subs, "total": len(ids), "page": page, "size": size})
