"""Settings are checked where they are made: a bad one fails at construction, never per call."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from support.wire import AUTH_ID, AUTH_TOKEN, BASE_URL

from phonenumbers_async import (
    AsyncClient,
    Client,
    ClientConfig,
    ConfigurationError,
    HTTPRequest,
    MockTransport,
    Response,
)

BAD_SETTINGS: dict[str, dict[str, Any]] = {
    "token with CR LF": {"auth_token": "tok\r\nX-Evil: 1"},
    "token with NUL": {"auth_token": "tok\x00en"},
    "token with a tab": {"auth_token": "tok\ten"},
    "token with surrounding space": {"auth_token": " token "},
    "token outside latin-1": {"auth_token": "tök€n"},
    "auth id with a newline inside": {"auth_id": "MA_A\nBC"},
    "auth id of another kind": {"auth_id": "XX_ABC"},
    "port 99999": {"base_url": "https://api.example.com:99999/api"},
    "port 0": {"base_url": "https://api.example.com:0/api"},
    "port not a number": {"base_url": "https://api.example.com:http/api"},
    "not a URL": {"base_url": "api.example.com"},
    "ftp": {"base_url": "ftp://api.example.com/api"},
    "a query in the base URL": {"base_url": "https://api.example.com/api?x=1"},
    "credentials in the base URL": {"base_url": "https://user:pw@api.example.com/api"},
    "a newline in the base URL": {"base_url": "https://api.example.com/a\npi"},
    "plain http to a remote host": {"base_url": "http://api.example.com/api"},
    "timeout 0": {"timeout": 0},
    "timeout NaN": {"timeout": float("nan")},
    "timeout infinite": {"timeout": float("inf")},
    "timeout as text": {"timeout": "30"},
    "connect timeout negative": {"connect_timeout": -1},
    "deadline 0": {"deadline": 0},
    "deadline NaN": {"deadline": float("nan")},
    "deadline True": {"deadline": True},
    "max_retries negative": {"max_retries": -1},
    "max_retries huge": {"max_retries": 10**6},
    "max_retries as a float": {"max_retries": 2.0},
    "max_concurrency 0": {"max_concurrency": 0},
    "rate_limit negative": {"rate_limit": -5},
    "max_response_bytes tiny": {"max_response_bytes": 10},
    "retry_policy of another type": {"retry_policy": {"max_retries": 3}},
    "allow_http as text": {"allow_http": "yes"},
}


@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
@pytest.mark.parametrize("client_class", [AsyncClient, Client])
def test_a_bad_setting_fails_at_construction(case: str, client_class: type) -> None:
    """Both clients refuse the setting with ConfigurationError; the token never shows."""
    arguments: dict[str, Any] = {"auth_id": AUTH_ID, "auth_token": AUTH_TOKEN, "base_url": BASE_URL}
    arguments.update(BAD_SETTINGS[case])

    with pytest.raises(ConfigurationError) as caught:
        client_class(**arguments)

    assert AUTH_TOKEN not in str(caught.value)


def test_session_and_transport_together_are_refused() -> None:
    """A transport brings its own connections: passing a session too is a mistake."""
    transport = MockTransport(lambda request: Response(200, {}, b"{}"))
    with pytest.raises(ConfigurationError, match="not both"):
        AsyncClient(AUTH_ID, AUTH_TOKEN, session=object(), transport=transport)  # type: ignore[arg-type]


async def test_a_real_session_and_a_transport_together_are_refused() -> None:
    """The same with a real aiohttp session."""
    transport = MockTransport(lambda request: Response(200, {}, b"{}"))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ConfigurationError, match="not both"):
            AsyncClient(AUTH_ID, AUTH_TOKEN, session=session, transport=transport)


@pytest.mark.parametrize(
    "change",
    [
        {"deadline": -1},
        {"timeout": 0},
        {"max_retries": -1},
        {"extra_headers": {"X-Auth-Token": "x"}},
    ],
)
def test_with_options_checks_its_settings_too(change: dict[str, Any]) -> None:
    """A copy's settings are checked like the original's."""
    client = AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL)
    with pytest.raises(ConfigurationError):
        client.with_options(**change)


@pytest.mark.parametrize("name", ["X-Auth-ID", "x-auth-token", "Authorization"])
def test_extra_headers_can_never_replace_the_authentication(name: str) -> None:
    """Any spelling of the auth headers in ``extra_headers`` is refused."""
    with pytest.raises(ConfigurationError, match="may not set"):
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL).with_options(
            extra_headers={name: "someone else"}
        )


async def test_extra_headers_and_query_are_sent_beside_the_clients_own() -> None:
    """A copy with extra headers and query adds them to each request; the auth stays its own."""
    seen: list[HTTPRequest] = []

    def handler(request: HTTPRequest) -> Response:
        seen.append(request)
        page = {"items": [], "page": 1, "per_page": 25, "total": 0}
        return Response(200, {}, json.dumps(page).encode())

    async with AsyncClient(
        AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, transport=MockTransport(handler)
    ) as client:
        tagged = client.with_options(extra_headers={"X-Trace": "abc"}, extra_query={"beta": "yes"})
        await tagged.numbers.list()
        await client.numbers.list()

    assert seen[0].headers["X-Trace"] == "abc"
    assert seen[0].headers["X-Auth-Token"] == AUTH_TOKEN
    assert seen[0].url.endswith("&beta=yes")
    assert "X-Trace" not in seen[1].headers
    assert "beta=" not in seen[1].url


def test_the_config_is_frozen_and_checked_when_evolved() -> None:
    """``ClientConfig`` validates itself: evolving it with a bad value fails the same way."""
    config = ClientConfig(auth_id=AUTH_ID, auth_token=AUTH_TOKEN)
    assert config.evolve(timeout=5).timeout == 5
    with pytest.raises(ConfigurationError):
        config.evolve(auth_token="a\nb")
    with pytest.raises(ConfigurationError):
        ClientConfig(auth_id=AUTH_ID, auth_token=AUTH_TOKEN, base_url="https://h:70000/")


def test_an_auth_id_with_surrounding_space_is_trimmed() -> None:
    """A pasted Auth ID with a trailing space or newline works as the Auth ID it names."""
    client = AsyncClient(" " + AUTH_ID + " \n", AUTH_TOKEN, base_url=BASE_URL)
    assert client.auth_id == AUTH_ID
