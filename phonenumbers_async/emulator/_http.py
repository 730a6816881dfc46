"""HTTP helpers: the documented error shapes, the one table that maps every
refusal (store, authorisation, input) to its answer, and the one parser each
for bodies, path numbers and query parameters.

The API (``/api``) answers bad input with the envelope shape; the control API
(``/_emulator``) answers everything in the flat shape. Both use the same
parsers: an ``InvalidInput`` is rendered for the surface it happened on.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from ._auth import (
    ForceNeedsAdmin,
    InvalidCredentials,
    MissingCredentials,
    NumberOfAnotherAccount,
    PathNotPermitted,
)
from ._clock import format_ts
from ._state import state_of
from ._store import (
    AccountExists,
    AccountNotFound,
    BalanceNotFound,
    BalanceTooLow,
    CancelAccessDenied,
    CancelNumberNotFound,
    CoolOffActive,
    NotPendingRelease,
    NumberAlreadyAssigned,
    NumberNotAssigned,
    NumberNotFound,
    NumberNotInInventory,
    NumberNotOwned,
    NumberNotRouted,
    RoutingNumberNotFound,
    RoutingRefused,
    SubAccountNotFound,
    SubAccountOfAnotherMaster,
)
from ._wire import dump_bytes, loads, normalize_e164

__all__ = [
    "CONTROL_PREFIX",
    "ERRORS",
    "NUMBER",
    "REQUEST_ID",
    "InvalidInput",
    "Reply",
    "envelope",
    "error_response",
    "flat",
    "json_response",
    "path_e164",
    "query_bool",
    "query_int",
    "query_paging",
    "read_any_object",
    "read_body",
    "read_json",
    "read_object",
    "request_id",
    "server_error",
]

CONTROL_PREFIX = "/_emulator"
MAX_PER_PAGE = 100
MAX_PAGE = 10**9
REQUEST_ID = web.RequestKey("phonenumbers_async_emulator_request_id", str)
# A JSON number as the body parser reads it (non-integers are Decimal).
NUMBER = (int, Decimal)

_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    402: "INSUFFICIENT_BALANCE",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "REQUEST_TIMEOUT",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}
_FLAT_ERRORS = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}
_REASONS = {
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}
# JSON is UTF-8 (RFC 8259); these labels name it or a subset of it.
_UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


class Reply(Exception):
    """Raised anywhere in a handler to answer with ``response`` at once."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(response.status)
        self.response = response


class InvalidInput(Exception):
    """A request the server cannot read: bad JSON, a bad field, parameter or path number."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details or {}


# responses


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """``data`` as a JSON response (Decimal money keeps its digits)."""
    return web.Response(
        body=dump_bytes(data), status=status, content_type="application/json", headers=headers
    )


def request_id(request: web.Request) -> str:
    """This request's id (``req_…``), as the ``X-Request-ID`` header carries it."""
    found = request.get(REQUEST_ID)
    if found is None:
        found = request[REQUEST_ID] = "req_" + secrets.token_hex(8)
    return found


def _now(request: web.Request) -> datetime:
    try:
        return state_of(request).clock.now()
    except Exception:  # an error answer must not depend on the state that failed
        return datetime.now(UTC)


def envelope(
    request: web.Request,
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """The documented envelope error shape."""
    body = {
        "status": "error",
        "error": {
            "code": code or _STATUS_CODES.get(status, "ERROR"),
            "message": message,
            "details": details or {},
        },
        "timestamp": format_ts(_now(request)),
        "requestId": request_id(request),
    }
    return json_response(body, status, headers)


def flat(status: int, error: str, message: str) -> web.Response:
    """The documented flat error shape."""
    return json_response({"error": error, "message": message}, status)


def server_error(request: web.Request, status: int, message: str | None = None) -> web.Response:
    """A 5xx in the body style the faults ask for (envelope, HTML page or empty)."""
    kind = state_of(request).faults.config.error_body
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


# the one table of refusals

Render = Callable[[web.Request, Exception], web.Response]


def _flat_answer(status: int, error: str) -> Render:
    return lambda request, exc: flat(status, error, str(exc))


def _envelope_answer(status: int) -> Render:
    return lambda request, exc: envelope(request, status, str(exc))


def _balance_answer(request: web.Request, exc: Exception) -> web.Response:
    assert isinstance(exc, BalanceTooLow)
    details = {"required": exc.required, "available": exc.available, "currency": exc.currency}
    return envelope(request, 402, str(exc), details=details)


def _cool_off_answer(request: web.Request, exc: Exception) -> web.Response:
    assert isinstance(exc, CoolOffActive)
    body = {
        "error": "did_cool_off_in_effect",
        "cool_off_until": format_ts(exc.until),
        "cool_off_remaining_seconds": exc.remaining_seconds,
    }
    return json_response(body, 409)


def _invalid_input_answer(request: web.Request, exc: Exception) -> web.Response:
    assert isinstance(exc, InvalidInput)
    if request.path.startswith(CONTROL_PREFIX):
        response = flat(exc.status, _FLAT_ERRORS.get(exc.status, "error"), exc.message)
    else:
        response = envelope(request, exc.status, exc.message, code=exc.code, details=exc.details)
    if exc.status == 408:
        response.force_close()  # the rest of that body must not be read as a next request
    return response


def _error_only(status: int) -> Render:
    """The cancel-release shape: ``{"error": …}`` alone."""
    return lambda request, exc: json_response({"error": str(exc)}, status)


ERRORS: dict[type[Exception], Render] = {
    InvalidInput: _invalid_input_answer,
    MissingCredentials: _envelope_answer(401),
    InvalidCredentials: _envelope_answer(401),
    PathNotPermitted: _flat_answer(403, "forbidden"),
    NumberOfAnotherAccount: _flat_answer(403, "forbidden"),
    ForceNeedsAdmin: _flat_answer(403, "forbidden"),
    AccountNotFound: _flat_answer(404, "not_found"),
    AccountExists: _flat_answer(409, "conflict"),
    SubAccountNotFound: _flat_answer(404, "not_found"),
    SubAccountOfAnotherMaster: _flat_answer(403, "forbidden"),
    NumberNotFound: _flat_answer(404, "not_found"),
    NumberNotInInventory: _flat_answer(404, "not_found"),
    NumberNotOwned: _flat_answer(403, "forbidden"),
    NumberAlreadyAssigned: _flat_answer(409, "already_assigned"),
    NumberNotAssigned: _flat_answer(409, "not_assigned"),
    BalanceTooLow: _balance_answer,
    BalanceNotFound: _flat_answer(404, "not_found"),
    RoutingRefused: _flat_answer(400, "invalid request"),
    RoutingNumberNotFound: _flat_answer(404, "Number not found"),
    NumberNotRouted: _flat_answer(404, "not_found"),
    NotPendingRelease: _error_only(400),
    CancelAccessDenied: _error_only(403),
    CancelNumberNotFound: _error_only(404),
    CoolOffActive: _cool_off_answer,
}


def error_response(request: web.Request, exc: Exception) -> web.StreamResponse | None:
    """The documented answer to ``exc``, or None when it is not a refusal (a bug)."""
    if isinstance(exc, Reply):
        return exc.response
    if isinstance(exc, web.HTTPException):
        if exc.status == 404:
            return flat(404, "not_found", "no such route")
        if exc.status == 405:
            return flat(405, "method_not_allowed", f"{request.method} is not allowed here")
        return envelope(request, exc.status, exc.reason)
    for kind in type(exc).__mro__:
        render = ERRORS.get(kind)
        if render is not None:
            return render(request, exc)
    return None


# parsing


def _parameter_error(name: str, message: str, **details: Any) -> InvalidInput:
    return InvalidInput(message, code="INVALID_PARAMETER", details={"parameter": name, **details})


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within ``low..high`` (400 otherwise)."""
    raw = request.query.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        raise _parameter_error(
            name, f"{name} must be an integer between {low} and {high}", value=raw[:64]
        )
    value = int(text)
    if not low <= value <= high:
        raise _parameter_error(
            name, f"{name} must be between {low} and {high}", value=value, min=low, max=high
        )
    return value


def query_bool(request: web.Request, name: str, default: bool) -> bool:
    """A boolean query parameter (``true/false``, ``1/0``, ``yes/no``; 400 otherwise)."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _parameter_error(name, f"{name} must be true or false", value=raw[:64])


def query_paging(
    request: web.Request, *, size_name: str = "per_page", limit_offset: bool = True
) -> tuple[int, int]:
    """(page, page size) from ``page``/``per_page`` (or ``size``), or from ``limit``/``offset``."""
    query = request.query
    if (
        limit_offset
        and "page" not in query
        and size_name not in query
        and ("limit" in query or "offset" in query)
    ):
        limit = query_int(request, "limit", 25, 1, MAX_PER_PAGE)
        offset = query_int(request, "offset", 0, 0, MAX_PAGE)
        return offset // limit + 1, limit
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    size = query_int(request, size_name, 25, 1, MAX_PER_PAGE)
    return page, size


def path_e164(request: web.Request) -> str:
    """The ``{e164}`` path segment in any of its three spellings, as ``+…`` (400 otherwise)."""
    raw = request.match_info["e164"]
    e164 = normalize_e164(raw)
    if e164 is None:
        raise InvalidInput(
            "malformed E.164 number in path", code="INVALID_NUMBER", details={"e164": raw[:64]}
        )
    return e164


async def read_body(request: web.Request) -> bytes:
    """The request body, which must arrive within the body timeout (408 otherwise)."""
    seconds = state_of(request).body_timeout
    try:
        async with asyncio.timeout(seconds):
            return await request.read()
    except TimeoutError:
        raise InvalidInput(
            f"the request body did not arrive within {seconds:g} s",
            status=408,
            code="REQUEST_TIMEOUT",
        ) from None


async def read_json(request: web.Request, *, allow_empty: bool = False) -> Any:
    """The request body as JSON (400 for anything else; 415 for a charset that is not UTF-8).

    ``allow_empty``: an empty body reads as ``{}``.
    """
    charset = request.charset
    if charset is not None and charset.strip().lower() not in _UTF8_CHARSETS:
        raise InvalidInput(
            "request bodies must be JSON in UTF-8",
            status=415,
            code="UNSUPPORTED_CHARSET",
            details={"charset": charset[:64]},
        )
    raw = await read_body(request)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("request body is not valid UTF-8", code="INVALID_JSON") from None
    if not text.strip():
        if allow_empty:
            return {}
        raise InvalidInput("request body must be a JSON object", code="INVALID_JSON")
    try:
        return loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(
            "request body is not valid JSON",
            code="INVALID_JSON",
            details={"reason": str(exc)[:200]},
        ) from None


async def read_any_object(
    request: web.Request, *, invalid_status: int = 422, allow_empty: bool = False
) -> dict[str, Any]:
    """A JSON object body, whatever its keys (``invalid_status`` for another JSON value)."""
    data = await read_json(request, allow_empty=allow_empty)
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object", status=invalid_status)
    return data


FieldTypes = type | tuple[type, ...]


def _type_name(kind: FieldTypes) -> str:
    if kind == NUMBER:
        return "number"
    return kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)


async def read_object(
    request: web.Request,
    required: Mapping[str, FieldTypes],
    optional: Mapping[str, FieldTypes] | None = None,
    *,
    invalid_status: int = 422,
    allow_empty: bool = False,
) -> dict[str, Any]:
    """A JSON object body with only the given keys, ``required`` ones present, types checked.

    A value of the wrong type (a bool is not an int), a missing or unknown key
    is ``invalid_status`` (422 on the API, 400 on the control API); an
    optional key may be null.
    """
    optional = optional or {}
    data = await read_any_object(request, invalid_status=invalid_status, allow_empty=allow_empty)
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        shown = [key[:64] for key in unknown]
        raise InvalidInput(
            f"unknown field(s): {', '.join(shown)}",
            status=invalid_status,
            details={"unknown_fields": shown},
        )
    for name in required:
        if name not in data:
            raise InvalidInput(
                f"{name} is required",
                status=invalid_status,
                details={"field": name, "reason": "missing"},
            )
    for name, kind in {**required, **optional}.items():
        if name not in data or (data[name] is None and name in optional):
            continue
        value = data[name]
        wants_bool = kind is bool or (isinstance(kind, tuple) and bool in kind)
        if (isinstance(value, bool) and not wants_bool) or not isinstance(value, kind):
            raise InvalidInput(
                f"{name} must be a {_type_name(kind)}",
                status=invalid_status,
                details={"field": name, "reason": "wrong type"},
            )
    return data
