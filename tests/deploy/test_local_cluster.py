"""deploy/local-cluster.sh: three `civicbot serve` replicas behind nginx on the local PostgreSQL and Redis.

Telegram webhook traffic (several people writing at once, each person's messages in order, some updates
delivered twice as Telegram does after a timeout) goes through nginx; every update is stored exactly
once, every replica takes a share, and the script stops everything it started.
Run with `pytest -m slow tests/deploy/test_local_cluster.py` (needs nginx: `apt-get install -y nginx`).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from handlers.telegram.webhook import WebhookCredentials
from storage.db import create_engine, session_factory
from storage.models import InboundEvent
from tests.conftest import drop_pg_database, migrated_pg_database
from tests.e2e.service import ROOT, free_port
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SCRIPT = ROOT / "deploy" / "local-cluster.sh"
SECRET = "cluster-test-secret-0123456789"
PEOPLE, MESSAGES, RESENT = 40, 3, 15
NGINX_BIN = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
_WEBHOOK_COUNT = re.compile(
    r'^civicbot_webhook_seconds_count\{route="telegram",status="200"\} ([0-9.e+]+)$', re.M
)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    url = await migrated_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(url)


async def script(command: str, env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        "bash",
        str(SCRIPT),
        command,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, output.decode()
    return output.decode()


def update(update_id: int, person: int, text: str) -> dict[str, object]:
    user = {"id": person, "is_bot": False, "first_name": "Citizen", "language_code": "ka"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": person, "type": "private", "first_name": "Citizen"},
            "from": user,
            "text": text,
        },
    }


@pytest.mark.skipif(NGINX_BIN is None, reason="nginx is not installed (apt-get install -y nginx)")
async def test_webhooks_through_nginx_are_stored_once_and_spread(pg_url: str, tmp_path: Path) -> None:
    ports = [free_port() for _ in range(4)]
    prefix = f"civicbot-test:{uuid.uuid4().hex}:"
    async with FakeTelegram() as telegram:
        people = [900_000 + i for i in range(PEOPLE)]
        for person in people:
            telegram.register_user(person, "Citizen", language_code="ka")
        env = {
            **os.environ,
            "DATABASE_URL": pg_url,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "REDIS_KEY_PREFIX": prefix,
            "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
            "TELEGRAM_API_BASE": telegram.base_url,
            "TELEGRAM_WEBHOOK_URL": "http://127.0.0.1:9/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "CLUSTER_DIR": str(tmp_path / "cluster"),
            "CLUSTER_PORT": str(ports[0]),
            "REPLICA_PORTS": " ".join(map(str, ports[1:])),
            "CIVICBOT": f"{sys.executable} -m bot.cli",
            "NGINX_BIN": NGINX_BIN or "",
            "CLUSTER_MIGRATE": "0",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
        }
        path = WebhookCredentials.for_bot(DEFAULT_TOKEN, SECRET).path_key
        base = f"http://127.0.0.1:{ports[0]}"
        try:
            await script("start", env)
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:

                async def post(body: dict[str, object]) -> None:
                    answer = await client.post(
                        f"/telegram/webhook/{path}",
                        json=body,
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                    )
                    assert answer.status_code == 200, answer.text

                async def person_writes(index: int, person: int) -> None:
                    for n, text in enumerate(("/start", "hello", "/help")[:MESSAGES]):
                        body = update(1_000 + index * MESSAGES + n, person, text)
                        await post(body)
                        if index < RESENT and n == 0:
                            await post(body)  # Telegram delivers an update again when the answer was late

                await asyncio.gather(*(person_writes(i, p) for i, p in enumerate(people)))
                shares = []
                for port in ports[1:]:
                    metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
                    match = _WEBHOOK_COUNT.search(metrics)
                    shares.append(float(match.group(1)) if match else 0.0)

            engine = create_engine(pg_url)
            try:
                sessions = session_factory(engine)
                expected = PEOPLE * MESSAGES
                for _ in range(300):  # updates finish in the background after their 200
                    async with sessions() as session:
                        stored = (
                            await session.scalars(
                                select(InboundEvent.external_id).where(InboundEvent.channel == "telegram")
                            )
                        ).all()
                    if len(stored) >= expected:
                        break
                    await asyncio.sleep(0.1)
                async with sessions() as session:
                    distinct = await session.scalar(
                        select(func.count(func.distinct(InboundEvent.external_id)))
                    )
            finally:
                await engine.dispose()
            print(f"webhook calls per replica: {shares}")
            assert sorted(stored) == sorted(str(1_000 + i) for i in range(expected))
            assert distinct == expected
            assert sum(shares) == expected + RESENT
            assert min(shares) > 0, f"a replica got no traffic: {shares}"
            log = (tmp_path / "cluster" / "replica-1.log").read_text()
            assert '"request_id"' in log, "LOG_FORMAT=json lines carry the request id"
        finally:
            output = await script("stop", env)
            redis = Redis.from_url("redis://127.0.0.1:6379/0")
            keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()
    assert "stopped" in output
    assert not any((tmp_path / "cluster").glob("replica-*.pid"))
