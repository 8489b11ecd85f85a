"""Request/update ids for the logs, webhook latency, and the outbox queue gauge."""

from __future__ import annotations

import json
import logging

import httpx
from aiogram.types import Update
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.logging import JsonFormatter, RedactSecrets
from bot.telemetry import REQUEST_ID, QueueDepth, RequestContext, UpdateContext, webhook_route
from channels import outbox
from storage.db import unit_of_work
from tests.channels.recipients import add_people, items_for


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_webhook_routes_are_labelled_without_the_secret_path() -> None:
    assert webhook_route("/telegram/webhook/s3cr3t") == "telegram"
    assert webhook_route("/twilio/sms") == "twilio_sms"
    assert webhook_route("/twilio/status") == "twilio_status"
    assert webhook_route("/console/") is None


async def test_requests_get_an_id_and_webhooks_a_latency() -> None:
    app = FastAPI()
    app.add_middleware(RequestContext)

    @app.post("/telegram/webhook/{key}")
    async def hook(key: str) -> dict[str, str | None]:
        return {"id": REQUEST_ID.get()}

    @app.get("/healthz")
    async def health() -> dict[str, str | None]:
        return {"id": REQUEST_ID.get()}

    before = sample("civicbot_webhook_seconds_count", route="telegram", status="200")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        given = await client.post("/telegram/webhook/k", headers={"X-Request-ID": "from-nginx"})
        made = await client.get("/healthz")
    assert given.json() == {"id": "from-nginx"}
    assert len(made.json()["id"]) == 16
    assert sample("civicbot_webhook_seconds_count", route="telegram", status="200") == before + 1
    assert REQUEST_ID.get() is None


async def test_each_update_is_named_in_the_logs() -> None:
    seen: list[str | None] = []

    async def handler(event: object, data: dict[str, object]) -> None:
        seen.append(REQUEST_ID.get())

    await UpdateContext()(handler, Update(update_id=41), {})
    assert seen == ["tg-41"]
    assert REQUEST_ID.get() is None


def test_json_lines_carry_the_request_id_and_stay_masked() -> None:
    record = logging.LogRecord(
        "civicbot", logging.INFO, __file__, 1, "token %s sent", ("hunter22secret",), None
    )
    RedactSecrets(["hunter22secret"]).filter(record)
    token = REQUEST_ID.set("abc123")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert line["message"] == "token <secret> sent"
    assert line["request_id"] == "abc123"
    assert (line["level"], line["logger"]) == ("INFO", "civicbot")
    assert line["time"].endswith("+00:00")


async def test_queue_depth_counts_open_messages_by_channel_and_status(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    people = await add_people(sessions, 7)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people))
    now = [0.0]
    depth = QueueDepth(ttl=5.0, clock=lambda: now[0])
    engine = sessions.kw["bind"]
    await depth.refresh(engine)
    assert sample("civicbot_outbox_messages", channel="telegram", status="pending") == 7
    assert sample("civicbot_outbox_messages", channel="sms", status="sending") == 0
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people, step_id=2))
    await depth.refresh(engine)  # within the ttl: not counted again
    assert sample("civicbot_outbox_messages", channel="telegram", status="pending") == 7
    now[0] = 6.0
    await depth.refresh(engine)
    assert sample("civicbot_outbox_messages", channel="telegram", status="pending") == 14
