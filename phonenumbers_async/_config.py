"""Client settings, validated where they are made: arguments first, then ``VOBIZ_*``.

:class:`ClientConfig` is the one home of every setting (credentials, URL,
timeouts, deadline, retry policy, limits, extra headers and query). Each
field checks itself with an attrs validator, so a bad value fails at
construction with :class:`ConfigurationError` instead of on every call.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlsplit

import attrs

from ._net import is_loopback_host
from ._retry import RetryPolicy
from ._transport import Timeouts
from ._validation import check_auth_id
from .errors import ConfigurationError, ValidationError

if TYPE_CHECKING:
    import aiohttp

    from ._transport import Transport

__all__ = [
    "AUTH_HEADERS",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "RESERVED_HEADERS",
    "CallOptions",
    "ClientConfig",
    "ClientOptions",
    "SettingsView",
    "check_base_url",
]

DEFAULT_BASE_URL = "https://api.vobiz.ai/api"
ENV_AUTH_ID = "VOBIZ_AUTH_ID"
ENV_AUTH_TOKEN = "VOBIZ_AUTH_TOKEN"
ENV_BASE_URL = "VOBIZ_BASE_URL"
#: The largest response body read by default: a page of 100 numbers is about 100 KB.
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: The authentication headers; ``extra_headers`` may not set them.
AUTH_HEADERS = frozenset({"x-auth-id", "x-auth-token", "authorization"})
#: Headers ``extra_headers`` may not set either (any case): those the client sets itself,
#: and those that frame the message, which the HTTP library owns.
RESERVED_HEADERS = frozenset(
    {
        "accept",
        "user-agent",
        "content-type",
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "te",
        "upgrade",
    }
)

# Anything a header value cannot carry safely: control characters (CR and LF
# would split the header), DEL, and what latin-1 cannot encode.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]|[^\x00-\xff]")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _fail(message: str) -> ConfigurationError:
    return ConfigurationError(message)


def check_base_url(base_url: str, *, allow_http: bool) -> str:
    """Return the base URL without a trailing slash, refusing what cannot work or is unsafe."""
    if not isinstance(base_url, str) or _HEADER_UNSAFE.search(base_url) or " " in base_url:
        raise _fail(f"base_url {base_url!r} is not an http(s) URL such as {DEFAULT_BASE_URL!r}")
    parts = urlsplit(base_url)
    try:
        port = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError:
        raise _fail(
            f"base_url {base_url!r} has an invalid port: expected a number from 1 to 65535"
        ) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _fail(f"base_url {base_url!r} is not an http(s) URL such as {DEFAULT_BASE_URL!r}")
    if port == 0:
        raise _fail(f"base_url {base_url!r} has port 0; expected a number from 1 to 65535")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise _fail(
            f"base_url {base_url!r} may not carry a query, a fragment or credentials; "
            "pass credentials as auth_id and auth_token"
        )
    if parts.scheme == "http" and not allow_http and not is_loopback_host(parts.hostname):
        raise _fail(
            f"base_url {base_url!r} is plain http to a remote host, which would send the "
            "auth token unencrypted; use https, or pass allow_http=True if you mean it"
        )
    return base_url.rstrip("/")


class CallOptions(TypedDict, total=False):
    """The settings ``with_options`` changes, on ``AsyncClient`` and ``Client`` alike."""

    timeout: float | None
    connect_timeout: float | None
    deadline: float | None
    max_retries: int
    max_concurrency: int
    max_response_bytes: int
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, str]


CALL_OPTION_NAMES = frozenset(CallOptions.__annotations__)


class ClientOptions(TypedDict, total=False):
    """The options of ``AsyncClient(...)`` and ``Client(...)``: one definition for both.

    Each is optional; left out, it takes the default given here.

    * ``base_url`` (``VOBIZ_BASE_URL``, else ``https://api.vobiz.ai/api``).
    * ``timeout`` seconds for one attempt (30.0; None: no bound), and
      ``connect_timeout`` for establishing a connection (10.0).
    * ``deadline`` seconds for a whole call, retries, ``Retry-After`` waits
      and reconciliation checks included (None: bounded by the attempts only).
    * ``max_retries`` resends (0: none; None: ``retry_policy.max_retries``,
      by default 3), ``retry_policy`` the :class:`RetryPolicy` (the default one).
    * ``max_concurrency`` pages a listing fetches at once (8).
    * ``rate_limit`` requests per second for every request of the client (None: no limit).
    * ``max_response_bytes`` bounds a response body as it is read (8 MiB).
    * ``session`` an aiohttp session to use and leave open (``AsyncClient``
      only: the sync ``Client`` runs its own event loop, which a session
      cannot cross), or ``transport``, anything with the ``Transport`` methods
      (``MockTransport`` for one), closed with the client.
    * ``allow_http`` lets plain http reach a host that is not loopback (False).
    * ``extra_headers`` and ``extra_query`` are added to every request. A header
      the client sets itself (authentication, ``Accept``, ``User-Agent``,
      ``Content-Type``) or one that frames the message (``Host``,
      ``Content-Length``, ``Transfer-Encoding``, ``Connection``, ``TE``,
      ``Upgrade``), in any case, is a ConfigurationError; so is a query
      parameter a call sets itself (``page``, ``per_page``, ``search``…), when
      that call is made.
    """

    base_url: str | None
    timeout: float | None
    connect_timeout: float | None
    deadline: float | None
    max_retries: int | None
    max_concurrency: int
    rate_limit: float | None
    max_response_bytes: int | None
    session: aiohttp.ClientSession | None
    transport: Transport | None
    retry_policy: RetryPolicy | None
    allow_http: bool
    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, str] | None


CLIENT_OPTION_NAMES = frozenset(ClientOptions.__annotations__)
# Options that are objects to use, not settings of the configuration.
_CONNECTION_OPTIONS = frozenset({"session", "transport"})


def check_option_names(options: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    """Refuse a misspelt option as a normal signature would: a TypeError naming it."""
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(
            f"{where} got unexpected option(s): {', '.join(sorted(unknown))}; "
            f"the options are {', '.join(sorted(allowed))}"
        )


# Validators ---------------------------------------------------------------


def _auth_id(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    try:
        check_auth_id(value)
    except ValidationError as exc:
        raise _fail(str(exc)) from None


def _auth_token(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    # The message never shows the token itself.
    if not isinstance(value, str) or not value:
        raise _fail("auth_token must be a non-empty string")
    if _HEADER_UNSAFE.search(value) or value != value.strip():
        raise _fail(
            "auth_token contains a control character, surrounding whitespace or a "
            "character outside latin-1, which no HTTP header can carry; check how it was pasted"
        )


def _positive_seconds(optional: bool) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            allowed = "a positive number of seconds" + (" or None" if optional else "")
            raise _fail(f"{attribute.name} must be {allowed}, not {value!r}")

    return check


def _require_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(f"{name} must be an integer from {low} to {high}, not {value!r}")


def _int_range(low: int, high: int) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        _require_int(attribute.name, value, low, high)

    return check


#: More resends than this only hide a server that is down.
MAX_RETRIES_LIMIT = 100


def _flag(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise _fail(f"{attribute.name} must be True or False, not {value!r}")


def _retry_policy(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, RetryPolicy):
        raise _fail(f"retry_policy must be a RetryPolicy, not {value!r}")


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """A mapping (or pairs) of text as a tuple of pairs, so the config stays frozen and hashable."""
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    try:
        return tuple((name, text) for name, text in items)
    except (TypeError, ValueError):
        raise _fail(f"expected a mapping of names to strings, not {value!r}") from None


def _extra_headers(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    seen: set[str] = set()
    for name, text in value:
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise _fail(f"extra_headers: {name!r} is not a valid header name")
        lowered = name.lower()
        if lowered in AUTH_HEADERS:
            raise _fail(
                f"extra_headers may not set {name!r}: the client's credentials decide "
                "authentication (pass auth_id and auth_token instead)"
            )
        if lowered in RESERVED_HEADERS:
            raise _fail(
                f"extra_headers may not set {name!r}: the client sets it itself (or the HTTP "
                "library does, from the request)"
            )
        if lowered in seen:
            # Header names have no case: two spellings would send the header twice.
            raise _fail(f"extra_headers: {name!r} is given twice (header names have no case)")
        seen.add(lowered)
        if not isinstance(text, str) or _HEADER_UNSAFE.search(text):
            raise _fail(
                f"extra_headers: the value of {name!r} must be text without control characters"
            )


def _extra_query(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    for name, text in value:
        if not isinstance(name, str) or not name or not isinstance(text, str):
            raise _fail(f"extra_query: {name!r}={text!r} is not a pair of strings")


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Everything a client needs to talk to the API, each value checked as it is set.

    ``timeout`` bounds one attempt, ``deadline`` a whole call (retries,
    ``Retry-After`` waits and reconciliation checks included; None: no bound
    beyond the attempts'). ``max_response_bytes`` bounds a response body as
    it is read, compressed or not.
    """

    auth_id: str = attrs.field(validator=_auth_id)
    auth_token: str = attrs.field(repr=False, validator=_auth_token)
    base_url: str = DEFAULT_BASE_URL
    allow_http: bool = attrs.field(default=False, validator=_flag)
    timeout: float | None = attrs.field(default=30.0, validator=_positive_seconds(True))
    connect_timeout: float | None = attrs.field(default=10.0, validator=_positive_seconds(True))
    deadline: float | None = attrs.field(default=None, validator=_positive_seconds(True))
    retry_policy: RetryPolicy = attrs.field(factory=RetryPolicy, validator=_retry_policy)
    max_concurrency: int = attrs.field(default=8, validator=_int_range(1, 1000))
    rate_limit: float | None = attrs.field(default=None, validator=_positive_seconds(True))
    max_response_bytes: int = attrs.field(
        default=DEFAULT_MAX_RESPONSE_BYTES, validator=_int_range(1024, 2**40)
    )
    extra_headers: tuple[tuple[str, str], ...] = attrs.field(
        default=(), converter=_pairs, validator=_extra_headers
    )
    extra_query: tuple[tuple[str, str], ...] = attrs.field(
        default=(), converter=_pairs, validator=_extra_query
    )

    def __attrs_post_init__(self) -> None:
        # Depends on allow_http, so it is checked once both are set.
        object.__setattr__(
            self, "base_url", check_base_url(self.base_url, allow_http=self.allow_http)
        )

    @property
    def max_retries(self) -> int:
        """How many times a request may be resent (the retry policy's bound)."""
        return self.retry_policy.max_retries

    @property
    def timeouts(self) -> Timeouts:
        """The per-attempt timeouts, as the transport takes them."""
        return Timeouts(total=self.timeout, connect=self.connect_timeout)

    @classmethod
    def resolve(
        cls,
        *,
        auth_id: str | None,
        auth_token: str | None,
        base_url: str | None,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        environ: Mapping[str, str] | None = None,
        **settings: Any,
    ) -> ClientConfig:
        """Fill what the caller left out from the environment, then check it all.

        An explicit ``max_retries`` replaces the bound of ``retry_policy``
        (the default policy when none is given).
        """
        env = os.environ if environ is None else environ
        auth_id = auth_id or env.get(ENV_AUTH_ID)
        auth_token = auth_token or env.get(ENV_AUTH_TOKEN)
        base_url = base_url or env.get(ENV_BASE_URL) or DEFAULT_BASE_URL
        if not auth_id or not auth_token:
            missing = [
                name
                for name, value in ((ENV_AUTH_ID, auth_id), (ENV_AUTH_TOKEN, auth_token))
                if not value
            ]
            raise ConfigurationError(
                "missing credentials: pass auth_id and auth_token, or set " + " and ".join(missing)
            )
        policy = RetryPolicy() if retry_policy is None else retry_policy
        if not isinstance(policy, RetryPolicy):
            raise _fail(f"retry_policy must be a RetryPolicy, not {retry_policy!r}")
        if max_retries is not None:
            _require_int("max_retries", max_retries, 0, MAX_RETRIES_LIMIT)
            policy = attrs.evolve(policy, max_retries=max_retries)
        return cls(
            auth_id=auth_id.strip() if isinstance(auth_id, str) else auth_id,
            auth_token=auth_token,
            base_url=base_url,
            retry_policy=policy,
            **settings,
        )

    @classmethod
    def from_options(
        cls, auth_id: str | None, auth_token: str | None, options: Mapping[str, Any]
    ) -> ClientConfig:
        """The configuration ``AsyncClient(auth_id, auth_token, **options)`` resolves to.

        ``session`` and ``transport`` are not settings and are left for the caller.
        """
        check_option_names(options, CLIENT_OPTION_NAMES, "the client")
        settings = {
            name: value
            for name, value in options.items()
            if name not in _CONNECTION_OPTIONS
            # None means "the default" for these, which the fields themselves do not take.
            and not (name in {"max_response_bytes", "max_retries", "base_url"} and value is None)
        }
        return cls.resolve(
            auth_id=auth_id,
            auth_token=auth_token,
            base_url=settings.pop("base_url", None),
            max_retries=settings.pop("max_retries", None),
            retry_policy=settings.pop("retry_policy", None),
            **settings,
        )

    def evolve(self, **changes: Any) -> ClientConfig:
        """A copy with some settings changed (checked like the originals).

        ``max_retries`` changes the retry policy's bound.
        """
        unknown = set(changes) - CALL_OPTION_NAMES - {"auth_token", "retry_policy", "base_url"}
        if unknown:
            raise TypeError(f"unexpected setting(s): {', '.join(sorted(unknown))}")
        max_retries = changes.pop("max_retries", None)
        if max_retries is not None:
            _require_int("max_retries", max_retries, 0, MAX_RETRIES_LIMIT)
            changes["retry_policy"] = attrs.evolve(
                changes.get("retry_policy", self.retry_policy), max_retries=max_retries
            )
        return attrs.evolve(self, **changes)


class SettingsView:
    """The settings properties every client (and its sender) shows, read from ``config``."""

    @property
    def config(self) -> ClientConfig:
        """The resolved settings (the token is left out of its repr)."""
        raise NotImplementedError

    @property
    def auth_id(self) -> str:
        """The Auth ID this client acts as."""
        return self.config.auth_id

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self.config.base_url

    @property
    def max_concurrency(self) -> int:
        """How many pages a listing fetches at once, unless a call says otherwise."""
        return self.config.max_concurrency

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy in force, ``max_retries`` included."""
        return self.config.retry_policy

    @property
    def deadline(self) -> float | None:
        """Seconds a whole call may take (None: bounded by its attempts only)."""
        return self.config.deadline
