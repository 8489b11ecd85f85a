"""Broadcast delivery benchmark (issue 4, item 9): civicbot's outbox against the fake Bot API.

Each sender runs in its own process against the fake in process mode, so their peak RSS is their own:
`civicbot serve` (the real service delivering the outbox), a naive aiogram loop, and python-telegram-bot's
`AIORateLimiter`. Reported: achieved rate / configured limit (first to last accepted send), 429s and
their share of send requests, lost and duplicate messages (per chat, from the fake), peak RSS (VmHWM).
A final 100,000-recipient run checks that enqueue and delivery never hold the audience in memory.

    python -m benchmarks.broadcast                    # SQLite, 20,000 / 600 / 100,000 recipients
    python -m benchmarks.broadcast --database postgres --big 0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from benchmarks.broadcast_processes import ROOT, Child, FakeTelegramProcess, civicbot_serve, spawn
from benchmarks.broadcast_report import markdown
from storage.db import create_engine, session_factory, unit_of_work
from storage.migrate import upgrade
from storage.seed import seed_municipalities
from tests.channels.recipients import add_people
from tests.fakes.telegram_api import DEFAULT_TOKEN

OUT = ROOT / "benchmarks" / "out"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Run:
    sender: str
    mode: str
    recipients: int
    limit: float
    seconds: float
    achieved_per_second: float
    of_limit: float
    send_requests: int
    rate_limited: int
    rate_limited_share: float
    lost: int
    duplicates: int
    peak_rss_mb: float
    idle_rss_mb: float | None = None
    enqueue_seconds: float | None = None
    enqueue_peak_rss_mb: float | None = None


@dataclass
class Timing:
    first: float  # the first poll that saw a send, and how many it saw
    first_sent: int
    last: float  # the poll that saw the final count
    sent: int

    @property
    def rate(self) -> float:
        """Sends per second between the two polls: what went before the first poll is not counted,
        so a sender's opening burst cannot inflate the rate."""
        return (self.sent - self.first_sent) / (self.last - self.first) if self.last > self.first else 0.0


async def watch(fake: FakeTelegramProcess, target: int, child: Child, limit: float, stall: float = 60.0
                ) -> Timing:
    """Poll the fake every 50 ms: when the first and the last accepted send happened. A sender that
    takes more than three times the ideal duration is stopped (what it did not send counts as lost)."""
    deadline = time.monotonic() + 3 * target / limit + 60
    first = last = 0.0
    seen = first_seen = 0
    while True:
        sent = (await fake.stats())["sent"]
        now = time.monotonic()
        if sent > seen:
            if not first:
                first, first_seen = now, sent
            last, seen = now, sent
        exited = child.process.poll() is not None
        if seen >= target or exited or (first and now - last > stall):
            return Timing(first, first_seen, last, seen)
        if now > deadline:
            child.process.kill()
            return Timing(first, first_seen, last, seen)
        await asyncio.sleep(0.05)


async def score(fake: FakeTelegramProcess, sender: str, mode: str, first_id: int, count: int, limit: float,
                timing: Timing, rss: float, **extra: Any) -> Run:
    stats = await fake.stats()
    counts = await fake.per_chat_counts(first_id, count)
    seconds = timing.last - timing.first
    achieved = timing.rate
    requests = stats["sent"] + stats["rate_limited"]
    return Run(sender, mode, count, limit, round(seconds, 2), round(achieved, 1), round(achieved / limit, 3),
               requests, stats["rate_limited"], round(stats["rate_limited"] / max(requests, 1), 5),
               sum(1 for c in counts if c == 0), sum(c - 1 for c in counts if c > 1), round(rss, 1), **extra)


async def prepare(url: str, first_id: int, count: int) -> None:
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with unit_of_work(sessions) as session:
        await seed_municipalities(session)
    await add_people(sessions, count, first_address=first_id, chunk=5000)
    await engine.dispose()


async def civicbot_run(fake: FakeTelegramProcess, url: str, workdir: Path, mode: str, first_id: int,
                       count: int, limit: float, paid: bool) -> Run:
    """The service runs first (its idle RSS is measured), then the broadcast is enqueued by another
    process, as a campaign step firing elsewhere would, and the service delivers it."""
    await prepare(url, first_id, count)
    await fake.control("POST", "reset", {})
    env = {"TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN, "TELEGRAM_API_BASE": fake.base_url, "DATABASE_URL": url,
           "TELEGRAM_PAID_BROADCAST": str(paid).lower(), "TELEGRAM_PAID_RATE": str(limit),
           "TELEGRAM_RATE_PER_SECOND": str(limit), "DELIVERY_POLL_SECONDS": "0.2"}
    async with civicbot_serve(env, workdir) as (service, _):
        await asyncio.sleep(2)
        idle = psutil.Process(service.pid).memory_info().rss / 2**20
        args = ["-m", "benchmarks.broadcast_enqueue", "--database-url", url]
        enqueue = spawn(args, workdir / "enqueue.log")
        await asyncio.to_thread(enqueue.process.wait)
        queued = json.loads(enqueue.log.read_text().strip().splitlines()[-1])
        assert queued["queued"] == count, queued
        timing = await watch(fake, count, service, limit)
        rss = service.peak_rss_mb()
    return await score(fake, "civicbot outbox", mode, first_id, count, limit, timing, rss,
                       idle_rss_mb=round(idle, 1), enqueue_seconds=round(queued["seconds"], 2),
                       enqueue_peak_rss_mb=round(queued["peak_rss_mb"], 1))


async def baseline_run(fake: FakeTelegramProcess, kind: str, workdir: Path, mode: str, first_id: int,
                       count: int, limit: float, paid: bool) -> Run:
    await fake.control("POST", "reset", {})
    args = ["-m", "benchmarks.broadcast_baselines", kind, "--api-base", fake.base_url,
            "--first-id", str(first_id), "--count", str(count), "--rate", str(limit)]
    child = spawn([*args, "--paid"] if paid else args, workdir / f"{kind}.log")
    timing = await watch(fake, count, child, limit)
    await asyncio.to_thread(child.process.wait)
    lines = child.log.read_text().strip().splitlines()
    result = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {"peak_rss_mb": float("nan")}
    name = {"naive": "naive aiogram loop", "ptb": "PTB AIORateLimiter"}[kind]
    return await score(fake, name, mode, first_id, count, limit, timing, result["peak_rss_mb"])


async def database_url(kind: str, workdir: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / name}.sqlite3"
    database = f"civicbot_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"


async def drop(url: str) -> None:
    if url.startswith("postgresql"):
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await conn.close()


def load_average() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


async def main(args: argparse.Namespace) -> dict[str, Any]:
    runs: list[Run] = []
    load_before = load_average()  # other work on the machine skews the rates
    with tempfile.TemporaryDirectory(prefix="civicbot-bench-") as tmp:
        workdir = Path(tmp)
        fake = FakeTelegramProcess(workdir)
        await fake.start()
        try:
            await fake.control("POST", "limits", {"global_limit": 30, "paid_limit": args.paid_limit})
            scenarios = [(f"paid {args.paid_limit:g}/s", args.recipients, args.paid_limit, True),
                         ("free 30/s", args.slow_recipients, 30.0, False)]
            for index, (mode, count, limit, paid) in enumerate(scenarios):
                first_id = 1_000_000 * (index + 1)
                await fake.register(first_id, count)
                url = await database_url(args.database, workdir, f"run{index}")
                try:
                    runs.append(await civicbot_run(fake, url, workdir, mode, first_id, count, limit, paid))
                finally:
                    await drop(url)
                for kind in ("naive", "ptb"):
                    runs.append(await baseline_run(fake, kind, workdir, mode, first_id, count, limit, paid))
                print(markdown(runs[-3:]), flush=True)
            if args.big:
                await fake.control("POST", "limits", {"global_limit": 30, "paid_limit": args.big_limit})
                first_id = 10_000_000
                await fake.register(first_id, args.big)
                url = await database_url(args.database, workdir, "big")
                try:
                    mode = f"paid {args.big_limit:g}/s (fast fake)"
                    runs.append(await civicbot_run(fake, url, workdir, mode, first_id, args.big,
                                                   args.big_limit, True))
                finally:
                    await drop(url)
                print(markdown(runs[-1:]), flush=True)
        finally:
            await fake.close()
    return {
        "benchmark": "broadcast", "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": args.database, "cpus": psutil.cpu_count(), "load_average_before": load_before,
        "load_average_after": load_average(), "runs": [asdict(run) for run in runs],
    }


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.broadcast", description="broadcast delivery")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--recipients", type=int, default=20_000, help="the paid-broadcast run")
    parser.add_argument("--paid-limit", type=float, default=1000.0)
    parser.add_argument("--slow-recipients", type=int, default=600, help="the 30/s run")
    parser.add_argument("--big", type=int, default=100_000, help="the memory run (0 skips it)")
    parser.add_argument("--big-limit", type=float, default=2000.0, help="the fake's limit in the memory run")
    args = parser.parse_args()
    result = asyncio.run(main(args))
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = result["at"].replace(":", "").replace("-", "")
    path = OUT / f"broadcast-{args.database}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2))
    table = markdown([Run(**run) for run in result["runs"]])
    (OUT / f"broadcast-{args.database}.md").write_text(table + "\n")
    print(table)
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    cli()
