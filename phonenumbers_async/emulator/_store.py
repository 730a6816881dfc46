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
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ._auth import Actor
from ._clock import add_month, format_ts, parse_ts

__all__ = [
    "COOL_OFF",
    "STAMP_COLUMNS",
    "AccountExists",
    "AccountNotFound",
    "BalanceTooLow",
    "CoolOffActive",
    "NumberAlreadyAssigned",
    "NumberNotAssigned",
    "NumberNotFound",
    "NumberNotInInventory",
    "NumberNotOwned",
    "Store",
    "StoreError",
    "SubAccountNotFound",
    "SubAccountOfAnotherMaster",
    "cool_off_until",
    "number_row_out",
]

COOL_OFF = timedelta(days=15)
# 2: numbers.family (the owner's master) lets a master's listing use one index range.
SCHEMA_VERSION = "2"
# What identifies a version of a number's wire form: every store method that
# changes a field the API shows also sets updated_at (owner and status are here
# as well, for writes from elsewhere that forget it).
STAMP_COLUMNS = ("id", "owner", "status", "updated_at")
_STAMP = ", ".join(STAMP_COLUMNS)
# Listings whose totals and page cursors are cached at once (a new one clears them).
_MAX_LISTINGS = 256

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
    last_call_at TEXT,
    family TEXT
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
    """A refused store operation; ``_http.ERRORS`` maps each subclass to an answer."""


class AccountNotFound(StoreError):
    """No account with that Auth ID."""


class AccountExists(StoreError):
    """An account with that Auth ID already exists."""


class SubAccountNotFound(StoreError):
    """The sub-account to assign to does not exist."""


class SubAccountOfAnotherMaster(StoreError):
    """The sub-account to assign to belongs to another master."""


class NumberNotFound(StoreError):
    """The store has no such number (or not where the caller may look)."""


class NumberNotInInventory(StoreError):
    """The number cannot be bought: owned, not active, or never stocked."""


class NumberNotOwned(StoreError):
    """The path account does not own the number (outside its family)."""


class NumberAlreadyAssigned(StoreError):
    """The number is already assigned to a sub-account."""


class NumberNotAssigned(StoreError):
    """The number is not assigned to a sub-account."""


class BalanceTooLow(StoreError):
    """The paying account cannot cover the purchase."""

    def __init__(self, required: Decimal, available: Decimal, currency: str) -> None:
        super().__init__("Account balance too low to complete this operation")
        self.required = required
        self.available = available
        self.currency = currency


class CoolOffActive(StoreError):
    """The number had a call within the cool-off period."""

    def __init__(self, until: datetime, remaining_seconds: int) -> None:
        super().__init__("did_cool_off_in_effect")
        self.until = until
        self.remaining_seconds = remaining_seconds


def number_row_out(row: sqlite3.Row) -> dict[str, Any]:
    """A raw number row as Python values (bools, JSON columns, Decimal money)."""
    data = dict(row)
    data.pop("family", None)
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
    """All of the emulator's state, in one SQLite database (a file or memory).

    Several processes may open one file at once: the schema and the seed are
    written in ``BEGIN IMMEDIATE`` transactions that wait (``busy_timeout``)
    for one another, and a seeded store is recognised by its ``primary_auth_id``
    marker, so exactly one process seeds it.
    """

    def __init__(self, path: str | None = None, *, busy_timeout: float = 30.0) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._generation = 0
        self._listings: dict[tuple[Any, ...], _Listing] = {}
        self._conn = sqlite3.connect(
            path or ":memory:",
            isolation_level=None,
            check_same_thread=False,
            timeout=busy_timeout,
        )
        try:
            self._open(busy_timeout)
        except BaseException:
            self._conn.close()
            raise

    def _open(self, busy_timeout: float) -> None:
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        self._conn.execute("PRAGMA foreign_keys = ON")
        if self.path:
            self._wait_for(lambda: self._conn.execute("PRAGMA journal_mode = WAL"), busy_timeout)
            self._conn.execute("PRAGMA synchronous = NORMAL")
        with self.transaction() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            version = self.get_meta("schema_version")
            if version is None:
                self.set_meta("schema_version", SCHEMA_VERSION)
            elif version == "1":
                _migrate_from_1(conn)
                self.set_meta("schema_version", SCHEMA_VERSION)
            elif version != SCHEMA_VERSION:
                raise RuntimeError(f"unsupported emulator database version {version!r}")
            conn.execute("CREATE INDEX IF NOT EXISTS numbers_family ON numbers(family, e164)")

    @staticmethod
    def _wait_for(operation: Callable[[], object], seconds: float) -> None:
        # Switching a new file to WAL takes a lock that SQLite does not wait
        # for; another process doing the same gives "database is locked".
        deadline = time.monotonic() + seconds
        while True:
            try:
                operation()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``, rollback on error).

        Nested use joins the outer transaction, so a seed or a migration can
        call the store's own methods and still commit once.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
                self._generation += 1
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
        """Create an account (a master when ``parent_auth_id`` is None).

        Raises ``AccountExists`` or ``AccountNotFound`` (no such parent master).
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM accounts WHERE auth_id = ?", (auth_id,)).fetchone():
                raise AccountExists("account already exists")
            if parent_auth_id is not None:
                parent = conn.execute(
                    "SELECT parent_auth_id FROM accounts WHERE auth_id = ?", (parent_auth_id,)
                ).fetchone()
                if parent is None or parent["parent_auth_id"] is not None:
                    raise AccountNotFound("parent_auth_id must be an existing master account")
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
        """Change an account's balance, admin flag or enabled flag. Raises ``AccountNotFound``."""
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
                raise AccountNotFound("account not found")
            account = self.get_account(auth_id)
        assert account is not None
        return account

    # numbers

    def insert_numbers(self, rows: Iterable[dict[str, Any]]) -> int:
        """Bulk-insert number rows (one transaction); returns how many."""
        columns = (*NUMBER_COLUMNS, "family")
        placeholders = ", ".join("?" for _ in columns)
        with self.transaction() as conn:
            masters = {
                str(row[0]): str(row[1] or row[0])
                for row in conn.execute("SELECT auth_id, parent_auth_id FROM accounts")
            }
            values = [(*_number_in(row), masters.get(row.get("owner") or "")) for row in rows]
            conn.executemany(
                f"INSERT INTO numbers({', '.join(columns)}) VALUES ({placeholders})", values
            )
        return len(values)

    def all_e164(self) -> set[str]:
        """Every number the store knows."""
        return {str(row[0]) for row in self._query("SELECT e164 FROM numbers")}

    def get_number(self, e164: str) -> dict[str, Any] | None:
        """One number row (every column but the internal ``family``), or None."""
        rows = self._query("SELECT * FROM numbers WHERE e164 = ?", (e164,))
        return number_row_out(rows[0]) if rows else None

    def list_numbers(
        self,
        account: str,
        *,
        with_subaccounts: bool,
        search: str | None = None,
        page: int,
        per_page: int,
    ) -> tuple[list[tuple[Any, ...]], int]:
        """A page of the numbers ``account`` owns (and, with ``with_subaccounts``,
        those of its sub-accounts; containing ``search``), ordered by E.164, and the total.

        Items are row stamps (``STAMP_COLUMNS``, id first); ``_wire.number_page``
        renders them, reading full rows (``numbers_by_id``) only for stamps it
        has not rendered before.
        """
        where = "family = ?" if with_subaccounts else "owner = ?"
        params: tuple[Any, ...] = (account,)
        if search:
            where += " AND instr(e164, ?) > 0"
            params += (search,)
        return self._page(where, params, page, per_page)

    def list_inventory(
        self, *, country: str | None, search: str | None, page: int, per_page: int
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Numbers in inventory (no owner, active), filtered, ordered by E.164 (stamps)."""
        where = ["owner IS NULL", "status = 'active'"]
        params: list[Any] = []
        if country:
            where.append("country = ?")
            params.append(country.upper())
        if search:
            where.append("instr(e164, ?) > 0")
            params.append(search)
        return self._page(" AND ".join(where), tuple(params), page, per_page)

    def _page(
        self, where: str, params: tuple[Any, ...], page: int, per_page: int
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Keyset paging behind a page/per_page API.

        Page ``n`` is ``e164 > cursor ORDER BY e164 LIMIT per_page`` on an
        index, where the cursor (the last E.164 of page ``n - 1``) is cached
        per offset until the next write: the rows read do not grow with depth.
        """
        with self._lock:
            listing = self._listing(where, params)
            offset = (page - 1) * per_page
            cursor = None
            if offset:
                if offset >= listing.total:
                    return [], listing.total
                cursor = listing.cursor(offset)
                if cursor is None:
                    return [], listing.total
            reader = self._conn.cursor()
            reader.row_factory = None  # plain tuples: the stamps are dictionary keys
            if cursor is None:
                sql = f"SELECT {_STAMP} FROM numbers WHERE {where} ORDER BY e164 LIMIT ?"
                stamps = reader.execute(sql, (*params, per_page)).fetchall()
            else:
                sql = (
                    f"SELECT {_STAMP} FROM numbers WHERE {where} AND e164 > ? ORDER BY e164 LIMIT ?"
                )
                stamps = reader.execute(sql, (*params, cursor, per_page)).fetchall()
            return stamps, listing.total

    def numbers_by_id(self, ids: Collection[str]) -> dict[str, sqlite3.Row]:
        """Full number rows by id (for the page stamps whose rendering is not cached)."""
        marks = ", ".join("?" for _ in ids)
        rows = self._query(f"SELECT * FROM numbers WHERE id IN ({marks})", ids)
        return {str(row["id"]): row for row in rows}

    def version(self) -> tuple[int, int]:
        """Changes whenever anything in the database may have changed.

        Our own writes bump a counter; ``PRAGMA data_version`` changes when
        another connection (another process on the same file) commits.
        """
        with self._lock:
            return self._generation, self._conn.execute("PRAGMA data_version").fetchone()[0]

    def _listing(self, where: str, params: tuple[Any, ...]) -> _Listing:
        key = (where, params)
        version = self.version()
        listing = self._listings.get(key)
        if listing is None or listing.generation != version:
            if len(self._listings) > _MAX_LISTINGS:
                self._listings.clear()
            listing = _Listing(self._conn, where, params, version)
            self._listings[key] = listing
        return listing

    def _subaccounts_of(self, conn: sqlite3.Connection, master: str) -> set[str]:
        rows = conn.execute(
            "SELECT auth_id FROM accounts WHERE parent_auth_id = ?", (master,)
        ).fetchall()
        return {str(row[0]) for row in rows}

    def purchase(self, e164: str, *, actor: Actor, now: datetime) -> dict[str, Any]:
        """Buy a number from inventory for the path account, debiting its master.

        Raises ``NumberNotInInventory`` or ``BalanceTooLow``; in both cases
        nothing changes.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM numbers WHERE e164 = ? AND owner IS NULL AND status = 'active'",
                (e164,),
            ).fetchone()
            if row is None:
                raise NumberNotInInventory("number not in inventory")
            account = conn.execute(
                "SELECT balance, currency FROM accounts WHERE auth_id = ?", (actor.master,)
            ).fetchone()
            if account is None:
                raise AccountNotFound("paying account not found")
            cost = Decimal(row["setup_fee"]) + Decimal(row["monthly_fee"])
            balance = Decimal(account["balance"])
            if balance < cost:
                raise BalanceTooLow(cost, balance, str(account["currency"]))
            conn.execute(
                "UPDATE numbers SET owner = ?, family = ?, status = 'active',"
                " source = 'inventory', purchased_at = ?, released_at = NULL, updated_at = ?,"
                " last_billing_date = ?, next_billing_date = ? WHERE id = ?",
                (
                    actor.account,
                    actor.master,
                    stamp,
                    stamp,
                    stamp,
                    format_ts(add_month(now)),
                    row["id"],
                ),
            )
            conn.execute(
                "UPDATE accounts SET balance = ? WHERE auth_id = ?",
                (str(balance - cost), actor.master),
            )
            conn.execute(
                "INSERT INTO ledger(auth_id, e164, amount, currency, at) VALUES (?, ?, ?, ?, ?)",
                (actor.master, e164, str(cost), row["currency"], stamp),
            )
            number = self.get_number(e164)
        assert number is not None
        return number

    def release(self, e164: str, *, actor: Actor, now: datetime) -> None:
        """Return a number to inventory.

        Raises ``NumberNotFound`` (no such number), ``NumberNotOwned`` (outside
        the family) or ``NumberOfAnotherAccount`` (see ``_auth``).
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            row = conn.execute("SELECT id, owner FROM numbers WHERE e164 = ?", (e164,)).fetchone()
            if row is None:
                raise NumberNotFound("number not found")
            actor.check_number(
                row["owner"],
                self._subaccounts_of(conn, actor.master),
                NumberNotOwned("account does not own this number"),
            )
            conn.execute(
                "UPDATE numbers SET owner = NULL, family = NULL, trunk_group_id = NULL,"
                " application_id = NULL, status = 'active', released_at = ?, updated_at = ?,"
                " last_billing_date = NULL, next_billing_date = NULL WHERE id = ?",
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

    def assign(self, e164: str, *, actor: Actor, sub_account: str, now: datetime) -> dict[str, Any]:
        """Move a master's number to one of its sub-accounts.

        Raises ``SubAccountNotFound``, ``SubAccountOfAnotherMaster``,
        ``NumberNotFound``, ``NumberNotOwned`` (outside the family),
        ``NumberOfAnotherAccount`` or ``NumberAlreadyAssigned``.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            sub = conn.execute(
                "SELECT parent_auth_id FROM accounts WHERE auth_id = ?", (sub_account,)
            ).fetchone()
            if sub is None or sub["parent_auth_id"] is None:
                raise SubAccountNotFound("sub-account not found")
            if sub["parent_auth_id"] != actor.master:
                raise SubAccountOfAnotherMaster("sub-account does not belong to this account")
            row = conn.execute("SELECT * FROM numbers WHERE e164 = ?", (e164,)).fetchone()
            if row is None:
                raise NumberNotFound("number not found")
            subaccounts = self._subaccounts_of(conn, actor.master)
            actor.check_number(
                row["owner"], subaccounts, NumberNotOwned("account does not own this number")
            )
            if row["owner"] in subaccounts:
                raise NumberAlreadyAssigned(
                    f"number is already assigned to sub-account {row['owner']}"
                )
            conn.execute(
                "UPDATE numbers SET owner = ?, updated_at = ? WHERE id = ?",
                (sub_account, stamp, row["id"]),
            )
            self._audit(
                conn,
                number=row,
                from_auth_id=actor.master,
                to_auth_id=sub_account,
                actor=actor.caller,
                forced=False,
                reason="assign",
                stamp=stamp,
            )
            number = self.get_number(e164)
        assert number is not None
        return number

    def unassign(self, e164: str, *, actor: Actor, force: bool, now: datetime) -> dict[str, Any]:
        """Move a number from a sub-account back to its master, honouring the cool-off.

        Raises ``NumberNotFound`` (also for a number outside the family),
        ``NumberOfAnotherAccount``, ``NumberNotAssigned`` or ``CoolOffActive``.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM numbers WHERE e164 = ?", (e164,)).fetchone()
            if row is None:
                raise NumberNotFound("number not found")
            owner = row["owner"]
            actor.check_number(
                owner,
                self._subaccounts_of(conn, actor.master),
                NumberNotFound("number not owned by this account"),
            )
            if owner == actor.master:
                raise NumberNotAssigned("number is not assigned to a sub-account")
            in_cool_off = False
            if row["last_call_at"] is not None:
                until = cool_off_until(row["last_call_at"])
                if now < until:
                    in_cool_off = True
                    if not force:
                        remaining = max(1, math.ceil((until - now).total_seconds()))
                        raise CoolOffActive(until, remaining)
            conn.execute(
                "UPDATE numbers SET owner = ?, updated_at = ? WHERE id = ?",
                (actor.master, stamp, row["id"]),
            )
            reason = "unassign"
            if force:
                reason = "force_unassign_during_cool_off" if in_cool_off else "force_unassign"
            self._audit(
                conn,
                number=row,
                from_auth_id=owner,
                to_auth_id=actor.master,
                actor=actor.caller,
                forced=force,
                reason=reason,
                stamp=stamp,
            )
            number = self.get_number(e164)
        assert number is not None
        return number

    def record_call(self, e164: str, at: datetime) -> dict[str, Any]:
        """Set a number's last call time. Raises ``NumberNotFound``."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE numbers SET last_call_at = ? WHERE e164 = ?", (format_ts(at), e164)
            )
            if cursor.rowcount == 0:
                raise NumberNotFound("number not found")
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


def cool_off_until(last_call_at: str) -> datetime:
    """When the cool-off after a call at ``last_call_at`` ends (at the latest, ``datetime.max``).

    Timestamps are bounded where they are written, but a database from an
    older emulator may hold any date: the sum must not overflow.
    """
    try:
        return parse_ts(last_call_at) + COOL_OFF
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


class _Listing:
    """One filter's total and its page cursors, valid for one store version."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        where: str,
        params: tuple[Any, ...],
        generation: tuple[int, int],
    ) -> None:
        self._conn = conn
        self._where = where
        self._params = params
        self.generation = generation
        self.total = int(
            conn.execute(f"SELECT COUNT(*) FROM numbers WHERE {where}", params).fetchone()[0]
        )
        self._cursors: dict[int, str | None] = {}

    def cursor(self, offset: int) -> str | None:
        """The E.164 just before position ``offset`` (None: there is none, past the end).

        Found once per store version with ``LIMIT 1 OFFSET`` on a covering
        index (the E.164 is in it, no table row is read), then cached.
        """
        if offset not in self._cursors:
            row = self._conn.execute(
                f"SELECT e164 FROM numbers WHERE {self._where} ORDER BY e164 LIMIT 1 OFFSET ?",
                (*self._params, offset - 1),
            ).fetchone()
            self._cursors[offset] = None if row is None else str(row[0])
        return self._cursors[offset]


def _migrate_from_1(conn: sqlite3.Connection) -> None:
    """Schema 1 had no ``family`` column: add it and fill it from the owners."""
    columns = {str(row[1]) for row in conn.execute("PRAGMA table_info(numbers)")}
    if "family" not in columns:
        conn.execute("ALTER TABLE numbers ADD COLUMN family TEXT")
    conn.execute(
        "UPDATE numbers SET family = (SELECT COALESCE(a.parent_auth_id, a.auth_id)"
        " FROM accounts AS a WHERE a.auth_id = numbers.owner)"
    )
