"""Models and the converter: money, time, owner keys, unknown data, secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import pytest
from support.samples import load_sample

from phonenumbers_async import (
    Capabilities,
    NumberStatus,
    Page,
    PhoneNumber,
    SubAccount,
    converter,
)


def _number(**fields: Any) -> PhoneNumber:
    return converter.structure({"e164": "+919876543210", **fields}, PhoneNumber)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1.0, Decimal("1.0")),
        (0.0, Decimal("0.0")),
        (100, Decimal(100)),
        (1.1, Decimal("1.1")),
        (0.1, Decimal("0.1")),
        ("2.50", Decimal("2.50")),
    ],
)
def test_money_is_decimal_never_float(raw: object, expected: Decimal) -> None:
    """Fees become exact ``Decimal`` (``1.1`` is ``Decimal("1.1")``, not a binary expansion)."""
    number = _number(setup_fee=raw, monthly_fee=raw)

    assert type(number.setup_fee) is Decimal
    assert str(number.setup_fee) == str(expected)
    assert number.monthly_fee == expected


def test_missing_or_null_money_is_none() -> None:
    """Absent and null fees are None, and so is the upfront cost."""
    number = _number(setup_fee=None)

    assert number.setup_fee is None
    assert number.monthly_fee is None
    assert number.upfront_cost is None
    assert _number(setup_fee=100, monthly_fee=0.5).upfront_cost == Decimal("100.5")


@pytest.mark.parametrize(
    ("text", "microsecond"),
    [
        ("2026-03-25T06:58:38Z", 0),
        ("2026-03-25T06:58:38.7Z", 700000),
        ("2026-03-25T06:58:38.79Z", 790000),
        ("2026-03-25T06:58:38.796Z", 796000),
        ("2026-03-25T06:58:38.7960Z", 796000),
        ("2026-03-25T06:58:38.79602Z", 796020),
        ("2026-03-25T06:58:38.796024Z", 796024),
    ],
)
def test_timestamps_of_every_fraction_width_are_aware_utc(text: str, microsecond: int) -> None:
    """0 to 6 fractional digits with ``Z`` all read as aware UTC datetimes."""
    number = _number(created_at=text, purchased_at=text)

    assert number.created_at == datetime(2026, 3, 25, 6, 58, 38, microsecond, tzinfo=UTC)
    assert number.created_at.utcoffset() == timedelta(0)
    assert number.purchased_at == number.created_at


def test_timestamps_with_an_offset_or_none_are_aware() -> None:
    """An explicit offset is kept; a timestamp without one is taken as UTC, never naive."""
    number = _number(created_at="2026-03-25T12:00:00+05:30", updated_at="2026-03-25T12:00:00")

    assert number.created_at is not None
    assert number.updated_at is not None
    assert number.created_at.utcoffset() == timedelta(hours=5, minutes=30)
    assert number.created_at == datetime(2026, 3, 25, 6, 30, tzinfo=UTC)
    assert number.updated_at.tzinfo is not None
    assert number.updated_at == datetime(2026, 3, 25, 12, tzinfo=timezone.utc)  # noqa: UP017


def test_both_owner_keys_land_in_account_id() -> None:
    """``account_id`` and ``auth_id`` both fill ``account_id``; ``account_id`` wins if both."""
    assert _number(account_id="MA_A").account_id == "MA_A"
    assert _number(auth_id="MA_B").account_id == "MA_B"
    both = _number(account_id="MA_A", auth_id="SA_B")
    assert both.account_id == "MA_A"
    assert _number(auth_id=None).account_id is None


def test_unknown_fields_are_kept_and_survive_a_round_trip() -> None:
    """New fields go to ``extra``, nested ones too, and ``unstructure`` writes them back."""
    raw = {
        "e164": "+919876543210",
        "country": "IN",
        "capabilities": {"voice": True, "rcs": True},
        "porting_state": {"step": 2},
        "setup_fee": 1.5,
        "created_at": "2026-03-25T06:58:38.796024Z",
    }

    number = converter.structure(raw, PhoneNumber)

    assert number.extra == {"porting_state": {"step": 2}}
    assert number.capabilities == Capabilities(voice=True, extra={"rcs": True})
    assert number.capabilities is not None
    assert number.capabilities.extra == {"rcs": True}
    out = converter.unstructure(number)
    assert out["porting_state"] == {"step": 2}
    assert out["capabilities"]["rcs"] is True
    assert out["created_at"] == "2026-03-25T06:58:38.796024Z"
    assert converter.structure(out, PhoneNumber) == number


@pytest.mark.parametrize(
    "name", ["list-numbers.account-id.json", "list-numbers.auth-id.json", "list-inventory.json"]
)
def test_every_example_number_round_trips(name: str) -> None:
    """Each example number structures, unstructures and structures back to an equal object."""
    for raw in load_sample(name)["items"]:
        number = converter.structure(raw, PhoneNumber)
        again = converter.structure(converter.unstructure(number), PhoneNumber)
        assert again == number
        assert again.account_id == (raw.get("account_id") or raw.get("auth_id"))


def test_sub_account_extra_survives_a_round_trip() -> None:
    """A sub-account's undocumented keys (``resource_uri``…) come back out of ``unstructure``."""
    raw = load_sample("sub-accounts.json")["sub_accounts"][0]

    sub = converter.structure(raw, SubAccount)
    out = converter.unstructure(sub)

    assert out["resource_uri"] == raw["resource_uri"]
    assert out["created"] == "2026-03-25"
    assert converter.structure(out, SubAccount) == sub


def test_unknown_status_is_kept() -> None:
    """A status the SDK does not know is kept as a ``NumberStatus`` with its value."""
    number = _number(status="porting_in")

    assert isinstance(number.status, NumberStatus)
    assert number.status.value == "porting_in"
    assert number.status == "porting_in"
    assert number.status.is_known is False
    assert converter.unstructure(number)["status"] == "porting_in"


@pytest.mark.parametrize("value", [s.value for s in NumberStatus])
def test_known_statuses_are_the_members(value: str) -> None:
    """Each documented status decodes to its member, which knows it is known."""
    status = _number(status=value).status

    assert status is NumberStatus(value)
    assert status is not None
    assert status.is_known


def test_sub_account_token_never_in_repr() -> None:
    """A sub-account's ``auth_token`` is left out of ``repr`` and ``str``."""
    sub = SubAccount(auth_id="SA_X", auth_token="sk-live-TOP-SECRET", name="Acme")

    assert "sk-live-TOP-SECRET" not in repr(sub)
    assert "sk-live-TOP-SECRET" not in str(sub)
    assert "Acme" in repr(sub)
    assert sub.auth_token == "sk-live-TOP-SECRET"


def test_models_are_frozen_and_hashable() -> None:
    """Models cannot be changed in place and can go in sets."""
    number = _number(tags=["a", "b"])

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        number.e164 = "+1"  # type: ignore[misc]
    assert number.tags == ("a", "b")
    assert len({number, _number(tags=["a", "b"])}) == 1


@pytest.mark.parametrize(
    ("count", "page", "per_page", "total", "page_count", "has_next"),
    [
        (25, 1, 25, 500, 20, True),
        (25, 20, 25, 500, 20, False),
        (0, 1, 25, 0, 1, False),
        (25, 1, 25, None, None, True),
        (3, 2, 25, None, None, False),
    ],
)
def test_page_counts_pages_from_total(
    count: int,
    page: int,
    per_page: int,
    total: int | None,
    page_count: int | None,
    has_next: bool,
) -> None:
    """``page_count`` follows ``total``; without it, a full page means there may be more."""
    result = Page(items=(None,) * count, page=page, per_page=per_page, total=total)

    assert result.page_count == page_count
    assert result.has_next is has_next
    assert len(result) == count


def _reference_number(data: dict[str, object]) -> PhoneNumber:
    """What the hot-path hook must build, written the slow, obvious way."""
    generic = cattrs.Converter()
    generic.register_structure_hook(Decimal, lambda value, _: Decimal(repr(value)))
    generic.register_structure_hook(
        datetime, lambda value, _: datetime.fromisoformat(value).astimezone(UTC)
    )
    generic.register_structure_hook(NumberStatus, lambda value, _: NumberStatus(value))
    fields = {field.name for field in attrs.fields(PhoneNumber)}
    known = {key: value for key, value in data.items() if key in fields}
    if "account_id" not in known and "auth_id" in data:
        known["account_id"] = data["auth_id"]
    extra = {key: value for key, value in data.items() if key not in fields | {"auth_id"}}
    number = generic.structure(known, PhoneNumber)
    return attrs.evolve(number, extra=extra)


@pytest.mark.parametrize(
    "name", ["list-numbers.account-id.json", "list-numbers.auth-id.json", "list-inventory.json"]
)
def test_the_hot_path_hook_agrees_with_the_plain_constructor(name: str) -> None:
    """The generated decoder (which bypasses __init__) builds exactly what attrs would."""
    for item in load_sample(name)["items"]:
        item = {**item, "brand_new_field": {"nested": [1, 2]}}
        decoded = converter.structure(item, PhoneNumber)
        assert decoded == _reference_number(item)
        assert decoded.extra == {"brand_new_field": {"nested": [1, 2]}}
        assert attrs.asdict(decoded) == attrs.asdict(_reference_number(item))


def test_the_hot_path_hook_does_not_touch_its_input() -> None:
    """Decoding leaves the caller's dict as it was (the instance gets its own dict)."""
    item = load_sample("list-numbers.auth-id.json")["items"][0]
    before = dict(item)
    converter.structure(item, PhoneNumber)
    assert item == before


def test_the_hot_path_hook_rejects_an_item_without_e164() -> None:
    """A number with no e164 is an error, not an object with a placeholder."""
    with pytest.raises(KeyError, match="e164"):
        converter.structure({"id": "x"}, PhoneNumber)


def test_a_status_differing_only_in_case_is_not_a_known_one() -> None:
    """``"Active"`` is kept as sent and is not mistaken for ``NumberStatus.ACTIVE``."""
    odd = _number(status="Active").status
    assert odd is not None
    assert odd.value == "Active"
    assert odd != NumberStatus.ACTIVE
    assert not odd.is_known
    assert NumberStatus.ACTIVE.is_known
