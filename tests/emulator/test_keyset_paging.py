"""Keyset paging gives exactly what OFFSET paging would, stays right across writes, and
survives the schema 1 -> 2 migration (the ``family`` column)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from support.database import open_database
from support.wire import quote_e164

from phonenumbers_async.emulator import EmulatorInfo, run_emulator

from ._helpers import Api


@pytest.fixture
async def filed(tmp_path: Path) -> AsyncIterator[tuple[Api, Path]]:
    """An emulator on a database file (so the test can query it with plain SQL)."""
    db = tmp_path / "paging.sqlite3"
    async with (
        run_emulator(db_path=db, seed_inventory=120, subaccounts=2, seed=3) as info,
        aiohttp.ClientSession() as session,
    ):
        yield Api(session, info), db


def _offset_page(
    db: Path, where: str, params: tuple[object, ...], page: int, size: int
) -> list[str]:
    """The reference: the same page with OFFSET, straight from SQLite."""
    with open_database(db) as conn:
        rows = conn.execute(
            f"SELECT e164 FROM numbers WHERE {where} ORDER BY e164 LIMIT ? OFFSET ?",
            (*params, size, (page - 1) * size),
        ).fetchall()
    return [row[0] for row in rows]


async def _page(api: Api, path: str, **params: str) -> tuple[list[str], int]:
    reply = await api.call("GET", path, params=params)
    assert reply.status == 200, reply.text
    return [item["e164"] for item in reply.body["items"]], reply.body["total"]


async def test_every_page_matches_offset_paging(filed: tuple[Api, Path]) -> None:
    """For the master's family, a sub-account and filtered inventory, every page (and one
    past the end) has the same items as ``ORDER BY e164 LIMIT/OFFSET``."""
    api, db = filed
    info: EmulatorInfo = api.info
    master, sub = info.auth_id, info.subaccounts[0][0]
    await api.ok("POST", "/numbers", {"count": 61, "owner": master})
    await api.ok("POST", "/numbers", {"count": 23, "owner": sub})
    await api.ok("POST", "/numbers", {"count": 17, "owner": info.subaccounts[1][0]})
    family = (master, sub, info.subaccounts[1][0])
    cases = [
        (f"/v1/account/{master}/numbers", {}, "owner IN (?, ?, ?)", family),
        (
            f"/v1/account/{master}/numbers",
            {"include_subaccounts": "false"},
            "owner = ?",
            (master,),
        ),
        (f"/v1/account/{sub}/numbers", {}, "owner = ?", (sub,)),
        (
            f"/v1/account/{master}/inventory/numbers",
            {"country": "IN"},
            "owner IS NULL AND status = 'active' AND country = ?",
            ("IN",),
        ),
        (
            f"/v1/account/{master}/inventory/numbers",
            {"search": "1"},
            "owner IS NULL AND status = 'active' AND instr(e164, ?) > 0",
            ("1",),
        ),
    ]
    for path, extra, where, params in cases:
        for size in (1, 7, 25, 100):
            pages = 101 // size + 2
            for page in [1, 2, 3, pages // 2, pages - 1, pages, pages + 5]:
                got, _ = await _page(api, path, page=str(max(page, 1)), per_page=str(size), **extra)
                assert got == _offset_page(db, where, params, max(page, 1), size), (
                    path,
                    extra,
                    size,
                    page,
                )


async def test_pages_follow_every_write(filed: tuple[Api, Path]) -> None:
    """Buying, assigning, releasing and a write by another process all show in the next page
    read: the cached page boundaries never outlive a change."""
    api, db = filed
    await api.ok("POST", "/faults", {"release_status": 204})  # the older release: to inventory
    path = f"/v1/account/{api.info.auth_id}/inventory/numbers"
    where, params = "owner IS NULL AND status = 'active'", ()
    before, total = await _page(api, path, page="3", per_page="10")
    assert before == _offset_page(db, where, params, 3, 10)
    first_page, _ = await _page(api, path, page="1", per_page="10")
    bought = await api.purchase(first_page[0])
    assert bought.status == 200
    after, total_after = await _page(api, path, page="3", per_page="10")
    assert total_after == total - 1
    assert after == _offset_page(db, where, params, 3, 10) != before
    owned_path = f"/v1/account/{api.info.auth_id}/numbers"
    release = await api.call("DELETE", f"{owned_path}/{quote_e164(first_page[0])}")
    assert release.status == 204
    assert (await _page(api, path, page="3", per_page="10")) == (before, total)
    with open_database(db) as other_process:
        other_process.execute("DELETE FROM numbers WHERE e164 = ?", (first_page[0],))
    assert (await _page(api, path, page="3", per_page="10"))[1] == total - 1
    assert (await _page(api, path, page="3", per_page="10"))[0] == _offset_page(
        db, where, params, 3, 10
    )


async def test_a_schema_1_database_is_migrated(tmp_path: Path) -> None:
    """A database written by the previous emulator (schema 1, no ``family`` column) opens,
    gets the column filled from the owners, and lists the master's family correctly."""
    db = tmp_path / "v1.sqlite3"
    async with (
        run_emulator(db_path=db, seed_inventory=10, subaccounts=1, seed=4) as info,
        aiohttp.ClientSession() as session,
    ):
        api = Api(session, info)
        await api.ok("POST", "/numbers", {"count": 5, "owner": info.subaccounts[0][0]})
        await api.ok("POST", "/numbers", {"count": 4, "owner": info.auth_id})
    with open_database(db) as conn:
        conn.execute("DROP INDEX numbers_family")
        conn.execute("ALTER TABLE numbers DROP COLUMN family")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    async with run_emulator(db_path=db) as again, aiohttp.ClientSession() as session:
        items, total = await _page(
            Api(session, again), f"/v1/account/{again.auth_id}/numbers", per_page="100"
        )
        assert total == 9 == len(items)
    with open_database(db) as conn:
        assert (
            conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "2"
        )
        assert (
            conn.execute("SELECT COUNT(*) FROM numbers WHERE family IS NOT NULL").fetchone()[0] == 9
        )
