"""Input checks that run before any request is built.

Each raises :class:`~phonenumbers_async.errors.ValidationError` with a message
that names the bad value, so a mistake never costs a round trip.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

from .errors import ValidationError

__all__ = [
    "check_application_id",
    "check_auth_id",
    "check_concurrency",
    "check_currency",
    "check_days",
    "check_e164",
    "check_exclude",
    "check_flag",
    "check_granularity",
    "check_page",
    "check_per_page",
    "check_search",
    "check_subaccount_id",
    "check_text",
    "check_trunk_group_id",
    "encode_query",
    "encode_segment",
    "normalize_e164",
]

MAX_PER_PAGE = 100

_E164 = re.compile(r"\+[1-9][0-9]{0,14}")
_AUTH_ID = re.compile(r"(MA|SA)_[A-Za-z0-9]+")
_SUBACCOUNT_ID = re.compile(r"SA_[A-Za-z0-9]+")
_SEARCH = re.compile(r"\+?[0-9]{1,15}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
GRANULARITIES = ("daily", "hourly")


def check_e164(number: object) -> str:
    """Return ``number`` if it is E.164 (``+``, 1-15 digits, no leading zero)."""
    if not isinstance(number, str) or not _E164.fullmatch(number):
        raise ValidationError(
            f"{number!r} is not an E.164 number: expected '+' then 1 to 15 digits, "
            "the first not 0 (for example '+919876543210')"
        )
    return number


# What people and spreadsheets put between digits: removing it never changes
# the number. Anything else (a letter, a slash, "ext", a control character that
# Unicode counts as space, such as \x1c-\x1f, \x85 or \u2028) is left for the check
# to refuse. Blanks: space, tab, no-break space, narrow no-break space, figure space.
_BLANKS = " \t\u00a0\u202f\u2007"
_SEPARATORS = re.compile(r"[ \t\u00a0\u202f\u2007\-\u2010-\u2015.()]+")
# Around the number: blanks, and the line end of a line read from a file.
_AROUND = _BLANKS + "\r\n"
_SEPARATOR_NAMES = {
    " ": "spaces",
    "-": "dashes",
    ".": "dots",
    "(": "parentheses",
    ")": "parentheses",
}


def normalize_e164(text: object) -> tuple[str, str | None]:
    """``text`` as an E.164 number, and a note saying what was removed (None if nothing).

    Spaces, dashes, dots and parentheses are removed: ``"+91 98765-43210"`` is
    ``+919876543210``. A leading ``00`` or a missing ``+`` is *not* guessed (the
    country code cannot be known): the :class:`ValidationError` names it.
    """
    if not isinstance(text, str):
        raise ValidationError(
            f"{text!r} is not an E.164 number: expected text such as '+919876543210'"
        )
    stripped = text.strip(_AROUND)
    compact = _SEPARATORS.sub("", stripped)
    if _E164.fullmatch(compact):
        if compact == stripped:
            return compact, None
        removed = sorted(
            {
                _SEPARATOR_NAMES.get(char, "spaces" if char.isspace() else "dashes")
                for char in stripped
                if not (char.isdigit() or char == "+")
            }
        )
        return compact, f"{text!r} read as {compact} (removed {', '.join(removed)})"
    if compact.startswith("00") and compact[2:].isdigit() and len(compact) > 2:
        reason = (
            "it starts with the dialling prefix '00', which is not read as '+': "
            "write it as '+' then the country code"
        )
    elif compact.isdigit():
        reason = (
            "the leading '+' is missing (spreadsheets often drop it); the country code "
            "is not guessed: write it as '+' then the country code"
        )
    else:
        reason = "expected '+' then 1 to 15 digits, the first not 0 (for example '+919876543210')"
    raise ValidationError(f"{text!r} is not an E.164 number: {reason}")


def check_search(search: object) -> str | None:
    """Return ``search`` if it is None or a part of a number: digits, optionally after ``+``."""
    if search is not None and (not isinstance(search, str) or not _SEARCH.fullmatch(search)):
        raise ValidationError(
            f"search must be digits of a number, optionally after '+', not {search!r}"
        )
    return search


def check_exclude(exclude: object) -> tuple[str, ...]:
    """The ``exclude`` prefixes as a tuple: one string (commas allowed) or several."""
    if exclude is None:
        return ()
    values = [exclude] if isinstance(exclude, str) else exclude
    if not isinstance(values, list | tuple | set | frozenset):
        raise ValidationError(f"exclude must be a prefix or a list of prefixes, not {exclude!r}")
    prefixes: list[str] = []
    for value in values:
        parts = value.split(",") if isinstance(value, str) else [value]
        for part in parts:
            if not isinstance(part, str) or not _SEARCH.fullmatch(part.strip()):
                raise ValidationError(
                    f"exclude prefixes are digits of a number, optionally after '+', not {part!r}"
                )
            prefixes.append(part.strip())
    return tuple(prefixes)


def check_trunk_group_id(trunk_group_id: object) -> str:
    """Return ``trunk_group_id`` (lower-cased) if it is a UUID (a SIP trunk group's id)."""
    if not isinstance(trunk_group_id, str) or not _UUID.fullmatch(trunk_group_id):
        raise ValidationError(
            f"{trunk_group_id!r} is not a trunk group id: expected a UUID such as "
            "'3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c'"
        )
    # A UUID's canonical text is lower case; servers store and show it so.
    return trunk_group_id.lower()


def check_text(value: object, name: str, *, max_length: int = 255) -> str:
    """Return ``value`` if it is non-empty text without control characters."""
    if (
        not isinstance(value, str)
        or not value.strip()
        or _CONTROL.search(value)
        or len(value) > max_length
    ):
        raise ValidationError(
            f"{name} must be non-empty text of at most {max_length} characters "
            f"without control characters, not {value!r}"
        )
    return value


def check_application_id(application_id: object) -> str:
    """Return ``application_id`` if it is a non-empty id."""
    return check_text(application_id, "application_id", max_length=128)


def check_days(days: object) -> int:
    """Return ``days`` if it is an integer from 1 to 365."""
    return _check_int("days", days, 1, 365)


def check_granularity(granularity: object) -> str:
    """Return ``granularity`` if it is ``daily`` or ``hourly``."""
    if granularity not in GRANULARITIES:
        raise ValidationError(f"granularity must be 'daily' or 'hourly', not {granularity!r}")
    return str(granularity)


def check_currency(currency: object) -> str:
    """Return ``currency`` (upper-cased) if it is a three-letter ISO code."""
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency.upper()):
        raise ValidationError(
            f"currency must be a three-letter code such as 'INR', not {currency!r}"
        )
    return currency.upper()


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
