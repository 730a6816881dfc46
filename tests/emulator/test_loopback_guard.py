"""The control guard uses the one loopback rule (``phonenumbers_async._net``) on the peer."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from phonenumbers_async._net import is_loopback_host
from phonenumbers_async.emulator._middleware import control_guard

# peer address as the socket reports it -> whether the control API answers
PEERS: list[tuple[Any, bool]] = [
    (("127.0.0.1", 50000), True),
    (("127.8.9.10", 50000), True),
    (("::1", 50000, 0, 0), True),
    (("::ffff:127.0.0.1", 50000, 0, 0), True),
    (("", 0), False),
    (None, False),
    (("10.0.0.1", 50000), False),
    (("::ffff:10.0.0.1", 50000, 0, 0), False),
    (("192.168.0.5", 50000), False),
    (("2001:db8::1", 50000, 0, 0), False),
]


def _request(path: str, peername: Any) -> web.Request:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        peername if name == "peername" else default
    )
    return make_mocked_request("GET", path, transport=transport)


@pytest.mark.parametrize(("peername", "allowed"), PEERS)
async def test_control_guard_by_peer(peername: Any, allowed: bool) -> None:
    """Loopback peers (IPv4, IPv6, IPv4-mapped) reach the control API; others, an empty or
    missing peer included, get a flat 403 and the handler is never called."""
    handler = mock.AsyncMock(return_value=web.Response(status=200))
    request = _request("/_emulator/accounts", peername)
    response = await control_guard(request, handler)
    assert (response.status == 200) is allowed
    assert handler.await_count == int(allowed)
    assert is_loopback_host(request.remote) is allowed


@pytest.mark.parametrize(("peername", "allowed"), PEERS)
async def test_the_api_is_not_guarded(peername: Any, allowed: bool) -> None:
    """The /api routes answer every peer: only the control API is loopback-only."""
    handler = mock.AsyncMock(return_value=web.Response(status=200))
    response = await control_guard(_request("/api/v1/account/MA_X/numbers", peername), handler)
    assert response.status == 200
    handler.assert_awaited_once()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("localhost.", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_the_bind_check_uses_the_same_rule(host: str, loopback: bool) -> None:
    """The emulator refuses to listen on a host the loopback rule does not accept (unless
    allow_remote), with the same answers as the control guard's rule."""
    from phonenumbers_async.emulator import EmulatorOptions

    assert is_loopback_host(host) is loopback
    if loopback:
        assert EmulatorOptions(host=host).host == host
    else:
        with pytest.raises(ValueError, match="allow_remote"):
            EmulatorOptions(host=host)
        assert EmulatorOptions(host=host, allow_remote=True).allow_remote
