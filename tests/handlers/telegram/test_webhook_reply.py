"""The webhook answers with the Bot API method a handler returned (one request fewer per button press)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.base import BaseSession
from aiogram.methods import AnswerCallbackQuery, SendMessage, TelegramMethod
from aiogram.types import CallbackQuery, Message
from fastapi import FastAPI

from channels.spool import SpoolEntry
from handlers.spool import Intake
from handlers.telegram import deferral, webhook
from tests.handlers.intake import running_intake

TOKEN = "42:AAFakeTokenForTheWebhookReplyTests000000"
SECRET = "s3cret"
CREDENTIALS = webhook.WebhookCredentials(secret=SECRET, path_key="k" * 32)


class RecordingSession(BaseSession):
    """A Bot API session that records calls instead of making them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> Any:
        self.calls.append(method)
        return True

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError
        yield b""

    async def close(self) -> None:
        return None


def _app(handler_router: Router, intake: Intake) -> tuple[FastAPI, RecordingSession]:
    session = RecordingSession()
    app = FastAPI()
    app.include_router(webhook.router)
    dispatcher = Dispatcher()
    dispatcher.include_router(handler_router)
    app.state.bot = Bot(TOKEN, session=session)
    app.state.dispatcher = dispatcher
    app.state.webhook = CREDENTIALS
    app.state.pending_updates = set()
    app.state.intake = intake
    return app, session


def _press(data: str) -> dict[str, Any]:
    user = {"id": 7, "is_bot": False, "first_name": "Nino"}
    message = {"message_id": 3, "date": 0, "chat": {"id": 7, "type": "private"}, "text": "q"}
    return {"update_id": 1, "callback_query": {"id": "99", "from": user, "chat_instance": "1",
                                               "data": data, "message": message}}  # fmt: skip


def _typed(text: str) -> dict[str, Any]:
    user = {"id": 7, "is_bot": False, "first_name": "Nino"}
    message = {"message_id": 4, "date": 0, "chat": {"id": 7, "type": "private"}, "from": user, "text": text}
    return {"update_id": 2, "message": message}


async def _post(app: FastAPI, update: dict[str, Any]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        return await client.post(f"/telegram/webhook/{CREDENTIALS.path_key}", json=update, headers=headers)


async def test_a_returned_method_is_the_http_answer(tmp_path: Path) -> None:
    router = Router()

    @router.callback_query()
    async def answer(query: CallbackQuery) -> AnswerCallbackQuery:
        return query.answer(text="✅")

    async with running_intake(tmp_path) as intake:
        app, session = _app(router, intake)
        response = await _post(app, _press("sa:1:0:1"))
    assert response.status_code == 200
    assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": "99", "text": "✅"}
    assert session.calls == []


async def test_no_method_is_an_empty_200(tmp_path: Path) -> None:
    router = Router()

    @router.callback_query()
    async def nothing(query: CallbackQuery) -> None:
        return None

    async with running_intake(tmp_path) as intake:
        app, _ = _app(router, intake)
        response = await _post(app, _press("x"))
    assert (response.status_code, response.content) == (200, b"")


async def test_a_method_from_a_slow_update_is_still_called(tmp_path: Path) -> None:
    """Past the spool's budget (a stuck database) the webhook answers 200 at once; a method the update
    returns goes out when it is ready."""
    release = asyncio.Event()
    router = Router()

    @router.message()
    async def slow(message: Message) -> SendMessage:
        await release.wait()
        return message.answer("late")

    async with running_intake(tmp_path, spool_after_ms=10) as intake:
        app, session = _app(router, intake)
        response = await _post(app, _typed("hello"))
        assert (response.status_code, response.content) == (200, b"")
        assert intake.depth == 1  # kept in the spool while it runs
        release.set()
    # Stopping waited for the update; its method was then handed on.
    while app.state.pending_updates:
        await asyncio.wait(set(app.state.pending_updates))
    assert [type(call) for call in session.calls] == [SendMessage]
    assert intake.depth == 0, "handled after the answer: the spooled copy is done"


async def test_a_spooled_button_press_is_answered_at_once_and_only_once(tmp_path: Path) -> None:
    """The person's spinner stops when the press is spooled; the handler's late answer is not sent
    (Telegram answers a second answerCallbackQuery with QUERY_ID_INVALID)."""
    release = asyncio.Event()
    router = Router()

    @router.callback_query()
    async def slow(query: CallbackQuery) -> AnswerCallbackQuery:
        await release.wait()
        return query.answer(text="✅")

    async with running_intake(tmp_path, spool_after_ms=10) as intake:
        app, session = _app(router, intake)
        response = await _post(app, _press("x"))
        assert response.status_code == 200
        assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": "99"}
        release.set()
    while app.state.pending_updates:
        await asyncio.wait(set(app.state.pending_updates))
    assert session.calls == []
    assert intake.depth == 0


async def test_a_replayed_update_sends_its_method_but_not_a_button_answer() -> None:
    """Replayed from the spool there is no webhook answer: a returned message is sent, the answer to the
    press is not (it was given when the press was spooled)."""
    router = Router()

    @router.callback_query()
    async def pressed(query: CallbackQuery) -> AnswerCallbackQuery:
        return query.answer(text="✅")

    @router.message()
    async def typed(message: Message) -> SendMessage:
        return message.answer("noted")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    session = RecordingSession()
    replay = deferral.replayer(dispatcher, Bot(TOKEN, session=session))
    for update in (_press("x"), _typed("hello")):
        await replay(SpoolEntry("telegram", str(update["update_id"]), "7", datetime.now(UTC), update))
    assert [type(call) for call in session.calls] == [SendMessage]
