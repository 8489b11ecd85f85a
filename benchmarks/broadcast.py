"""Broadcast delivery benchmark (issues 4 and 17): civicbot's outbox against a strict fake Bot API.

Each sender runs in its own process against the fake in process mode, so their peak RSS is their own:
`civicbot serve` (the real service delivering the outbox), a naive aiogram loop, and python-telegram-bot's
`AIORateLimiter`. Every sender meets the same modes of the fake (`tests/fakes/telegram_limits.py`), one
table for all: **strict** (at most 30 accepted in any sliding second), **hidden** (the bot is told 30/s,
the fake allows 20 % less), **flood** (a 30 s flood wait after the 100th send) and **paid** (1,000/s).
Reported from the fake's arrival times: the rate (first to last accepted send; a flood wait's gap left
out; for the hidden limit from the 10th second on) against the limit really enforced, the most in any
sliding second, 429s and their share of send requests, lost and duplicate messages (per chat), peak RSS
(VmHWM); for the flood wait how soon after its end sending resumed and the most in a second after it;
and, during civicbot's strict run, how long people who write /start wait for the answer (p95).

    python -m benchmarks.broadcast          # SQLite: strict 1,000, hidden 1,000, flood 300, paid 20,000
    python -m benchmarks.broadcast --database postgres --paid 0 --big 0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from benchmarks.broadcast_analysis import analyse, p95, reply_latencies
from benchmarks.broadcast_processes import ROOT, Child, FakeTelegramProcess, civicbot_serve, spawn
from benchmarks.broadcast_report import markdown
from storage.db import create_engine, session_factory, unit_of_work
from storage.migrate import upgrade
from storage.seed import seed_municipalities
from tests.channels.recipients import add_people
from tests.fakes.telegram_api import DEFAULT_TOKEN

OUT = ROOT / "benchmarks" / "out"
FAKE_DEFAULTS = {"mode": "strict", "global_limit": 30, "hidden_limit": None, "flood_at": None}
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
MODES = ["strict", "hidden", "flood"]  # at 30/s; `--paid` adds the paid broadcast


@dataclass(frozen=True)
class Mode:
    """One way the fake enforces its limit; `limit` is what senders are told, `real` what is enforced."""

    name: str
    recipients: int
    limit: float
    real: float
    fake: dict[str, Any] = field(default_factory=dict)
    paid: bool = False
    measure_from: float = 0.0  # seconds after the first send before the rate counts
    replies: int = 0  # people writing /start during civicbot's run (reply latency)


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
    peak_second: int = 0
    resume_after_s: float | None = None
    peak_second_after: int | None = None
    reply_p95_s: float | None = None
    idle_rss_mb: float | None = None
    enqueue_seconds: float | None = None
    enqueue_peak_rss_mb: float | None = None
    slack_ms: float | None = None
    load_average: str = ""


@dataclass
class Timing:
    first: float  # the first poll that saw a send, and how many it saw
    first_sent: int
    last: float  # the poll that saw the final count
    sent: int


async def watch(
    fake: FakeTelegramProcess, target: int, child: Child, limit: float, stall: float = 60.0
) -> Timing:
    """Poll the fake every 100 ms until `target` sends were accepted. A sender that takes more than
    three times the ideal duration (plus a minute) is stopped: what it did not send counts as lost."""
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
        await asyncio.sleep(0.1)


async def score(
    fake: FakeTelegramProcess,
    sender: str,
    mode: Mode,
    first_id: int,
    timing: Timing,
    rss: float,
    load: str,
    **extra: Any,
) -> Run:
    stats = await fake.stats()
    sends = await fake.control("GET", "sends")
    arrivals = analyse(sends["accepted"], sends["flood_until"], mode.measure_from, int(mode.real))
    counts = await fake.per_chat_counts(first_id, mode.recipients)
    requests = stats["sent"] + stats["rate_limited"]
    return Run(
        sender,
        mode.name,
        mode.recipients,
        mode.real,
        round(timing.last - timing.first, 2),
        round(arrivals.rate, 1),
        round(arrivals.rate / mode.real, 3),
        requests,
        stats["rate_limited"],
        round(stats["rate_limited"] / max(requests, 1), 5),
        sum(1 for c in counts if c == 0),
        sum(c - 1 for c in counts if c > 1),
        round(rss, 1),
        arrivals.peak,
        None if arrivals.resume_after is None else round(arrivals.resume_after, 2),
        arrivals.peak_after,
        **extra,
        slack_ms=None if arrivals.slack is None else round(arrivals.slack * 1000, 1),
        load_average=f"{load} → {load_average()[0]}",
    )


async def prepare(url: str, first_id: int, count: int) -> None:
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with unit_of_work(sessions) as session:
        await seed_municipalities(session)
    await add_people(sessions, count, first_address=first_id, chunk=5000)
    await engine.dispose()


async def civicbot_run(fake: FakeTelegramProcess, url: str, workdir: Path, mode: Mode, first_id: int) -> Run:
    """The service runs first (its idle RSS is measured), then the broadcast is enqueued by another
    process, as a campaign step firing elsewhere would, and the service delivers it; meanwhile
    `mode.replies` people write /start and wait for the answer."""
    await prepare(url, first_id, mode.recipients)
    await fake.control("POST", "reset", {})
    load = load_average()[0]
    env = {
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_BASE": fake.base_url,
        "DATABASE_URL": url,
        "TELEGRAM_PAID_BROADCAST": str(mode.paid).lower(),
        "TELEGRAM_PAID_RATE": str(mode.limit),
        "TELEGRAM_RATE_PER_SECOND": str(mode.limit),
        "DELIVERY_POLL_SECONDS": "0.2",
    }
    async with civicbot_serve(env, workdir) as (service, _):
        await asyncio.sleep(2)
        idle = psutil.Process(service.pid).memory_info().rss / 2**20
        await fake.control("POST", "reset", {})  # start-up calls (getMe, commands) are not the broadcast
        args = ["-m", "benchmarks.broadcast_enqueue", "--database-url", url]
        enqueue = spawn(args, workdir / "enqueue.log")
        await asyncio.to_thread(enqueue.process.wait)
        queued = json.loads(enqueue.log.read_text().strip().splitlines()[-1])
        assert queued["queued"] == mode.recipients, queued
        probe = None
        if mode.replies:
            probe = asyncio.create_task(
                reply_latencies(fake, first_id + 5_000_000, mode.replies, start_after=3.0, every=0.5)
            )
        timing = await watch(fake, mode.recipients + mode.replies, service, mode.real)
        latencies = await probe if probe is not None else []
        rss = service.peak_rss_mb()
    return await score(
        fake,
        "civicbot outbox",
        mode,
        first_id,
        timing,
        rss,
        load,
        reply_p95_s=round(p95(latencies), 2) if latencies else None,
        idle_rss_mb=round(idle, 1),
        enqueue_seconds=round(queued["seconds"], 2),
        enqueue_peak_rss_mb=round(queued["peak_rss_mb"], 1),
    )


async def baseline_run(fake: FakeTelegramProcess, kind: str, workdir: Path, mode: Mode, first_id: int) -> Run:
    await fake.control("POST", "reset", {})
    load = load_average()[0]
    args = [
        "-m",
        "benchmarks.broadcast_baselines",
        kind,
        "--api-base",
        fake.base_url,
        "--first-id",
        str(first_id),
        "--count",
        str(mode.recipients),
        "--rate",
        str(mode.limit),
    ]
    child = spawn([*args, "--paid"] if mode.paid else args, workdir / f"{kind}.log")
    timing = await watch(fake, mode.recipients, child, mode.real)
    await asyncio.to_thread(child.process.wait)
    lines = child.log.read_text().strip().splitlines()
    result = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {"peak_rss_mb": float("nan")}
    name = {"naive": "naive aiogram loop", "ptb": "PTB AIORateLimiter"}[kind]
    return await score(fake, name, mode, first_id, timing, result["peak_rss_mb"], load)


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


def modes(args: argparse.Namespace) -> list[Mode]:
    hidden = 30.0 * (1 - args.hidden_lower)
    chosen = [
        Mode("strict 30/s", args.recipients, 30.0, 30.0, {"global_limit": 30}, replies=args.replies),
        Mode(
            f"hidden {hidden:g}/s (told 30/s)",
            args.recipients,
            30.0,
            hidden,
            {"global_limit": 30, "hidden_limit": hidden},
            measure_from=10.0,
        ),
        Mode(
            f"flood wait {args.flood_seconds:g} s",
            args.flood_recipients,
            30.0,
            30.0,
            {"global_limit": 30, "flood_at": 100, "flood_seconds": args.flood_seconds},
        ),
    ]
    chosen = [mode for mode in chosen if mode.name.split()[0] in args.modes]
    if args.paid:
        chosen.append(
            Mode(
                f"paid {args.paid_limit:g}/s",
                args.paid,
                args.paid_limit,
                args.paid_limit,
                {"global_limit": 30, "paid_limit": args.paid_limit},
                paid=True,
            )
        )
    return chosen


async def main(args: argparse.Namespace) -> dict[str, Any]:
    runs: list[Run] = []
    load_before = load_average()  # other work on the machine skews the rates
    with tempfile.TemporaryDirectory(prefix="civicbot-bench-") as tmp:
        workdir = Path(tmp)
        fake = FakeTelegramProcess(workdir)
        await fake.start()
        try:
            for index, mode in enumerate(modes(args)):
                limits = {**FAKE_DEFAULTS, "paid_limit": args.paid_limit, **mode.fake}
                await fake.control("POST", "limits", limits)
                first_id = 1_000_000 * (index + 1)
                await fake.register(first_id, mode.recipients)
                url = await database_url(args.database, workdir, f"run{index}")
                try:
                    runs.append(await civicbot_run(fake, url, workdir, mode, first_id))
                finally:
                    await drop(url)
                for kind in args.baselines:
                    runs.append(await baseline_run(fake, kind, workdir, mode, first_id))
                print(markdown(runs[-1 - len(args.baselines) :]), flush=True)
            if args.big:
                await fake.control("POST", "limits", {**FAKE_DEFAULTS, "paid_limit": args.big_limit})
                first_id = 10_000_000
                await fake.register(first_id, args.big)
                url = await database_url(args.database, workdir, "big")
                big = Mode(
                    f"paid {args.big_limit:g}/s (fast fake)",
                    args.big,
                    args.big_limit,
                    args.big_limit,
                    paid=True,
                )
                try:
                    runs.append(await civicbot_run(fake, url, workdir, big, first_id))
                finally:
                    await drop(url)
                print(markdown(runs[-1:]), flush=True)
        finally:
            await fake.close()
    return {
        "benchmark": "broadcast",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": args.database,
        "cpus": psutil.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "runs": [asdict(run) for run in runs],
    }


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.broadcast", description="broadcast delivery")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--modes", nargs="*", default=["strict", "hidden", "flood"], choices=MODES)
    parser.add_argument("--recipients", type=int, default=1000, help="the strict and hidden-limit runs")
    parser.add_argument("--hidden-lower", type=float, default=0.2, help="how much lower the real limit is")
    parser.add_argument("--flood-recipients", type=int, default=300)
    parser.add_argument("--flood-seconds", type=float, default=30.0)
    parser.add_argument("--replies", type=int, default=40, help="people writing during the strict run")
    parser.add_argument("--paid", type=int, default=20_000, help="the paid-broadcast run (0 skips it)")
    parser.add_argument("--paid-limit", type=float, default=1000.0)
    parser.add_argument("--big", type=int, default=0, help="the 100,000-recipient memory run (0 skips it)")
    parser.add_argument("--big-limit", type=float, default=2000.0, help="the fake's limit in the memory run")
    parser.add_argument("--baselines", nargs="*", default=["naive", "ptb"], choices=["naive", "ptb"])
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
