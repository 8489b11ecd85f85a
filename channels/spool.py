"""The inbound spool: a local, append-only file of raw inbound events kept while the database is stuck.

One file per process (`<name>.jsonl` under the spool directory), held with an exclusive `flock` for as
long as the process runs. A line is one JSON object: an event (`n`: its number in the file, `channel`,
`event`: the provider's event id, `sender`, `at`, `payload`: the raw Twilio form or Telegram update) or
`{"done": n}` once the event has been handled. Appends are written and `fsync`ed before `append` returns
(concurrent appends share one `fsync`); when nothing is left to handle the file is truncated. A crash
between handling an event and its `done` line replays the event: the provider event id recorded in the
database (`storage.inbound`) makes that a no-op.

On opening, the files of processes that are gone (no lock held: a crashed or retired replica sharing the
directory) are taken over: their waiting events are appended to this file, then they are deleted.
A torn last line (a crash in the middle of a write, never acknowledged) is cut off.
The file holds what people wrote: it is readable by the service's account only and emptied once handled.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"


@dataclass(frozen=True)
class SpoolEntry:
    """One raw inbound event; `sender` (a number, a Telegram user id) keys the per-person order."""

    channel: str
    event_id: str
    sender: str
    received_at: datetime
    payload: dict[str, Any] = field(hash=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.sender}"

    def to_line(self, number: int) -> bytes:
        record = {
            "n": number,
            "channel": self.channel,
            "event": self.event_id,
            "sender": self.sender,
            "at": self.received_at.isoformat(),
            "payload": self.payload,
        }
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> SpoolEntry:
        return cls(
            channel=str(record["channel"]),
            event_id=str(record["event"]),
            sender=str(record["sender"]),
            received_at=datetime.fromisoformat(str(record["at"])),
            payload=dict(record["payload"]),
        )


class InboundSpool:
    """The file; `open` it (takes it and any orphaned files over), then `append`, `done`, `close`.

    Not thread-safe: one event loop uses it; the blocking writes run in a worker thread, one at a time.
    """

    def __init__(self, path: Path, fd: int, waiting: dict[int, SpoolEntry], next_number: int) -> None:
        self.path = path
        self._fd = fd
        self._waiting = waiting
        self._next = next_number
        self._queue: list[tuple[bytes, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    @classmethod
    def open(cls, directory: Path, name: str) -> InboundSpool:
        """Claim `<name>.jsonl` (or `<name>-<pid>.jsonl` when a live process holds it) and load it."""
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / f"{name}{SUFFIX}"
        fd = _claim(path)
        if fd is None:
            path = directory / f"{name}-{os.getpid()}{SUFFIX}"
            fd = _claim(path)
            assert fd is not None, f"{path} is held by another process"
        records = _load(fd, path)
        numbers = [int(r["n"]) for r in records if "n" in r]
        spool = cls(path, fd, _waiting(records), max(numbers, default=0) + 1)
        spool._adopt_orphans(directory)
        return spool

    def waiting(self) -> list[tuple[int, SpoolEntry]]:
        """Events not handled yet, oldest first (by arrival time, then by their place in the file)."""
        return sorted(self._waiting.items(), key=lambda item: (item[1].received_at, item[0]))

    @property
    def depth(self) -> int:
        return len(self._waiting)

    async def append(self, entry: SpoolEntry) -> int:
        """Write the event and fsync it; returns its number (for `done`). Raises OSError if it could not."""
        number = self._next
        self._next += 1
        self._waiting[number] = entry
        try:
            await self._write(entry.to_line(number))
        except BaseException:
            self._waiting.pop(number, None)
            raise
        return number

    async def done(self, number: int) -> None:
        """The event was handled: mark it (the file is emptied once nothing is waiting)."""
        if self._waiting.pop(number, None) is not None:
            await self._write(json.dumps({"done": number}).encode() + b"\n")

    async def flush(self) -> None:
        """Wait for the writes already asked for."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # releases the lock
            self._fd = -1

    async def _write(self, line: bytes) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((line, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        await asyncio.shield(future)  # a cancelled caller does not cancel a write others wait for

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            # Nothing waiting: every event in the file (and in this batch) is handled, so empty the file.
            empty = not self._waiting
            try:
                await asyncio.to_thread(self._write_now, b"".join(line for line, _ in batch), empty)
            except OSError as exc:
                log.error("could not write the inbound spool %s: %s", self.path, exc)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    def _write_now(self, data: bytes, empty: bool) -> None:
        if empty:
            os.ftruncate(self._fd, 0)
        else:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)

    def _adopt_orphans(self, directory: Path) -> None:
        """Take over the waiting events of files no live process holds, then delete those files."""
        for other in sorted(directory.glob(f"*{SUFFIX}")):
            if other == self.path:
                continue
            fd = _claim(other)
            if fd is None:
                continue  # a live replica's own spool
            try:
                taken = _waiting(_load(fd, other))
                lines = b""
                for entry in sorted(taken.values(), key=lambda e: e.received_at):
                    if not self._holds(entry):
                        self._waiting[self._next] = entry
                        lines += entry.to_line(self._next)
                        self._next += 1
                self._write_now(lines, empty=False)
                other.unlink()
                log.warning("inbound spool %s taken over: %d events waiting", other.name, len(taken))
            finally:
                os.close(fd)

    def _holds(self, entry: SpoolEntry) -> bool:
        return any((e.channel, e.event_id) == (entry.channel, entry.event_id) for e in self._waiting.values())


def _claim(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _load(fd: int, path: Path) -> list[dict[str, Any]]:
    """The records of a file we hold; a torn last line is cut off, other unreadable lines skipped."""
    size = os.fstat(fd).st_size
    data = os.pread(fd, size, 0) if size else b""
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        log.warning("inbound spool %s: cut a torn last line (%d bytes)", path.name, len(data) - keep)
        os.ftruncate(fd, keep)
        os.fsync(fd)
        data = data[:keep]
    records: list[dict[str, Any]] = []
    for number, line in enumerate(data.splitlines(), start=1):
        try:
            record = json.loads(line)
        except ValueError:
            log.error("inbound spool %s: line %d is not JSON; skipped", path.name, number)
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _waiting(records: list[dict[str, Any]]) -> dict[int, SpoolEntry]:
    """Events without a `done` line, one per provider event id (a re-sent event is kept once)."""
    done = {int(r["done"]) for r in records if "done" in r}
    waiting: dict[int, SpoolEntry] = {}
    seen: set[tuple[str, str]] = set()
    for record in records:
        if "n" not in record or int(record["n"]) in done:
            continue
        try:
            entry = SpoolEntry.from_record(record)
        except (KeyError, TypeError, ValueError):
            log.error("inbound spool: event %s is incomplete; skipped", record.get("n"))
            continue
        if (entry.channel, entry.event_id) not in seen:
            seen.add((entry.channel, entry.event_id))
            waiting[int(record["n"])] = entry
    return waiting
