"""The provider's own published SDK (``vobiz-python`` from PyPI, unchanged) against the
emulator: its trunk assign, balance and sub-account create calls.

``vobiz-python`` cannot be pointed at another base URL: each resource module
builds its URLs from a module constant ``VOBIZ_API_V1``
(``https://api.vobiz.ai/api/v1``). The test monkeypatches only those constants
(in ``vobiz.resources.numbers``, ``.accounts`` and ``.subaccounts``) to the
emulator's base URL; nothing else of the package is touched.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.control import SyncControl

from phonenumbers_async.emulator import EmulatorInfo, EmulatorThread

vobiz = pytest.importorskip("vobiz")
from vobiz.exceptions import ValidationError  # noqa: E402
from vobiz.resources import accounts, numbers, subaccounts  # noqa: E402


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorInfo]:
    with EmulatorThread(seed_inventory=20, subaccounts=1, seed=15) as info:
        for module in (numbers, accounts, subaccounts):
            monkeypatch.setattr(module, "VOBIZ_API_V1", info.base_url + "/v1")
        yield info


def test_the_provider_sdk_assigns_a_trunk_reads_the_balance_and_creates_a_sub_account(
    emu: EmulatorInfo,
) -> None:
    """The provider's SDK, unchanged, assigns and unassigns a trunk, reads a balance the
    control API set, and creates a sub-account whose token the emulator then holds."""
    control = SyncControl(emu.root_url)
    client = vobiz.RestClient(emu.auth_id, emu.auth_token)
    try:
        [e164] = control(lambda emulator: emulator.create_numbers(1, owner=emu.auth_id))
        trunk = control(lambda emulator: emulator.account(emu.auth_id))["trunk_group_ids"][0]

        # Trunk assign: the SDK sends the raw + in the path; the emulator answers 204.
        assert client.phone_numbers.assign_to_trunk(e164, trunk) is None
        assert control(lambda emulator: emulator.number(e164))["trunk_group_id"] == trunk
        with pytest.raises(ValidationError):  # 400: already assigned to a trunk
            client.phone_numbers.assign_to_trunk(e164, trunk)
        assert client.phone_numbers.unassign_from_trunk(e164) is None

        control(lambda emulator: emulator.update_account(emu.auth_id, balance=1234, credit_limit=0))
        balance = client.accounts.get_balance(emu.auth_id, "INR")
        assert balance.currency == "INR"
        assert balance.balance == 1234
        assert balance.available_balance == 1234
        assert balance.account_id == emu.auth_id

        created = client.subaccounts.create(
            name="Provider SDK",
            email="sdk@example.com",
            rate_limit=100,
            permissions={"calls": True},
            password="s3cret-Passw0rd",
            description="made by vobiz-python",
        )
        new_id = created.auth_credentials.auth_id
        assert new_id.startswith("SA_")
        assert created.sub_account.auth_id == new_id
        assert created.sub_account.name == "Provider SDK"
        assert created.tokens.token_type == "Bearer"
        token = created.auth_credentials.auth_token
        assert control(lambda emulator: emulator.account(new_id))["auth_token"] == token
        fetched = client.subaccounts.get(new_id)
        assert fetched.auth_token == "<redacted>"
    finally:
        client.session.close()
        client.multipart_session.close()
