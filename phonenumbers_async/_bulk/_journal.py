"""The bulk journal: what each run of a job did, so that a rerun resumes it exactly once.

A journal belongs to one *job*: an operation, the account, the API's base
URL and the job's parameters (:class:`JobIdentity`). Every run of the job has
its own run id. Per number, a ``started`` entry is made durable before the
request is sent, and a ``done`` or ``failed`` entry after the answer (plus a
``step`` entry per finished step of a multi-step job). The store is
pluggable (:class:`JournalStore`): :class:`FileJournal` is a JSON Lines file,
fsynced line by line; :class:`MemoryJournal` keeps the entries in memory
(one process, tests, or a caller that stores them elsewhere).

A journal of another job is refused (:class:`JournalMismatch`) rather than
ignored: appending to it would mix two jobs' records, and starting afresh
over it would lose the other job's. Entries older than the store's expiry
are ignored (and reported per number): so old a record says nothing about
the account today, and the number is simply handled again.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Protocol, TypeAlias, runtime_checkable

import attrs

from ..errors import PhoneNumbersError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_EXPIRY",
    "FileJournal",
    "JobIdentity",
    "JournalArg",
    "JournalEntry",
    "JournalError",
    "JournalMismatch",
    "JournalReplay",
    "JournalStore",
    "MemoryJournal",
]

FORMAT_NAME = "phonenumbers-async-journal"
FORMAT_VERSION = 2
#: How long a journal entry is believed: older ones are ignored (and reported).
DEFAULT_EXPIRY = timedelta(days=7)
EVENTS = frozenset({"started", "done", "failed", "step"})


class JournalError(PhoneNumbersError):
    """A journal that cannot be used: unreadable, in use by another run, or another job's."""


class JournalMismatch(JournalError):
    """The journal was written for another job (operation, account, API or parameters)."""

    def __init__(self, message: str, *, expected: JobIdentity, found: dict[str, Any]) -> None:
        super().__init__(message)
        self.expected = expected
        self.found = found


@attrs.frozen
class JobIdentity:
    """What makes two runs the same job: operation, account, API and parameters."""

    operation: str
    auth_id: str
    base_url: str
    parameters: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls, operation: str, auth_id: str, base_url: str, parameters: Mapping[str, str]
    ) -> JobIdentity:
        """The identity of ``operation`` with ``parameters`` (in any order) on an account."""
        return cls(operation, auth_id, base_url, tuple(sorted(parameters.items())))

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "auth_id": self.auth_id,
            "base_url": self.base_url,
            "parameters": dict(self.parameters),
        }

    def check(self, found: dict[str, Any], where: str) -> None:
        """Raise :class:`JournalMismatch` unless ``found`` (a stored identity) is this job."""
        expected = self.as_dict()
        describe = {
            "operation": "was written by a {} job",
            "auth_id": "belongs to account {}",
            "base_url": "belongs to the API at {}",
            "parameters": "was written for a job with parameters {}",
        }
        for key, template in describe.items():
            if found.get(key) != expected[key]:
                shown = found.get(key)
                wanted = expected[key]
                if key == "parameters":
                    shown, wanted = _params_text(shown), _params_text(wanted)
                raise JournalMismatch(
                    f"journal {where} {template.format(shown)}, not {wanted}; "
                    "use another journal for this job",
                    expected=self,
                    found=found,
                )


def _params_text(value: object) -> str:
    if not isinstance(value, dict) or not value:
        return "(none)"
    return ", ".join(f"{key}={value[key]}" for key in sorted(value))


@attrs.frozen(kw_only=True)
class JournalEntry:
    """One event of one number in one run."""

    e164: str
    event: str
    run_id: str
    at: datetime
    outcome: str | None = None
    cost: Decimal | None = None
    error: str | None = None

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "e164": self.e164,
            "event": self.event,
            "run": self.run_id,
            "at": self.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if self.outcome is not None:
            record["outcome"] = self.outcome
        if self.cost is not None:
            record["cost"] = str(self.cost)
        if self.error is not None:
            record["error"] = self.error
        return record

    @classmethod
    def from_record(cls, record: object) -> JournalEntry | None:
        """The entry a stored record holds, or None if it is not one (a torn write)."""
        if not isinstance(record, dict):
            return None
        e164, event, run, at = (record.get(key) for key in ("e164", "event", "run", "at"))
        if not (isinstance(e164, str) and event in EVENTS and isinstance(run, str)):
            return None
        try:
            when = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
            cost = Decimal(str(record["cost"])) if "cost" in record else None
        except (ValueError, InvalidOperation):
            return None
        if when.tzinfo is None:
            return None
        outcome, error = record.get("outcome"), record.get("error")
        return cls(
            e164=e164,
            event=str(event),
            run_id=run,
            at=when,
            outcome=outcome if isinstance(outcome, str) else None,
            cost=cost,
            error=error if isinstance(error, str) else None,
        )


@attrs.frozen
class JournalReplay:
    """What a store holds from earlier runs of the job, read when the run opens it.

    ``entries`` are the live ones, in order; ``expired`` the ones older than
    the expiry (ignored); ``unreadable`` counts records that could not be
    read (a torn final write).
    """

    entries: Sequence[JournalEntry] = ()
    expired: Sequence[JournalEntry] = ()
    unreadable: int = 0


@runtime_checkable
class JournalStore(Protocol):
    """Where a bulk job keeps its journal; the engine opens, appends and closes it."""

    def open(self, job: JobIdentity, run_id: str, now: datetime) -> JournalReplay:
        """Start run ``run_id`` of ``job``; the earlier runs' entries.

        Raises :class:`JournalMismatch` for a journal of another job and
        :class:`JournalError` for one that cannot be used.
        """
        ...

    def append(self, entry: JournalEntry) -> None:
        """Record ``entry``; when this returns, the entry must survive a crash.

        A store may also offer ``append_many(entries)`` (one durable write for
        several); the engine calls it from a worker thread, one call at a time.
        """
        ...

    def close(self) -> None:
        """The run is over (normally or not)."""
        ...


#: What a bulk method's ``journal=`` takes: a path (a :class:`FileJournal`), a store, or None
#: (a :class:`MemoryJournal`: resumable within the process only).
JournalArg: TypeAlias = "str | os.PathLike[str] | JournalStore | None"


def _split(entries: Sequence[JournalEntry], now: datetime, expiry: timedelta) -> JournalReplay:
    cutoff = now - expiry
    live = [entry for entry in entries if entry.at >= cutoff]
    old = [entry for entry in entries if entry.at < cutoff]
    return JournalReplay(live, old)


class MemoryJournal:
    """A journal kept in this object: resumable within one process (and handy in tests)."""

    def __init__(self, *, expiry: timedelta = DEFAULT_EXPIRY) -> None:
        self.expiry = expiry
        self.job: JobIdentity | None = None
        self.entries: list[JournalEntry] = []
        self.runs: list[str] = []
        #: What the last :meth:`open` read (for a caller that reports it).
        self.replay = JournalReplay()

    def open(self, job: JobIdentity, run_id: str, now: datetime) -> JournalReplay:
        if self.job is not None:
            job.check(self.job.as_dict(), "in memory")
        self.job = job
        self.runs.append(run_id)
        self.replay = _split(list(self.entries), now, self.expiry)
        return self.replay

    def append(self, entry: JournalEntry) -> None:
        self.entries.append(entry)

    def close(self) -> None:
        pass


class FileJournal:
    """A JSON Lines journal file: a header naming the job, then one line per entry.

    Each line is written, flushed and fsynced before :meth:`append` returns,
    so a ``started`` entry is durable before its request leaves. The file is
    locked while a run has it open: two runs never race on one journal.
    """

    def __init__(self, path: str | os.PathLike[str], *, expiry: timedelta = DEFAULT_EXPIRY) -> None:
        self.path = Path(path)
        self.expiry = expiry
        #: What the last :meth:`open` read (for a caller that reports it).
        self.replay = JournalReplay()
        self._handle: IO[str] | None = None

    def open(self, job: JobIdentity, run_id: str, now: datetime) -> JournalReplay:
        path = self.path
        try:
            existed = path.exists() and path.stat().st_size > 0
            handle = path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise JournalError(f"cannot open journal {path}: {exc.strerror or exc}") from None
        try:
            _lock(handle, path)
            handle.seek(0)
            text = _read_text(handle, path)
            replay = JournalReplay()
            if existed:
                replay = _replay(text, path, job, now, self.expiry)
                # A run killed mid-write can leave a partial last line; start on a fresh one.
                if text and not text.endswith("\n"):
                    handle.write("\n")
            self._handle = handle
            if not existed:
                header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "job": job.as_dict()}
                self._write(header)
                _sync_directory(path)
            self._write({"run": run_id, "event": "run", "at": _stamp(now)})
            self.replay = replay
            return replay
        except BaseException:
            handle.close()
            self._handle = None
            raise

    def read(self, job: JobIdentity, now: datetime) -> JournalReplay:
        """What earlier runs recorded, read without opening a run (nothing is written).

        An empty replay when the file does not exist; ``JournalError`` when it
        cannot be read or belongs to another job.
        """
        path = self.path
        try:
            if not path.exists() or path.stat().st_size == 0:
                return JournalReplay()
            with path.open(encoding="utf-8") as handle:
                text = _read_text(handle, path)
        except OSError as exc:
            raise JournalError(f"cannot read journal {path}: {exc.strerror or exc}") from None
        return _replay(text, path, job, now, self.expiry)

    def append(self, entry: JournalEntry) -> None:
        self._write(entry.to_record())

    def append_many(self, entries: Sequence[JournalEntry]) -> None:
        """Record several entries with one write and one fsync (the engine's group commit)."""
        self._write_lines([entry.to_record() for entry in entries])

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _write(self, record: dict[str, Any]) -> None:
        self._write_lines([record])

    def _write_lines(self, records: Sequence[dict[str, Any]]) -> None:
        # Whole lines, then flush and fsync: when this returns, the records
        # survive a SIGKILL or a power cut, which is the whole point.
        if self._handle is None:
            raise JournalError(f"journal {self.path} is not open")
        self._handle.write(
            "".join(json.dumps(record, separators=(",", ":")) + "\n" for record in records)
        )
        self._handle.flush()
        os.fsync(self._handle.fileno())


def _read_text(handle: IO[str], path: Path) -> str:
    """The journal's text; a file that is not UTF-8 is not a journal."""
    try:
        return handle.read()
    except UnicodeDecodeError:
        raise JournalError(
            f"{path} is not a phonenumbers-async journal (not UTF-8 text); use another journal"
        ) from None


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _lock(handle: IO[str], path: Path) -> None:
    if fcntl is None:  # pragma: no cover - not POSIX
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise JournalError(
            f"journal {path} is in use by another running job; wait for it to finish"
        ) from None


def _sync_directory(path: Path) -> None:
    # A new file's directory entry is only durable once the directory is synced.
    with contextlib.suppress(OSError):
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _replay(
    text: str, path: Path, job: JobIdentity, now: datetime, expiry: timedelta
) -> JournalReplay:
    lines = text.splitlines()
    try:
        header = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise JournalError(f"{path} is not a phonenumbers-async journal; use another journal")
    if header.get("version") != FORMAT_VERSION or not isinstance(header.get("job"), dict):
        raise JournalError(
            f"journal {path} has version {header.get('version')!r}, this program reads "
            f"version {FORMAT_VERSION}; use another journal"
        )
    job.check(header["job"], str(path))
    entries: list[JournalEntry] = []
    unreadable = 0
    for line in lines[1:]:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            unreadable += 1
            continue
        if isinstance(record, dict) and record.get("event") == "run":
            continue
        entry = JournalEntry.from_record(record)
        if entry is None:
            # Only a torn final write produces this; its number has no outcome
            # on record, so it is verified like any unfinished one.
            unreadable += 1
            continue
        entries.append(entry)
    split = _split(entries, now, expiry)
    return attrs.evolve(split, unreadable=unreadable)
