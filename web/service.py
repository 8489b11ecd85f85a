"""What web routes need from the running service, reached per request through `app.state.service`.

A protocol rather than an import of `bot.app.Service`: imports point from `bot` to `web`, never back.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class WebService(Protocol):
    """The attributes of `bot.app.Service` the web layer uses."""

    sessions: async_sessionmaker[AsyncSession]
    settings: Any  # bot.settings.Settings
    context: Any  # handlers.context.AppContext (vault, privacy policy)
    bot: Any  # aiogram Bot, or None when Telegram is off


def running_service(request: Request) -> WebService:
    service: WebService = request.app.state.service
    return service
