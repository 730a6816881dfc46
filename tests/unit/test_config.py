"""Client configuration: arguments, ``VOBIZ_*`` variables, plain http, and secrecy."""

from __future__ import annotations

import logging

import pytest
from aioresponses import aioresponses
from support.samples import sample_bytes
from support.wire import AUTH_ID, AUTH_TOKEN, BASE_URL

from phonenumbers_async import AsyncClient, ConfigurationError, PhoneNumbersError, errors


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``VOBIZ_*`` variable of the machine leaks into these tests."""
    for name in ("VOBIZ_AUTH_ID", "VOBIZ_AUTH_TOKEN", "VOBIZ_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_missing_credentials_name_both_variables() -> None:
    """Without arguments or environment, the error names both variables to set."""
    with pytest.raises(ConfigurationError) as caught:
        AsyncClient()

    assert "VOBIZ_AUTH_ID" in str(caught.value)
    assert "VOBIZ_AUTH_TOKEN" in str(caught.value)


def test_missing_token_names_only_the_token_variable() -> None:
    """With only the Auth ID given, the error names ``VOBIZ_AUTH_TOKEN`` alone."""
    with pytest.raises(ConfigurationError) as caught:
        AsyncClient(AUTH_ID)

    assert "VOBIZ_AUTH_TOKEN" in str(caught.value)
    assert "VOBIZ_AUTH_ID" not in str(caught.value)


def test_environment_supplies_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """``VOBIZ_AUTH_ID``/``VOBIZ_AUTH_TOKEN``/``VOBIZ_BASE_URL`` fill what is not passed."""
    monkeypatch.setenv("VOBIZ_AUTH_ID", "MA_FROMENV")
    monkeypatch.setenv("VOBIZ_AUTH_TOKEN", "env-token")
    monkeypatch.setenv("VOBIZ_BASE_URL", "https://eu.example.test/api/")

    client = AsyncClient()

    assert client.auth_id == "MA_FROMENV"
    assert client.config.auth_token == "env-token"
    assert client.base_url == "https://eu.example.test/api"


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """An argument is used even when its variable is set."""
    monkeypatch.setenv("VOBIZ_AUTH_ID", "MA_FROMENV")
    monkeypatch.setenv("VOBIZ_AUTH_TOKEN", "env-token")
    monkeypatch.setenv("VOBIZ_BASE_URL", "https://eu.example.test/api")

    client = AsyncClient("SA_ARG", "arg-token", base_url="https://arg.example.test/api")

    assert (client.auth_id, client.config.auth_token) == ("SA_ARG", "arg-token")
    assert client.base_url == "https://arg.example.test/api"


def test_default_base_url_is_production() -> None:
    """Without a base URL the client talks to ``https://api.vobiz.ai/api``."""
    assert AsyncClient(AUTH_ID, AUTH_TOKEN).base_url == "https://api.vobiz.ai/api"


async def test_environment_base_url_is_where_requests_go(
    monkeypatch: pytest.MonkeyPatch, mock_api: aioresponses
) -> None:
    """A request of a client configured only by the environment goes to ``VOBIZ_BASE_URL``."""
    monkeypatch.setenv("VOBIZ_AUTH_ID", "MA_FROMENV")
    monkeypatch.setenv("VOBIZ_AUTH_TOKEN", "env-token")
    monkeypatch.setenv("VOBIZ_BASE_URL", "https://eu.example.test/api")
    mock_api.get(
        "https://eu.example.test/api/v1/account/MA_FROMENV/numbers?page=1&per_page=25&limit=25&offset=0",
        body=sample_bytes("list-numbers.auth-id.json"),
    )

    async with AsyncClient(max_retries=0) as client:
        await client.numbers.list()

    ((_, url), calls) = next(iter(mock_api.requests.items()))
    assert url.host == "eu.example.test"
    assert calls[0].kwargs["headers"]["X-Auth-Token"] == "env-token"


@pytest.mark.parametrize("auth_id", ["XA_1", "ma_1", "MA_", "MA_1/2"])
def test_a_malformed_auth_id_is_a_configuration_error(auth_id: str) -> None:
    """A client cannot be built for an Auth ID that is not ``MA_…``/``SA_…``."""
    with pytest.raises(ConfigurationError):
        AsyncClient(auth_id, AUTH_TOKEN)


@pytest.mark.parametrize(
    "url", ["http://api.vobiz.ai/api", "http://10.0.0.5:8080", "http://localhost.evil.test"]
)
def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    """``http://`` to anything but loopback is refused, and the message says how to opt in."""
    with pytest.raises(ConfigurationError) as caught:
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=url)

    assert "allow_http" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/api",
        "http://localhost:8080",
        "http://[::1]:8080/api",
        "http://127.5.0.1",
        "https://api.vobiz.ai/api",
    ],
)
def test_loopback_http_and_https_are_allowed(url: str) -> None:
    """Loopback hosts (the emulator) may use plain http; https is always fine."""
    assert AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=url).base_url == url.rstrip("/")


def test_plain_http_to_a_remote_host_with_opt_in_is_allowed() -> None:
    """``allow_http=True`` lets a caller use plain http on purpose."""
    client = AsyncClient(AUTH_ID, AUTH_TOKEN, base_url="http://10.0.0.5/api", allow_http=True)

    assert client.base_url == "http://10.0.0.5/api"


def test_plain_http_from_the_environment_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """The http rule applies to ``VOBIZ_BASE_URL`` as to the argument."""
    monkeypatch.setenv("VOBIZ_BASE_URL", "http://api.vobiz.ai/api")

    with pytest.raises(ConfigurationError):
        AsyncClient(AUTH_ID, AUTH_TOKEN)


@pytest.mark.parametrize("url", ["ftp://api.vobiz.ai", "api.vobiz.ai/api", "https://"])
def test_a_base_url_that_is_not_http_is_refused(url: str) -> None:
    """A base URL without an http(s) scheme and a host is a configuration error."""
    with pytest.raises(ConfigurationError):
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=url)


@pytest.mark.parametrize(
    "settings",
    [
        {"timeout": 0},
        {"timeout": -1.0},
        {"connect_timeout": True},
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"max_concurrency": 0},
        {"max_concurrency": True},
        {"rate_limit": 0},
    ],
)
def test_bad_settings_are_configuration_errors(settings: dict[str, object]) -> None:
    """Non-positive timeouts, negative retries and concurrency below 1 are refused."""
    with pytest.raises(ConfigurationError):
        AsyncClient(AUTH_ID, AUTH_TOKEN, **settings)  # type: ignore[arg-type]


def test_token_is_not_in_the_client_or_config_repr() -> None:
    """Neither ``repr(client)`` nor ``repr(client.config)`` shows the token."""
    client = AsyncClient(AUTH_ID, AUTH_TOKEN)

    assert AUTH_TOKEN not in repr(client)
    assert AUTH_TOKEN not in str(client)
    assert AUTH_TOKEN not in repr(client.config)
    assert AUTH_ID in repr(client)


def test_token_is_not_in_configuration_errors() -> None:
    """Errors raised while configuring never quote the token."""
    for kwargs in (
        {"base_url": "http://api.vobiz.ai"},
        {"base_url": "ftp://x"},
        {"timeout": -1},
        {"max_concurrency": 0},
    ):
        with pytest.raises(ConfigurationError) as caught:
            AsyncClient(AUTH_ID, AUTH_TOKEN, **kwargs)
        assert AUTH_TOKEN not in str(caught.value)
        assert AUTH_TOKEN not in repr(caught.value)


async def test_token_is_not_in_request_errors_or_logs(
    mock_api: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    """API, transport and validation errors, and debug logs, never contain the token."""
    caught: list[PhoneNumbersError] = []
    numbers = f"{BASE_URL}/v1/account/{AUTH_ID}/numbers"
    mock_api.get(
        f"{numbers}?page=1&per_page=25&limit=25&offset=0",
        status=401,
        payload={"error": "unauthorized"},
    )
    mock_api.delete(f"{numbers}/%2B919876543210", status=502, body=b"<html>bad gateway</html>")
    # Anything unmatched fails as a refused connection: a transport error.
    caplog.set_level(logging.DEBUG, logger="phonenumbers_async")
    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, max_retries=0) as client:
        for call in (
            client.numbers.list(),
            client.numbers.release("+919876543210"),
            client.inventory.list(),
            client.numbers.purchase("+0"),
        ):
            try:
                await call
            except PhoneNumbersError as exc:
                caught.append(exc)

    assert [type(error) for error in caught] == [
        errors.AuthenticationFailed,
        # A 502 to a release leaves its outcome open, and the check could not connect.
        errors.OutcomeUnknown,
        errors.TransportError,
        errors.ValidationError,
    ]
    for error in caught:
        assert AUTH_TOKEN not in str(error)
        assert AUTH_TOKEN not in repr(error)
        assert AUTH_TOKEN not in "".join(getattr(error, "__notes__", []))
    assert caplog.records, "the client logged nothing at DEBUG"
    assert AUTH_TOKEN not in caplog.text


async def test_with_options_keeps_credentials_and_changes_settings() -> None:
    """``with_options`` returns a client with the same identity and the new settings."""
    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL) as client:
        quick = client.with_options(timeout=5, max_retries=0)

        assert quick.auth_id == AUTH_ID
        assert quick.base_url == BASE_URL
        assert quick.config.timeout == 5
        assert quick.retry_policy.max_retries == 0
        assert client.config.timeout == 30.0
        assert AUTH_TOKEN not in repr(quick.config)
