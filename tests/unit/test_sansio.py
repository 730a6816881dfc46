"""The sans-I/O layer: request building and response decoding, no network at all."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from support.samples import load_sample, sample_bytes

from phonenumbers_async import _sansio as sansio
from phonenumbers_async._sansio import (
    Request,
    decode_number_page,
    decode_purchase,
    decode_subaccount,
    decode_subaccount_page,
    json_body,
    parse_retry_after,
    path,
    query,
)
from phonenumbers_async.errors import UnexpectedResponse


@pytest.fixture(autouse=True, params=["msgspec", "general"])
def number_page_decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with each decoder of number pages."""
    if request.param == "general":
        monkeypatch.setattr(sansio, "decode_number_page_fast", None)
    # A private name of the module, looked at (and swapped out) on purpose.
    elif sansio.decode_number_page_fast is None:  # type: ignore[attr-defined]
        pytest.skip("msgspec (the speedups extra) is not installed")
    return str(request.param)


def test_url_joins_base_path_and_query_in_order() -> None:
    """The URL is base + encoded path + the query in the given order."""
    request = Request("GET", path("v1", "account", "MA_X", "numbers"), query(page=2, per_page=50))

    url = request.url("https://api.vobiz.ai/api/")

    assert url == "https://api.vobiz.ai/api/v1/account/MA_X/numbers?page=2&per_page=50"


def test_path_encodes_the_plus_of_a_number() -> None:
    """A number in a path segment is sent as ``%2B…``."""
    assert path("v1", "account", "MA_X", "numbers", "+919876543210") == (
        "/v1/account/MA_X/numbers/%2B919876543210"
    )


def test_query_drops_unset_values_and_spells_bools_in_lower_case() -> None:
    """None is left out; True/False become ``true``/``false``; the rest is ``str``."""
    assert query(page=1, include_subaccounts=False, force=True, country=None) == (
        ("page", "1"),
        ("include_subaccounts", "false"),
        ("force", "true"),
    )


def test_query_encodes_a_plus_in_a_value() -> None:
    """A ``+`` in a query value is encoded, never sent raw (which would read as a space)."""
    request = Request("GET", "/x", query(search="+9180"))

    assert request.url("https://h") == "https://h/x?search=%2B9180"


def test_json_body_keeps_the_plus_literal() -> None:
    """``{"e164": "+91…"}`` is compact JSON with a literal ``+``."""
    assert json_body({"e164": "+919876543210"}) == b'{"e164":"+919876543210"}'


@pytest.mark.parametrize(("body", "content_type"), [(None, None), (b"{}", "application/json")])
def test_headers_carry_auth_and_content_type_only_with_a_body(
    body: bytes | None, content_type: str | None
) -> None:
    """Both auth headers always; ``Content-Type: application/json`` only with a body."""
    headers = Request("POST", "/x", body=body).headers("MA_X", "tok", "agent/1")

    assert headers["X-Auth-ID"] == "MA_X"
    assert headers["X-Auth-Token"] == "tok"
    assert headers["User-Agent"] == "agent/1"
    assert headers.get("Content-Type") == content_type


def test_the_request_repr_leaves_out_nothing_secret() -> None:
    """A ``Request`` holds no credentials, so its repr cannot leak them."""
    assert "tok" not in repr(Request("GET", "/v1/account/MA_X/numbers"))


def test_number_page_uses_the_request_when_page_fields_are_missing() -> None:
    """The limit/offset variant without ``page``/``per_page`` falls back to what was asked."""
    page = decode_number_page(b'{"items": [{"e164": "+1"}], "limit": 10}', page=3, per_page=25)

    assert (page.page, page.per_page, page.total) == (3, 10, None)
    assert page.items[0].e164 == "+1"


def test_number_page_ignores_a_total_that_is_not_a_number() -> None:
    """A non-integer ``total`` is treated as unknown rather than trusted."""
    page = decode_number_page(b'{"items": [], "page": 1, "per_page": 25, "total": "many"}')

    assert page.total is None


@pytest.mark.parametrize("body", [b'{"data": []}', b"[]", b'{"items": {}}'])
def test_number_page_without_an_items_list_is_an_unexpected_response(body: bytes) -> None:
    """A 200 without an ``items`` list is reported, not silently an empty page."""
    with pytest.raises(UnexpectedResponse):
        decode_number_page(body)


@pytest.mark.parametrize(
    "decode",
    [decode_number_page, decode_subaccount_page, decode_subaccount, decode_purchase],
)
@pytest.mark.parametrize("body", [b"<html>502 Bad Gateway</html>", b'{"items": ['])
def test_a_success_whose_body_is_not_json_is_an_unexpected_response(
    decode: Callable[[bytes], object], body: bytes
) -> None:
    """A 2xx with HTML or cut-off JSON is an UnexpectedResponse showing the body."""
    with pytest.raises(UnexpectedResponse, match="not JSON") as error:
        decode(body)

    assert error.value.status == 200
    assert error.value.body == body.decode()


@pytest.mark.parametrize("body", [b"[]", b'{"name": "no auth_id"}', b"null"])
def test_a_sub_account_that_cannot_be_read_is_an_unexpected_response(body: bytes) -> None:
    """A 2xx whose sub-account object is not one is reported as an unexpected response."""
    with pytest.raises(UnexpectedResponse, match="unexpected response"):
        decode_subaccount(body)


def test_sub_account_page_reads_size_as_per_page() -> None:
    """The sub-account listing's ``size`` is the page's ``per_page``."""
    page = decode_subaccount_page(sample_bytes("sub-accounts.json"), page=1, per_page=25)

    assert (page.page, page.per_page, page.total) == (1, 10, 2)


def test_single_sub_account_decodes() -> None:
    """One sub-account object decodes with its aware timestamps."""
    sub = decode_subaccount_page(sample_bytes("sub-accounts.json")).items[0]

    one = decode_subaccount(
        json.dumps(load_sample("sub-accounts.json")["sub_accounts"][0]).encode()
    )

    assert one == sub
    assert one.updated_at == datetime(2026, 3, 25, 8, 33, 24, 700542, tzinfo=UTC)


@pytest.mark.parametrize("body", [b"", b"{}", b'{"message": "ok"}', b'{"items": []}'])
def test_purchase_without_a_number_is_an_unexpected_response(body: bytes) -> None:
    """A 200 purchase answer that names no number is reported."""
    with pytest.raises(UnexpectedResponse):
        decode_purchase(body)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (" 2.5 ", 2.5), ("-3", 0.0), ("0", 0.0), (None, None), ("soon", None)],
)
def test_retry_after_seconds(value: str | None, seconds: float | None) -> None:
    """Delay-seconds are read (never negative); missing or garbage is None."""
    assert parse_retry_after(value) == seconds


def test_retry_after_http_date_is_relative_to_now() -> None:
    """An HTTP date is turned into the seconds from ``now``; a past date is 0."""
    now = datetime(2025, 6, 9, 14, 23, 0, tzinfo=UTC)

    assert parse_retry_after("Mon, 09 Jun 2025 14:23:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 09 Jun 2025 14:22:00 GMT", now=now) == 0.0
