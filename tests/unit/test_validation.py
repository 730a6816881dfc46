"""Bad input is refused with ``ValidationError`` before any request goes out."""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aioresponses import aioresponses

from phonenumbers_async import AsyncClient, ValidationError
from phonenumbers_async._validation import (
    check_auth_id,
    check_e164,
    check_page,
    check_per_page,
    check_subaccount_id,
    encode_query,
    encode_segment,
    normalize_e164,
)

BAD_E164 = [
    "919876543210",  # no plus
    "+0919876543210",  # leading zero
    "+",  # no digits
    "+1234567890123456",  # 16 digits
    "+91 98765 43210",  # spaces
    "+91-9876543210",  # dash
    " +919876543210",  # leading blank
    "+919876543210\n",  # trailing newline
    "++919876543210",
    "+\uff19\uff11\uff19\uff18",  # full-width digits are not ASCII digits
    "+٩١٩٨٧٦",  # Arabic-Indic digits neither
    "%2B919876543210",  # already encoded
    "",
    919876543210,
    None,
]
GOOD_E164 = ["+1", "+919876543210", "+123456789012345"]
BAD_AUTH_IDS = [
    "ma_X",
    "MA_",
    "XA_123",
    "MAX123",
    "MA_12-3",
    "MA_../SA_1",
    "MA_1/numbers",
    "MA_1 2",
    "MA_1%2F",
    "",
    None,
    123,
]
BAD_PAGES = [0, -1, True, False, 1.0, "1", None]
BAD_PER_PAGES = [0, 101, -5, True, 25.0, "25", None]


def _nothing_sent(mocked: aioresponses) -> None:
    assert mocked.requests == {}, mocked.requests


@pytest.mark.parametrize("number", GOOD_E164)
def test_e164_accepts_plus_then_1_to_15_digits(number: str) -> None:
    """``+`` and 1 to 15 ASCII digits, the first not 0, is E.164."""
    assert check_e164(number) == number


@pytest.mark.parametrize("number", BAD_E164)
def test_e164_refuses_everything_else(number: Any) -> None:
    """Each malformed number raises ``ValidationError``, which is also a ``ValueError``."""
    with pytest.raises(ValidationError) as caught:
        check_e164(number)
    assert isinstance(caught.value, ValueError)
    assert repr(number) in str(caught.value)


@pytest.mark.parametrize("auth_id", ["MA_X", "SA_abc123", "MA_XXXXXXXX"])
def test_auth_ids_are_ma_or_sa_then_alphanumerics(auth_id: str) -> None:
    """``MA_``/``SA_`` followed by letters and digits is an Auth ID."""
    assert check_auth_id(auth_id) == auth_id


@pytest.mark.parametrize("auth_id", BAD_AUTH_IDS)
def test_auth_ids_refuse_anything_else(auth_id: Any) -> None:
    """Lower case, empty suffixes, separators and path tricks are refused."""
    with pytest.raises(ValidationError):
        check_auth_id(auth_id)


@pytest.mark.parametrize("sub_id", ["MA_X", "SA_", "sa_X", "SA_X/Y", None])
def test_sub_account_ids_must_be_sa(sub_id: Any) -> None:
    """A sub-account id must be ``SA_`` and alphanumerics (a master id is refused)."""
    with pytest.raises(ValidationError):
        check_subaccount_id(sub_id)


@pytest.mark.parametrize("page", BAD_PAGES)
def test_page_must_be_an_int_of_at_least_one(page: Any) -> None:
    """``page`` below 1, a bool, a float or a string is refused."""
    with pytest.raises(ValidationError):
        check_page(page)


@pytest.mark.parametrize("per_page", BAD_PER_PAGES)
def test_per_page_must_be_an_int_from_1_to_100(per_page: Any) -> None:
    """``per_page`` outside 1..100, a bool, a float or a string is refused."""
    with pytest.raises(ValidationError):
        check_per_page(per_page)


@pytest.mark.parametrize("per_page", [1, 100])
def test_per_page_bounds_are_inclusive(per_page: int) -> None:
    """1 and 100 are both allowed."""
    assert check_per_page(per_page) == per_page


@pytest.mark.parametrize(
    ("segment", "encoded"),
    [("+919876543210", "%2B919876543210"), ("a/b", "a%2Fb"), ("a b", "a%20b"), ("MA_X", "MA_X")],
)
def test_path_segments_are_percent_encoded(segment: str, encoded: str) -> None:
    """``+`` becomes ``%2B`` and ``/`` cannot split a segment."""
    assert encode_segment(segment) == encoded


AWKWARD_TEXTS = [
    "",
    "0",
    "MA_X",
    "a.b~c-d_e",
    "+919876543210",
    "a b",
    "a+b",
    "a&b=c",
    "100%",
    "/?#[]@!$'()*,;",
    "Tamil Nadu",
    "café",
    "\u0939\u093f\u0928\u094d\u0926\u0940",
    "tab\tnewline\n",
    "A\u00a0B",
]


@pytest.mark.parametrize("text", AWKWARD_TEXTS)
def test_encoding_shortcuts_match_the_standard_library(text: str) -> None:
    """The fast path for plain text changes nothing: output equals quote() and urlencode()."""
    assert encode_segment(text) == urllib.parse.quote(text, safe="")
    params = (("search", text), (text or "k", "1"), ("page", "2"))
    assert encode_query(params) == urllib.parse.urlencode(params)


# -- through the client: a refused input sends nothing ----------------------

E164 = "+919876543210"


REFUSED_CALLS: list[tuple[str, Callable[[AsyncClient], Awaitable[Any]]]] = [
    ("purchase: no plus", lambda c: c.numbers.purchase("919876543210")),
    ("purchase: leading zero", lambda c: c.numbers.purchase("+0919876543210")),
    ("purchase: 16 digits", lambda c: c.numbers.purchase("+1234567890123456")),
    ("purchase: bad auth_id", lambda c: c.numbers.purchase(E164, auth_id="XA_1")),
    ("release: no digits", lambda c: c.numbers.release("+")),
    ("release: path trick", lambda c: c.numbers.release(E164, auth_id="MA_1/../SA_2")),
    ("find: bad number", lambda c: c.numbers.find("+91 98")),
    ("numbers.list: page 0", lambda c: c.numbers.list(page=0)),
    ("numbers.list: page True", lambda c: c.numbers.list(page=True)),
    ("numbers.list: per_page 0", lambda c: c.numbers.list(per_page=0)),
    ("numbers.list: per_page 101", lambda c: c.numbers.list(per_page=101)),
    ("numbers.list: per_page True", lambda c: c.numbers.list(per_page=True)),
    ("numbers.list: bad auth_id", lambda c: c.numbers.list(auth_id="ma_x")),
    ("inventory.list: per_page 101", lambda c: c.inventory.list(per_page=101)),
    ("inventory.list: page -1", lambda c: c.inventory.list(page=-1)),
    ("inventory.list: country", lambda c: c.inventory.list(country="IND")),
    ("inventory.list: search", lambda c: c.inventory.list(search="80;DROP")),
    ("inventory.contains: bad number", lambda c: c.inventory.contains("12")),
    ("subaccounts.list: per_page 0", lambda c: c.subaccounts.list(per_page=0)),
    ("subaccounts.list: page 0", lambda c: c.subaccounts.list(page=0)),
    ("subaccounts.get: master id", lambda c: c.subaccounts.get("MA_X")),
    ("subaccounts.get: slash", lambda c: c.subaccounts.get("SA_X/Y")),
    ("assign: bad number", lambda c: c.subaccounts.assign_number("0919876543210", "SA_X")),
    ("assign: master id", lambda c: c.subaccounts.assign_number(E164, "MA_X")),
    ("assign: empty id", lambda c: c.subaccounts.assign_number(E164, "")),
    ("unassign: bad number", lambda c: c.subaccounts.unassign_number("+0")),
    # A str for a bool, wrong on purpose.
    ("unassign: force not bool", lambda c: c.subaccounts.unassign_number(E164, force="yes")),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(
    "call", [call for _, call in REFUSED_CALLS], ids=[rule for rule, _ in REFUSED_CALLS]
)
async def test_a_refused_call_raises_and_sends_nothing(
    mock_api: aioresponses,
    client: AsyncClient,
    call: Callable[[AsyncClient], Awaitable[Any]],
) -> None:
    """The rule, checked through a real call, raises ``ValidationError`` with no request sent."""
    with pytest.raises(ValidationError):
        await call(client)
    _nothing_sent(mock_api)


@pytest.mark.parametrize(
    "make",
    [
        lambda c: c.numbers.iter(per_page=0),
        lambda c: c.numbers.iter(per_page=101),
        lambda c: c.numbers.iter(start_page=0),
        lambda c: c.numbers.iter(auth_id="MA_"),
        lambda c: c.numbers.iter(max_concurrency=0),
        lambda c: c.numbers.iter(max_concurrency=True),
        lambda c: c.numbers.iter_pages(per_page=True),
        lambda c: c.inventory.iter(country="India"),
        lambda c: c.inventory.iter(per_page=1000),
        lambda c: c.subaccounts.iter(per_page=0),
        lambda c: c.subaccounts.iter_pages(start_page=-3),
        lambda c: c.numbers.iter_fanout(concurrency=0),
        lambda c: c.numbers.iter_fanout(per_page=101),
        lambda c: c.numbers.iter_fanout(on_error="ignore"),
    ],
)
async def test_iterators_check_their_arguments_when_called(
    mock_api: aioresponses, client: AsyncClient, make: Callable[[AsyncClient], Any]
) -> None:
    """A bad listing argument raises at the ``iter(...)`` call, before any request."""
    with pytest.raises(ValidationError):
        make(client)
    _nothing_sent(mock_api)


@pytest.mark.parametrize(
    "text",
    [
        "+91\x1c9876543210",  # file separator: Unicode counts it as space
        "+91\x1f98\x1e76\x1d543210",
        "+91\x859876543210",  # next line (C1)
        "+91\u20289876543210",  # line separator
        "+91\u20299876543210",  # paragraph separator
        "+91\x0b9876543210",  # vertical tab
        "+91\x0c9876543210",  # form feed
        "+91\n9876543210",  # a line break inside the number
        "\x1c+919876543210",  # around it too
    ],
)
def test_normalize_e164_refuses_control_characters(text: str) -> None:
    """Control characters that ``\\s`` matches are not separators: a number holding one
    is refused, not read with it silently removed."""
    with pytest.raises(ValidationError):
        normalize_e164(text)


@pytest.mark.parametrize(
    "text",
    [
        "+91 98765 43210",
        "+91\t98765\t43210",
        "+91\u00a098765\u00a043210",
        "+91\u202f98765\u202f43210",
        "+91\u200798765\u200743210",
        "+91-98765\u2010432\u201510",
        "+(91) 98765.43210",
        "+919876543210\r\n",
    ],
)
def test_normalize_e164_removes_the_listed_separators(text: str) -> None:
    """Blanks (space, tab, no-break spaces, figure space), dashes, dots and parentheses
    are removed, and a line end around the number is dropped."""
    assert normalize_e164(text)[0] == "+919876543210"
