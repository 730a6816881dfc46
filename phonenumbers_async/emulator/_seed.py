"""Realistic, deterministic seed data: accounts and numbers across several countries."""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from ._clock import Clock, add_month, format_ts
from ._options import EmulatorOptions
from ._store import Store

__all__ = [
    "COUNTRIES",
    "DEFAULT_BALANCE",
    "SUBACCOUNT_PROFILES",
    "Credentials",
    "add_month",
    "generate_numbers",
    "make_auth_id",
    "make_token",
    "make_uuid",
    "prepare_store",
]

DEFAULT_BALANCE = Decimal("10000000")

# country -> (weight, [(prefix digits after "+", subscriber digits, region)], setup fees,
#             monthly fees). Fees are whole amounts in the account's currency (the
#             current schema types them as integers; the fractional_fees variant
#             renders them with decimals, as the older examples do).
_Plan = tuple[int, list[tuple[str, int, str]], list[str], list[str]]
_PLANS: dict[str, _Plan] = {
    "IN": (
        4,
        [
            ("9180", 8, "Karnataka"),
            ("9122", 8, "Mumbai"),
            ("9111", 8, "Delhi"),
            ("9144", 8, "Tamil Nadu"),
            ("9140", 8, "Telangana"),
            ("9133", 8, "West Bengal"),
        ],
        ["100", "100", "0"],
        ["200", "300", "500"],
    ),
    "US": (
        2,
        [
            ("1415", 7, "CA"),
            ("1212", 7, "NY"),
            ("1312", 7, "IL"),
            ("1512", 7, "TX"),
            ("1206", 7, "WA"),
        ],
        ["0"],
        ["1", "2", "85"],
    ),
    "GB": (
        1,
        [("4420", 8, "London"), ("44161", 7, "Manchester"), ("44131", 7, "Edinburgh")],
        ["50"],
        ["120", "99"],
    ),
    "AU": (
        1,
        [("612", 8, "NSW"), ("613", 8, "VIC"), ("617", 8, "QLD"), ("618", 8, "WA")],
        ["75", "0"],
        ["150", "149"],
    ),
    "DE": (
        1,
        [("4930", 8, "Berlin"), ("4989", 7, "Munich"), ("4940", 8, "Hamburg")],
        ["0"],
        ["99", "110"],
    ),
}
COUNTRIES = tuple(_PLANS)

_PROVIDERS = ["", "", "manual", "cloudconnect"]
_ALNUM_UPPER = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits


class Credentials(NamedTuple):
    """The seeded master's Auth ID and token, and each sub-account's pair."""

    auth_id: str
    auth_token: str
    subaccounts: tuple[tuple[str, str], ...]


def make_auth_id(rng: random.Random, prefix: str) -> str:
    """``MA_``/``SA_`` followed by 10 upper-case alphanumerics."""
    return prefix + "".join(rng.choice(_ALNUM_UPPER) for _ in range(10))


def make_token(rng: random.Random) -> str:
    """A 32-character alphanumeric Auth Token."""
    return "".join(rng.choice(_ALNUM) for _ in range(32))


def make_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (so it is reproducible)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def vary_precision(rng: random.Random, value: datetime) -> datetime:
    """Whole seconds, milliseconds or microseconds, like the real API's timestamps."""
    kind = rng.randrange(3)
    if kind == 0:
        return value.replace(microsecond=0)
    if kind == 1:
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def _e164(rng: random.Random, prefix: str, digits: int) -> str:
    first = rng.randrange(2, 10)
    rest = rng.randrange(10 ** (digits - 1))
    return f"+{prefix}{first}{rest:0{digits - 1}d}"


def _pick_country(rng: random.Random, country: str | None) -> str:
    if country is not None:
        return country
    names = list(_PLANS)
    return rng.choices(names, weights=[_PLANS[c][0] for c in names])[0]


def generate_numbers(
    rng: random.Random,
    count: int,
    *,
    now: datetime,
    currency: str,
    taken: set[str],
    country: str | None = None,
    owner: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield ``count`` new number rows (store columns), none of them in ``taken``.

    ``taken`` is updated. With ``owner`` the numbers are owned ("purchased"),
    otherwise they are in inventory.
    """
    if country is not None and country not in _PLANS:
        raise ValueError(f"unknown country {country!r}; known: {', '.join(COUNTRIES)}")
    for _ in range(count):
        code = _pick_country(rng, country)
        _, ranges, setups, monthlies = _PLANS[code]
        prefix, digits, region = rng.choice(ranges)
        for _attempt in range(1000):
            e164 = _e164(rng, prefix, digits)
            if e164 not in taken:
                break
        else:  # pragma: no cover - a range of 10**7 numbers does not fill up
            raise RuntimeError("could not find a free number")
        taken.add(e164)
        created = vary_precision(rng, now - timedelta(seconds=rng.uniform(3600, 400 * 86400)))
        updated = created
        has_caps = rng.random() < 0.75
        voice = rng.random() < 0.9
        caps = (
            {
                "voice": voice,
                "sms": rng.random() < 0.3,
                "mms": rng.random() < 0.1,
                "fax": rng.random() < 0.05,
            }
            if has_caps
            else None
        )
        row: dict[str, Any] = {
            "id": make_uuid(rng),
            "e164": e164,
            "owner": owner,
            "country": code,
            "region": region,
            "capabilities": caps,
            "status": "active",
            "provider": rng.choice(_PROVIDERS),
            "provider_ref": rng.choice(["", "", f"CARRIER-{rng.randrange(1000, 9999)}"]),
            "setup_fee": Decimal(rng.choice(setups)),
            "monthly_fee": Decimal(rng.choice(monthlies)),
            "currency": currency,
            "application_id": None,
            "trunk_group_id": None,
            "voice_enabled": voice,
            "is_blocked": False,
            "is_trial_number": False,
            "aadhaar_verification_required": code == "IN" and rng.random() < 0.2,
            "aadhaar_verified": False,
            "tags": [],
            "source": "purchased" if owner else "inventory",
            "minimum_commitment_months": rng.choice([0, 0, 0, 1, 3]),
            "purchased_at": None,
            "released_at": None,
            "created_at": format_ts(created),
            "updated_at": format_ts(updated),
            "last_billing_date": None,
            "next_billing_date": None,
            "last_call_at": None,
        }
        if owner is not None:
            bought = vary_precision(rng, now - timedelta(seconds=rng.uniform(60, 3600)))
            row["purchased_at"] = format_ts(bought)
            row["updated_at"] = row["purchased_at"]
            row["last_billing_date"] = row["purchased_at"]
            row["next_billing_date"] = format_ts(add_month(bought))
            row["application_id"] = str(rng.randrange(10**16, 10**17))
        yield row


SUBACCOUNT_PROFILES: list[dict[str, Any]] = [
    {"name": "Acme Corp", "email": None, "permissions": None, "rate_limit": 1000},
    {
        "name": "John Doe",
        "email": "john@example.com",
        "permissions": {"cdr": True, "calls": True},
        "rate_limit": 5000,
    },
    {
        "name": "Globex Support",
        "email": "ops@globex.example",
        "permissions": None,
        "rate_limit": 1000,
    },
    {
        "name": "Initech Sales",
        "email": None,
        "permissions": {"cdr": True, "calls": False},
        "rate_limit": 2000,
    },
    {
        "name": "Umbrella Labs",
        "email": "it@umbrella.example",
        "permissions": None,
        "rate_limit": 500,
    },
]


def prepare_store(store: Store, options: EmulatorOptions) -> Credentials:
    """Seed a new store from ``options`` (or check an existing one); its credentials.

    A store that already holds state (a ``--db`` file from an earlier run, or
    one another process has just seeded) is reused as it is. Seeding is one
    transaction that starts by looking for the seeded marker, so of several
    processes starting on one new file exactly one seeds.
    """
    with store.transaction():
        primary = store.get_meta("primary_auth_id")
        if primary is None:
            return _seed(store, options)
    master = store.get_account(primary)
    if master is None:
        raise RuntimeError("emulator database is inconsistent: the master account is missing")
    if options.auth_id is not None and options.auth_id != primary:
        raise ValueError(
            f"the database belongs to {primary}, not {options.auth_id}; use another --db file"
        )
    if options.auth_token is not None and options.auth_token != master["auth_token"]:
        raise ValueError("the database's master account has a different auth token")
    subs, _ = store.subaccounts(primary)
    return Credentials(
        primary, master["auth_token"], tuple((s["auth_id"], s["auth_token"]) for s in subs)
    )


def _seed(store: Store, options: EmulatorOptions) -> Credentials:
    rng = random.Random(options.seed)
    now = Clock().now()
    master_id = options.auth_id or make_auth_id(rng, "MA_")
    master_token = options.auth_token or make_token(rng)
    store.add_account(
        auth_id=master_id,
        auth_token=master_token,
        is_admin=True,
        parent_auth_id=None,
        balance=DEFAULT_BALANCE if options.balance is None else options.balance,
        currency=options.currency,
        api_id=make_uuid(rng),
        now=now,
        name="Master account",
    )
    created: list[tuple[str, str]] = []
    for index in range(options.subaccounts):
        profile = SUBACCOUNT_PROFILES[index % len(SUBACCOUNT_PROFILES)]
        sub_id = make_auth_id(rng, "SA_")
        sub_token = make_token(rng)
        suffix = "" if index < len(SUBACCOUNT_PROFILES) else f" {index + 1}"
        store.add_account(
            auth_id=sub_id,
            auth_token=sub_token,
            is_admin=False,
            parent_auth_id=master_id,
            balance=Decimal(0),
            currency=options.currency,
            api_id=make_uuid(rng),
            now=now,
            name=profile["name"] + suffix,
            email=profile["email"],
            permissions=profile["permissions"],
            rate_limit=profile["rate_limit"],
        )
        created.append((sub_id, sub_token))
    store.insert_numbers(
        generate_numbers(
            rng, options.seed_inventory, now=now, currency=options.currency, taken=set()
        )
    )
    store.set_meta("primary_auth_id", master_id)
    return Credentials(master_id, master_token, tuple(created))
