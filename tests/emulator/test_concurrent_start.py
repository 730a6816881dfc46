"""Several emulator processes started at once on one new ``--db`` file: exactly one seeds."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from support.database import open_database

PROCESSES = 4
SEED_INVENTORY = 40

_START = (
    f"SEED_INVENTORY = {SEED_INVENTORY}\n"
    """
import asyncio, json, sys, time
from phonenumbers_async.emulator import run_emulator

db, start_at = sys.argv[1], float(sys.argv[2])

async def main():
    time.sleep(max(0.0, start_at - time.time()))  # every process opens the file at once
    async with run_emulator(db_path=db, seed_inventory=SEED_INVENTORY, subaccounts=2) as info:
        print(json.dumps({"auth_id": info.auth_id, "subs": [s[0] for s in info.subaccounts]}))

asyncio.run(main())
"""
)


def test_processes_starting_together_on_a_new_file_seed_it_once(tmp_path: Path) -> None:
    """Four processes open one new database file at the same moment: all start without
    "database is locked" or UNIQUE errors, one master and one inventory exist, and all
    report the same credentials."""
    db = tmp_path / "shared.sqlite3"
    start_at = time.time() + 2.0
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _START, str(db), repr(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        assert "locked" not in stderr, stderr
        assert "UNIQUE" not in stderr, stderr
        outputs.append(json.loads(stdout))
    assert len({(o["auth_id"], tuple(o["subs"])) for o in outputs}) == 1
    with open_database(db) as conn:
        masters = conn.execute("SELECT COUNT(*) FROM accounts WHERE parent_auth_id IS NULL")
        assert masters.fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 3
        assert conn.execute("SELECT COUNT(*) FROM numbers").fetchone()[0] == SEED_INVENTORY
        primary = conn.execute("SELECT value FROM meta WHERE key = 'primary_auth_id'")
        assert primary.fetchone()[0] == outputs[0]["auth_id"]
