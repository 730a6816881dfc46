"""Resending: which failures are retried, how often, how long apart, and never a blind purchase."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import CIMultiDict
from support.samples import load_sample
from support.transport import ScriptedTransport
from support.wire import AUTH_ID, BASE_URL, Sent, json_response, no_sleep_policy, quote_e164

from phonenumbers_async import (
    APIError,
    AsyncClient,
    NotFound,
    NumberStatus,
    OutcomeUnknown,
    PermissionDenied,
    PurchaseOutcomeUnknown,
    RateLimited,
    RetryPolicy,
    ServerError,
    TransportError,
)
from phonenumbers_async._sansio import Response
from phonenumbers_async.errors import RequestTimeout

E164 = "+919876543210"
PAGE = {"items": [], "page": 1, "per_page": 25, "total": 0}
_RECORDED = load_sample("list-numbers.account-id.json")
# What a server applying ``search=E164`` answers: the recorded item for that number.
OWNED = {
    **_RECORDED,
    "items": [item for item in _RECORDED["items"] if item["e164"] == E164],
    "total": 1,
}
OWNED_NONE = {"items": [], "page": 1, "per_page": 100, "total": 0}
INVENTORY_WITH_IT = {"items": [{"e164": E164}], "page": 1, "per_page": 100, "total": 1}
INVENTORY_EMPTY = {"items": [], "page": 1, "per_page": 100, "total": 0}


def _client(transport: ScriptedTransport, max_retries: int = 3, **policy: Any) -> AsyncClient:
    retry_policy, _ = no_sleep_policy(**policy)
    return AsyncClient(
        AUTH_ID,
        "tok",
        base_url=BASE_URL,
        transport=transport,
        retry_policy=retry_policy,
        max_retries=max_retries,
    )


def _recording_client(
    transport: ScriptedTransport, max_retries: int = 3
) -> tuple[AsyncClient, list[float]]:
    policy, delays = no_sleep_policy()
    client = AsyncClient(
        AUTH_ID,
        "tok",
        base_url=BASE_URL,
        transport=transport,
        retry_policy=policy,
        max_retries=max_retries,
    )
    return client, delays


def _route(request: Sent) -> str:
    return f"{request.method} {request.url.raw_path.removeprefix('/api/v1/account/' + AUTH_ID)}"


async def test_a_read_is_retried_on_503_with_jittered_backoff() -> None:
    """GET answered 503, 503, 200: three attempts, backoff doubling (full jitter at 0.5)."""
    transport = ScriptedTransport(
        json_response(503, {}), json_response(503, {}), json_response(200, PAGE)
    )
    client, delays = _recording_client(transport)

    page = await client.numbers.list()

    assert page.total == 0
    assert len(transport.sent) == 3
    assert delays == [0.125, 0.25]


@pytest.mark.parametrize("status", [502, 503, 504, 429])
async def test_retries_stop_after_max_retries(status: int) -> None:
    """A retryable status that persists is sent ``max_retries + 1`` times, then raised."""
    transport = ScriptedTransport(*[json_response(status, {})] * 3)
    client, delays = _recording_client(transport, max_retries=2)

    with pytest.raises((ServerError, RateLimited)) as caught:
        await client.numbers.list()

    assert caught.value.status == status
    assert caught.value.attempts == 3
    assert len(transport.sent) == 3
    assert len(delays) == 2


async def test_max_retries_zero_sends_once() -> None:
    """``max_retries=0`` turns resending off."""
    transport = ScriptedTransport(json_response(503, {}))
    client, delays = _recording_client(transport, max_retries=0)

    with pytest.raises(ServerError):
        await client.numbers.list()

    assert len(transport.sent) == 1
    assert delays == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_other_errors_are_not_retried(status: int) -> None:
    """Statuses other than 429 and 5xx are answered at once."""
    transport = ScriptedTransport(json_response(status, {"error": "x"}))
    client, _ = _recording_client(transport)

    with pytest.raises(APIError) as caught:
        await client.numbers.list()

    assert caught.value.status == status
    assert len(transport.sent) == 1


async def test_a_read_is_retried_on_500() -> None:
    """A read changes nothing, so a 500 to it is worth another try."""
    transport = ScriptedTransport(json_response(500, {}), json_response(200, PAGE))
    client, _ = _recording_client(transport)

    await client.numbers.list()

    assert len(transport.sent) == 2


async def test_retry_after_is_honoured_and_an_absurd_one_is_not_waited_for() -> None:
    """``Retry-After: 7`` waits 7 s; one beyond ``retry_after_max`` ends the call at once."""
    transport = ScriptedTransport(
        json_response(429, {}, **{"Retry-After": "7"}),
        json_response(503, {}, **{"Retry-After": "100000"}),
        json_response(200, PAGE),
    )
    client, delays = _recording_client(transport)

    with pytest.raises(ServerError):
        await client.numbers.list()

    assert delays == [7.0]
    assert len(transport.sent) == 2


async def test_rate_limited_error_carries_retry_after() -> None:
    """When retries run out on 429, ``RateLimited.retry_after`` holds the server's advice."""
    transport = ScriptedTransport(
        json_response(429, {"error": "rate_limited"}, **{"Retry-After": "3"})
    )
    client, _ = _recording_client(transport, max_retries=0)

    with pytest.raises(RateLimited) as caught:
        await client.numbers.list()

    assert caught.value.retry_after == 3.0


@pytest.mark.parametrize(
    "failure",
    [
        TransportError("reset", maybe_sent=True),
        RequestTimeout("slow"),
        TransportError("refused", maybe_sent=False),
    ],
)
async def test_a_read_is_retried_after_a_transport_failure(failure: TransportError) -> None:
    """Connection failures and timeouts of a GET are resent."""
    transport = ScriptedTransport(failure, json_response(200, PAGE))
    client, delays = _recording_client(transport)

    await client.numbers.list()

    assert len(transport.sent) == 2
    assert len(delays) == 1


async def test_transport_failure_reports_its_attempts() -> None:
    """A transport failure that outlasts the retries is raised with the attempt count."""
    transport = ScriptedTransport(*[TransportError("reset")] * 2)
    client, _ = _recording_client(transport, max_retries=1)

    with pytest.raises(TransportError) as caught:
        await client.numbers.list()

    assert caught.value.attempts == 2


async def test_a_retry_policy_of_the_caller_keeps_its_max_retries() -> None:
    """``retry_policy=RetryPolicy(max_retries=0)`` alone turns retries off."""
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    transport = ScriptedTransport(json_response(503, {}), json_response(200, PAGE))
    client = AsyncClient(
        AUTH_ID,
        "tok",
        base_url=BASE_URL,
        transport=transport,
        retry_policy=RetryPolicy(max_retries=0, sleep=sleep),
    )

    with pytest.raises(ServerError):
        await client.numbers.list()

    assert client.retry_policy.max_retries == 0
    assert len(transport.sent) == 1


def test_backoff_is_capped_full_jitter() -> None:
    """Backoff is ``random() * min(max, base * 2**(n-1))``."""
    policy = RetryPolicy(backoff_base=1.0, backoff_max=5.0, random=lambda: 1.0)

    assert [policy.backoff(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert RetryPolicy(random=lambda: 0.0).backoff(3) == 0.0


# -- purchase: never blindly resent -------------------------------------------


async def test_purchase_is_not_resent_after_a_5xx_while_the_number_is_still_for_sale() -> None:
    """After a 502 the client checks inventory first, sees the number there, then resends."""
    transport = ScriptedTransport(
        json_response(502, {}),
        json_response(200, INVENTORY_WITH_IT),
        json_response(200, OWNED_NONE),
        json_response(200, load_sample("purchase.json")),
    )
    client, _ = _recording_client(transport)

    number = await client.numbers.purchase(E164)

    assert number.e164 == E164
    assert [_route(r) for r in transport.sent] == [
        "POST /numbers/purchase-from-inventory",
        "GET /inventory/numbers",
        "GET /numbers",
        "POST /numbers/purchase-from-inventory",
    ]
    assert transport.sent[1].url.query["search"] == E164


async def test_purchase_that_went_through_before_a_drop_returns_the_owned_number() -> None:
    """A dropped connection after the purchase landed: the owned number is returned, no resend."""
    transport = ScriptedTransport(
        TransportError("connection reset", maybe_sent=True),
        json_response(200, INVENTORY_EMPTY),
        json_response(200, OWNED),
    )
    client, _ = _recording_client(transport)

    number = await client.numbers.purchase(E164)

    assert number.account_id == "MA_XXXXXXXX"
    assert [r.method for r in transport.sent] == ["POST", "GET", "GET"]
    assert transport.sent[2].url.query["include_subaccounts"] == "false"


async def test_purchase_lost_to_another_buyer_is_not_found() -> None:
    """Neither in inventory nor owned after an ambiguous failure: ``NotFound``, one POST."""
    transport = ScriptedTransport(
        RequestTimeout("slow"),
        json_response(200, INVENTORY_EMPTY),
        json_response(200, PAGE),
    )
    client, _ = _recording_client(transport)

    with pytest.raises(NotFound):
        await client.numbers.purchase(E164)

    assert [r.method for r in transport.sent] == ["POST", "GET", "GET"]


async def test_purchase_whose_check_fails_is_outcome_unknown() -> None:
    """If the reconciliation itself fails, the caller is told the outcome is unknown, and why."""
    transport = ScriptedTransport(
        json_response(500, {}),
        json_response(401, {"error": "unauthorized"}),
    )
    client, _ = _recording_client(transport)

    with pytest.raises(PurchaseOutcomeUnknown) as caught:
        await client.numbers.purchase(E164)

    assert caught.value.e164 == E164
    assert isinstance(caught.value.cause, ServerError)
    assert any("unauthorized" in note for note in caught.value.cause.__notes__)
    assert [r.method for r in transport.sent] == ["POST", "GET"]


async def test_purchase_never_sent_is_simply_resent() -> None:
    """A connection that failed before sending is resent without any check."""
    transport = ScriptedTransport(
        TransportError("refused", maybe_sent=False),
        json_response(200, load_sample("purchase.json")),
    )
    client, _ = _recording_client(transport)

    await client.numbers.purchase(E164)

    assert [r.method for r in transport.sent] == ["POST", "POST"]


async def test_purchase_rate_limited_is_resent_without_a_check() -> None:
    """A 429 means the server did nothing, so the purchase is resent directly."""
    transport = ScriptedTransport(
        json_response(429, {}, **{"Retry-After": "1"}),
        json_response(200, load_sample("purchase.json")),
    )
    client, delays = _recording_client(transport)

    await client.numbers.purchase(E164)

    assert [r.method for r in transport.sent] == ["POST", "POST"]
    assert delays == [1.0]


async def test_purchase_with_retries_off_still_reconciles_once() -> None:
    """With ``max_retries=0`` an ambiguous failure is checked and then raised, never resent."""
    transport = ScriptedTransport(
        json_response(500, {}),
        json_response(200, INVENTORY_WITH_IT),
        json_response(200, OWNED_NONE),
    )
    client, _ = _recording_client(transport, max_retries=0)

    with pytest.raises(ServerError):
        await client.numbers.purchase(E164)

    assert [r.method for r in transport.sent] == ["POST", "GET", "GET"]


async def test_purchase_timed_out_and_still_for_sale_is_unknown_not_failed() -> None:
    """A timed-out attempt may still land: with no resend left, the outcome is unknown."""
    transport = ScriptedTransport(
        RequestTimeout("slow"),
        json_response(200, INVENTORY_WITH_IT),
        json_response(200, OWNED_NONE),
        json_response(200, INVENTORY_WITH_IT),
        json_response(200, OWNED_NONE),
    )
    client, _ = _recording_client(transport, max_retries=0)

    with pytest.raises(PurchaseOutcomeUnknown) as caught:
        await client.numbers.purchase(E164)

    assert isinstance(caught.value.cause, RequestTimeout)
    # Checked (inventory, then the account), and looked at once more before "unknown".
    assert [r.method for r in transport.sent] == ["POST", "GET", "GET", "GET", "GET"]


async def test_purchase_refused_after_an_earlier_timeout_is_checked_before_failing() -> None:
    """Resends refused after a timed-out attempt: that attempt landed, and is found."""
    transport = ScriptedTransport(
        RequestTimeout("slow"),
        json_response(200, INVENTORY_WITH_IT),
        json_response(200, OWNED_NONE),
        TransportError("refused", maybe_sent=False),
        TransportError("refused", maybe_sent=False),
        TransportError("refused", maybe_sent=False),
        json_response(200, INVENTORY_EMPTY),
        json_response(200, OWNED),
    )
    client, _ = _recording_client(transport)

    number = await client.numbers.purchase(E164)

    assert number.e164 == E164
    # One attempt and max_retries resends, then one last look at the number.
    assert [r.method for r in transport.sent].count("POST") == 4


async def test_purchase_answered_200_with_an_unreadable_body_is_still_a_purchase() -> None:
    """A 2xx whose body has no number is still a purchase: the number is looked up."""
    transport = ScriptedTransport(
        json_response(200, {"message": "ok"}),
        json_response(200, OWNED),
    )
    client, _ = _recording_client(transport)

    number = await client.numbers.purchase(E164)

    assert number.e164 == E164
    assert number.account_id == "MA_XXXXXXXX"
    assert [r.method for r in transport.sent] == ["POST", "GET"]


async def test_purchase_with_an_unreadable_answer_and_an_unreadable_listing_is_a_purchase() -> None:
    """Neither an HTML answer nor a listing with text that is not UTF-8 loses a bought number."""
    listing = (
        b'{"items": [{"e164": "' + E164.encode() + b'", "account_id": "MA_XXXXXXXX", '
        b'"region": "S\xe3o Paulo"}], "page": 1, "per_page": 100, "total": 1}'
    )
    transport = ScriptedTransport(
        Response(201, CIMultiDict(), b"<html>ok</html>"),
        Response(200, CIMultiDict(), listing),
    )
    client, _ = _recording_client(transport)

    number = await client.numbers.purchase(E164)

    assert number.e164 == E164
    assert [r.method for r in transport.sent] == ["POST", "GET"]


# -- release and unassign: reconciled after a retry ----------------------------


async def test_release_resent_and_told_not_owned_checks_its_earlier_attempt() -> None:
    """DELETE dropped: the number is looked up before any resend; no longer owned, so released."""
    transport = ScriptedTransport(
        TransportError("reset", maybe_sent=True),
        json_response(200, OWNED_NONE),
        json_response(200, INVENTORY_WITH_IT),
    )
    client, _ = _recording_client(transport)

    assert (await client.numbers.release(E164)).status is NumberStatus.RELEASED
    # Gone from the account and back in inventory: the evidence of a release.
    assert [_route(r) for r in transport.sent] == [
        f"DELETE /numbers/{quote_e164(E164)}",
        "GET /numbers",
        "GET /inventory/numbers",
    ]
    assert transport.sent[1].url.query["search"] == E164


async def test_release_dropped_and_gone_without_evidence_is_unknown() -> None:
    """Gone from the account but not in inventory (and not immediate): not assumed done."""
    transport = ScriptedTransport(
        TransportError("reset", maybe_sent=True),
        json_response(200, OWNED_NONE),
        json_response(200, INVENTORY_EMPTY),
    )
    client, _ = _recording_client(transport)

    with pytest.raises(OutcomeUnknown):
        await client.numbers.release(E164)


async def test_release_resent_after_a_500_and_told_not_owned_checks_before_failing() -> None:
    """500, still owned, resent, 403: the earlier attempt is looked for before the 403 is final."""
    transport = ScriptedTransport(
        json_response(500, {}),
        json_response(200, OWNED),
        json_response(403, load_sample("error.forbidden.json")),
        json_response(200, OWNED_NONE),
        json_response(200, INVENTORY_WITH_IT),
    )
    client, _ = _recording_client(transport)

    assert (await client.numbers.release(E164)).status is NumberStatus.RELEASED
    assert [r.method for r in transport.sent] == ["DELETE", "GET", "DELETE", "GET", "GET"]


async def test_release_of_a_never_owned_number_after_a_503_is_permission_denied() -> None:
    """A 503 did nothing, so the 403 to the resend is the truth: the account never owned it."""
    transport = ScriptedTransport(
        json_response(503, {}),
        json_response(403, load_sample("error.forbidden.json")),
    )
    client, _ = _recording_client(transport)

    with pytest.raises(PermissionDenied):
        await client.numbers.release(E164)

    assert [r.method for r in transport.sent] == ["DELETE", "DELETE"]


async def test_release_not_owned_at_first_attempt_is_raised_without_a_check() -> None:
    """A first-attempt 403 is a real refusal: no inventory check."""
    transport = ScriptedTransport(json_response(403, load_sample("error.forbidden.json")))
    client, _ = _recording_client(transport)

    with pytest.raises(PermissionDenied):
        await client.numbers.release(E164)

    assert len(transport.sent) == 1


async def test_unassign_resent_and_told_not_assigned_succeeds() -> None:
    """Unassign answered 500: the master holds the number again, so the attempt did it."""
    transport = ScriptedTransport(Response(500, {}, b""), json_response(200, OWNED))
    client, _ = _recording_client(transport)

    # Annotated to return None; the assert checks it does (mypy flags the use).
    assert await client.subaccounts.unassign_number(E164) is None  # type: ignore[func-returns-value]
    assert [r.method for r in transport.sent] == ["DELETE", "GET"]


async def test_unassign_of_a_number_not_assigned_after_a_503_is_not_found() -> None:
    """A 503 did nothing; ``not_assigned`` to the resend is then the server's real answer."""
    transport = ScriptedTransport(
        Response(503, {}, b""), json_response(404, {"error": "not_assigned"})
    )
    client, _ = _recording_client(transport)

    with pytest.raises(NotFound):
        await client.subaccounts.unassign_number(E164)
