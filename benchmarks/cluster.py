"""The scale-out proof: a broadcast and webhook traffic through nginx over three `civicbot serve` replicas.

`python -m benchmarks.cluster` (options: `--recipients 20000`, `--answers 3000`, `--rate 1000`,
`--replicas 3`; results also go to `benchmarks/out/cluster.json`). Needs the local PostgreSQL, Redis and
nginx (`apt-get install -y nginx`); the cluster is `deploy/local-cluster.sh`, as an operator runs it.

1. A broadcast to `--recipients` people at the paid limit, the limit shared in Redis (each replica is
   configured with the full limit; the fake Bot API enforces it across all of them): aggregate rate,
   429s, lost and duplicated messages, each replica's share.
2. Webhook traffic: `--answers` messages from people writing at once through nginx (each person's in
   order): every update stored once, each person's stored in order, each replica's share, and the
   database time per answer (from pg_stat_statements-free arithmetic: the replicas' CPU vs PostgreSQL's).
3. The same broadcast again, and the replica that leads the scheduler SIGKILLed a third of the way in:
   nothing lost, duplicates at most the sends that were in flight, another replica leads.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from redis.asyncio import Redis

from benchmarks.broadcast_processes import FakeTelegramProcess, spawn, wait_http
from channels import outbox
from handlers.telegram.webhook import WebhookCredentials
from storage.db import create_engine, session_factory, unit_of_work
from tests.channels.recipients import add_people, items_for
from tests.databases import PG_ADMIN_DSN, migrate_and_seed, pg_url
from tests.e2e.service import free_port
from tests.fakes.telegram_api import DEFAULT_TOKEN

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "deploy" / "local-cluster.sh"
SECRET = "cluster-benchmark-secret-0123456789"
FIRST_ID = 5_000_000
_SENT = re.compile(r'^civicbot_deliveries_total\{channel="telegram",status="sent"\} ([0-9.e+]+)$', re.M)
_HOOKS = re.compile(r'^civicbot_webhook_seconds_count\{route="telegram",status="200"\} ([0-9.e+]+)$', re.M)
_LEADER = re.compile(r"^civicbot_scheduler_leader ([0-9.]+)$", re.M)


class Fake(FakeTelegramProcess):
    def __init__(self, workdir: Path, rate: float) -> None:
        super().__init__(workdir)
        self.rate = rate

    async def start(self) -> None:
        args = [
            "-m",
            "tests.fakes.telegram_api",
            "--port",
            str(self.port),
            "--token",
            DEFAULT_TOKEN,
            "--global-limit",
            str(self.rate),
            "--paid-limit",
            str(self.rate),
        ]
        self.child = spawn(args, self.workdir / "fake-telegram.log")
        await wait_http(self.base_url + "/_control/stats", self.child)


async def script(command: str, env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec("bash", str(SCRIPT), command, env=env)
    await asyncio.wait_for(process.wait(), timeout=300)
    if process.returncode:
        raise SystemExit(f"local-cluster.sh {command} failed")


async def metric(client: httpx.AsyncClient, port: int, pattern: re.Pattern[str]) -> float:
    try:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics", timeout=5)).text
    except httpx.HTTPError:
        return float("nan")
    match = pattern.search(text)
    return float(match.group(1)) if match else 0.0


async def broadcast(
    sessions: Any,
    fake: Fake,
    people: list[Any],
    step: int,
    *,
    kill: dict[str, Any] | None,
    client: httpx.AsyncClient,
    ports: list[int],
) -> dict[str, Any]:
    before = await fake.stats()
    shares_before = [await metric(client, p, _SENT) for p in ports]
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people, step_id=step))
    start = time.monotonic()
    first = last = None
    killed = None
    target = before["sent"] + len(people)
    while True:
        stats = await fake.stats()
        now = time.monotonic()
        if first is None and stats["sent"] > before["sent"]:
            first = now
        if kill is not None and killed is None and stats["sent"] - before["sent"] >= len(people) // 3:
            leaders = [i for i, p in enumerate(ports) if await metric(client, p, _LEADER) == 1.0]
            victim = leaders[0] if leaders else 0
            os.kill(kill["pids"][victim], signal.SIGKILL)
            killed = {
                "replica": victim + 1,
                "was_leader": bool(leaders),
                "at_sent": stats["sent"] - before["sent"],
                "killed_at": now,
            }
        if killed is not None and "new_leader_after_s" not in killed:
            await find_new_leader(client, ports, killed)
        if stats["sent"] >= target:
            last = now
            break
        if now - start > 600:
            break
        await asyncio.sleep(0.1)
    after = await fake.stats()
    counts = await fake.per_chat_counts(FIRST_ID, len(people))
    expected = step  # each person holds one message per broadcast so far
    lost = sum(1 for c in counts if c < expected)
    duplicates = sum(max(0, c - expected) for c in counts)
    duration = (last or time.monotonic()) - (first or start)
    sent = after["sent"] - before["sent"]
    result: dict[str, Any] = {
        "recipients": len(people),
        "sent": sent,
        "seconds": round(duration, 2),
        "rate": round(sent / duration, 1) if duration else None,
        "rate_429": after["rate_limited"] - before["rate_limited"],
        "lost": lost,
        "duplicates": duplicates,
        "per_replica": [
            round(await metric(client, p, _SENT) - b, 0) for p, b in zip(ports, shares_before, strict=True)
        ],
    }
    if killed is not None:
        for _ in range(600):
            if await find_new_leader(client, ports, killed):
                break
            await asyncio.sleep(0.1)
        killed.pop("killed_at")
        result["killed"] = killed
    return result


async def find_new_leader(client: httpx.AsyncClient, ports: list[int], killed: dict[str, Any]) -> bool:
    """Whether a surviving replica leads; records how long after the kill it was first seen leading."""
    if "new_leader_after_s" in killed:
        return True
    survivors = [p for i, p in enumerate(ports) if i != killed["replica"] - 1]
    if any([await metric(client, p, _LEADER) == 1.0 for p in survivors]):
        killed["new_leader_after_s"] = round(time.monotonic() - killed["killed_at"], 1)
        return True
    return False


async def webhooks(
    url: str, people: list[int], answers: int, engine: Any, client: httpx.AsyncClient, ports: list[int]
) -> dict[str, Any]:
    path = WebhookCredentials.for_bot(DEFAULT_TOKEN, SECRET).path_key
    per_person = max(1, answers // len(people))
    before = [await metric(client, p, _HOOKS) for p in ports]
    latencies: list[float] = []

    async def person(index: int, uid: int) -> None:
        for n in range(per_person):
            update_id = 10_000_000 + index * per_person + n
            body = {
                "update_id": update_id,
                "message": {
                    "message_id": update_id,
                    "date": int(time.time()),
                    "chat": {"id": uid, "type": "private"},
                    "from": {"id": uid, "is_bot": False, "first_name": "Citizen", "language_code": "ka"},
                    "text": f"answer {n}",
                },
            }
            t0 = time.perf_counter()
            r = await client.post(
                f"{url}/telegram/webhook/{path}",
                json=body,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                timeout=60,
            )
            latencies.append(time.perf_counter() - t0)
            r.raise_for_status()

    cpu_before = await backend_cpu(str(engine.url.render_as_string(hide_password=False)))
    start = time.monotonic()
    await asyncio.gather(*(person(i, uid) for i, uid in enumerate(people)))
    total = len(people) * per_person
    conn = await asyncpg.connect(str(engine.url).replace("postgresql+asyncpg", "postgresql"))
    try:
        for _ in range(600):
            stored = await conn.fetchval(
                "SELECT count(*) FROM inbound_events WHERE external_id::bigint >= 10000000"
            )
            if stored >= total:
                break
            await asyncio.sleep(0.1)
        seconds = time.monotonic() - start
        distinct = await conn.fetchval(
            "SELECT count(DISTINCT external_id) FROM inbound_events WHERE external_id::bigint >= 10000000"
        )
        rows = await conn.fetch(
            "SELECT external_id::bigint AS u FROM inbound_events "
            "WHERE external_id::bigint >= 10000000 ORDER BY id"
        )
    finally:
        await conn.close()
    position = {row["u"]: i for i, row in enumerate(rows)}
    out_of_order = sum(
        1
        for i in range(len(people))
        for n in range(per_person - 1)
        if position.get(10_000_000 + i * per_person + n, -1)
        > position.get(10_000_000 + i * per_person + n + 1, 1 << 60)
    )
    latencies.sort()
    cpu_after = await backend_cpu(str(engine.url.render_as_string(hide_password=False)))
    pg_seconds = sum(cpu - cpu_before.get(pid, 0.0) for pid, cpu in cpu_after.items())
    return {
        "answers": total,
        "stored": stored,
        "distinct": distinct,
        "out_of_order": out_of_order,
        "seconds": round(seconds, 2),
        "per_second": round(total / seconds, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
        "per_replica": [
            round(await metric(client, p, _HOOKS) - b, 0) for p, b in zip(ports, before, strict=True)
        ],
        "postgres_cpu_ms_per_answer": round(pg_seconds * 1000 / total, 2),
    }


async def backend_cpu(url: str) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend serving this database (the server is local).
    The replicas' pooled connections live through a run, so the difference over a run is its database cost
    (a backend that ends mid-run is left out: an undercount, never another session's work)."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        pids = [
            r["pid"]
            for r in await conn.fetch(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    finally:
        await conn.close()
    used: dict[int, float] = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        used[pid] = times.user + times.system
    return used


async def run(args: argparse.Namespace) -> dict[str, Any]:
    name = f"civicbot_bench_cluster_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = pg_url(name)
    workdir = Path(tempfile.mkdtemp(prefix="civicbot-cluster-bench-"))
    fake = Fake(workdir, args.rate)
    ports = [free_port() for _ in range(args.replicas + 1)]
    prefix = f"civicbot-bench:{uuid.uuid4().hex[:8]}:"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "REDIS_KEY_PREFIX": prefix,
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_WEBHOOK_URL": "http://127.0.0.1:9/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_RATE_PER_SECOND": str(args.rate),
        "DELIVERY_LEASE_SECONDS": "5",
        "DELIVERY_POLL_SECONDS": "0.2",
        "CLUSTER_DIR": str(workdir / "cluster"),
        "CLUSTER_PORT": str(ports[0]),
        "REPLICA_PORTS": " ".join(map(str, ports[1:])),
        "CIVICBOT": f"{sys.executable} -m bot.cli",
        "CLUSTER_MIGRATE": "0",
        "LOG_LEVEL": "WARNING",
    }
    engine = None
    try:
        await migrate_and_seed(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        await fake.start()
        env["TELEGRAM_API_BASE"] = fake.base_url
        people = await add_people(sessions, args.recipients, first_address=FIRST_ID)
        await fake.register(FIRST_ID, args.recipients)
        await script("start", env)
        pids = [int((workdir / "cluster" / f"replica-{i + 1}.pid").read_text()) for i in range(args.replicas)]
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=100)) as client:
            results: dict[str, Any] = {
                "load_average": os.getloadavg(),
                "replicas": args.replicas,
                "rate_limit": args.rate,
            }
            results["broadcast"] = await broadcast(
                sessions, fake, people, 1, kill=None, client=client, ports=ports[1:]
            )
            print(json.dumps({"broadcast": results["broadcast"]}), flush=True)
            writers = [FIRST_ID + args.recipients + i for i in range(args.writers)]  # not broadcast to
            await fake.register(writers[0], len(writers))
            results["webhooks"] = await webhooks(
                f"http://127.0.0.1:{ports[0]}", writers, args.answers, engine, client, ports[1:]
            )
            print(json.dumps({"webhooks": results["webhooks"]}), flush=True)
            results["broadcast_with_kill"] = await broadcast(
                sessions, fake, people, 2, kill={"pids": pids}, client=client, ports=ports[1:]
            )
            print(json.dumps({"broadcast_with_kill": results["broadcast_with_kill"]}), flush=True)
        return results
    finally:
        await script("stop", env)
        await fake.close()
        if engine is not None:
            await engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        redis = Redis.from_url("redis://127.0.0.1:6379/0")
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--answers", type=int, default=3_000)
    parser.add_argument("--writers", type=int, default=500, help="people writing at once (webhook phase)")
    parser.add_argument("--rate", type=float, default=1000.0, help="the provider's limit (paid broadcast)")
    parser.add_argument("--replicas", type=int, default=3)
    results = asyncio.run(run(parser.parse_args()))
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "cluster.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
