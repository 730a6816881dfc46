"""The msgspec decoder of number pages against the general one (JSON + cattrs converter).

Every page the fast path takes must decode to what the general decoder
builds; every page it cannot represent exactly must be refused, so the
general decoder reads it instead.
"""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from support.samples import sample_bytes

from phonenumbers_async import NumberStatus, PhoneNumber
from phonenumbers_async import _sansio as sansio
from phonenumbers_async._fastdecode import decode_number_page_fast
from phonenumbers_async._models import Page
from phonenumbers_async._sansio import decode_number_page_general
from phonenumbers_async.errors import UnexpectedResponse

pytestmark = pytest.mark.skipif(
    decode_number_page_fast is None, reason="msgspec (the speedups extra) is not installed"
)

NUMBER_PAGES = ["list-numbers.account-id.json", "list-numbers.auth-id.json", "list-inventory.json"]

# Every field of the model, in the documented formats, varied the way real
# listings vary: fees as integers, floats and strings, 0/3/6 fractional digits,
# offsets other than Z, absent and null optional fields, both owner keys.
FULL_ITEM: dict[str, Any] = {
    "id": "90be0b9e-521d-41da-aebd-aba05006272f",
    "account_id": "MA_XXXXXXXX",
    "e164": "+918071387149",
    "country": "IN",
    "region": "Karnataka",
    "capabilities": {"voice": True, "sms": False, "mms": True, "fax": False},
    "status": "active",
    "provider": "",
    "provider_ref": "ref-1",
    "setup_fee": 100,
    "monthly_fee": 149.5,
    "currency": "INR",
    "application_id": "20000000000000001",
    "trunk_group_id": None,
    "voice_enabled": True,
    "is_blocked": False,
    "is_trial_number": False,
    "aadhaar_verification_required": True,
    "aadhaar_verified": False,
    "tags": ["support", "north"],
    "source": "purchased",
    "minimum_commitment_months": 12,
    "purchased_at": "2026-03-25T06:58:38Z",
    "released_at": None,
    "created_at": "2026-03-25T06:58:38.796Z",
    "updated_at": "2026-03-25T06:58:38.796024Z",
    "last_billing_date": "2026-03-25T12:28:38+05:30",
    "next_billing_date": "2026-04-25T06:58:38.000001Z",
}

# Each changes the item in place; what the lambda returns is ignored.
TAKEN_VARIANTS: dict[str, Callable[[dict[str, Any]], object]] = {
    "every field": lambda item: None,
    "the auth_id owner key": lambda item: item.update(auth_id=item.pop("account_id")),
    "both owner keys": lambda item: item.update(auth_id="SA_OTHER"),
    "a null owner and an auth_id": lambda item: item.update(account_id=None, auth_id="SA_X"),
    "no owner (inventory)": lambda item: item.pop("account_id"),
    "only e164": lambda item: [item.pop(key) for key in list(item) if key != "e164"],
    "fees as strings": lambda item: item.update(setup_fee="100.00", monthly_fee="0.50"),
    "fees as 1.0 and 0": lambda item: item.update(setup_fee=1.0, monthly_fee=0),
    "null fees": lambda item: item.update(setup_fee=None, monthly_fee=None),
    "an unknown status": lambda item: item.update(status="suspended"),
    "a status in capitals": lambda item: item.update(status="Active"),
    "no capabilities": lambda item: item.pop("capabilities"),
    "null capabilities": lambda item: item.update(capabilities=None),
    "some capabilities left out": lambda item: item.update(capabilities={"sms": True}),
    "empty tags": lambda item: item.update(tags=[]),
    "a released number": lambda item: item.update(released_at="2026-05-01T00:00:00Z"),
}

REFUSED_VARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "a field this SDK does not know": lambda item: item.update(brand_new={"nested": [1]}),
    "a naive timestamp": lambda item: item.update(created_at="2026-03-25T06:58:38"),
    "a date without a time": lambda item: item.update(created_at="2026-03-25"),
    "null tags": lambda item: item.update(tags=None),
    "a capability this SDK does not know": lambda item: item.update(
        capabilities={"voice": True, "rcs": True}
    ),
    "a null capability": lambda item: item.update(capabilities={"voice": None}),
    "a fee as a boolean": lambda item: item.update(setup_fee=True),
    "a number as a string field": lambda item: item.update(region=7),
    "a string as a boolean field": lambda item: item.update(voice_enabled="yes"),
    "a float as an integer field": lambda item: item.update(minimum_commitment_months=12.0),
    "no e164": lambda item: item.pop("e164"),
    "a field named extra": lambda item: item.update(extra={"x": 1}),
}


# Variants of another type than the model's: neither decoder reads them.
UNREADABLE_VARIANTS = {
    "no e164",
    "a fee as a boolean",
    "a null capability",
    "a number as a string field",
    "a string as a boolean field",
    "a float as an integer field",
}


def _envelope(*items: dict[str, Any], **fields: Any) -> bytes:
    return json.dumps({"items": list(items), "page": 1, "per_page": 25, **fields}).encode()


def _general(body: bytes, monkeypatch: pytest.MonkeyPatch) -> Page[PhoneNumber]:
    """What decode_number_page gives without msgspec."""
    with monkeypatch.context() as patch:
        patch.setattr(sansio, "decode_number_page_fast", None)
        return sansio.decode_number_page(body)


def _assert_same_page(fast: Page[PhoneNumber], general: Page[PhoneNumber]) -> None:
    assert fast == general
    for mine, theirs in zip(fast.items, general.items, strict=True):
        assert attrs.asdict(mine) == attrs.asdict(theirs)
        assert vars(mine).keys() == vars(theirs).keys()
        for field in attrs.fields(PhoneNumber):
            assert type(getattr(mine, field.name)) is type(getattr(theirs, field.name)), field


@pytest.mark.parametrize("name", NUMBER_PAGES)
def test_every_recorded_page_takes_the_fast_path_and_decodes_the_same(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider's own examples are all within what the fast path represents."""
    body = sample_bytes(name)
    assert decode_number_page_fast is not None
    assert decode_number_page_fast(body) is not None
    _assert_same_page(sansio.decode_number_page(body), _general(body, monkeypatch))


@pytest.mark.parametrize("variant", TAKEN_VARIANTS)
def test_documented_variants_take_the_fast_path_and_decode_the_same(
    variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each documented shape of an item is decoded in C and equals the general decoder's."""
    item = dict(FULL_ITEM)
    TAKEN_VARIANTS[variant](item)
    body = _envelope(item, dict(FULL_ITEM, e164="+918071387150"), total=2)
    assert decode_number_page_fast is not None
    assert decode_number_page_fast(body) is not None
    _assert_same_page(sansio.decode_number_page(body), _general(body, monkeypatch))


@pytest.mark.parametrize("variant", REFUSED_VARIANTS)
def test_pages_the_fast_path_cannot_represent_go_to_the_general_decoder(
    variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page with one unusual item is refused as a whole and read the general way."""
    item = dict(FULL_ITEM)
    REFUSED_VARIANTS[variant](item)
    body = _envelope(dict(FULL_ITEM, e164="+918071387150"), item)
    assert decode_number_page_fast is not None
    assert decode_number_page_fast(body) is None
    if variant in UNREADABLE_VARIANTS:
        with pytest.raises(UnexpectedResponse, match="could not be read"):
            sansio.decode_number_page(body)
    else:
        assert len(sansio.decode_number_page(body).items) == 2


def test_unknown_fields_are_kept_when_the_general_decoder_takes_over() -> None:
    """Refusing a page loses nothing: the new field is in ``extra``."""
    body = _envelope(dict(FULL_ITEM, brand_new={"nested": [1]}))

    (number,) = sansio.decode_number_page(body).items

    assert number.extra == {"brand_new": {"nested": [1]}}
    assert number.status is NumberStatus.ACTIVE


@pytest.mark.parametrize(
    ("envelope", "page", "per_page", "total"),
    [
        ({"page": 3, "per_page": 10, "total": 100}, 3, 10, 100),
        ({"limit": 10, "offset": 20, "total": 100}, 7, 10, 100),
        ({"total": "many"}, 7, 50, None),
        ({}, 7, 50, None),
    ],
)
def test_envelope_fields_are_read_as_the_general_decoder_reads_them(
    envelope: dict[str, Any],
    page: int,
    per_page: int,
    total: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """page/per_page/limit/total fall back to the request's values the same way."""
    body = json.dumps({"items": [FULL_ITEM], **envelope}).encode()

    assert decode_number_page_fast is not None
    assert decode_number_page_fast(body) is not None
    fast = sansio.decode_number_page(body, page=7, per_page=50)

    assert (fast.page, fast.per_page, fast.total) == (page, per_page, total)
    with monkeypatch.context() as patch:
        patch.setattr(sansio, "decode_number_page_fast", None)
        assert sansio.decode_number_page(body, page=7, per_page=50) == fast


UNREADABLE_BODIES = {
    "empty": b"",
    "HTML": b"<html>502</html>",
    "items not a list": b'{"items": 3}',
    "a list": b"[]",
    "cut off": b"{",
    "an item with text that is not UTF-8": b'{"items": [{"e164": "+1", "region": "S\xe3o Paulo"}]}',
    "an envelope key with text that is not UTF-8": b'{"items": [], "note": "\xff"}',
    "nesting too deep": b'{"items": [], "deep": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "a number out of range": b'{"items": [], "total": 1E400}',
}


@pytest.mark.parametrize("name", UNREADABLE_BODIES)
def test_bodies_that_are_not_a_readable_page_are_refused_not_raised(name: str) -> None:
    """Whatever msgspec cannot read, the general decoder reports as an APIError."""
    body = UNREADABLE_BODIES[name]
    assert decode_number_page_fast is not None
    if body:
        assert decode_number_page_fast(body) is None
    with pytest.raises(UnexpectedResponse, match="unexpected response"):
        sansio.decode_number_page(body)


def test_an_envelope_key_beyond_the_documented_ones_goes_to_the_general_decoder() -> None:
    """``has_more`` or any other new envelope key: refused by the fast path, read in full."""
    body = _envelope(FULL_ITEM, total=1, has_more=False)

    assert decode_number_page_fast is not None
    assert decode_number_page_fast(body) is None
    assert sansio.decode_number_page(body).items[0].e164 == FULL_ITEM["e164"]


@pytest.mark.parametrize("extra_field", [False, True])
def test_decoded_numbers_pickle_and_copy_on_both_paths(
    extra_field: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decoded number (and its read-only ``extra``) survives pickle and deepcopy."""
    item = dict(FULL_ITEM, brand_new=[1, 2]) if extra_field else FULL_ITEM
    body = _envelope(item)
    for page in (sansio.decode_number_page(body), _general(body, monkeypatch)):
        (number,) = page.items
        assert pickle.loads(pickle.dumps(number)) == number
        assert copy.deepcopy(number) == number
        assert number.extra == ({"brand_new": [1, 2]} if extra_field else {})
        with pytest.raises(TypeError):
            number.extra["x"] = 1  # type: ignore[index]


def test_statuses_are_the_same_objects_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Known statuses are the enum members; an unknown one is one shared pseudo-member."""
    body = _envelope(dict(FULL_ITEM, status="quarantined"), dict(FULL_ITEM, status="active"))

    fast = sansio.decode_number_page(body).items
    general = _general(body, monkeypatch).items

    assert fast[1].status is NumberStatus.ACTIVE
    assert fast[0].status is general[0].status
    assert fast[0].status == "quarantined"
    assert fast[0].status is not None
    assert not fast[0].status.is_known


@pytest.mark.parametrize("decode", [decode_number_page_general, sansio.decode_number_page])
def test_fees_read_the_same_through_both_decoders(decode: Any) -> None:
    """Money is read from the JSON number by one rule: the shortest digits of its value."""
    body = b'{"items": [{"e164": "+1", "setup_fee": 1.10, "monthly_fee": 100, "currency": "INR"}]}'

    (number,) = decode(body).items

    assert str(number.setup_fee) == "1.1"
    assert str(number.monthly_fee) == "100"


@pytest.mark.parametrize(
    "fee", [b"1e999999999999", b"-1e400", b"1e-30", b"12345678901234567890", b"true"]
)
def test_money_that_cannot_be_represented_is_an_unexpected_response(fee: bytes) -> None:
    """A fee beyond what money can be (or not a number) fails when read, never in arithmetic."""
    body = b'{"items": [{"e164": "+1", "setup_fee": ' + fee + b"}]}"

    with pytest.raises(UnexpectedResponse):
        sansio.decode_number_page(body)


def test_timestamps_are_aware_and_keep_their_offset() -> None:
    """``Z`` is UTC; another offset is kept as sent (the instant is the same)."""
    (number,) = sansio.decode_number_page(_envelope(FULL_ITEM)).items

    assert number.purchased_at == datetime(2026, 3, 25, 6, 58, 38, tzinfo=UTC)
    assert number.last_billing_date is not None
    assert number.last_billing_date.utcoffset() is not None
    assert number.last_billing_date == datetime(2026, 3, 25, 6, 58, 38, tzinfo=UTC)
    assert number.updated_at is not None
    assert number.updated_at.microsecond == 796024


@pytest.mark.parametrize("owner", ['"account_id": ""', '"account_id": null', '"auth_id": ""', ""])
@pytest.mark.parametrize("decode", [decode_number_page_general, sansio.decode_number_page])
def test_an_empty_null_or_missing_owner_is_no_owner(owner: str, decode: Any) -> None:
    """The strict inventory schema sends ``""`` for no owner; both decoders read it as None."""
    fields = ", ".join(part for part in (owner, '"e164": "+919876543210"') if part)
    (number,) = decode(('{"items": [{' + fields + "}]}").encode()).items
    assert number.account_id is None
