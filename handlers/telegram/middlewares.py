"""One unit of work per update: one person at a time, a transaction, the update recorded once, and the
replies sent only after the transaction has committed."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update, User

from channels.i18n import negotiate
from channels.inbound_limits import TOO_MANY, InboundLimiter, InboundLimitSettings, Verdict
from channels.message import Outgoing
from channels.telegram.send import Replies
from handlers.context import AppContext
from storage.identities import find_contact
from storage.inbound import record_event
from storage.locks import lock_address
from storage.models import Channel

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class PersonLocks:
    """In-process locks by Telegram user id, dropped when nobody waits (no state kept per user)."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: defaultdict[int, int] = defaultdict(int)

    @asynccontextmanager
    async def hold(self, user_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        self._users[user_id] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[user_id] -= 1
            if self._users[user_id] == 0:
                del self._users[user_id]
                self._locks.pop(user_id, None)


class UnitOfWorkMiddleware(BaseMiddleware):
    """Outer update middleware: commits when the handler returns, rolls back when it raises.

    aiogram handles updates concurrently, and people tap quickly: two taps of one person are serialised
    (an in-process lock, plus a PostgreSQL advisory lock for several replicas) so the second sees what the
    first stored. Replies collected in `replies` go out after the commit, so nobody is told something the
    database did not keep. A re-sent update is recognised by its update_id and skipped. A person's
    messages and taps beyond the flood limit (`channels.inbound_limits`) are recorded but reach no
    handler; the first of them in a window gets one "too many messages".
    """

    def __init__(self, app: AppContext, limiter: InboundLimiter | None = None) -> None:
        self.app = app
        self.locks = PersonLocks()
        if limiter is None:
            limiter = InboundLimiter(per_window=InboundLimitSettings().telegram_inbound_per_minute)
        self.limiter = limiter

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        if user is None:
            return await self._run(handler, event, data, None)
        async with self.locks.hold(user.id):
            return await self._run(handler, event, data, user)

    async def _run(self, handler: Handler, event: Update, data: dict[str, Any], user: User | None) -> Any:
        replies = Replies()
        async with self.app.sessions() as session, session.begin():
            if user is not None:
                await lock_address(session, "telegram", str(user.id))
            if not await record_event(session, Channel.TELEGRAM.value, str(event.update_id)):
                log.info("update %s already handled; skipped", event.update_id)
                return None
            data["session"] = session
            data["app"] = self.app
            data["replies"] = replies
            data["contact"] = (
                await find_contact(session, Channel.TELEGRAM, str(user.id)) if user is not None else None
            )
            data["lang"] = (
                data["contact"].language
                if data["contact"]
                else negotiate(user.language_code if user else None)
            )
            verdict = self._verdict(event, user)
            if verdict is Verdict.HANDLE:
                result = await handler(event, data)
            else:
                result = None
                _hold_back(event, data, replies, verdict)
        bot: Bot = data["bot"]
        await replies.send(bot)
        return result

    def _verdict(self, event: Update, user: User | None) -> Verdict:
        """Messages and button taps count against the sender's limit; membership changes never do."""
        if user is None or (event.message or event.edited_message or event.callback_query) is None:
            return Verdict.HANDLE
        return self.limiter.check(Channel.TELEGRAM.value, str(user.id))


def _hold_back(event: Update, data: dict[str, Any], replies: Replies, verdict: Verdict) -> None:
    log.info("update %s over the flood limit: recorded, not handled", event.update_id)
    chat = data.get("event_chat")
    if verdict is Verdict.WARN and chat is not None:
        replies.add(chat.id, [Outgoing.say(TOO_MANY)], data["lang"])
