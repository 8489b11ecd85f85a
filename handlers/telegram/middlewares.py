"""One unit of work per update: one person at a time, a (shared) transaction, the update recorded once, and
the replies sent only after the transaction has committed."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update, User
from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import negotiate
from channels.inbound_limits import TOO_MANY, InboundLimiter, InboundLimitSettings, Verdict
from channels.message import Outgoing
from channels.telegram.send import Replies
from handlers.context import AppContext
from storage.group_commit import Event, GroupCommit, Skipped
from storage.identities import find_contacts
from storage.models import Channel, Contact

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

    The transaction is shared (`storage.group_commit`): updates of different people that wait at the same
    moment are handled one after the other in one transaction, with one statement for all their locks,
    one for all their update records and one for all their contacts, and one commit. A handler that
    raises fails alone: the others of its transaction run again, each in its own.
    """

    def __init__(self, app: AppContext, limiter: InboundLimiter | None = None) -> None:
        self.app = app
        self.locks = PersonLocks()
        self.transactions: GroupCommit[Contact] = GroupCommit(lambda: self.app.sessions, _contacts)
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
        verdicts: list[Verdict] = []  # decided once: a unit run again alone does not count twice

        async def work(session: AsyncSession, contact: Contact | None) -> tuple[Any, Replies]:
            replies = Replies()
            context = {**data, "session": session, "app": self.app, "replies": replies, "contact": contact}
            context["lang"] = contact.language if contact else negotiate(user.language_code if user else None)
            if not verdicts:
                verdicts.append(self._verdict(event, user))
            if verdicts[0] is Verdict.HANDLE:
                return await handler(event, context), replies
            _hold_back(event, context, replies, verdicts[0])
            return None, replies

        address = str(user.id) if user is not None else None
        done = await self.transactions.run(Event(Channel.TELEGRAM.value, address, str(event.update_id)), work)
        if done is Skipped.DUPLICATE:
            log.info("update %s already handled; skipped", event.update_id)
            return None
        result, replies = done
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


async def _contacts(session: AsyncSession, addresses: Sequence[str]) -> dict[str, Contact]:
    return await find_contacts(session, Channel.TELEGRAM, addresses)
