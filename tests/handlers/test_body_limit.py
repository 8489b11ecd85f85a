"""Oversized request bodies are refused with 413 before a route reads them, declared or streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request

from handlers.body_limit import BodySizeLimit


def _app(reads: list[int]) -> FastAPI:
    app = FastAPI()
    app.add_middleware(BodySizeLimit, default=1000, by_prefix={"/console": 5000})

    @app.post("/twilio/sms")
    @app.post("/console/upload")
    async def echo(request: Request) -> dict[str, int]:
        body = await request.body()
        reads.append(len(body))
        return {"read": len(body)}

    return app


async def _post(app: FastAPI, path: str, content: bytes | AsyncIterator[bytes]) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://civicbot"
    ) as client:
        return await client.post(path, content=content)


async def test_a_declared_oversized_body_is_refused_unread() -> None:
    reads: list[int] = []
    answer = await _post(_app(reads), "/twilio/sms", b"x" * 1001)
    assert answer.status_code == 413
    assert reads == []


async def test_a_streamed_oversized_body_is_refused() -> None:
    reads: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"y" * 300

    answer = await _post(_app(reads), "/twilio/sms", chunks())
    assert answer.status_code == 413
    assert reads == []


async def test_bodies_within_the_limit_pass_and_the_console_may_upload_more() -> None:
    reads: list[int] = []
    app = _app(reads)
    assert (await _post(app, "/twilio/sms", b"x" * 1000)).json() == {"read": 1000}
    assert (await _post(app, "/console/upload", b"x" * 4000)).json() == {"read": 4000}
    assert (await _post(app, "/console/upload", b"x" * 5001)).status_code == 413
    assert reads == [1000, 4000]
