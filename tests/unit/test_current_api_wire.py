"""The provider's current API on the wire: requests built, recorded answers read, retries settled.

Each test answers with the provider's documented example (``tests/samples/``)
through ``MockTransport``, so the SDK is checked against the provider's
payloads, not only against our emulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from support.samples import sample_bytes
from support.wire import AUTH_ID, AUTH_TOKEN, BASE_URL

from phonenumbers_async import (
    AsyncClient,
    BadRequest,
    HTTPRequest,
    MockTransport,
    NumberStatus,
    OutcomeUnknown,
    Response,
    TransportError,
    ValidationError,
)

E164 = "+919876543210"
ENCODED = "%2B919876543210"
TRUNK = "3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c"
Answer = Response | BaseException | Callable[[HTTPRequest], Response]


def _json(status: int, payload: Any) -> Response:
    return Response(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())


def _sample(status: int, name: str) -> Response:
    return Response(status, {"Content-Type": "application/json"}, sample_bytes(name))


def _owned(**fields: Any) -> Response:
    item = {"e164": E164, "account_id": AUTH_ID, "status": "active", **fields}
    return _json(200, {"items": [item], "page": 1, "per_page": 100, "total": 1})


class Script:
    """Answers in order; records each request."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[HTTPRequest] = []

    def __call__(self, request: HTTPRequest) -> Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer(request) if callable(answer) else answer

    def route(self, index: int) -> str:
        request = self.requests[index]
        path = request.url.split("?", 1)[0].removeprefix(BASE_URL)
        return f"{request.method} {path}"


def _client(script: Script, **options: Any) -> AsyncClient:
    async def no_sleep(_: float) -> None:
        return None

    from phonenumbers_async import RetryPolicy

    return AsyncClient(
        AUTH_ID,
        AUTH_TOKEN,
        base_url=BASE_URL,
        transport=MockTransport(script),
        retry_policy=RetryPolicy(sleep=no_sleep),
        **options,
    )


# -- release and cancel ---------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "status", "cancellable"),
    [
        (_sample(200, "release.pending.json"), NumberStatus.PENDING_RELEASE, True),
        (_sample(200, "release.200.json"), NumberStatus.RELEASED, False),
        (Response(204, {}, b""), NumberStatus.RELEASED, False),
    ],
    ids=["current 200", "older 200", "older 204"],
)
async def test_release_reads_the_current_answer_and_both_older_ones(
    answer: Response, status: NumberStatus, cancellable: bool
) -> None:
    """A Release from each documented answer; the current one with cooldown, fee and cancel URL."""
    script = Script(answer)
    async with _client(script) as client:
        released = await client.numbers.release(E164)
    assert released.status is status
    assert released.cancellable is cancellable
    if cancellable:
        assert released.cooldown_ends_at == datetime(2026, 3, 26, 10, 0, tzinfo=UTC)
        assert released.release_fee == Decimal("0")
        assert released.cancel_url is not None
        assert released.cancel_url.endswith("cancel-release")
    assert script.route(0) == f"DELETE /v1/account/{AUTH_ID}/numbers/{ENCODED}"
    assert "immediate" not in script.requests[0].url


async def test_an_immediate_release_says_so_in_the_query() -> None:
    """``immediate=True`` is sent as ``?immediate=true``."""
    script = Script(_sample(200, "release.pending.json"))
    async with _client(script) as client:
        await client.numbers.release(E164, immediate=True)
    assert script.requests[0].url.endswith("?immediate=true")


async def test_cancel_release_posts_without_a_body_and_reads_the_refund() -> None:
    """POST …/cancel-release; the documented answer as a ReleaseCancellation."""
    script = Script(_sample(200, "cancel-release.json"))
    async with _client(script) as client:
        cancelled = await client.numbers.cancel_release(E164)
    assert cancelled.status is NumberStatus.ACTIVE
    assert cancelled.refund_amount == Decimal("0")
    assert cancelled.refund_status == "success"
    assert script.route(0) == f"POST /v1/account/{AUTH_ID}/numbers/{ENCODED}/cancel-release"
    assert script.requests[0].body is None


async def test_cancel_release_of_a_number_not_pending_is_bad_request() -> None:
    """The documented 400 ``number is not pending release`` at the first attempt is final."""
    script = Script(_sample(400, "error.cancel-release.not-pending.json"))
    async with _client(script) as client:
        with pytest.raises(BadRequest, match="not pending release"):
            await client.numbers.cancel_release(E164)
    assert len(script.requests) == 1


async def test_a_resent_cancel_told_not_pending_checks_the_number_is_active() -> None:
    """Dropped, then "not pending release": the number is active on the account, so it worked."""
    script = Script(
        TransportError("reset"),
        _owned(status="pending_release"),
        _sample(400, "error.cancel-release.not-pending.json"),
        _owned(status="active"),
    )
    async with _client(script) as client:
        cancelled = await client.numbers.cancel_release(E164)
    assert cancelled.status is NumberStatus.ACTIVE
    assert [request.method for request in script.requests] == ["POST", "GET", "POST", "GET"]


# -- routing --------------------------------------------------------------------


async def test_assign_trunk_posts_the_trunk_group_on_the_capital_a_path() -> None:
    """POST /v1/Account/{id}/numbers/{e164}/assign with the trunk group id; 204 is done."""
    script = Script(Response(204, {}, b""))
    async with _client(script) as client:
        # Annotated to return None; the assert checks it does (mypy flags the use).
        assert await client.numbers.assign_trunk(E164, TRUNK) is None  # type: ignore[func-returns-value]
    assert script.route(0) == f"POST /v1/Account/{AUTH_ID}/numbers/{ENCODED}/assign"
    assert json.loads(script.requests[0].body or b"") == {"trunk_group_id": TRUNK}


async def test_a_number_already_on_a_trunk_is_refused_as_documented() -> None:
    """The documented 400 at the first attempt: BadRequest with the provider's message."""
    script = Script(_sample(400, "error.trunk.already-assigned.json"))
    async with _client(script) as client:
        with pytest.raises(BadRequest, match="already assigned to a trunk"):
            await client.numbers.assign_trunk(E164, TRUNK)


@pytest.mark.parametrize(
    ("on_trunk", "outcome"), [(TRUNK, "done"), ("11111111-2222-3333-4444-555555555555", "refused")]
)
async def test_a_retried_assign_told_already_assigned_checks_which_trunk(
    on_trunk: str, outcome: str
) -> None:
    """500, then "already assigned": done if the number is on *this* trunk, refused otherwise."""
    script = Script(
        _json(500, {}),
        _owned(),  # the check after the 500: not on a trunk yet, so it is resent
        _sample(400, "error.trunk.already-assigned.json"),
        _owned(trunk_group_id=on_trunk),
    )
    async with _client(script) as client:
        if outcome == "done":
            # Annotated to return None; the assert checks it does (mypy flags the use).
            assert await client.numbers.assign_trunk(E164, TRUNK) is None  # type: ignore[func-returns-value]
        else:
            with pytest.raises(BadRequest):
                await client.numbers.assign_trunk(E164, TRUNK)
    assert [request.method for request in script.requests] == ["POST", "GET", "POST", "GET"]


@pytest.mark.parametrize(
    ("call", "method", "tail", "body"),
    [
        (lambda c: c.numbers.unassign_trunk(E164), "DELETE", "assign", None),
        (
            lambda c: c.numbers.attach_application(E164, "app-42"),
            "POST",
            "application",
            {"application_id": "app-42"},
        ),
        (lambda c: c.numbers.detach_application(E164), "DELETE", "application", None),
    ],
    ids=["unassign trunk", "attach application", "detach application"],
)
async def test_the_other_routing_calls(call: Any, method: str, tail: str, body: Any) -> None:
    """Each routing call: its method, path and body."""
    script = Script(Response(204, {}, b""))
    async with _client(script) as client:
        assert await call(client) is None
    assert script.route(0) == f"{method} /v1/Account/{AUTH_ID}/numbers/{ENCODED}/{tail}"
    assert (json.loads(script.requests[0].body) if script.requests[0].body else None) == body


# -- health, balance, transactions -------------------------------------------------


async def test_health_reads_the_dashboard() -> None:
    """GET …/health?granularity&days: summary and snapshots typed."""
    script = Script(_sample(200, "health.json"))
    async with _client(script) as client:
        health = await client.numbers.health(E164, granularity="hourly", days=7)
    assert health.summary is not None
    assert health.summary.period_days == 30
    assert health.snapshots[0].ts == datetime(2026, 6, 4, tzinfo=UTC)
    assert health.is_spam is False
    assert script.requests[0].url.endswith("/health?granularity=hourly&days=7")


async def test_balance_reads_money_as_decimal() -> None:
    """GET /v1/Account/{id}/balance/INR: every amount a Decimal."""
    script = Script(_sample(200, "balance.json"))
    async with _client(script) as client:
        balance = await client.account.balance("inr")
    assert balance.available_balance == Decimal("23906.83")
    assert balance.credit_limit_type == "soft"
    assert script.route(0) == f"GET /v1/Account/{AUTH_ID}/balance/INR"


@pytest.mark.parametrize(
    ("sample", "owner", "total"),
    [("transactions.json", "MA_XXXXXX", 125), ("transactions.older.json", "MA_XXXXXX", None)],
    ids=["current envelope", "older envelope"],
)
async def test_transactions_read_both_envelopes(sample: str, owner: str, total: int | None) -> None:
    """Both envelopes give a Page of Transactions; the owner from auth_id or account_id."""
    script = Script(_sample(200, sample))
    async with _client(script) as client:
        page = await client.account.list_transactions(per_page=50)
    assert [entry.amount for entry in page.items] == [Decimal("0.9"), Decimal("0.45")]
    assert {entry.account_id for entry in page.items} == {owner}
    assert page.total == total
    assert "limit=50" in script.requests[0].url
    assert "offset=0" in script.requests[0].url


async def test_iterating_the_older_envelope_ends_at_a_short_page() -> None:
    """No total in the older envelope: pages are read until a short one."""
    older = json.loads(sample_bytes("transactions.older.json"))

    def page(request: HTTPRequest) -> Response:
        offset = int(request.url.split("offset=")[1].split("&")[0])
        items = older["transactions"] if offset == 0 else older["transactions"][:1]
        return _json(200, {**older, "offset": offset, "limit": 2, "transactions": items})

    script = Script(page, page)
    async with _client(script) as client:
        entries = [entry async for entry in client.account.iter_transactions(per_page=2)]
    assert len(entries) == 3


# -- sub-account lifecycle ---------------------------------------------------------


async def test_create_returns_the_token_once_and_never_in_a_repr() -> None:
    """POST …/sub-accounts/: the new sub-account and its token, kept out of every repr."""
    created_body = {
        "message": "created",
        "sub_account": json.loads(sample_bytes("sub-accounts.json"))["sub_accounts"][0],
        "auth_credentials": {"auth_id": "SA_XXXXXXXX", "auth_token": "tok-NEW-secret"},
        "tokens": {"access_token": "a", "refresh_token": "r", "token_type": "bearer"},
    }
    script = Script(_json(201, created_body))
    async with _client(script) as client:
        created = await client.subaccounts.create("Acme Corp", email="ops@example.com")
    assert created.auth_id == "SA_XXXXXXXX"
    assert created.auth_token == "tok-NEW-secret"
    assert "tok-NEW-secret" not in repr(created)
    assert json.loads(script.requests[0].body or b"") == {
        "name": "Acme Corp",
        "email": "ops@example.com",
    }
    assert script.route(0) == f"POST /v1/accounts/{AUTH_ID}/sub-accounts/"


async def test_a_create_that_fails_ambiguously_is_never_resent() -> None:
    """A dropped creation could have created it: OutcomeUnknown, one POST."""
    script = Script(TransportError("reset"))
    async with _client(script) as client:
        with pytest.raises(OutcomeUnknown):
            await client.subaccounts.create("Acme Corp")
    assert len(script.requests) == 1


async def test_update_and_delete() -> None:
    """PUT with only the given fields; DELETE; both on the plural accounts path."""
    sub = json.loads(sample_bytes("sub-accounts.json"))["sub_accounts"][0]
    script = Script(_json(200, {**sub, "name": "Acme 2"}), _json(200, {"message": "deleted"}))
    async with _client(script) as client:
        updated = await client.subaccounts.update("SA_XXXXXXXX", name="Acme 2", enabled=False)
        # Annotated to return None; the assert checks it does (mypy flags the use).
        assert await client.subaccounts.delete("SA_XXXXXXXX") is None  # type: ignore[func-returns-value]
    assert updated.name == "Acme 2"
    assert json.loads(script.requests[0].body or b"") == {"name": "Acme 2", "enabled": False}
    assert script.route(0) == f"PUT /v1/accounts/{AUTH_ID}/sub-accounts/SA_XXXXXXXX"
    assert script.route(1) == f"DELETE /v1/accounts/{AUTH_ID}/sub-accounts/SA_XXXXXXXX"


# -- filters and validation --------------------------------------------------------


async def test_exclude_is_sent_comma_separated_with_the_other_filters() -> None:
    """``exclude`` prefixes, ``+`` optional, joined by commas beside country and search."""
    script = Script(_json(200, {"items": [], "page": 1, "per_page": 25, "total": 0}))
    async with _client(script) as client:
        await client.inventory.list(country="in", search="80", exclude=["+9180", "9192,9193"])
    url = script.requests[0].url
    assert "country=IN" in url
    assert "search=80" in url
    assert "exclude=%2B9180%2C9192%2C9193" in url


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.numbers.assign_trunk(E164, "not-a-uuid"),
        lambda c: c.numbers.attach_application(E164, ""),
        lambda c: c.numbers.health(E164, days=0),
        lambda c: c.numbers.health(E164, days=366),
        lambda c: c.numbers.health(E164, granularity="weekly"),
        lambda c: c.numbers.release(E164, immediate="yes"),
        lambda c: c.inventory.list(exclude=["91-80"]),
        lambda c: c.account.balance("rupees"),
        lambda c: c.subaccounts.create(""),
        lambda c: c.subaccounts.create("X", kyc_mode="customer_use"),
        lambda c: c.subaccounts.create("X", email="not an address"),
        lambda c: c.subaccounts.update("SA_X"),
        lambda c: c.subaccounts.delete("MA_X"),
    ],
)
async def test_bad_input_is_refused_before_any_request(call: Any) -> None:
    """Each documented rule is checked before sending: a ValidationError and no request."""
    script = Script()
    async with _client(script) as client:
        with pytest.raises(ValidationError):
            await call(client)
    assert script.requests == []


# -- review regressions ------------------------------------------------------------


async def test_a_trunk_id_in_upper_case_is_sent_and_compared_in_canonical_case() -> None:
    """An upper-case UUID is sent lower-cased, so a retried assign recognises its own trunk."""
    script = Script(
        _json(500, {}),
        _owned(),
        _sample(400, "error.trunk.already-assigned.json"),
        _owned(trunk_group_id=TRUNK),
    )
    async with _client(script) as client:
        # Annotated to return None; the assert checks it does (mypy flags the use).
        assert await client.numbers.assign_trunk(E164, TRUNK.upper()) is None  # type: ignore[func-returns-value]
    assert json.loads(script.requests[0].body or b"") == {"trunk_group_id": TRUNK}


async def test_routing_checks_look_at_the_whole_family() -> None:
    """A master may route a sub-account's number: its check lists sub-accounts' numbers too."""
    script = Script(
        _json(500, {}),
        _json(
            200,
            {
                "items": [{"e164": E164, "account_id": "SA_CHILD", "trunk_group_id": TRUNK}],
                "page": 1,
                "per_page": 100,
                "total": 1,
            },
        ),
    )
    async with _client(script) as client:
        # Annotated to return None; the assert checks it does (mypy flags the use).
        assert await client.numbers.assign_trunk(E164, TRUNK) is None  # type: ignore[func-returns-value]
    assert "include_subaccounts" not in script.requests[1].url


async def test_an_immediate_release_of_a_pending_number_is_not_done_while_still_listed() -> None:
    """500 to ``immediate=True``, the number still listed as pending: resent, not assumed."""
    script = Script(
        _json(500, {}),
        _owned(status="pending_release"),
        _sample(200, "release.pending.json"),
    )
    async with _client(script) as client:
        await client.numbers.release(E164, immediate=True)
    assert [request.method for request in script.requests] == ["DELETE", "GET", "DELETE"]


def test_an_unreadable_creation_answer_never_carries_the_new_token() -> None:
    """A cut-off creation answer: the error, its body and its cause hold no token."""
    from phonenumbers_async._sansio import decode_created_subaccount
    from phonenumbers_async.errors import UnexpectedResponse

    body = b'{"sub_account": {"auth_id": "SA_X"}, "auth_credentials": {"auth_token": "SECRET-T'
    with pytest.raises(UnexpectedResponse) as caught:
        decode_created_subaccount(body)
    error = caught.value
    assert "SECRET" not in str(error)
    assert "SECRET" not in repr(error.body)
    assert error.__cause__ is None


async def test_an_update_to_customer_use_may_rely_on_the_existing_email() -> None:
    """Only a creation needs an email with ``customer_use``; an update is sent."""
    sub = json.loads(sample_bytes("sub-accounts.json"))["sub_accounts"][1]
    script = Script(_json(200, sub))
    async with _client(script) as client:
        await client.subaccounts.update("SA_YYYYYYYY", kyc_mode="customer_use")
    assert json.loads(script.requests[0].body or b"") == {"kyc_mode": "customer_use"}
