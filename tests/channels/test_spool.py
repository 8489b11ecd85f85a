"""The inbound spool file: durable appends, emptied once handled, torn tails cut, orphans taken over."""

from __future__ import annotations

import asyncio
import fcntl
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from channels import spool as spool_module
from channels.spool import InboundSpool, SpoolEntry

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _entry(event: str, sender: str = "+995599000001", seconds: int = 0) -> SpoolEntry:
    form = [["MessageSid", event], ["From", sender], ["Body", "გამარჯობა"]]
    return SpoolEntry("sms", event, sender, T0 + timedelta(seconds=seconds), {"form": form})


async def test_appended_events_survive_a_reopen_in_arrival_order(tmp_path: Path) -> None:
    spool = InboundSpool.open(tmp_path, "replica")
    for n, event in enumerate(["SM3", "SM1", "SM2"]):
        await spool.append(_entry(event, seconds=[3, 1, 2][n]))
    spool.close()  # as a crash would leave it: nothing marked done

    again = InboundSpool.open(tmp_path, "replica")
    assert [entry.event_id for _, entry in again.waiting()] == ["SM1", "SM2", "SM3"]
    assert again.waiting()[0][1].payload["form"][2] == ["Body", "გამარჯობა"]
    again.close()


async def test_the_file_is_emptied_once_every_event_is_done(tmp_path: Path) -> None:
    spool = InboundSpool.open(tmp_path, "replica")
    first, second = await spool.append(_entry("SM1")), await spool.append(_entry("SM2"))
    await spool.done(first)
    assert spool.path.stat().st_size > 0 and spool.depth == 1
    await spool.done(second)
    assert spool.path.stat().st_size == 0 and spool.depth == 0
    third = await spool.append(_entry("SM3"))
    spool.close()
    again = InboundSpool.open(tmp_path, "replica")
    assert [(n, e.event_id) for n, e in again.waiting()] == [(third, "SM3")]
    again.close()


async def test_a_done_event_is_not_waiting_after_a_reopen(tmp_path: Path) -> None:
    spool = InboundSpool.open(tmp_path, "replica")
    first = await spool.append(_entry("SM1"))
    await spool.append(_entry("SM2"))
    await spool.done(first)
    spool.close()
    again = InboundSpool.open(tmp_path, "replica")
    assert [e.event_id for _, e in again.waiting()] == ["SM2"]
    again.close()


async def test_a_torn_last_line_is_cut_and_later_appends_stay_readable(tmp_path: Path) -> None:
    spool = InboundSpool.open(tmp_path, "replica")
    await spool.append(_entry("SM1"))
    spool.close()
    with (tmp_path / "replica.jsonl").open("ab") as file:
        file.write(b'{"n":2,"channel":"sms","event":"SM2","sen')  # the crash came mid-write
    again = InboundSpool.open(tmp_path, "replica")
    await again.append(_entry("SM3"))
    again.close()
    last = InboundSpool.open(tmp_path, "replica")
    assert [e.event_id for _, e in last.waiting()] == ["SM1", "SM3"]
    last.close()


async def test_a_re_sent_event_waits_once(tmp_path: Path) -> None:
    spool = InboundSpool.open(tmp_path, "replica")
    await spool.append(_entry("SM1"))
    await spool.append(_entry("SM1"))
    spool.close()
    again = InboundSpool.open(tmp_path, "replica")
    assert [e.event_id for _, e in again.waiting()] == ["SM1"]
    again.close()


async def test_the_spool_of_a_gone_process_is_taken_over_and_a_live_one_left_alone(tmp_path: Path) -> None:
    live = InboundSpool.open(tmp_path, "live")
    await live.append(_entry("SM9", seconds=9))
    gone = InboundSpool.open(tmp_path, "gone")
    await gone.append(_entry("SM2", sender="+995599000002", seconds=2))
    gone.close()  # its process ended before handling SM2
    mine = InboundSpool.open(tmp_path, "replica")
    await mine.append(_entry("SM1", seconds=1))  # after the take-over, but it arrived earlier
    assert [e.event_id for _, e in mine.waiting()] == ["SM1", "SM2"]
    assert not (tmp_path / "gone.jsonl").exists()
    assert (tmp_path / "live.jsonl").exists()
    live.close()
    mine.close()


async def test_a_name_held_by_a_live_process_gets_a_file_of_its_own(tmp_path: Path) -> None:
    first = InboundSpool.open(tmp_path, "replica")
    second = InboundSpool.open(tmp_path, "replica")
    assert first.path != second.path
    with first.path.open("rb") as held, pytest.raises(BlockingIOError):  # the first keeps its lock
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    first.close()
    second.close()


async def test_appends_at_the_same_moment_share_fsyncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(spool_module.os, "fsync", counting_fsync)
    spool = InboundSpool.open(tmp_path, "replica")
    synced.clear()
    numbers = await asyncio.gather(*(spool.append(_entry(f"SM{n}", seconds=n)) for n in range(50)))
    spool.close()
    assert sorted(numbers) == list(range(1, 51))
    assert 1 <= len(synced) < 50, f"{len(synced)} fsyncs for 50 appends"
    again = InboundSpool.open(tmp_path, "replica")
    assert again.depth == 50
    again.close()


async def test_the_file_is_private_to_the_service_account(tmp_path: Path) -> None:
    spool = InboundSpool.open(tmp_path / "spool", "replica")
    assert spool.path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "spool").stat().st_mode & 0o777 == 0o700
    spool.close()
