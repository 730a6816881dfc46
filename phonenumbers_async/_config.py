"""Client settings: arguments first, then ``VOBIZ_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import attrs

from ._net import is_loopback_host
from ._validation import check_auth_id
from .errors import ConfigurationError, ValidationError

__all__ = ["DEFAULT_BASE_URL", "ClientConfig"]

DEFAULT_BASE_URL = "https://api.vobiz.ai/api"
ENV_AUTH_ID = "VOBIZ_AUTH_ID"
ENV_AUTH_TOKEN = "VOBIZ_AUTH_TOKEN"
ENV_BASE_URL = "VOBIZ_BASE_URL"


def check_base_url(base_url: str, *, allow_http: bool) -> str:
    """Return the base URL without a trailing slash, refusing plain http to remote hosts."""
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError(
            f"base_url {base_url!r} is not an http(s) URL such as {DEFAULT_BASE_URL!r}"
        )
    if parts.scheme == "http" and not allow_http and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            f"base_url {base_url!r} is plain http to a remote host, which would send the "
            "auth token unencrypted; use https, or pass allow_http=True if you mean it"
        )
    return base_url.rstrip("/")


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Everything a client needs to talk to the API."""

    auth_id: str
    auth_token: str = attrs.field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout: float | None = 30.0
    connect_timeout: float | None = 10.0
    max_retries: int = 3
    max_concurrency: int = 8
    rate_limit: float | None = None

    @classmethod
    def resolve(
        cls,
        *,
        auth_id: str | None,
        auth_token: str | None,
        base_url: str | None,
        allow_http: bool,
        environ: Mapping[str, str] | None = None,
        **settings: object,
    ) -> ClientConfig:
        """Fill what the caller left out from the environment, then check it all."""
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
        try:
            check_auth_id(auth_id)
        except ValidationError as exc:
            raise ConfigurationError(str(exc)) from None
        _check_settings(settings)
        return cls(
            auth_id=auth_id,
            auth_token=auth_token,
            base_url=check_base_url(base_url, allow_http=allow_http),
            **settings,  # type: ignore[arg-type]  # checked by _check_settings
        )


def _check_settings(settings: Mapping[str, object]) -> None:
    for name in ("timeout", "connect_timeout", "rate_limit"):
        value = settings.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
        ):
            raise ConfigurationError(f"{name} must be a positive number, not {value!r}")
    retries = settings.get("max_retries", 0)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ConfigurationError(f"max_retries must be an integer of 0 or more, not {retries!r}")
    concurrency = settings.get("max_concurrency", 1)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError(
            f"max_concurrency must be an integer of 1 or more, not {concurrency!r}"
        )
