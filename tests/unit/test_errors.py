"""The error tree, and every documented error shape mapped to its class."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aioresponses import aioresponses
from multidict import CIMultiDict
from support.samples import sample_bytes
from support.wire import AUTH_ID, BASE_URL, sent

from phonenumbers_async import AsyncClient, errors
from phonenumbers_async._sansio import Response, error_from_response

NUMBERS = f"{BASE_URL}/v1/account/{AUTH_ID}/numbers"
HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def _response(status: int, body: bytes, **headers: str) -> Response:
    return Response(status, CIMultiDict(headers), body)


def test_the_tree_matches_the_documented_hierarchy() -> None:
    """Every class sits under ``PhoneNumbersError`` where ``sdk.md`` puts it."""
    assert issubclass(errors.ValidationError, ValueError)
    assert issubclass(errors.RequestTimeout, errors.TransportError)
    assert issubclass(errors.CoolOffInEffect, errors.Conflict)
    for cls in (
        errors.BadRequest,
        errors.AuthenticationFailed,
        errors.InsufficientBalance,
        errors.PermissionDenied,
        errors.NotFound,
        errors.Conflict,
        errors.Unprocessable,
        errors.RateLimited,
        errors.ServerError,
    ):
        assert issubclass(cls, errors.APIError)
    for base in (
        errors.ConfigurationError,
        errors.ValidationError,
        errors.TransportError,
        errors.APIError,
        errors.FanOutError,
        errors.PurchaseOutcomeUnknown,
    ):
        assert issubclass(base, errors.PhoneNumbersError)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequest),
        (401, errors.AuthenticationFailed),
        (402, errors.InsufficientBalance),
        (403, errors.PermissionDenied),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (422, errors.Unprocessable),
        (429, errors.RateLimited),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (503, errors.ServerError),
        (504, errors.ServerError),
    ],
)
def test_each_status_maps_to_its_class(status: int, cls: type[errors.APIError]) -> None:
    """A flat error body with each documented status gives exactly that status's class."""
    error = error_from_response(_response(status, b'{"error": "some_code", "message": "m"}'))

    assert type(error) is cls
    assert (error.status, error.code, error.message) == (status, "some_code", "m")


def test_an_undocumented_4xx_is_a_plain_api_error() -> None:
    """A status with no class of its own (418) is still an ``APIError`` with its status."""
    error = error_from_response(_response(418, b""))

    assert type(error) is errors.APIError
    assert error.status == 418


def test_envelope_shape_gives_code_message_request_id_and_details() -> None:
    """The envelope example's code, message and ``requestId`` are read; ``body`` keeps details."""
    error = error_from_response(_response(402, sample_bytes("error.envelope.json")))

    assert isinstance(error, errors.InsufficientBalance)
    assert error.code == "INSUFFICIENT_BALANCE"
    assert error.message == "Account balance too low to complete this operation"
    assert error.request_id == "req_7a8b9c0d1e2f"
    assert error.body["error"]["details"]["available"] == 450
    assert str(error) == (
        "402 INSUFFICIENT_BALANCE: Account balance too low to complete this operation "
        "(request id req_7a8b9c0d1e2f)"
    )


def test_flat_shape_gives_code_and_message() -> None:
    """The flat example's ``error`` is the code and ``message`` the message."""
    error = error_from_response(_response(403, sample_bytes("error.forbidden.json")))

    assert isinstance(error, errors.PermissionDenied)
    assert (error.code, error.message, error.request_id) == (
        "forbidden",
        "account does not own this number",
        None,
    )


def test_cool_off_shape_gives_an_aware_end_and_a_timedelta() -> None:
    """The cool-off example gives ``cool_off_until`` (aware) and ``cool_off_remaining``."""
    error = error_from_response(_response(409, sample_bytes("error.cool-off.json")))

    assert isinstance(error, errors.CoolOffInEffect)
    assert error.code == "did_cool_off_in_effect"
    assert error.cool_off_until == datetime(2025, 6, 9, 14, 23, tzinfo=UTC)
    assert error.cool_off_until.utcoffset() == timedelta(0)
    assert error.cool_off_remaining == timedelta(seconds=1123200)
    assert "2025-06-09T14:23:00" in str(error)


def test_cool_off_with_unreadable_fields_still_is_cool_off() -> None:
    """A cool-off body with a malformed time keeps the class and leaves the fields None."""
    body = b'{"error": "did_cool_off_in_effect", "cool_off_until": "soon"}'

    error = error_from_response(_response(409, body))

    assert isinstance(error, errors.CoolOffInEffect)
    assert error.cool_off_until is None
    assert error.cool_off_remaining is None


def test_request_id_falls_back_to_the_header() -> None:
    """Without ``requestId`` in the body, the ``X-Request-ID`` header is used."""
    error = error_from_response(
        _response(404, b'{"error": "not_found"}', **{"x-request-id": "req_from_header"})
    )

    assert error.request_id == "req_from_header"
    assert error.message == "not_found"


def test_rate_limited_reads_retry_after() -> None:
    """A 429 carries the server's ``Retry-After`` in seconds."""
    error = error_from_response(_response(429, b"", **{"Retry-After": "7"}))

    assert isinstance(error, errors.RateLimited)
    assert error.retry_after == 7.0


def test_a_non_json_body_is_kept_as_text() -> None:
    """Plain text is neither lost nor parsed: it is the ``body`` and part of the message."""
    error = error_from_response(_response(400, b"bad things happened"))

    assert isinstance(error, errors.BadRequest)
    assert error.body == "bad things happened"
    assert "bad things happened" in error.message
    assert error.code is None


# -- over the (mocked) wire -------------------------------------------------


async def test_html_502_from_a_gateway_is_a_server_error(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """An nginx HTML 502 page becomes ``ServerError`` whose message is the page's text."""
    mock_api.get(
        f"{NUMBERS}?page=1&per_page=25&limit=25&offset=0",
        status=502,
        body=HTML_502,
        content_type="text/html",
    )

    with pytest.raises(errors.ServerError) as caught:
        await client.numbers.list()

    error = caught.value
    assert error.status == 502
    assert error.code is None
    assert "502 Bad Gateway" in error.message
    assert "<" not in error.message
    assert error.body == HTML_502.decode()
    assert len(sent(mock_api)) == 1


async def test_empty_503_is_a_server_error(mock_api: aioresponses, client: AsyncClient) -> None:
    """An empty 503 body becomes ``ServerError`` with a message naming the status."""
    mock_api.get(
        f"{NUMBERS}?page=1&per_page=25&limit=25&offset=0", status=503, body=b"", content_type=""
    )

    with pytest.raises(errors.ServerError) as caught:
        await client.numbers.list()

    assert caught.value.status == 503
    assert "503" in caught.value.message
    assert caught.value.body is None


async def test_500_with_insufficient_balance_code_is_insufficient_balance(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """A 500 whose envelope says INSUFFICIENT_BALANCE is ``InsufficientBalance`` (status 500)."""
    mock_api.get(
        f"{NUMBERS}?page=1&per_page=25&limit=25&offset=0",
        status=500,
        body=sample_bytes("error.envelope.json"),
    )

    with pytest.raises(errors.InsufficientBalance) as caught:
        await client.numbers.list()

    assert caught.value.status == 500
    assert caught.value.request_id == "req_7a8b9c0d1e2f"


async def test_401_is_authentication_failed(mock_api: aioresponses, client: AsyncClient) -> None:
    """A 401 is ``AuthenticationFailed`` and its message carries no token."""
    mock_api.get(
        f"{NUMBERS}?page=1&per_page=25&limit=25&offset=0",
        status=401,
        payload={"error": "unauthorized", "message": "invalid auth token"},
    )

    with pytest.raises(errors.AuthenticationFailed) as caught:
        await client.numbers.list()

    assert caught.value.code == "unauthorized"


def test_purchase_outcome_unknown_names_the_number_and_cause() -> None:
    """``PurchaseOutcomeUnknown`` says which number and why, and keeps the cause."""
    cause = errors.TransportError("connection reset")

    error = errors.PurchaseOutcomeUnknown("+919876543210", cause)

    assert error.e164 == "+919876543210"
    assert error.cause is cause
    assert "+919876543210" in str(error)
    assert "connection reset" in str(error)


def test_fan_out_error_lists_the_failing_accounts() -> None:
    """``FanOutError`` maps each failing Auth ID to its error and names them."""
    failure = errors.ServerError("boom", status=500)

    error = errors.FanOutError({"SA_B": failure, "SA_A": failure})

    assert error.failures == {"SA_A": failure, "SA_B": failure}
    assert "SA_A, SA_B" in str(error)
