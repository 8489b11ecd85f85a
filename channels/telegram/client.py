"""The aiogram Bot the whole service shares: HTML parse mode, optional local Bot API server, retries."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from channels.telegram.retry import RetryMiddleware


def create_bot(token: str, api_base: str | None = None, *, retry: bool = True) -> Bot:
    api = TelegramAPIServer.from_base(api_base.rstrip("/")) if api_base else None
    session = AiohttpSession(api=api) if api else AiohttpSession()
    if retry:
        session.middleware(RetryMiddleware())
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
