"""The control API (``/_emulator/``): clock, calls, accounts, numbers, faults, logs.

Loopback peers only (``_middleware.control_guard``). Every value is checked
before anything changes: a bad one is a 400 in the flat shape, never a 500.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from aiohttp import web

from ._clock import check_time, format_ts, parse_ts
from ._faults import FaultError
from ._http import (
    NUMBER,
    InvalidInput,
    json_response,
    path_e164,
    read_any_object,
    read_object,
)
from ._options import parse_amount
from ._seed import COUNTRIES, generate_numbers, make_auth_id, make_token, make_uuid
from ._state import EmulatorState, Stats, state_of
from ._store import AccountNotFound, NumberNotFound, target_id
from ._wire import account_to_control

__all__ = [
    "control_account",
    "control_accounts",
    "control_advance_clock",
    "control_audit",
    "control_clear_faults",
    "control_create_account",
    "control_create_application",
    "control_create_numbers",
    "control_create_trunk",
    "control_get_clock",
    "control_get_faults",
    "control_get_number",
    "control_ledger",
    "control_openapi",
    "control_record_call",
    "control_reset_stats",
    "control_set_faults",
    "control_stats",
    "control_take_number",
    "control_update_account",
]

MAX_BULK_NUMBERS = 1_000_000
_TOKEN = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_MAX_NAME = 200


async def _body(
    request: web.Request,
    required: dict[str, Any],
    optional: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The control API's body reading: an empty body is ``{}``; every problem is a 400."""
    return await read_object(request, required, optional, invalid_status=400, allow_empty=True)


def _checked(name: str, check: Any, value: Any) -> Any:
    try:
        return check(value)
    except ValueError as exc:
        raise InvalidInput(f"{name}: {exc}") from None


def _amount(name: str, value: Any) -> Decimal:
    result: Decimal = _checked(name, parse_amount, value)
    return result


async def control_record_call(request: web.Request) -> web.Response:
    """POST /_emulator/numbers/{e164}/calls {"at"?, "answered"? (true), "duration_seconds"? (60)}"""
    state = state_of(request)
    e164 = path_e164(request)
    body = await _body(request, {}, {"at": str, "answered": bool, "duration_seconds": int})
    duration = body.get("duration_seconds")
    if duration is None:
        duration = 60
    if not 0 <= duration <= 86_400:
        raise InvalidInput("duration_seconds must be an integer from 0 to 86400")
    answered = body.get("answered") is not False
    at = state.clock.now()
    if body.get("at") is not None:
        try:
            at = check_time(parse_ts(body["at"]), "at")
        except (ValueError, OverflowError) as exc:
            raise InvalidInput(f"at must be an ISO 8601 timestamp ({exc})") from None
    number = state.store.record_call(e164, at, answered=answered, duration_seconds=duration)
    return json_response(
        {
            "e164": e164,
            "last_call_at": number["last_call_at"],
            "answered": answered,
            "duration_seconds": duration if answered else 0,
        }
    )


def _clock_body(state: EmulatorState) -> dict[str, Any]:
    return {"now": format_ts(state.clock.now()), "offset_seconds": state.clock.offset_seconds}


async def control_get_clock(request: web.Request) -> web.Response:
    """GET /_emulator/clock"""
    return json_response(_clock_body(state_of(request)))


async def control_advance_clock(request: web.Request) -> web.Response:
    """POST /_emulator/clock {"advance_seconds": N}: 0 to about 100 years, the clock bounded"""
    state = state_of(request)
    body = await _body(request, {"advance_seconds": NUMBER})
    _checked("advance_seconds", state.clock.advance, body["advance_seconds"])
    state.store.set_meta("clock_offset_seconds", repr(state.clock.offset_seconds))
    return json_response(_clock_body(state))


def _control_account(state: EmulatorState, account: dict[str, Any]) -> dict[str, Any]:
    store = state.store
    auth_id = account["auth_id"]
    return account_to_control(
        account, store.targets(auth_id, "trunk"), store.targets(auth_id, "application")
    )


async def control_accounts(request: web.Request) -> web.Response:
    """GET /_emulator/accounts"""
    state = state_of(request)
    accounts = state.store.list_accounts()
    return json_response({"items": [_control_account(state, a) for a in accounts]})


async def control_account(request: web.Request) -> web.Response:
    """GET /_emulator/accounts/{auth_id}"""
    state = state_of(request)
    account = state.store.get_account(request.match_info["auth_id"])
    if account is None:
        raise AccountNotFound("account not found")
    return json_response(_control_account(state, account))


async def _create_target(request: web.Request, kind: str) -> str:
    state = state_of(request)
    body = await _body(request, {"auth_id": str})
    return state.store.add_target(
        kind, body["auth_id"], target_id(kind, make_uuid(state.rng)), now=state.clock.now()
    )


async def control_create_trunk(request: web.Request) -> web.Response:
    """POST /_emulator/trunks {"auth_id"}: a new SIP trunk group for that account"""
    return json_response({"trunk_group_id": await _create_target(request, "trunk")})


async def control_create_application(request: web.Request) -> web.Response:
    """POST /_emulator/applications {"auth_id"}: a new application for that account"""
    return json_response({"application_id": await _create_target(request, "application")})


_MONEY_FIELDS = ("balance", "credit_limit", "reserved_funds", "release_fee")


async def control_update_account(request: web.Request) -> web.Response:
    """PATCH /_emulator/accounts/{auth_id} {"balance", "credit_limit", "credit_limit_type",
    "reserved_funds", "release_fee", "is_admin", "enabled"} (any)"""
    state = state_of(request)
    body = await _body(
        request,
        {},
        {
            **dict.fromkeys(_MONEY_FIELDS, (int, Decimal, str)),
            "credit_limit_type": str,
            "is_admin": bool,
            "enabled": bool,
        },
    )
    money = {
        name: _amount(name, body[name]) for name in _MONEY_FIELDS if body.get(name) is not None
    }
    limit_type = body.get("credit_limit_type")
    if limit_type is not None and limit_type not in ("soft", "hard"):
        raise InvalidInput("credit_limit_type must be soft or hard")
    account = state.store.update_account(
        request.match_info["auth_id"],
        now=state.clock.now(),
        credit_limit_type=limit_type,
        is_admin=body.get("is_admin"),
        enabled=body.get("enabled"),
        balance=money.get("balance"),
        credit_limit=money.get("credit_limit"),
        reserved_funds=money.get("reserved_funds"),
        release_fee=money.get("release_fee"),
    )
    return json_response(_control_account(state, account))


async def control_create_account(request: web.Request) -> web.Response:
    """POST /_emulator/accounts: a new sub-account (default) or master account."""
    state = state_of(request)
    body = await _body(
        request,
        {},
        {
            "parent_auth_id": str,
            "auth_id": str,
            "auth_token": str,
            "name": str,
            "is_admin": bool,
            "balance": (int, Decimal, str),
            "currency": str,
        },
    )
    primary = state.store.get_meta("primary_auth_id")
    parent = body.get("parent_auth_id", primary)
    prefix = "SA_" if parent is not None else "MA_"
    auth_id = body.get("auth_id") or make_auth_id(state.rng, prefix)
    if not re.fullmatch(re.escape(prefix) + r"[A-Za-z0-9]{1,64}", auth_id):
        raise InvalidInput(f"auth_id must look like {prefix}…")
    token = body.get("auth_token") or make_token(state.rng)
    if not _TOKEN.fullmatch(token):
        raise InvalidInput("auth_token must be 1-128 characters of [A-Za-z0-9._~-]")
    name = body.get("name")
    if name is not None and len(name) > _MAX_NAME:
        raise InvalidInput(f"name must be at most {_MAX_NAME} characters")
    currency = body.get("currency") or "INR"
    if not _CURRENCY.fullmatch(currency):
        raise InvalidInput("currency must be a three-letter ISO code")
    is_admin = body.get("is_admin")
    account = state.store.add_account(
        auth_id=auth_id,
        auth_token=token,
        is_admin=parent is None if is_admin is None else is_admin,
        parent_auth_id=parent,
        balance=_amount("balance", body.get("balance") or 0),
        currency=currency,
        api_id=make_uuid(state.rng),
        now=state.clock.now(),
        name=name,
    )
    return json_response(_control_account(state, account))


async def control_ledger(request: web.Request) -> web.Response:
    """GET /_emulator/ledger"""
    return json_response({"items": state_of(request).store.ledger()})


async def control_audit(request: web.Request) -> web.Response:
    """GET /_emulator/audit"""
    return json_response({"items": state_of(request).store.audit()})


async def control_get_faults(request: web.Request) -> web.Response:
    """GET /_emulator/faults"""
    return json_response(state_of(request).faults.as_dict())


async def control_set_faults(request: web.Request) -> web.Response:
    """POST /_emulator/faults (merge)"""
    state = state_of(request)
    body = await read_any_object(request, invalid_status=400, allow_empty=True)
    buyer = body.get("purchase_taken_by")
    if isinstance(buyer, str) and state.store.get_account(buyer) is None:
        raise InvalidInput("purchase_taken_by must be an existing account's auth_id or null")
    try:
        state.faults.update(body)
    except FaultError as exc:
        raise InvalidInput(str(exc)) from None
    return json_response(state.faults.as_dict())


async def control_clear_faults(request: web.Request) -> web.Response:
    """DELETE /_emulator/faults"""
    state = state_of(request)
    state.faults.reset()
    return json_response(state.faults.as_dict())


async def control_create_numbers(request: web.Request) -> web.Response:
    """POST /_emulator/numbers {"count": N, "owner": auth_id or null, "country": "IN"}"""
    state = state_of(request)
    body = await _body(request, {"count": int}, {"owner": str, "country": str})
    count = body["count"]
    if not 0 <= count <= MAX_BULK_NUMBERS:
        raise InvalidInput(f"count must be an integer between 0 and {MAX_BULK_NUMBERS}")
    owner = body.get("owner")
    if owner is not None and state.store.get_account(owner) is None:
        raise InvalidInput("owner must be an existing account's auth_id or null")
    country = body.get("country")
    if country is not None and country.upper() not in COUNTRIES:
        raise InvalidInput(f"country must be one of {', '.join(COUNTRIES)} or null")
    master = state.store.get_meta("primary_auth_id")
    account = state.store.get_account(owner or master or "")
    currency = account["currency"] if account else "INR"
    rows = list(
        generate_numbers(
            state.rng,
            count,
            now=state.clock.now(),
            currency=currency,
            taken=state.store.all_e164(),
            country=country.upper() if country else None,
            owner=owner,
        )
    )
    state.store.insert_numbers(rows)
    return json_response({"created": len(rows), "numbers": [row["e164"] for row in rows]})


async def control_take_number(request: web.Request) -> web.Response:
    """POST /_emulator/numbers/{e164}/take {"auth_id"}: another buyer gets it from inventory."""
    state = state_of(request)
    body = await _body(request, {"auth_id": str}, {})
    if state.store.get_account(body["auth_id"]) is None:
        raise InvalidInput("auth_id must be an existing account")
    number = state.store.take(path_e164(request), owner=body["auth_id"], now=state.clock.now())
    return json_response(number)


async def control_get_number(request: web.Request) -> web.Response:
    """GET /_emulator/numbers/{e164}: the raw stored row."""
    state = state_of(request)
    state.store.settle(state.clock.now())
    number = state.store.get_number(path_e164(request))
    if number is None:
        raise NumberNotFound("number not found")
    return json_response(number)


async def control_stats(request: web.Request) -> web.Response:
    """GET /_emulator/stats"""
    return json_response(state_of(request).stats.as_dict())


async def control_reset_stats(request: web.Request) -> web.Response:
    """DELETE /_emulator/stats"""
    state = state_of(request)
    state.stats = Stats()
    return json_response(state.stats.as_dict())


async def control_openapi(request: web.Request) -> web.Response:
    """GET /_emulator/openapi.json: the OpenAPI 3.1 document of the /api routes."""
    return web.Response(body=state_of(request).openapi, content_type="application/json")
