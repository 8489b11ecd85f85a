"""The peer for the survey-answers benchmark: the plain aiogram 3 webhook bot a good developer writes in an
afternoon, without civicbot's guarantees (no update-id record, no per-person ordering, no outbox: the
replies go straight to the Bot API after the commit).

    python -m benchmarks.peer_bot          (env: DATABASE_URL, TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE,
                                             TELEGRAM_WEBHOOK_SECRET, HTTP_PORT, QUESTIONS)

Per button press `sa:<response>:<index>:<option>`, in one SQLAlchemy transaction: read the response,
store the answer, move the response on (completed after the last question); then edit the tapped question,
send the next one; the callback query is answered in the webhook's reply. The webhook answers
Telegram once the update is handled (`handle_in_background=False`), so its latency is the handling's,
as civicbot's is. Same tables as civicbot
(the benchmark counts both the same way); `/healthz` and `/bench/noop` for the benchmark.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from storage.models import Channel, ChannelIdentity
from storage.models.surveys import ResponseStatus, SurveyAnswer, SurveyResponse

OPTIONS = 4


def keyboard(response_id: int, index: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=f"Option {n}", callback_data=f"sa:{response_id}:{index}:{n}")]
            for n in range(1, OPTIONS + 1)
        ]
    )


def build(sessions: async_sessionmaker[AsyncSession], questions: int) -> Dispatcher:
    dispatcher = Dispatcher()

    @dispatcher.callback_query(F.data.startswith("sv:"))
    async def start(query: CallbackQuery, bot: Bot) -> AnswerCallbackQuery:
        survey_id = int((query.data or "").split(":")[1])
        chat_id = query.from_user.id
        async with sessions.begin() as session:
            identity = await session.scalar(
                select(ChannelIdentity).where(
                    ChannelIdentity.channel == Channel.TELEGRAM, ChannelIdentity.address == str(chat_id)
                )
            )
            if identity is None:
                return query.answer()
            response = SurveyResponse(
                survey_id=survey_id,
                contact_id=identity.contact_id,
                channel=Channel.TELEGRAM,
                language="en",
                status=ResponseStatus.STARTED,
                position=0,
                draft=[],
            )
            session.add(response)
            await session.flush()
            response_id = response.id
        await bot.send_message(chat_id, "Benchmark")
        await bot.send_message(
            chat_id, "Question 1: how do you rate service 1?", reply_markup=keyboard(response_id, 0)
        )
        return query.answer()  # as the webhook's reply: one request fewer

    @dispatcher.callback_query(F.data.startswith("sa:"))
    async def answer(query: CallbackQuery, bot: Bot) -> AnswerCallbackQuery:
        _, response_text, index_text, option = (query.data or "").split(":")
        response_id, index = int(response_text), int(index_text)
        async with sessions.begin() as session:
            response = await session.get(SurveyResponse, response_id)
            if response is None or response.position != index:
                return query.answer()
            await session.execute(
                insert(SurveyAnswer).values(
                    response_id=response_id, question=f"q{index}", value=f"o{option}", declined=False
                )
            )
            last = index + 1 >= questions
            await session.execute(
                update(SurveyResponse)
                .where(SurveyResponse.id == response_id)
                .values(
                    position=index + 1,
                    status=ResponseStatus.COMPLETED if last else ResponseStatus.STARTED,
                    completed_at=datetime.now(UTC) if last else None,
                    updated_at=datetime.now(UTC),
                )
            )
        message = query.message
        chat_id = query.from_user.id
        if message is not None:
            await bot.edit_message_text(
                text=f"Question {index + 1}: Option {option}", chat_id=chat_id, message_id=message.message_id
            )
        if last:
            await bot.send_message(chat_id, "Thank you: your answers are saved.")
        else:
            await bot.send_message(
                chat_id,
                f"Question {index + 2}: how do you rate service {index + 2}?",
                reply_markup=keyboard(response_id, index + 1),
            )
        return query.answer()  # as the webhook's reply: one request fewer

    return dispatcher


def main() -> None:
    url = os.environ["DATABASE_URL"]
    pool = {"pool_size": 20, "max_overflow": 10} if url.startswith("postgresql") else {}
    engine = create_async_engine(url, **pool)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"].rstrip("/"))
    bot = Bot(os.environ["TELEGRAM_BOT_TOKEN"], session=AiohttpSession(api=api))
    dispatcher = build(sessions, int(os.environ["QUESTIONS"]))
    app = web.Application()
    SimpleRequestHandler(
        dispatcher, bot, handle_in_background=False, secret_token=os.environ["TELEGRAM_WEBHOOK_SECRET"]
    ).register(app, path="/telegram/webhook")

    async def ok(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/healthz", ok)
    app.router.add_post("/bench/noop", ok)

    async def close(_: web.Application) -> None:
        await bot.session.close()
        await engine.dispose()

    app.on_cleanup.append(close)
    web.run_app(app, host="127.0.0.1", port=int(os.environ["HTTP_PORT"]), print=None, access_log=None)


if __name__ == "__main__":
    main()
