"""The app reads a private copy of the warehouse, so an audit never waits for it, nor it for one.

DuckDB lets no other process open a file while one holds it read-write, and the nightly flow
holds the warehouse for minutes at a time. So the app copies the file whenever it has changed and
can be opened (a read-only open takes a shared lock for the second the copy lasts: the flow's
`connect` waits up to 30 s for it), then serves every page from the copy. While an audit holds
the file, the app keeps serving the last copy and says how old it is. Decisions made in the app
are written to the sidecar first and merged into the copy at once with the same code the flow
uses (merge.py), and merged again into each fresh copy, so no decision disappears from view.

Copies are taken by a background thread (`Refresher`), only when the warehouse's modification
time or size changed, as a reflink clone where the filesystem allows (XFS, Btrfs: milliseconds
whatever the size) and outside the lock that decisions take, so a decision never waits for one.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

try:
    import fcntl
except ImportError:  # not on Linux or another Unix: plain copies only
    fcntl = None  # type: ignore[assignment]

from dashboards.review.merge import merge_sidecar

log = logging.getLogger(__name__)
FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int), share the source file's blocks


@dataclass
class Generation:
    number: int
    path: Path
    con: duckdb.DuckDBPyConnection
    taken_at: datetime
    fingerprint: tuple[int, ...]


class Snapshot:
    """The current copy; `cursor()` gives a per-request connection to it (thread-safe)."""

    def __init__(self, db_path: Path, sidecar: Path, work_dir: Path | None = None) -> None:
        self.db_path = Path(db_path)
        self.sidecar = sidecar
        self.work_dir = work_dir or self.db_path.with_name(self.db_path.name + ".review")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.current: Generation | None = None
        self._retired: list[Generation] = []
        self._lock = threading.Lock()  # one merge into, or swap of, the current copy at a time
        self._refresh_lock = threading.Lock()  # one copy at a time
        self.busy_since: datetime | None = None  # the warehouse was held by a writer
        self.busy_count = 0  # copies put off because a writer held the warehouse
        self.copies = 0
        self.last_copy_ms = 0.0  # how long the last copy held the warehouse (read-only)
        self.last_refresh_ms = 0.0  # copy, merge, warm-up and swap

    def _fingerprint(self) -> tuple[int, ...]:
        parts: list[int] = []
        for path in (self.db_path, self.db_path.with_name(self.db_path.name + ".wal")):
            if path.exists():
                stat = path.stat()
                parts += [stat.st_mtime_ns, stat.st_size]
        return tuple(parts)

    def refresh(self, force: bool = False) -> bool:
        """Take a new copy if the warehouse changed and is free; False if it was held or same.

        Only one refresh runs at a time, and the copy is made without holding the lock that
        decisions take (`merge_now`): a monitor's decision never waits for a copy. Decisions
        written while the copy was made are merged into it just before it replaces the old one.
        """
        with self._refresh_lock:
            fingerprint = self._fingerprint()
            if not force and self.current and self.current.fingerprint == fingerprint:
                return False
            number = (self.current.number + 1) if self.current else _next_number(self.work_dir)
            target = self.work_dir / f"snapshot-{number}.duckdb"
            started = time.perf_counter()
            copied = self._copy(target)
            if copied is None:  # a writer (the audit) holds it: serve the last copy
                with self._lock:
                    self.busy_since = self.busy_since or datetime.now(UTC)
                    self.busy_count += 1
                    if self.current is None:
                        self._adopt_latest()
                return False
            self.last_copy_ms = (time.perf_counter() - started) * 1000
            con = duckdb.connect(str(target))
            con.execute("SET TimeZone = 'UTC'")
            merge_sidecar(con, self.sidecar)
            _warm(con)
            with self._lock:
                merge_sidecar(con, self.sidecar)  # decisions made while copying
                self.busy_since = None
                self._swap(Generation(number, target, con, datetime.now(UTC), copied))
            self.last_refresh_ms = (time.perf_counter() - started) * 1000
            self.copies += 1
            return True

    def _copy(self, target: Path) -> tuple[int, ...] | None:
        """Copy the warehouse (and its WAL) to `target` while holding a read-only connection,
        which keeps writers out for the copy's duration; None if a writer holds it now."""
        try:
            source = duckdb.connect(str(self.db_path), read_only=True)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            return None
        try:
            fingerprint = self._fingerprint()
            clone_file(self.db_path, target)
            wal = self.db_path.with_name(self.db_path.name + ".wal")
            target_wal = target.with_name(target.name + ".wal")
            if wal.exists():
                clone_file(wal, target_wal)
            else:
                target_wal.unlink(missing_ok=True)
        finally:
            source.close()
        return fingerprint

    def _adopt_latest(self) -> None:
        """After a restart during an audit: serve the copy the previous process left."""
        found = sorted(self.work_dir.glob("snapshot-*.duckdb"), key=lambda p: int(p.stem[9:]))
        if found:
            con = duckdb.connect(str(found[-1]))
            con.execute("SET TimeZone = 'UTC'")
            merge_sidecar(con, self.sidecar)
            number = int(found[-1].stem[9:])
            taken = datetime.fromtimestamp(found[-1].stat().st_mtime, UTC)
            self.current = Generation(number, found[-1], con, taken, ())

    def _swap(self, new: Generation) -> None:
        # Requests still reading the previous copy keep their cursors: it is closed one
        # generation later, and its file removed then.
        for old in self._retired:
            old.con.close()
            for path in (old.path, old.path.with_name(old.path.name + ".wal")):
                path.unlink(missing_ok=True)
        self._retired = [self.current] if self.current else []
        self.current = new
        for stale in self.work_dir.glob("snapshot-*.duckdb*"):  # left by an earlier process
            number = int(stale.name.split("-")[1].split(".")[0])
            if number < new.number and all(number != g.number for g in self._retired):
                stale.unlink(missing_ok=True)

    def merge_now(self) -> None:
        """Merge decisions just written to the sidecar into the copy (the page shows them)."""
        with self._lock:
            if self.current:
                merge_sidecar(self.current.con, self.sidecar)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.current is None:
            self.refresh()
        current = self.current
        if current is None:
            raise SnapshotUnavailable("the warehouse is in use and no copy has been taken yet")
        cur = current.con.cursor()
        try:
            cur.execute("SET TimeZone = 'UTC'")
            yield cur
        finally:
            cur.close()

    def close(self) -> None:
        with self._lock:
            for gen in [*self._retired, *([self.current] if self.current else [])]:
                gen.con.close()
            self._retired, self.current = [], None


class SnapshotUnavailable(Exception):
    """No copy exists yet and the warehouse is held by a writer."""


def clone_file(source: Path, target: Path) -> None:
    """Copy a file; on a filesystem with reflinks (XFS, Btrfs) a clone that shares the source's
    blocks and takes milliseconds whatever the size, elsewhere an in-kernel copy (sendfile)."""
    try:
        if fcntl is not None:
            with open(source, "rb") as src, open(target, "wb") as dst:
                fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
            return
    except OSError:  # no reflinks here (ext4, tmpfs, another device): copy the bytes
        pass
    shutil.copyfile(source, target)


def _warm(con: duckdb.DuckDBPyConnection) -> None:
    """Read what the queue reads, so the first page after a swap does not pay for a cold copy."""
    con.execute(
        "SELECT status, check_name, level, account_id, severity, count(*), max(first_seen) "
        "FROM findings GROUP BY ALL"
    ).fetchall()


def _next_number(folder: Path) -> int:
    numbers = [int(p.stem.split("-")[1]) for p in folder.glob("snapshot-*.duckdb")]
    return max(numbers, default=0) + 1


class Refresher:
    """A daemon thread that refreshes the snapshot every `seconds`."""

    def __init__(self, snapshot: Snapshot, seconds: float) -> None:
        self.snapshot = snapshot
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshot-refresh", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.snapshot.refresh()
            except (duckdb.Error, OSError):
                log.exception("snapshot refresh failed; serving the previous copy")
