"""The two decoders build identical objects for every page both accept (property-based).

Pages are generated around the documented format and well past it: every
field present or missing, null, of the wrong type, timestamps with 0 to 9
fractional digits and every offset spelling, fees as integers, floats, text,
huge or tiny, unknown fields and statuses. Whenever the msgspec fast path and
the general (cattrs) path both read a page, each field of each number must be
equal and of the same type, down to a Decimal's digits and a datetime's offset.
"""

from __future__ import annotations

import contextlib
import json
import string
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from phonenumbers_async import PhoneNumber, UnexpectedResponse
from phonenumbers_async._fastdecode import decode_number_page_fast
from phonenumbers_async._sansio import decode_number_page, decode_number_page_general

pytestmark = pytest.mark.skipif(decode_number_page_fast is None, reason="msgspec not installed")

_WRONG = st.one_of(st.integers(-5, 5), st.text(max_size=3), st.booleans(), st.lists(st.none()))
_TEXT = st.text(alphabet=string.ascii_letters + string.digits + " -_", max_size=12)


def _maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right kind of value; sometimes null, sometimes the wrong type."""
    return st.one_of(values, values, values, st.none(), _WRONG)


@st.composite
def _timestamps(draw: st.DrawFn) -> str:
    date = draw(
        st.dates(min_value=datetime(1971, 1, 1).date(), max_value=datetime(2999, 1, 1).date())
    )
    hour, minute, second = (
        draw(st.integers(0, 23)),
        draw(st.integers(0, 59)),
        draw(st.integers(0, 59)),
    )
    digits = draw(st.integers(0, 9))
    fraction = (
        "."
        + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=digits, max_size=digits)))
        if digits
        else ""
    )
    separator = draw(st.sampled_from("TTTt "))
    offset = draw(st.sampled_from(["Z", "Z", "z", "+00:00", "+05:30", "-08:00", ""]))
    return f"{date.isoformat()}{separator}{hour:02}:{minute:02}:{second:02}{fraction}{offset}"


_MONEY = st.one_of(
    st.integers(-(10**6), 10**6),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**6), max_value=10**6
    ).map(str),
    st.sampled_from([0, 100, 1.0, 1.10, 0.5, 2.50, 1e15, 1e-13, 12.345]),
)

_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "id": _maybe(_TEXT),
    "account_id": _maybe(st.sampled_from(["MA_X", "SA_Y", ""])),
    "auth_id": _maybe(st.sampled_from(["MA_X", "SA_Y"])),
    "country": _maybe(st.sampled_from(["IN", "US"])),
    "region": _maybe(_TEXT),
    "capabilities": st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {},
            optional={name: _maybe(st.booleans()) for name in ("voice", "sms", "mms", "fax")},
        ),
        st.just({"voice": True, "video": True}),
        _WRONG,
    ),
    "status": _maybe(st.sampled_from(["active", "pending_release", "released", "ported_out"])),
    "provider": _maybe(_TEXT),
    "provider_ref": _maybe(_TEXT),
    "setup_fee": _maybe(_MONEY),
    "monthly_fee": _maybe(_MONEY),
    "currency": _maybe(st.sampled_from(["INR", "USD"])),
    "application_id": _maybe(_TEXT),
    "trunk_group_id": _maybe(_TEXT),
    "voice_enabled": _maybe(st.booleans()),
    "is_blocked": _maybe(st.booleans()),
    "is_trial_number": _maybe(st.booleans()),
    "aadhaar_verification_required": _maybe(st.booleans()),
    "aadhaar_verified": _maybe(st.booleans()),
    "tags": _maybe(st.lists(_TEXT, max_size=3)),
    "source": _maybe(st.sampled_from(["inventory", "purchased"])),
    "minimum_commitment_months": _maybe(st.integers(-3, 48)),
    **{
        name: _maybe(_timestamps())
        for name in (
            "purchased_at",
            "released_at",
            "created_at",
            "updated_at",
            "last_billing_date",
            "next_billing_date",
        )
    },
    "not_yet_documented": st.integers(0, 3),
}

_ITEMS = st.fixed_dictionaries(
    {"e164": st.sampled_from(["+919876543210", "+14155550100"])}, optional=_FIELDS
)
_ENVELOPES = st.fixed_dictionaries(
    {"items": st.lists(_ITEMS, max_size=3)},
    optional={
        "page": st.one_of(st.integers(0, 3), st.none(), st.just(True)),
        "per_page": st.one_of(st.integers(0, 100), st.none()),
        "total": st.one_of(st.integers(-1, 500), st.none(), st.just("7")),
        "limit": st.integers(1, 100),
    },
)


def _same(first: Any, second: Any) -> bool:
    """Equal, of the same type, a Decimal with the same digits, a datetime with the same offset."""
    if type(first) is not type(second):
        return False
    if isinstance(first, Decimal):
        return str(first) == str(second)
    if isinstance(first, datetime):
        return bool(first == second and first.utcoffset() == second.utcoffset())
    if attrs.has(type(first)):
        return all(
            _same(getattr(first, field.name), getattr(second, field.name))
            for field in attrs.fields(type(first))
        ) and dict(first.extra) == dict(second.extra)
    return bool(first == second)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ENVELOPES)
def test_both_decoders_agree_on_every_page_both_accept(envelope: dict[str, Any]) -> None:
    """Fast and general paths: identical numbers, field by field and type by type."""
    body = json.dumps(envelope).encode()
    assert decode_number_page_fast is not None
    fast = decode_number_page_fast(body)
    try:
        general = decode_number_page_general(body)
    except UnexpectedResponse:
        general = None
    if fast is None or general is None:
        # Refused by one of them: the page goes the general way, or is an error.
        with contextlib.suppress(UnexpectedResponse):
            decode_number_page(body)
        return
    event("both decoders read the page")
    items, _ = fast
    assert len(items) == len(general.items)
    for from_fast, from_general in zip(items, general.items, strict=True):
        assert isinstance(from_fast, PhoneNumber)
        for field in attrs.fields(PhoneNumber):
            assert _same(getattr(from_fast, field.name), getattr(from_general, field.name)), (
                field.name,
                getattr(from_fast, field.name),
                getattr(from_general, field.name),
            )
    shipped = decode_number_page(body)
    assert (shipped.page, shipped.per_page, shipped.total) == (
        general.page,
        general.per_page,
        general.total,
    )
