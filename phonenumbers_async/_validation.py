"""Input checks that run before any request is built.

Each raises :class:`~phonenumbers_async.errors.ValidationError` with a message
that names the bad value, so a mistake never costs a round trip.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

from .errors import ValidationError

__all__ = [
    "check_auth_id",
    "check_concurrency",
    "check_e164",
    "check_flag",
    "check_page",
    "check_per_page",
    "check_search",
    "check_subaccount_id",
    "encode_query",
    "encode_segment",
]

MAX_PER_PAGE = 100

_E164 = re.compile(r"\+[1-9][0-9]{0,14}")
_AUTH_ID = re.compile(r"(MA|SA)_[A-Za-z0-9]+")
_SUBACCOUNT_ID = re.compile(r"SA_[A-Za-z0-9]+")
_SEARCH = re.compile(r"\+?[0-9]{1,15}")


def check_e164(number: object) -> str:
    """Return ``number`` if it is E.164 (``+``, 1-15 digits, no leading zero)."""
    if not isinstance(number, str) or not _E164.fullmatch(number):
        raise ValidationError(
            f"{number!r} is not an E.164 number: expected '+' then 1 to 15 digits, "
            "the first not 0 (for example '+919876543210')"
        )
    return number


def check_search(search: object) -> str | None:
    """Return ``search`` if it is None or a part of a number: digits, optionally after ``+``."""
    if search is not None and (not isinstance(search, str) or not _SEARCH.fullmatch(search)):
        raise ValidationError(
            f"search must be digits of a number, optionally after '+', not {search!r}"
        )
    return search


def check_auth_id(auth_id: object) -> str:
    """Return ``auth_id`` if it is a master (``MA_…``) or sub-account (``SA_…``) Auth ID."""
    if not isinstance(auth_id, str) or not _AUTH_ID.fullmatch(auth_id):
        raise ValidationError(
            f"{auth_id!r} is not an Auth ID: expected 'MA_' or 'SA_' followed by letters and digits"
        )
    return auth_id


def check_subaccount_id(sub_account_id: object) -> str:
    """Return ``sub_account_id`` if it is a sub-account Auth ID (``SA_…``)."""
    if not isinstance(sub_account_id, str) or not _SUBACCOUNT_ID.fullmatch(sub_account_id):
        raise ValidationError(
            f"{sub_account_id!r} is not a sub-account id: expected 'SA_' followed by "
            "letters and digits"
        )
    return sub_account_id


def _check_int(name: str, value: object, low: int, high: int | None) -> int:
    # bool is an int subclass; page=True is a mistake, not page 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an integer, not {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ValidationError(f"{name} must be {bounds}, not {value}")
    return value


def check_page(page: object) -> int:
    """Return ``page`` if it is an integer of at least 1."""
    return _check_int("page", page, 1, None)


def check_per_page(per_page: object, name: str = "per_page") -> int:
    """Return ``per_page`` if it is an integer from 1 to 100."""
    return _check_int(name, per_page, 1, MAX_PER_PAGE)


# What quote() and quote_plus() leave as it is: checking for it first skips
# their per-character work for the ids and numbers that make up most URLs.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def encode_segment(segment: str) -> str:
    """Percent-encode one path segment; ``+`` becomes ``%2B`` as the API requires."""
    return segment if _UNRESERVED.fullmatch(segment) else quote(segment, safe="")


def encode_query(params: tuple[tuple[str, str], ...]) -> str:
    """``name=value&…``, encoded exactly as ``urllib.parse.urlencode`` would."""
    return "&".join(
        f"{_encode_query_part(name)}={_encode_query_part(value)}" for name, value in params
    )


def _encode_query_part(text: str) -> str:
    return text if _UNRESERVED.fullmatch(text) else quote_plus(text, safe="")


def check_concurrency(value: object, name: str = "max_concurrency") -> int:
    """Return ``value`` if it is an integer from 1 to 1000."""
    return _check_int(name, value, 1, 1000)


def check_flag(value: object, name: str) -> bool | None:
    """Return ``value`` if it is True, False or None (a string such as "no" is a mistake)."""
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"{name} must be True, False or None, not {value!r}")
    return value
