"""Exit codes, the command line's own error, and how SDK errors read on one line."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from phonenumbers_async import (
    APIError,
    AuthenticationFailed,
    ConfigurationError,
    CoolOffInEffect,
    NotFound,
    PhoneNumbersError,
    RequestTimeout,
    TransportError,
    ValidationError,
)

__all__ = [
    "EXIT_CODES_HELP",
    "EXIT_COOL_OFF",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "CliError",
    "describe_error",
    "error_code",
    "exit_code_for",
    "format_remaining",
    "format_time",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_COOL_OFF = 4
EXIT_INTERRUPTED = 130

# "\b" keeps click from re-wrapping the table into one paragraph.
EXIT_CODES_HELP = """\b
Exit codes:
  0    success
  1    failure (nothing or not everything could be done)
  2    usage error or bad input (including missing credentials)
  3    bulk job partly failed: some numbers succeeded, some failed
  4    refused: the number is in its 15-day cool-off
  130  interrupted (rerun the same command to resume a bulk job)"""


# The machine-readable code of a command line failure, by its exit code.
_CODES = {
    EXIT_USAGE: "usage_error",
    EXIT_PARTIAL: "partly_failed",
    EXIT_COOL_OFF: "cool_off",
    EXIT_INTERRUPTED: "interrupted",
}


class CliError(Exception):
    """A failure the command line reports as one line, with its exit code.

    ``code`` is what ``--format json`` reports (by default, from the exit code);
    ``request_id`` the server's, when an API error caused it.
    """

    def __init__(
        self,
        message: str,
        exit_code: int = EXIT_FAILURE,
        *,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.code = code or _CODES.get(exit_code, "failed")
        self.request_id = request_id


def error_code(exc: PhoneNumbersError) -> str:
    """The machine-readable code of an SDK error: the API's own code when it sent one,
    else the error's class in snake case (``transport_error``, ``validation_error``)."""
    if isinstance(exc, APIError) and exc.code:
        return str(exc.code)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC to the second, with a ``Z``: what an operator compares with a clock."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def format_remaining(remaining: timedelta) -> str:
    """A short duration in its two largest units: ``12d 3h``, ``4h 10m``, ``3m 20s``, ``45s``."""
    # Rounded to the smaller unit shown: 12d 2h 59m 59s is "12d 3h" to a reader.
    seconds = max(0.0, remaining.total_seconds())
    if seconds >= 86400:
        days, hours = divmod(round(seconds / 3600), 24)
        return f"{days}d {hours}h"
    if seconds >= 3600:
        hours, minutes = divmod(round(seconds / 60), 60)
        return f"{hours}h {minutes}m" if hours < 24 else "1d 0h"
    whole = round(seconds)
    if whole >= 60:
        minutes, rest = divmod(whole, 60)
        return f"{minutes}m {rest}s" if minutes < 60 else "1h 0m"
    return f"{whole}s"


def _cool_off_text(exc: CoolOffInEffect, hint: str) -> str:
    remaining = exc.cool_off_remaining
    if remaining is None and exc.cool_off_until is not None:
        remaining = exc.cool_off_until - datetime.now(UTC)
    if exc.cool_off_until is not None:
        text = f"in cool-off until {format_time(exc.cool_off_until)}"
        if remaining is not None:
            text += f" ({format_remaining(remaining)})"
    elif remaining is not None:
        text = f"in cool-off for another {format_remaining(remaining)}"
    else:
        text = "in cool-off (the server did not say until when)"
    if hint:
        text += f"; {hint}"
    if exc.request_id:
        text += f" (request id {exc.request_id})"
    return text


BASE_URL_SETTING = "--base-url or VOBIZ_BASE_URL"
CREDENTIAL_SETTINGS = "--auth-id/--auth-token or VOBIZ_AUTH_ID/VOBIZ_AUTH_TOKEN"


def describe_error(exc: PhoneNumbersError, *, hint: str = "", base_url: str | None = None) -> str:
    """One line for an SDK error; API errors keep their status, code and request id.

    A cool-off reads ``in cool-off until <time> (<remaining>)``, then ``hint``.
    With ``base_url``, an error that comes from where the client was pointed
    (no connection, no such host, TLS to a plain-http server, a 404 "no such
    route", refused credentials) names the URL and the setting to check.
    """
    if isinstance(exc, CoolOffInEffect):
        return _cool_off_text(exc, hint)
    text = str(exc) if isinstance(exc, APIError) else str(exc) or exc.__class__.__name__
    if isinstance(exc, ConfigurationError):
        # The SDK advises its Python argument; the command line has a flag for it.
        text = text.replace("pass allow_http=True", "pass --allow-http")
    where = _where_hint(exc, base_url) if base_url else ""
    return "; ".join(part for part in (text, where, hint) if part)


def _where_hint(exc: PhoneNumbersError, base_url: str) -> str:
    if isinstance(exc, RequestTimeout):
        return f"no answer in time from {base_url} (--timeout allows longer)"
    if isinstance(exc, TransportError):
        return f"base URL {base_url}: check {BASE_URL_SETTING}"
    if isinstance(exc, AuthenticationFailed):
        return f"the credentials were refused by {base_url}: check {CREDENTIAL_SETTINGS}"
    if isinstance(exc, NotFound) and "no such route" in str(exc).lower():
        path = urlsplit(base_url).path.rstrip("/")
        if not path.endswith("/api"):
            return (
                f"base URL {base_url} does not end in /api (the API's root): "
                f"check {BASE_URL_SETTING}"
            )
        return f"base URL {base_url} serves no such path: check {BASE_URL_SETTING}"
    return ""


def exit_code_for(exc: PhoneNumbersError) -> int:
    """The exit code an SDK error ends the command with."""
    if isinstance(exc, CoolOffInEffect):
        return EXIT_COOL_OFF
    if isinstance(exc, ConfigurationError | ValidationError):
        return EXIT_USAGE
    return EXIT_FAILURE
