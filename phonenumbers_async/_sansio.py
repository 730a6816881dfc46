"""The protocol without I/O: build requests, read responses.

Everything here is a plain function of its inputs, so the whole wire contract
(paths, query strings, bodies, every error shape) is tested without a network.
The transport only moves the bytes that these functions produce and consume.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from itertools import repeat
from typing import Any, TypeVar

import attrs

from . import errors
from ._convert import structure_as, structure_number, structure_subaccount
from ._fastdecode import decode_number_page_fast
from ._models import (
    Balance,
    CreatedSubAccount,
    NumberHealth,
    NumberStatus,
    Page,
    PhoneNumber,
    Release,
    ReleaseCancellation,
    SubAccount,
    Transaction,
)
from ._validation import encode_query, encode_segment

try:  # orjson is an optional speed-up; the stdlib parser gives the same result.
    import orjson

    loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - exercised only without the extra
    loads = json.loads

__all__ = [
    "Idempotency",
    "Request",
    "Response",
    "decode_balance",
    "decode_cancellation",
    "decode_created_subaccount",
    "decode_health",
    "decode_number_page",
    "decode_number_page_general",
    "decode_purchase",
    "decode_release",
    "decode_subaccount",
    "decode_subaccount_page",
    "decode_transaction_page",
    "error_from_response",
    "parse_retry_after",
]

T = TypeVar("T")


class Idempotency(enum.Enum):
    """How safely a request may be sent again after a failure."""

    #: Reading: resend on any transient failure.
    SAFE = "safe"
    #: Changes state, but a repeat can be recognised afterwards (release,
    #: assign, unassign): resend, then reconcile a "not owned" answer.
    RECONCILABLE = "reconcilable"
    #: A purchase: resend only when the request surely did not reach the server.
    NEVER = "never"


@attrs.frozen
class Request:
    """One HTTP request, relative to the client's base URL."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    idempotency: Idempotency = Idempotency.SAFE

    def url(self, base_url: str) -> str:
        url = base_url.rstrip("/") + self.path
        if self.params:
            url += "?" + encode_query(self.params)
        return url

    def headers(
        self,
        auth_id: str,
        auth_token: str,
        user_agent: str,
        extra: Sequence[tuple[str, str]] = (),
    ) -> dict[str, str]:
        """Every header of the request; an ``extra`` one never replaces or repeats these.

        Header names have no case: an extra ``accept`` is dropped for the client's
        ``Accept`` (the client's settings refuse such extras before this).
        """
        own = {
            "X-Auth-ID": auth_id,
            "X-Auth-Token": auth_token,
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        if self.body is not None:
            own["Content-Type"] = "application/json"
        taken = {name.lower() for name in own}
        headers = {name: value for name, value in extra if name.lower() not in taken}
        headers.update(own)
        return headers

    def with_params(self, extra: Sequence[tuple[str, str]]) -> Request:
        """This request with ``extra`` query parameters after its own.

        An extra parameter this request sets itself (``page``, ``per_page``,
        ``search``…) would be sent twice, with two meanings: ConfigurationError.
        """
        if not extra:
            return self
        own = {name for name, _ in self.params}
        clash = sorted({name for name, _ in extra if name in own})
        if clash:
            raise errors.ConfigurationError(
                f"extra_query may not set {', '.join(map(repr, clash))} on this call: the call "
                "sets it itself (pass it as the call's argument instead)"
            )
        return attrs.evolve(self, params=self.params + tuple(extra))


@attrs.frozen
class Response:
    """What the transport hands back: status, headers and the body's bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait (``Retry-After``), or None."""
        return parse_retry_after(_header(self.headers, "Retry-After"))


def path(*segments: str) -> str:
    """Join path segments, percent-encoding each (``+`` becomes ``%2B``)."""
    return "".join("/" + encode_segment(segment) for segment in segments)


def query(**params: object) -> tuple[tuple[str, str], ...]:
    """Query parameters without the unset ones; booleans as ``true``/``false``."""
    pairs = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        pairs.append((name, str(value)))
    return tuple(pairs)


def paging(page: int, per_page: int) -> dict[str, int]:
    """The paging parameters of a listing, in both documented styles.

    The reference pages use ``page``/``per_page``; another page of the docs
    says ``limit``/``offset``. They name the same page, so sending both works
    with a server of either kind.
    """
    return {"page": page, "per_page": per_page, "limit": per_page, "offset": (page - 1) * per_page}


def json_body(payload: Mapping[str, Any]) -> bytes:
    """Encode a request body; the ``+`` of a number stays literal in JSON."""
    return json.dumps(payload, separators=(",", ":")).encode()


# Reading responses ---------------------------------------------------------


def decode_json(body: bytes) -> Any:
    """Parse a JSON body; an empty body is None."""
    return loads(body) if body else None


def _decode_answer(body: bytes, status: int = 200) -> Any:
    """The JSON of a successful answer; a body that is not JSON is an UnexpectedResponse."""
    try:
        return decode_json(body)
    except ValueError as exc:  # also UnicodeDecodeError and orjson's JSONDecodeError
        text = body[:200].decode("utf-8", "replace")
        raise errors.UnexpectedResponse(
            f"unexpected response: the body is not JSON ({exc})", status=status, body=text
        ) from exc


def read_model(structure: Callable[[Any, Any], T], raw: Any, what: str, body: Any = None) -> T:
    """``structure(raw)``; whatever it raises for data that is not the object is one error.

    The one definition of "unreadable": the server's JSON can be wrong in any
    way (a string where an object belongs, a number out of range, a list
    nested too deep), and every way is an :class:`UnexpectedResponse`, never
    the structuring code's own exception.
    """
    try:
        return structure(raw, None)
    except Exception as exc:  # see the docstring: any failure to read is unreadable
        raise errors.UnexpectedResponse(
            f"unexpected response: {what} could not be read ({exc.__class__.__name__}: {exc})",
            status=200,
            body=raw if body is None else body,
        ) from exc


def _page_of(
    raw: Any,
    key: str,
    size_key: str,
    structure: Callable[[Any, Any], T],
    requested_page: int,
    requested_size: int,
) -> Page[T]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get(key), list):
        raise errors.UnexpectedResponse(
            f"unexpected response: no {key!r} list in the page", status=200, body=raw
        )
    items = read_model(_each(structure), raw[key], f"an item of {key!r}", raw)
    return _page(items, raw, size_key, requested_page, requested_size)


def _each(structure: Callable[[Any, Any], T]) -> Callable[[Any, Any], tuple[T, ...]]:
    def structure_all(values: Any, _: Any) -> tuple[T, ...]:
        return tuple(map(structure, values, repeat(None)))

    return structure_all


def _page(
    items: tuple[T, ...],
    envelope: Mapping[str, Any],
    size_key: str,
    requested_page: int,
    requested_size: int,
) -> Page[T]:
    return Page(
        items=items,
        # The limit/offset variant of the docs may leave page or size out.
        page=_count(envelope.get("page"), 1) or requested_page,
        per_page=_count(envelope.get(size_key) or envelope.get("limit"), 1) or requested_size,
        total=_count(envelope.get("total"), 0),
    )


def _count(value: Any, low: int) -> int | None:
    """``value`` if it is an integer of at least ``low`` (a JSON true is not 1), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= low:
        return value
    return None


def decode_number_page(body: bytes, page: int = 1, per_page: int = 25) -> Page[PhoneNumber]:
    """Read a page envelope of PhoneNumber objects, with msgspec when it is installed."""
    if decode_number_page_fast is not None and body:
        decoded = decode_number_page_fast(body)
        if decoded is not None:
            items, envelope = decoded
            return _page(items, envelope, "per_page", page, per_page)
    return decode_number_page_general(body, page, per_page)


def decode_number_page_general(body: bytes, page: int = 1, per_page: int = 25) -> Page[PhoneNumber]:
    """Read a page envelope of PhoneNumber objects: parse the JSON, then the cattrs converter."""
    return _page_of(_decode_answer(body), "items", "per_page", structure_number, page, per_page)


def decode_subaccount_page(body: bytes, page: int = 1, per_page: int = 25) -> Page[SubAccount]:
    """Read the sub-account listing (``sub_accounts`` and ``size``)."""
    return _page_of(
        _decode_answer(body), "sub_accounts", "size", structure_subaccount, page, per_page
    )


def decode_subaccount(body: bytes) -> SubAccount:
    """Read one SubAccount."""
    return read_model(structure_subaccount, _decode_answer(body), "the sub-account")


def decode_purchase(body: bytes) -> PhoneNumber:
    """Read a purchase answer: ``number``, or the first of ``items`` when only that is sent."""
    raw = _decode_answer(body)
    if isinstance(raw, Mapping):
        if isinstance(raw.get("number"), Mapping):
            return read_model(structure_number, raw["number"], "the purchased number", raw)
        items = raw.get("items")
        if isinstance(items, list) and items and isinstance(items[0], Mapping):
            return read_model(structure_number, items[0], "the purchased number", raw)
    raise errors.UnexpectedResponse(
        "unexpected purchase response: no number in it", status=200, body=raw
    )


def decode_release(status: int, body: bytes) -> Release:
    """Read a release answer: the current 200 body, or an older 204 / 200 with a message.

    The older variants returned the number to inventory at once, so they read
    as ``released``; the current one says ``pending_release`` itself.
    """
    raw = _decode_answer(body, status)
    if raw is None:
        return Release(status=NumberStatus.RELEASED)
    if isinstance(raw, Mapping) and "status" not in raw:
        message = raw.get("message")
        return read_model(
            structure_as(Release),
            {**raw, "status": NumberStatus.RELEASED.value, "message": message},
            "the release answer",
            raw,
        )
    return read_model(structure_as(Release), raw, "the release answer")


def decode_cancellation(body: bytes) -> ReleaseCancellation:
    """Read a ``cancel-release`` answer."""
    raw = _decode_answer(body)
    if raw is None:
        return ReleaseCancellation(status=NumberStatus.ACTIVE)
    return read_model(structure_as(ReleaseCancellation), raw, "the cancellation answer")


def decode_health(body: bytes) -> NumberHealth:
    """Read a number's health dashboard."""
    return read_model(structure_as(NumberHealth), _decode_answer(body), "the number's health")


def decode_balance(body: bytes) -> Balance:
    """Read an account balance."""
    return read_model(structure_as(Balance), _decode_answer(body), "the balance")


def decode_transaction_page(body: bytes, page: int = 1, per_page: int = 50) -> Page[Transaction]:
    """Read a transactions listing, in either documented envelope.

    The current one reports ``total``, ``page`` and ``per_page``; the older one
    ``count`` (the items of this page), ``limit`` and ``offset``, so its
    total is unknown and the listing ends at a short page.
    """
    raw = _decode_answer(body)
    if isinstance(raw, Mapping) and "page" not in raw and "offset" in raw:
        limit = _count(raw.get("limit"), 1) or per_page
        offset = _count(raw.get("offset"), 0)
        raw = {
            "transactions": raw.get("transactions"),
            "page": offset // limit + 1 if offset is not None else page,
            "per_page": limit,
        }
    return _page_of(raw, "transactions", "per_page", structure_as(Transaction), page, per_page)


def decode_created_subaccount(body: bytes) -> CreatedSubAccount:
    """Read the answer to a sub-account creation; its token is kept apart from the model."""
    try:
        raw = _decode_answer(body)
    except errors.UnexpectedResponse as exc:
        # The body holds the new token: neither the error nor its cause may carry it.
        raise errors.UnexpectedResponse(
            "unexpected response: the creation answer is not JSON", status=exc.status
        ) from None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("sub_account"), Mapping):
        raise errors.UnexpectedResponse(
            "unexpected response: no sub_account in the creation answer",
            status=200,
            body=_without_secrets(raw),
        )
    sub = read_model(structure_subaccount, raw["sub_account"], "the new sub-account", {})
    credentials = raw.get("auth_credentials")
    token = credentials.get("auth_token") if isinstance(credentials, Mapping) else None
    tokens = raw.get("tokens")
    message = raw.get("message")
    return CreatedSubAccount(
        sub_account=sub,
        auth_token=token if isinstance(token, str) else sub.auth_token,
        message=message if isinstance(message, str) else None,
        tokens=tokens if isinstance(tokens, Mapping) else None,
    )


def _without_secrets(raw: Any) -> Any:
    if isinstance(raw, Mapping):
        secret = ("auth_credentials", "tokens")
        return {key: value for key, value in raw.items() if key not in secret}
    return raw


# Errors --------------------------------------------------------------------

_ERROR_BY_STATUS: dict[int, type[errors.APIError]] = {
    400: errors.BadRequest,
    401: errors.AuthenticationFailed,
    402: errors.InsufficientBalance,
    403: errors.PermissionDenied,
    404: errors.NotFound,
    409: errors.Conflict,
    422: errors.Unprocessable,
    429: errors.RateLimited,
}

# Codes that name the problem more exactly than the status does: the docs say
# a failed debit "currently surfaces as a 500".
_ERROR_BY_CODE: dict[str, type[errors.APIError]] = {
    "INSUFFICIENT_BALANCE": errors.InsufficientBalance,
    "insufficient_balance": errors.InsufficientBalance,
}

COOL_OFF_CODE = "did_cool_off_in_effect"
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, candidate in headers.items():
            if key.lower() == lowered:
                return candidate
    return value


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None if math.isnan(seconds) else seconds
    return max(0.0, seconds)


def _text_snippet(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    text = _SPACE.sub(" ", _TAGS.sub(" ", text)).strip()
    return text[:200]


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _seconds(value: Any) -> timedelta | None:
    """A duration from a JSON number; None for anything else or out of range."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return timedelta(seconds=value)
    except (OverflowError, ValueError):  # beyond timedelta's range, or NaN
        return None


def error_from_response(response: Response, *, attempts: int = 1) -> errors.APIError:
    """Map an error response (any of the three JSON shapes, or not JSON) to its error class."""
    status = response.status
    body: Any
    try:
        body = decode_json(response.body)
    except ValueError:
        body = None
    code: str | None = None
    message: str | None = None
    request_id = None
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):  # the envelope shape
            code = inner.get("code")
            message = inner.get("message")
        elif isinstance(inner, str):  # the flat and cool-off shapes
            code = inner
            message = body.get("message")
        else:
            message = body.get("message") or body.get("detail")
        request_id = body.get("requestId") or body.get("request_id")
    else:
        # An HTML page from a gateway, plain text, or nothing at all.
        body = response.body.decode("utf-8", "replace") if response.body else None
        snippet = _text_snippet(response.body) if response.body else ""
        message = f"HTTP {status} with a non-JSON body" + (f": {snippet}" if snippet else "")
    if not isinstance(code, str):
        code = None
    if not isinstance(message, str) or not message:
        message = code or f"HTTP {status}"
    request_id = request_id or _header(response.headers, "X-Request-ID")
    common: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": request_id if isinstance(request_id, str) else None,
        "body": body,
        "attempts": attempts,
    }
    if code == COOL_OFF_CODE and isinstance(body, Mapping):
        until = _parse_time(body.get("cool_off_until"))
        remaining_seconds = body.get("cool_off_remaining_seconds")
        remaining = _seconds(remaining_seconds)
        if message == code:
            message = "the number was used within the last 15 days" + (
                f"; it can be unassigned from {until.isoformat()}" if until else ""
            )
        return errors.CoolOffInEffect(
            message, cool_off_until=until, cool_off_remaining=remaining, **common
        )
    if status == 429:
        return errors.RateLimited(message, retry_after=response.retry_after, **common)
    cls = (code and _ERROR_BY_CODE.get(code)) or _ERROR_BY_STATUS.get(status)
    if cls is None:
        cls = errors.ServerError if status >= 500 else errors.APIError
    return cls(message, **common)
