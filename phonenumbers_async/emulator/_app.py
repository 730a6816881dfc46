"""The emulator's aiohttp application: the /api routes, authentication, error
shapes, fault injection and the control API under /_emulator/."""

from __future__ import annotations

import asyncio
import collections
import hmac
import logging
import random
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from aiohttp import web

from .._net import is_loopback_host
from ._clock import Clock, format_ts, parse_ts
from ._faults import FaultError, Faults
from ._seed import COUNTRIES, generate_numbers, make_auth_id, make_token, make_uuid
from ._store import (
    AlreadyAssigned,
    CoolOffInEffect,
    Forbidden,
    InsufficientBalance,
    NotAssigned,
    NotFound,
    Store,
)
from ._wire import (
    account_to_control,
    dumps,
    loads,
    normalize_e164,
    number_to_wire,
    subaccount_to_wire,
)

__all__ = ["STATE_KEY", "EmulatorState", "create_app"]

log = logging.getLogger("phonenumbers_async.emulator")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_PER_PAGE = 100
MAX_BULK_NUMBERS = 1_000_000
_AUTH_ID = re.compile(r"^(MA|SA)_[A-Za-z0-9]{1,64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_SEARCH = re.compile(r"^\+?[0-9]{1,15}$")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    402: "INSUFFICIENT_BALANCE",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}
_REASONS = {
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}


@dataclass
class Stats:
    """What the server saw: requests per (method, route), statuses, purchases."""

    requests: collections.Counter[str] = field(default_factory=collections.Counter)
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    purchases_committed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests_total": sum(self.requests.values()),
            "requests": dict(sorted(self.requests.items())),
            "statuses": dict(sorted(self.statuses.items())),
            "purchases_committed": self.purchases_committed,
        }


@dataclass
class EmulatorState:
    """Everything the handlers share: store, clock, faults, counters."""

    store: Store
    clock: Clock
    faults: Faults
    rng: random.Random
    stats: Stats = field(default_factory=Stats)


STATE_KEY = web.AppKey("phonenumbers_async_emulator_state", EmulatorState)
_REQUEST_ID = web.RequestKey("phonenumbers_async_emulator_request_id", str)


class _Reply(Exception):
    """Raised anywhere in a handler to answer with ``response`` at once."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(response.status)
        self.response = response


# responses


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=dumps(data), status=status, content_type="application/json", headers=headers
    )


def _state(request: web.Request) -> EmulatorState:
    return request.app[STATE_KEY]


def _request_id(request: web.Request) -> str:
    return request.get(_REQUEST_ID) or "req_" + secrets.token_hex(8)


def envelope(
    request: web.Request,
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The documented envelope error shape."""
    body = {
        "status": "error",
        "error": {
            "code": code or _STATUS_CODES.get(status, "ERROR"),
            "message": message,
            "details": details or {},
        },
        "timestamp": format_ts(_state(request).clock.now()),
        "requestId": _request_id(request),
    }
    return _json(body, status, headers)


def flat(status: int, error: str, message: str) -> web.Response:
    """The documented flat error shape."""
    return _json({"error": error, "message": message}, status)


def _fail(response: web.StreamResponse) -> NoReturn:
    raise _Reply(response)


def _server_error(request: web.Request, status: int, message: str | None = None) -> web.Response:
    kind = _state(request).faults.config.error_body
    reason = _REASONS.get(status, "Server error")
    if kind == "html":
        html = (
            f"<html><head><title>{status}</title></head>"
            f"<body><h1>{status} {reason}</h1></body></html>"
        )
        return web.Response(text=html, status=status, content_type="text/html")
    if kind == "empty":
        return web.Response(status=status)
    return envelope(request, status, message or reason)


# input parsing


def _query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw.strip()):
        _fail(
            envelope(
                request,
                400,
                f"{name} must be an integer between {low} and {high}",
                code="INVALID_PARAMETER",
                details={"parameter": name, "value": raw[:64]},
            )
        )
    value = int(raw)
    if not low <= value <= high:
        _fail(
            envelope(
                request,
                400,
                f"{name} must be between {low} and {high}",
                code="INVALID_PARAMETER",
                details={"parameter": name, "value": value, "min": low, "max": high},
            )
        )
    return value


def _query_bool(request: web.Request, name: str, default: bool) -> bool:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    _fail(
        envelope(
            request,
            400,
            f"{name} must be true or false",
            code="INVALID_PARAMETER",
            details={"parameter": name, "value": raw[:64]},
        )
    )


def _paging(request: web.Request) -> tuple[int, int]:
    """(page, per_page) from ``page``/``per_page``, or from ``limit``/``offset``."""
    query = request.query
    if "page" not in query and "per_page" not in query and ("limit" in query or "offset" in query):
        limit = _query_int(request, "limit", 25, 1, MAX_PER_PAGE)
        offset = _query_int(request, "offset", 0, 0, 10**9)
        return offset // limit + 1, limit
    page = _query_int(request, "page", 1, 1, 10**9)
    per_page = _query_int(request, "per_page", 25, 1, MAX_PER_PAGE)
    return page, per_page


async def _body(
    request: web.Request, required: dict[str, type], optional: dict[str, type]
) -> dict[str, Any]:
    """A JSON object body with exactly the given keys (types checked)."""
    try:
        text = await request.text()
    except UnicodeDecodeError:
        _fail(envelope(request, 400, "request body is not valid UTF-8", code="INVALID_JSON"))
    if not text.strip():
        _fail(envelope(request, 400, "request body must be a JSON object", code="INVALID_JSON"))
    try:
        data = loads(text)
    except (ValueError, RecursionError) as exc:
        _fail(
            envelope(
                request,
                400,
                "request body is not valid JSON",
                code="INVALID_JSON",
                details={"reason": str(exc)[:200]},
            )
        )
    if not isinstance(data, dict):
        _fail(envelope(request, 422, "request body must be a JSON object"))
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        _fail(
            envelope(
                request,
                422,
                f"unknown field(s): {', '.join(k[:64] for k in unknown)}",
                details={"unknown_fields": [k[:64] for k in unknown]},
            )
        )
    for name in required:
        if name not in data:
            _fail(
                envelope(
                    request,
                    422,
                    f"{name} is required",
                    details={"field": name, "reason": "missing"},
                )
            )
    for name, kind in {**required, **optional}.items():
        if name not in data:
            continue
        value = data[name]
        if value is None and name in optional:
            continue
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            _fail(
                envelope(
                    request,
                    422,
                    f"{name} must be a {kind.__name__}",
                    details={"field": name, "reason": "wrong type"},
                )
            )
    return data


def _path_e164(request: web.Request) -> str:
    raw = request.match_info["e164"]
    e164 = normalize_e164(raw)
    if e164 is None:
        _fail(
            envelope(
                request,
                400,
                "malformed E.164 number in path",
                code="INVALID_NUMBER",
                details={"e164": raw[:64]},
            )
        )
    return e164


# authentication


def _authenticate(request: web.Request) -> dict[str, Any]:
    auth_id = request.headers.get("X-Auth-ID", "")
    token = request.headers.get("X-Auth-Token", "")
    if not auth_id or not token:
        _fail(envelope(request, 401, "missing X-Auth-ID or X-Auth-Token header"))
    account = _state(request).store.get_account(auth_id) if _AUTH_ID.match(auth_id) else None
    if (
        account is None
        or not hmac.compare_digest(account["auth_token"].encode(), token.encode())
        or not account["enabled"]
    ):
        _fail(envelope(request, 401, "invalid credentials"))
    return account


def _authorize(request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """(caller, path account); 401 or 403 when the caller may not act on the path."""
    caller = _authenticate(request)
    path_id = request.match_info["auth_id"]
    if path_id == caller["auth_id"]:
        return caller, caller
    account = _state(request).store.get_account(path_id) if _AUTH_ID.match(path_id) else None
    if account is None or account["parent_auth_id"] != caller["auth_id"]:
        _fail(flat(403, "forbidden", "the path account is neither the caller nor its sub-account"))
    return caller, account


def _master_of(account: dict[str, Any]) -> str:
    return str(account["parent_auth_id"] or account["auth_id"])


# /api handlers


def _page(items: list[dict[str, Any]], page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def _search_param(request: web.Request) -> str | None:
    """The ``search`` filter of a listing: digits of a number, optionally after ``+``."""
    search = request.query.get("search") or None
    if search is not None and search.startswith(" "):
        # An unencoded "+" in a query string arrives as a space.
        search = "+" + search.strip()
    if search is not None and not _SEARCH.match(search):
        _fail(
            envelope(
                request,
                400,
                "search must be digits of an E.164 number",
                code="INVALID_PARAMETER",
                details={"parameter": "search", "value": search[:64]},
            )
        )
    return search


async def list_numbers(request: web.Request) -> web.Response:
    """GET /v1/account/{auth_id}/numbers"""
    state = _state(request)
    _, account = _authorize(request)
    page, per_page = _paging(request)
    is_master = account["parent_auth_id"] is None
    include = _query_bool(request, "include_subaccounts", is_master)
    owners = [account["auth_id"]]
    if include and is_master:
        subs, _ = state.store.subaccounts(account["auth_id"])
        owners += [sub["auth_id"] for sub in subs]
    rows, total = state.store.list_numbers(
        owners, search=_search_param(request), limit=per_page, offset=(page - 1) * per_page
    )
    owner_key = state.faults.config.owner_key
    items = [number_to_wire(row, owner_key=owner_key) for row in rows]
    return _json(_page(items, page, per_page, total))


async def list_inventory(request: web.Request) -> web.Response:
    """GET /v1/account/{auth_id}/inventory/numbers"""
    state = _state(request)
    _authorize(request)
    page, per_page = _paging(request)
    country = request.query.get("country") or None
    if country is not None and not _COUNTRY.match(country):
        _fail(
            envelope(
                request,
                400,
                "country must be a two-letter ISO code",
                code="INVALID_PARAMETER",
                details={"parameter": "country", "value": country[:64]},
            )
        )
    search = _search_param(request)
    rows, total = state.store.list_inventory(
        country=country, search=search, limit=per_page, offset=(page - 1) * per_page
    )
    owner_key = state.faults.config.owner_key
    items = [number_to_wire(row, owner_key=owner_key, inventory=True) for row in rows]
    return _json(_page(items, page, per_page, total))


_BEFORE = ("no_commit_then_500",)
_AFTER = ("commit_then_500", "commit_then_drop")


def _after_commit(request: web.Request, operation: str) -> web.StreamResponse | None:
    """Apply a ``commit_then_500``/``commit_then_drop`` fault to a committed operation."""
    state = _state(request)
    fault = state.faults.take_fault(operation, _AFTER)
    if fault == "commit_then_500":
        return _server_error(request, 500)
    if fault == "commit_then_drop":
        state.stats.statuses["dropped"] += 1
        if request.transport is not None:
            request.transport.close()
        # The connection is gone: aiohttp quietly discards this response.
        return web.Response(status=500)
    return None


async def purchase(request: web.Request) -> web.StreamResponse:
    """POST /v1/account/{auth_id}/numbers/purchase-from-inventory"""
    state = _state(request)
    _, account = _authorize(request)
    body = await _body(request, {"e164": str}, {"currency": str})
    e164 = normalize_e164(body["e164"])
    if e164 is None:
        _fail(
            envelope(
                request,
                422,
                "e164 is not a valid E.164 number",
                details={"field": "e164", "reason": "malformed"},
            )
        )
    currency = body.get("currency")
    if currency is not None and not _CURRENCY.match(currency):
        _fail(
            envelope(
                request,
                422,
                "currency must be a three-letter ISO code",
                details={"field": "currency", "reason": "malformed"},
            )
        )
    faults = state.faults
    if faults.take_fault("purchase", _BEFORE) is not None:
        return _server_error(request, 500)
    try:
        number = state.store.purchase(
            e164, owner=account["auth_id"], payer=_master_of(account), now=state.clock.now()
        )
    except NotFound:
        return flat(404, "not_found", "number not in inventory")
    except InsufficientBalance as exc:
        return envelope(
            request,
            402,
            str(exc),
            details={
                "required": exc.required,
                "available": exc.available,
                "currency": exc.currency,
            },
        )
    state.stats.purchases_committed += 1
    faulted = _after_commit(request, "purchase")
    if faulted is not None:
        return faulted
    wire = number_to_wire(number, owner_key=faults.config.owner_key)
    data: dict[str, Any] = {"message": "purchased from inventory", "number": wire}
    if faults.config.purchase_items:
        data["items"] = [wire]
    return _json(data)


async def release(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/account/{auth_id}/numbers/{e164}"""
    state = _state(request)
    _, account = _authorize(request)
    e164 = _path_e164(request)
    if state.faults.take_fault("release", _BEFORE) is not None:
        return _server_error(request, 500)
    try:
        state.store.release(
            e164,
            account=account["auth_id"],
            include_subaccounts=account["parent_auth_id"] is None,
            now=state.clock.now(),
        )
    except NotFound as exc:
        return flat(404, "not_found", str(exc))
    except Forbidden as exc:
        return flat(403, "forbidden", str(exc))
    faulted = _after_commit(request, "release")
    if faulted is not None:
        return faulted
    if state.faults.config.release_status == 200:
        return _json({"message": "number returned to inventory"})
    return web.Response(status=204)


async def assign(request: web.Request) -> web.Response:
    """POST /v1/account/{auth_id}/numbers/{e164}/assign-subaccount"""
    state = _state(request)
    caller, account = _authorize(request)
    e164 = _path_e164(request)
    body = await _body(request, {"sub_account_id": str}, {})
    sub_id = body["sub_account_id"]
    if not re.fullmatch(r"SA_[A-Za-z0-9]{1,64}", sub_id):
        _fail(
            envelope(
                request,
                422,
                "sub_account_id must be a sub-account Auth ID (SA_…)",
                details={"field": "sub_account_id", "reason": "malformed"},
            )
        )
    try:
        number = state.store.assign(
            e164,
            master=_master_of(account),
            sub_account=sub_id,
            actor=caller["auth_id"],
            now=state.clock.now(),
        )
    except NotFound as exc:
        return flat(404, "not_found", str(exc))
    except Forbidden as exc:
        return flat(403, "forbidden", str(exc))
    except AlreadyAssigned as exc:
        return flat(409, "already_assigned", str(exc))
    if state.faults.config.assign_status == 204:
        return web.Response(status=204)
    wire = number_to_wire(number, owner_key=state.faults.config.owner_key)
    return _json({"message": "number assigned to sub-account", "number": wire})


async def unassign(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/account/{auth_id}/numbers/{e164}/assign-subaccount"""
    state = _state(request)
    caller, account = _authorize(request)
    e164 = _path_e164(request)
    force = _query_bool(request, "force", False)
    if force and not caller["is_admin"]:
        return flat(403, "forbidden", "force=true requires an admin account")
    is_sub = account["parent_auth_id"] is not None
    if state.faults.take_fault("unassign", _BEFORE) is not None:
        return _server_error(request, 500)
    try:
        state.store.unassign(
            e164,
            master=_master_of(account),
            only_from=account["auth_id"] if is_sub else None,
            actor=caller["auth_id"],
            force=force,
            now=state.clock.now(),
        )
    except NotFound as exc:
        return flat(404, "not_found", str(exc))
    except NotAssigned as exc:
        return flat(409, "not_assigned", str(exc))
    except CoolOffInEffect as exc:
        return _json(
            {
                "error": "did_cool_off_in_effect",
                "cool_off_until": format_ts(exc.until),
                "cool_off_remaining_seconds": exc.remaining_seconds,
            },
            409,
        )
    faulted = _after_commit(request, "unassign")
    if faulted is not None:
        return faulted
    if state.faults.config.unassign_status == 204:
        return web.Response(status=204)
    return _json({"message": "number unassigned from sub-account"})


async def list_subaccounts(request: web.Request) -> web.Response:
    """GET /v1/accounts/{auth_id}/sub-accounts/"""
    state = _state(request)
    _, account = _authorize(request)
    page = _query_int(request, "page", 1, 1, 10**9)
    size = _query_int(request, "size", 25, 1, MAX_PER_PAGE)
    active_only = _query_bool(request, "active_only", False)
    subs, total = state.store.subaccounts(
        account["auth_id"], active_only=active_only, limit=size, offset=(page - 1) * size
    )
    items = [subaccount_to_wire(sub, account) for sub in subs]
    return _json({"sub_accounts": items, "total": total, "page": page, "size": size})


async def get_subaccount(request: web.Request) -> web.Response:
    """GET /v1/accounts/{auth_id}/sub-accounts/{sub_auth_id}"""
    state = _state(request)
    _, account = _authorize(request)
    sub = state.store.get_account(request.match_info["sub_auth_id"])
    if sub is None or sub["parent_auth_id"] != account["auth_id"]:
        return flat(404, "not_found", "sub-account not found")
    return _json(subaccount_to_wire(sub, account))


# control API (/_emulator/)


def _control_fail(message: str, status: int = 400) -> NoReturn:
    error = {400: "bad_request", 404: "not_found", 409: "conflict"}.get(status, "error")
    _fail(flat(status, error, message))


async def _control_body(request: web.Request) -> dict[str, Any]:
    try:
        text = await request.text()
    except UnicodeDecodeError:
        _control_fail("request body is not valid UTF-8")
    if not text.strip():
        return {}
    try:
        data = loads(text)
    except (ValueError, RecursionError):
        _control_fail("request body is not valid JSON")
    if not isinstance(data, dict):
        _control_fail("request body must be a JSON object")
    return data


def _control_e164(request: web.Request) -> str:
    e164 = normalize_e164(request.match_info["e164"])
    if e164 is None:
        _control_fail("malformed E.164 number")
    return e164


def _raw_number(row: dict[str, Any]) -> dict[str, Any]:
    return dict(row)


async def control_record_call(request: web.Request) -> web.Response:
    """POST /_emulator/numbers/{e164}/calls {"at": ISO-8601 (optional)}"""
    state = _state(request)
    e164 = _control_e164(request)
    body = await _control_body(request)
    unknown = set(body) - {"at"}
    if unknown:
        _control_fail(f"unknown field(s): {', '.join(sorted(unknown))}")
    at = state.clock.now()
    if body.get("at") is not None:
        try:
            at = parse_ts(body["at"])
        except (ValueError, TypeError):
            _control_fail("at must be an ISO 8601 timestamp")
    try:
        number = state.store.record_call(e164, at)
    except NotFound as exc:
        _control_fail(str(exc), 404)
    return _json({"e164": e164, "last_call_at": number["last_call_at"]})


def _clock_body(state: EmulatorState) -> dict[str, Any]:
    return {"now": format_ts(state.clock.now()), "offset_seconds": state.clock.offset_seconds}


async def control_get_clock(request: web.Request) -> web.Response:
    """GET /_emulator/clock"""
    return _json(_clock_body(_state(request)))


async def control_advance_clock(request: web.Request) -> web.Response:
    """POST /_emulator/clock {"advance_seconds": N}"""
    state = _state(request)
    body = await _control_body(request)
    if set(body) != {"advance_seconds"}:
        _control_fail('body must be {"advance_seconds": N}')
    seconds = body["advance_seconds"]
    if isinstance(seconds, bool) or not isinstance(seconds, int | Decimal):
        _control_fail("advance_seconds must be a number")
    try:
        state.clock.advance(float(seconds))
    except ValueError as exc:
        _control_fail(str(exc))
    state.store.set_meta("clock_offset_seconds", repr(state.clock.offset_seconds))
    return _json(_clock_body(state))


async def control_accounts(request: web.Request) -> web.Response:
    """GET /_emulator/accounts"""
    accounts = _state(request).store.list_accounts()
    return _json({"items": [account_to_control(a) for a in accounts]})


async def control_account(request: web.Request) -> web.Response:
    """GET /_emulator/accounts/{auth_id}"""
    account = _state(request).store.get_account(request.match_info["auth_id"])
    if account is None:
        _control_fail("account not found", 404)
    return _json(account_to_control(account))


def _control_decimal(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        _control_fail(f"{name} must be a number")
    try:
        result = Decimal(value)
    except InvalidOperation:
        _control_fail(f"{name} must be a number")
    if not result.is_finite() or result < 0:
        _control_fail(f"{name} must be a finite number >= 0")
    return result


def _control_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        _control_fail(f"{name} must be a boolean")
    return value


async def control_update_account(request: web.Request) -> web.Response:
    """PATCH /_emulator/accounts/{auth_id} {"balance", "is_admin", "enabled"} (any)"""
    state = _state(request)
    body = await _control_body(request)
    unknown = set(body) - {"balance", "is_admin", "enabled"}
    if unknown:
        _control_fail(f"unknown field(s): {', '.join(sorted(unknown))}")
    try:
        account = state.store.update_account(
            request.match_info["auth_id"],
            now=state.clock.now(),
            balance=_control_decimal("balance", body["balance"]) if "balance" in body else None,
            is_admin=_control_bool("is_admin", body["is_admin"]) if "is_admin" in body else None,
            enabled=_control_bool("enabled", body["enabled"]) if "enabled" in body else None,
        )
    except NotFound as exc:
        _control_fail(str(exc), 404)
    return _json(account_to_control(account))


async def control_create_account(request: web.Request) -> web.Response:
    """POST /_emulator/accounts: a new sub-account (default) or master account."""
    state = _state(request)
    body = await _control_body(request)
    allowed = {"parent_auth_id", "auth_id", "auth_token", "name", "is_admin", "balance", "currency"}
    unknown = set(body) - allowed
    if unknown:
        _control_fail(f"unknown field(s): {', '.join(sorted(unknown))}")
    primary = state.store.get_meta("primary_auth_id")
    parent = body.get("parent_auth_id", primary)
    if parent is not None:
        if not isinstance(parent, str):
            _control_fail("parent_auth_id must be a string or null")
        parent_account = state.store.get_account(parent)
        if parent_account is None or parent_account["parent_auth_id"] is not None:
            _control_fail("parent_auth_id must be an existing master account", 404)
    prefix = "SA_" if parent is not None else "MA_"
    auth_id = body.get("auth_id") or make_auth_id(state.rng, prefix)
    if not isinstance(auth_id, str) or not re.fullmatch(prefix + r"[A-Za-z0-9]{1,64}", auth_id):
        _control_fail(f"auth_id must look like {prefix}…")
    token = body.get("auth_token") or make_token(state.rng)
    if not isinstance(token, str) or not _TOKEN.match(token):
        _control_fail("auth_token must be 1-128 characters of [A-Za-z0-9._~-]")
    if state.store.get_account(auth_id) is not None:
        _control_fail("account already exists", 409)
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        _control_fail("name must be a string")
    is_admin = _control_bool("is_admin", body.get("is_admin", parent is None))
    balance = _control_decimal("balance", body.get("balance", 0))
    currency = body.get("currency", "INR")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        _control_fail("currency must be a three-letter ISO code")
    account = state.store.add_account(
        auth_id=auth_id,
        auth_token=token,
        is_admin=is_admin,
        parent_auth_id=parent,
        balance=balance,
        currency=currency,
        api_id=make_uuid(state.rng),
        now=state.clock.now(),
        name=name,
    )
    return _json(account_to_control(account))


async def control_ledger(request: web.Request) -> web.Response:
    """GET /_emulator/ledger"""
    return _json({"items": _state(request).store.ledger()})


async def control_audit(request: web.Request) -> web.Response:
    """GET /_emulator/audit"""
    return _json({"items": _state(request).store.audit()})


async def control_get_faults(request: web.Request) -> web.Response:
    """GET /_emulator/faults"""
    return _json(_state(request).faults.as_dict())


async def control_set_faults(request: web.Request) -> web.Response:
    """POST /_emulator/faults (merge)"""
    state = _state(request)
    body = await _control_body(request)
    try:
        state.faults.update(body)
    except FaultError as exc:
        _control_fail(str(exc))
    return _json(state.faults.as_dict())


async def control_clear_faults(request: web.Request) -> web.Response:
    """DELETE /_emulator/faults"""
    state = _state(request)
    state.faults.reset()
    return _json(state.faults.as_dict())


async def control_create_numbers(request: web.Request) -> web.Response:
    """POST /_emulator/numbers {"count": N, "owner": auth_id or null, "country": "IN"}"""
    state = _state(request)
    body = await _control_body(request)
    unknown = set(body) - {"count", "owner", "country"}
    if unknown:
        _control_fail(f"unknown field(s): {', '.join(sorted(unknown))}")
    count = body.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_BULK_NUMBERS:
        _control_fail(f"count must be an integer between 0 and {MAX_BULK_NUMBERS}")
    owner = body.get("owner")
    if owner is not None and (not isinstance(owner, str) or state.store.get_account(owner) is None):
        _control_fail("owner must be an existing account's auth_id or null")
    country = body.get("country")
    if country is not None and (not isinstance(country, str) or country.upper() not in COUNTRIES):
        _control_fail(f"country must be one of {', '.join(COUNTRIES)} or null")
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
    return _json({"created": len(rows), "numbers": [row["e164"] for row in rows]})


async def control_get_number(request: web.Request) -> web.Response:
    """GET /_emulator/numbers/{e164}: the raw stored row."""
    number = _state(request).store.get_number(_control_e164(request))
    if number is None:
        _control_fail("number not found", 404)
    return _json(_raw_number(number))


async def control_stats(request: web.Request) -> web.Response:
    """GET /_emulator/stats"""
    return _json(_state(request).stats.as_dict())


async def control_reset_stats(request: web.Request) -> web.Response:
    """DELETE /_emulator/stats"""
    state = _state(request)
    state.stats = Stats()
    return _json(state.stats.as_dict())


# middlewares


def _http_exception_response(request: web.Request, exc: web.HTTPException) -> web.Response:
    if exc.status == 404:
        return flat(404, "not_found", "no such route")
    if exc.status == 405:
        return flat(405, "method_not_allowed", f"{request.method} is not allowed here")
    return envelope(request, exc.status, exc.reason)


@web.middleware
async def _outer_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id on every response; every failure becomes a documented shape."""
    request_id = "req_" + secrets.token_hex(8)
    request[_REQUEST_ID] = request_id
    try:
        response = await handler(request)
    except _Reply as reply:
        response = reply.response
    except web.HTTPException as exc:
        response = _http_exception_response(request, exc)
    except asyncio.CancelledError:
        raise
    except ConnectionResetError:
        # The client went away (it timed out or was killed): nobody to answer.
        log.debug("emulator: client left during %s %s", request.method, request.path)
        response = envelope(request, 499, "client closed the connection")
    except Exception:
        log.exception("emulator: unexpected error handling %s %s", request.method, request.path)
        response = envelope(request, 500, "internal error")
    response.headers["X-Request-ID"] = request_id
    return response


@web.middleware
async def _control_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The control API answers loopback peers only."""
    if request.path.startswith("/_emulator") and not is_loopback_host(request.remote):
        return flat(403, "forbidden", "the control API is only available from loopback")
    return await handler(request)


@web.middleware
async def _api_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counting, latency, 5xx and 429 injection for every /api request."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    state = _state(request)
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "<unmatched>"
    state.stats.requests[f"{request.method} {route}"] += 1
    faults = state.faults
    delay = faults.delay_seconds()
    if delay > 0:
        # Read the body first: the latency then sits between receiving a request
        # and handling it, so a client that gives up during the wait has still
        # sent a request that will be carried out (a timeout, not a refusal).
        await request.read()
        await asyncio.sleep(delay)
    status = faults.roll_server_error()
    if status is not None:
        response: web.StreamResponse = _server_error(request, status)
    elif faults.roll_rate_limit():
        response = envelope(
            request,
            429,
            "rate limit exceeded",
            details={"retry_after": faults.retry_after_json()},
            headers={"Retry-After": faults.retry_after_header()},
        )
    else:
        try:
            response = await handler(request)
        except _Reply as reply:
            response = reply.response
        except web.HTTPException as exc:
            response = _http_exception_response(request, exc)
    state.stats.statuses[str(response.status)] += 1
    return response


# the application


def create_app(
    store: Store,
    *,
    clock: Clock | None = None,
    faults: Faults | None = None,
    seed: int | None = None,
) -> web.Application:
    """The emulator as an ``aiohttp.web.Application`` over ``store``.

    The clock resumes from the offset stored in ``store`` unless one is given.
    """
    if clock is None:
        stored = store.get_meta("clock_offset_seconds")
        clock = Clock(float(stored) if stored else 0.0)
    app = web.Application(middlewares=[_outer_middleware, _control_guard, _api_faults])
    app[STATE_KEY] = EmulatorState(
        store=store,
        clock=clock,
        faults=faults or Faults(),
        rng=random.Random(seed),
    )
    api = "/api/v1"
    for spelling in ("account", "Account"):
        base = f"{api}/{spelling}/{{auth_id}}"
        app.router.add_get(f"{base}/numbers", list_numbers)
        app.router.add_get(f"{base}/inventory/numbers", list_inventory)
        app.router.add_post(f"{base}/numbers/purchase-from-inventory", purchase)
        app.router.add_delete(f"{base}/numbers/{{e164}}", release)
        app.router.add_post(f"{base}/numbers/{{e164}}/assign-subaccount", assign)
        app.router.add_delete(f"{base}/numbers/{{e164}}/assign-subaccount", unassign)
    for spelling in ("accounts", "Accounts"):
        base = f"{api}/{spelling}/{{auth_id}}/sub-accounts"
        app.router.add_get(f"{base}/", list_subaccounts)
        app.router.add_get(base, list_subaccounts)
        app.router.add_get(f"{base}/{{sub_auth_id}}", get_subaccount)
        app.router.add_get(f"{base}/{{sub_auth_id}}/", get_subaccount)
    control = "/_emulator"
    app.router.add_post(f"{control}/numbers/{{e164}}/calls", control_record_call)
    app.router.add_post(f"{control}/numbers", control_create_numbers)
    app.router.add_get(f"{control}/numbers/{{e164}}", control_get_number)
    app.router.add_get(f"{control}/clock", control_get_clock)
    app.router.add_post(f"{control}/clock", control_advance_clock)
    app.router.add_get(f"{control}/accounts", control_accounts)
    app.router.add_post(f"{control}/accounts", control_create_account)
    app.router.add_get(f"{control}/accounts/{{auth_id}}", control_account)
    app.router.add_patch(f"{control}/accounts/{{auth_id}}", control_update_account)
    app.router.add_get(f"{control}/ledger", control_ledger)
    app.router.add_get(f"{control}/audit", control_audit)
    app.router.add_get(f"{control}/faults", control_get_faults)
    app.router.add_post(f"{control}/faults", control_set_faults)
    app.router.add_delete(f"{control}/faults", control_clear_faults)
    app.router.add_get(f"{control}/stats", control_stats)
    app.router.add_delete(f"{control}/stats", control_reset_stats)
    return app
