"""The emulator's SQLite store (standard library ``sqlite3``).

Every mutating operation is one synchronous method that runs in one
transaction and never awaits, so it is atomic under asyncio: of fifty
concurrent purchases of one number exactly one succeeds and debits once.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ._clock import format_ts, parse_ts
from ._seed import add_month

__all__ = [
    "COOL_OFF",
    "AlreadyAssigned",
    "CoolOffInEffect",
    "Forbidden",
    "InsufficientBalance",
    "NotAssigned",
    "NotFound",
    "Store",
    "StoreError",
]

COOL_OFF = timedelta(days=15)
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    auth_id TEXT PRIMARY KEY,
    auth_token TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    parent_auth_id TEXT REFERENCES accounts(auth_id),
    balance TEXT NOT NULL,
    currency TEXT NOT NULL,
    name TEXT,
    email TEXT,
    phone TEXT,
    description TEXT,
    permissions TEXT,
    rate_limit INTEGER NOT NULL DEFAULT 1000,
    numeric_id TEXT NOT NULL,
    api_id TEXT NOT NULL,
    email_verified INTEGER NOT NULL DEFAULT 0,
    enabled INTEGER NOT NULL DEFAULT 1,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_used TEXT
);
CREATE INDEX IF NOT EXISTS accounts_parent ON accounts(parent_auth_id);
CREATE TABLE IF NOT EXISTS numbers (
    id TEXT PRIMARY KEY,
    e164 TEXT NOT NULL UNIQUE,
    owner TEXT REFERENCES accounts(auth_id),
    country TEXT NOT NULL,
    region TEXT,
    capabilities TEXT,
    status TEXT NOT NULL,
    provider TEXT NOT NULL DEFAULT '',
    provider_ref TEXT NOT NULL DEFAULT '',
    setup_fee TEXT NOT NULL,
    monthly_fee TEXT NOT NULL,
    currency TEXT NOT NULL,
    application_id TEXT,
    trunk_group_id TEXT,
    voice_enabled INTEGER,
    is_blocked INTEGER,
    is_trial_number INTEGER,
    aadhaar_verification_required INTEGER,
    aadhaar_verified INTEGER,
    tags TEXT,
    source TEXT,
    minimum_commitment_months INTEGER,
    purchased_at TEXT,
    released_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_billing_date TEXT,
    next_billing_date TEXT,
    last_call_at TEXT
);
CREATE INDEX IF NOT EXISTS numbers_owner ON numbers(owner, e164);
CREATE INDEX IF NOT EXISTS numbers_inventory ON numbers(owner, status, country, e164);
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    auth_id TEXT NOT NULL,
    e164 TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS did_assignment_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    e164 TEXT NOT NULL,
    number_id TEXT NOT NULL,
    from_auth_id TEXT,
    to_auth_id TEXT,
    actor_auth_id TEXT NOT NULL,
    forced INTEGER NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""

NUMBER_COLUMNS = (
    "id",
    "e164",
    "owner",
    "country",
    "region",
    "capabilities",
    "status",
    "provider",
    "provider_ref",
    "setup_fee",
    "monthly_fee",
    "currency",
    "application_id",
    "trunk_group_id",
    "voice_enabled",
    "is_blocked",
    "is_trial_number",
    "aadhaar_verification_required",
    "aadhaar_verified",
    "tags",
    "source",
    "minimum_commitment_months",
    "purchased_at",
    "released_at",
    "created_at",
    "updated_at",
    "last_billing_date",
    "next_billing_date",
    "last_call_at",
)
_NUMBER_BOOLS = (
    "voice_enabled",
    "is_blocked",
    "is_trial_number",
    "aadhaar_verification_required",
    "aadhaar_verified",
)
_NUMBER_JSON = ("capabilities", "tags")
_NUMBER_MONEY = ("setup_fee", "monthly_fee")
_ACCOUNT_BOOLS = ("is_admin", "email_verified", "enabled", "is_active")


class StoreError(Exception):
    """A refused operation; the application maps each subclass to a status."""


class NotFound(StoreError):
    """The number (or account) does not exist, or is not where the caller looks."""


class Forbidden(StoreError):
    """The account may not act on this number."""


class AlreadyAssigned(StoreError):
    """The number is already assigned to a sub-account."""


class NotAssigned(StoreError):
    """The number is not assigned to a sub-account."""


class InsufficientBalance(StoreError):
    """The paying account cannot cover the purchase."""

    def __init__(self, required: Decimal, available: Decimal, currency: str) -> None:
        super().__init__("Account balance too low to complete this operation")
        self.required = required
        self.available = available
        self.currency = currency


class CoolOffInEffect(StoreError):
    """The number had a call within the cool-off period."""

    def __init__(self, until: datetime, remaining_seconds: int) -> None:
        super().__init__("did_cool_off_in_effect")
        self.until = until
        self.remaining_seconds = remaining_seconds


def _number_out(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    for key in _NUMBER_BOOLS:
        if data[key] is not None:
            data[key] = bool(data[key])
    for key in _NUMBER_JSON:
        if data[key] is not None:
            data[key] = json.loads(data[key])
    for key in _NUMBER_MONEY:
        data[key] = Decimal(data[key])
    return data


def _to_json(value: Any) -> str:
    if not value:
        return "[]" if isinstance(value, list) else json.dumps(value)
    if isinstance(value, dict) and len(value) <= 4:
        key = tuple(value.items())
        cached = _JSON_CACHE.get(key)
        if cached is None:
            cached = _JSON_CACHE[key] = json.dumps(value)
        return cached
    return json.dumps(value)


_JSON_CACHE: dict[tuple[Any, ...], str] = {}


def _number_in(row: dict[str, Any]) -> tuple[Any, ...]:
    values: list[Any] = []
    for key in NUMBER_COLUMNS:
        value = row.get(key)
        if value is None:
            pass
        elif key in _NUMBER_BOOLS:
            value = int(bool(value))
        elif key in _NUMBER_JSON:
            value = _to_json(value)
        elif key in _NUMBER_MONEY:
            value = str(value)
        values.append(value)
    return tuple(values)


def _account_out(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    for key in _ACCOUNT_BOOLS:
        data[key] = bool(data[key])
    data["balance"] = Decimal(data["balance"])
    if data["permissions"] is not None:
        data["permissions"] = json.loads(data["permissions"])
    return data


class Store:
    """All of the emulator's state, in one SQLite database (a file or memory)."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            path or ":memory:", isolation_level=None, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        if path:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            self._conn.executescript(_SCHEMA)
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise RuntimeError(f"unsupported emulator database version {version!r}")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``, rollback on error)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # meta

    def get_meta(self, key: str) -> str | None:
        """A value of the key-value ``meta`` table."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the ``meta`` table."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # accounts

    def add_account(
        self,
        *,
        auth_id: str,
        auth_token: str,
        is_admin: bool,
        parent_auth_id: str | None,
        balance: Decimal,
        currency: str,
        api_id: str,
        now: datetime,
        name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        description: str | None = None,
        permissions: dict[str, Any] | None = None,
        rate_limit: int = 1000,
        enabled: bool = True,
    ) -> dict[str, Any]:
        """Create an account (a master when ``parent_auth_id`` is None)."""
        stamp = format_ts(now)
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT MAX(CAST(numeric_id AS INTEGER)) AS top FROM accounts"
            ).fetchone()
            numeric_id = str(max(int(row["top"] or 0) + 1, 500000))
            conn.execute(
                "INSERT INTO accounts(auth_id, auth_token, is_admin, parent_auth_id, balance,"
                " currency, name, email, phone, description, permissions, rate_limit,"
                " numeric_id, api_id, email_verified, enabled, is_active, created_at,"
                " updated_at, last_used)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, NULL)",
                (
                    auth_id,
                    auth_token,
                    int(is_admin),
                    parent_auth_id,
                    str(balance),
                    currency,
                    name,
                    email,
                    phone,
                    description,
                    None if permissions is None else json.dumps(permissions),
                    rate_limit,
                    numeric_id,
                    api_id,
                    int(enabled),
                    int(enabled),
                    stamp,
                    stamp,
                ),
            )
        account = self.get_account(auth_id)
        assert account is not None
        return account

    def get_account(self, auth_id: str) -> dict[str, Any] | None:
        """One account, or None."""
        rows = self._query("SELECT * FROM accounts WHERE auth_id = ?", (auth_id,))
        return _account_out(rows[0]) if rows else None

    def list_accounts(self) -> list[dict[str, Any]]:
        """Every account, masters first, then in creation order."""
        rows = self._query(
            "SELECT * FROM accounts ORDER BY parent_auth_id IS NOT NULL,"
            " CAST(numeric_id AS INTEGER)"
        )
        return [_account_out(row) for row in rows]

    def subaccounts(
        self, master: str, *, active_only: bool = False, limit: int = -1, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """A master's sub-accounts (a page of them) and how many there are in all."""
        where = "parent_auth_id = ?" + (" AND is_active = 1 AND enabled = 1" if active_only else "")
        total = int(self._query(f"SELECT COUNT(*) FROM accounts WHERE {where}", (master,))[0][0])
        rows = self._query(
            f"SELECT * FROM accounts WHERE {where} ORDER BY CAST(numeric_id AS INTEGER)"
            " LIMIT ? OFFSET ?",
            (master, limit, offset),
        )
        return [_account_out(row) for row in rows], total

    def update_account(
        self,
        auth_id: str,
        *,
        now: datetime,
        balance: Decimal | None = None,
        is_admin: bool | None = None,
        enabled: bool | None = None,
    ) -> dict[str, Any]:
        """Change an account's balance, admin flag or enabled flag."""
        sets: list[str] = []
        params: list[Any] = []
        if balance is not None:
            sets.append("balance = ?")
            params.append(str(balance))
        if is_admin is not None:
            sets.append("is_admin = ?")
            params.append(int(is_admin))
        if enabled is not None:
            sets.append("enabled = ?, is_active = ?")
            params.extend([int(enabled), int(enabled)])
        sets.append("updated_at = ?")
        params.append(format_ts(now))
        with self.transaction() as conn:
            cursor = conn.execute(
                f"UPDATE accounts SET {', '.join(sets)} WHERE auth_id = ?", (*params, auth_id)
            )
            if cursor.rowcount == 0:
                raise NotFound("account not found")
        account = self.get_account(auth_id)
        assert account is not None
        return account

    # numbers

    def insert_numbers(self, rows: Iterable[dict[str, Any]]) -> int:
        """Bulk-insert number rows (one transaction); returns how many."""
        placeholders = ", ".join("?" for _ in NUMBER_COLUMNS)
        values = [_number_in(row) for row in rows]
        with self.transaction() as conn:
            conn.executemany(
                f"INSERT INTO numbers({', '.join(NUMBER_COLUMNS)}) VALUES ({placeholders})",
                values,
            )
        return len(values)

    def all_e164(self) -> set[str]:
        """Every number the store knows."""
        return {str(row[0]) for row in self._query("SELECT e164 FROM numbers")}

    def get_number(self, e164: str) -> dict[str, Any] | None:
        """One number row (every column), or None."""
        rows = self._query("SELECT * FROM numbers WHERE e164 = ?", (e164,))
        return _number_out(rows[0]) if rows else None

    def list_numbers(
        self, owners: list[str], *, search: str | None = None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Numbers owned by any of ``owners`` (containing ``search``), by E.164, and the total."""
        marks = ", ".join("?" for _ in owners)
        where = f"owner IN ({marks})"
        params: list[Any] = list(owners)
        if search:
            where += " AND instr(e164, ?) > 0"
            params.append(search)
        total = int(self._query(f"SELECT COUNT(*) FROM numbers WHERE {where}", params)[0][0])
        rows = self._query(
            f"SELECT * FROM numbers WHERE {where} ORDER BY e164 LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_number_out(row) for row in rows], total

    def list_inventory(
        self, *, country: str | None, search: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Numbers in inventory (no owner, active), filtered, ordered by E.164."""
        where = ["owner IS NULL", "status = 'active'"]
        params: list[Any] = []
        if country:
            where.append("country = ?")
            params.append(country.upper())
        if search:
            where.append("instr(e164, ?) > 0")
            params.append(search)
        clause = " AND ".join(where)
        total = int(self._query(f"SELECT COUNT(*) FROM numbers WHERE {clause}", params)[0][0])
        rows = self._query(
            f"SELECT * FROM numbers WHERE {clause} ORDER BY e164 LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_number_out(row) for row in rows], total

    def _family(self, conn: sqlite3.Connection, master: str) -> set[str]:
        rows = conn.execute(
            "SELECT auth_id FROM accounts WHERE parent_auth_id = ?", (master,)
        ).fetchall()
        return {str(row[0]) for row in rows}

    def purchase(self, e164: str, *, owner: str, payer: str, now: datetime) -> dict[str, Any]:
        """Buy a number from inventory for ``owner``, debiting ``payer``.

        Raises ``NotFound`` (not in inventory) or ``InsufficientBalance``; in
        both cases nothing changes.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM numbers WHERE e164 = ? AND owner IS NULL AND status = 'active'",
                (e164,),
            ).fetchone()
            if row is None:
                raise NotFound("number not in inventory")
            account = conn.execute(
                "SELECT balance, currency FROM accounts WHERE auth_id = ?", (payer,)
            ).fetchone()
            if account is None:
                raise NotFound("paying account not found")
            cost = Decimal(row["setup_fee"]) + Decimal(row["monthly_fee"])
            balance = Decimal(account["balance"])
            if balance < cost:
                raise InsufficientBalance(cost, balance, str(account["currency"]))
            conn.execute(
                "UPDATE numbers SET owner = ?, status = 'active', source = 'inventory',"
                " purchased_at = ?, released_at = NULL, updated_at = ?,"
                " last_billing_date = ?, next_billing_date = ? WHERE id = ?",
                (owner, stamp, stamp, stamp, format_ts(add_month(now)), row["id"]),
            )
            conn.execute(
                "UPDATE accounts SET balance = ? WHERE auth_id = ?", (str(balance - cost), payer)
            )
            conn.execute(
                "INSERT INTO ledger(auth_id, e164, amount, currency, at) VALUES (?, ?, ?, ?, ?)",
                (payer, e164, str(cost), row["currency"], stamp),
            )
        number = self.get_number(e164)
        assert number is not None
        return number

    def release(self, e164: str, *, account: str, include_subaccounts: bool, now: datetime) -> None:
        """Return a number to inventory.

        Raises ``NotFound`` (no such number) or ``Forbidden`` (not owned by
        ``account`` or, with ``include_subaccounts``, one of its sub-accounts).
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            row = conn.execute("SELECT id, owner FROM numbers WHERE e164 = ?", (e164,)).fetchone()
            if row is None:
                raise NotFound("number not found")
            allowed = {account}
            if include_subaccounts:
                allowed |= self._family(conn, account)
            if row["owner"] is None or row["owner"] not in allowed:
                raise Forbidden("account does not own this number")
            conn.execute(
                "UPDATE numbers SET owner = NULL, trunk_group_id = NULL, application_id = NULL,"
                " status = 'active', released_at = ?, updated_at = ?, last_billing_date = NULL,"
                " next_billing_date = NULL WHERE id = ?",
                (stamp, stamp, row["id"]),
            )

    def _audit(
        self,
        conn: sqlite3.Connection,
        *,
        number: sqlite3.Row,
        from_auth_id: str | None,
        to_auth_id: str | None,
        actor: str,
        forced: bool,
        reason: str,
        stamp: str,
    ) -> None:
        conn.execute(
            "INSERT INTO did_assignment_audit(e164, number_id, from_auth_id, to_auth_id,"
            " actor_auth_id, forced, at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                number["e164"],
                number["id"],
                from_auth_id,
                to_auth_id,
                actor,
                int(forced),
                stamp,
                reason,
            ),
        )

    def assign(
        self, e164: str, *, master: str, sub_account: str, actor: str, now: datetime
    ) -> dict[str, Any]:
        """Move a master's number to one of its sub-accounts.

        Raises ``NotFound`` (no such number or sub-account), ``Forbidden``
        (the master does not own the number, or the sub-account is another
        master's) or ``AlreadyAssigned``.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            sub = conn.execute(
                "SELECT parent_auth_id FROM accounts WHERE auth_id = ?", (sub_account,)
            ).fetchone()
            if sub is None or sub["parent_auth_id"] is None:
                raise NotFound("sub-account not found")
            if sub["parent_auth_id"] != master:
                raise Forbidden("sub-account does not belong to this account")
            row = conn.execute("SELECT * FROM numbers WHERE e164 = ?", (e164,)).fetchone()
            if row is None:
                raise NotFound("number not found")
            family = self._family(conn, master)
            if row["owner"] in family:
                raise AlreadyAssigned(f"number is already assigned to sub-account {row['owner']}")
            if row["owner"] != master:
                raise Forbidden("account does not own this number")
            conn.execute(
                "UPDATE numbers SET owner = ?, updated_at = ? WHERE id = ?",
                (sub_account, stamp, row["id"]),
            )
            self._audit(
                conn,
                number=row,
                from_auth_id=master,
                to_auth_id=sub_account,
                actor=actor,
                forced=False,
                reason="assign",
                stamp=stamp,
            )
        number = self.get_number(e164)
        assert number is not None
        return number

    def unassign(
        self,
        e164: str,
        *,
        master: str,
        only_from: str | None,
        actor: str,
        force: bool,
        now: datetime,
    ) -> dict[str, Any]:
        """Move a number from a sub-account back to its master, honouring the cool-off.

        ``only_from`` restricts the sub-account the number may be taken from.
        Raises ``NotFound``, ``NotAssigned`` or ``CoolOffInEffect``.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM numbers WHERE e164 = ?", (e164,)).fetchone()
            if row is None:
                raise NotFound("number not found")
            owner = row["owner"]
            family = self._family(conn, master)
            if only_from is not None and owner not in (only_from, master):
                raise NotFound("number not owned by this account")
            if owner == master:
                raise NotAssigned("number is not assigned to a sub-account")
            if owner not in family:
                raise NotFound("number not owned by this account")
            in_cool_off = False
            if row["last_call_at"] is not None:
                until = parse_ts(row["last_call_at"]) + COOL_OFF
                if now < until:
                    in_cool_off = True
                    if not force:
                        remaining = max(1, math.ceil((until - now).total_seconds()))
                        raise CoolOffInEffect(until, remaining)
            conn.execute(
                "UPDATE numbers SET owner = ?, updated_at = ? WHERE id = ?",
                (master, stamp, row["id"]),
            )
            reason = "unassign"
            if force:
                reason = "force_unassign_during_cool_off" if in_cool_off else "force_unassign"
            self._audit(
                conn,
                number=row,
                from_auth_id=owner,
                to_auth_id=master,
                actor=actor,
                forced=force,
                reason=reason,
                stamp=stamp,
            )
        number = self.get_number(e164)
        assert number is not None
        return number

    def record_call(self, e164: str, at: datetime) -> dict[str, Any]:
        """Set a number's last call time. Raises ``NotFound``."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE numbers SET last_call_at = ? WHERE e164 = ?", (format_ts(at), e164)
            )
            if cursor.rowcount == 0:
                raise NotFound("number not found")
        number = self.get_number(e164)
        assert number is not None
        return number

    # logs

    def ledger(self) -> list[dict[str, Any]]:
        """Every debit, oldest first."""
        rows = self._query("SELECT * FROM ledger ORDER BY id")
        return [{**dict(row), "amount": Decimal(row["amount"])} for row in rows]

    def audit(self) -> list[dict[str, Any]]:
        """Every ``did_assignment_audit`` row, oldest first."""
        rows = self._query("SELECT * FROM did_assignment_audit ORDER BY id")
        return [{**dict(row), "forced": bool(row["forced"])} for row in rows]
