"""With a database file the emulator's state survives a restart."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from phonenumbers_async.emulator import run_emulator

from ._helpers import Api


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    """Accounts, owners, balance, ledger, audit, calls and the clock persist; no re-seeding."""
    db = tmp_path / "emulator.sqlite3"
    async with run_emulator(db_path=db, seed_inventory=12, subaccounts=2) as first:
        assert first.db_path == str(db)
        async with aiohttp.ClientSession() as session:
            api = Api(session, first)
            bought = await api.buy()
            path = f"/v1/account/{first.auth_id}/numbers/%2B{bought['e164'][1:]}/assign-subaccount"
            assert (
                await api.call("POST", path, json_body={"sub_account_id": api.sub[0]})
            ).status == 200
            await api.ok(
                "POST", f"/numbers/%2B{bought['e164'][1:]}/calls", {"at": "2031-01-01T00:00:00Z"}
            )
            await api.ok("POST", "/clock", {"advance_seconds": 86400})
            balance = await api.balance()
            clock = datetime.fromisoformat((await api.ok("GET", "/clock"))["now"])
    async with run_emulator(db_path=db, seed_inventory=99, subaccounts=5) as second:
        assert (second.auth_id, second.auth_token) == (first.auth_id, first.auth_token)
        assert second.subaccounts == first.subaccounts
        async with aiohttp.ClientSession() as session:
            api = Api(session, second)
            assert len(await api.inventory()) == 11
            row = await api.raw_number(bought["e164"])
            assert row["owner"] == first.subaccounts[0][0]
            assert row["last_call_at"] == "2031-01-01T00:00:00Z"
            assert await api.balance() == balance
            ledger = (await api.ok("GET", "/ledger"))["items"]
            assert [r["e164"] for r in ledger] == [bought["e164"]]
            assert len((await api.ok("GET", "/audit"))["items"]) == 1
            now = datetime.fromisoformat((await api.ok("GET", "/clock"))["now"])
            assert (now - clock).total_seconds() >= 0
            assert (now - datetime.now(UTC)).total_seconds() > 86000
            listed = await api.call("GET", f"/v1/account/{second.auth_id}/numbers")
            assert listed.body["total"] == 1
            assert isinstance(Decimal(listed.body["items"][0]["monthly_fee"]), Decimal)


async def test_restart_with_other_credentials_is_refused(tmp_path: Path) -> None:
    """A database belongs to its master: other --auth-id/--auth-token are refused clearly."""
    db = tmp_path / "owned.sqlite3"
    async with run_emulator(db_path=db, auth_id="MA_OWNER00001", auth_token="secret1"):
        pass
    with pytest.raises(ValueError, match="MA_OWNER00001"):
        async with run_emulator(db_path=db, auth_id="MA_SOMEONE0002"):
            pass
    with pytest.raises(ValueError, match="token"):
        async with run_emulator(db_path=db, auth_token="other"):
            pass
    async with run_emulator(db_path=db, auth_id="MA_OWNER00001", auth_token="secret1") as info:
        assert info.auth_id == "MA_OWNER00001"


async def test_in_memory_state_is_fresh_each_time() -> None:
    """Without a database file each emulator starts from its own seed."""
    async with (
        run_emulator(seed_inventory=3, seed=7) as one,
        run_emulator(seed_inventory=3, seed=7) as two,
    ):
        assert one.db_path is None
        assert (one.auth_id, one.subaccounts) == (two.auth_id, two.subaccounts)
        assert one.base_url != two.base_url
