"""Telegram updates under the inbound spool (`handlers.spool`): how the webhook and the replayer feed them.

An update fed through `feed` whose database work fails because the database is unavailable is left to the
spool without a word to the person: it is handled, and answered, once the database is back. Fed any other
way (long polling), the failure goes on to the error handler as before, which apologises.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import TelegramObject, Update, User
from aiogram.types.update import UpdateTypeLookupError

from channels.spool import SpoolEntry
from handlers.spool import Replay
from storage.base import utcnow
from storage.models import Channel
from storage.outage import DatabaseUnavailable, database_unavailable

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

SPOOLED: Final = "spooled_intake"  # the flag `feed` passes: the spool keeps this update if need be


class _Deferred:
    """What the dispatcher returns for an update the database could not take (never a Bot API method)."""


DEFERRED: Final = _Deferred()


class DeferWhenDatabaseDown(BaseMiddleware):
    """Outer update middleware, around the unit of work (inside the dispatcher's error handling)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not data.get(SPOOLED):
            return await handler(event, data)
        try:
            return await handler(event, data)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.info("update %s: the database is unavailable (%s); left to the spool",
                     getattr(event, "update_id", "?"), type(exc).__name__)  # fmt: skip
            return DEFERRED


async def feed(dispatcher: Dispatcher, bot: Bot, update: Update) -> Any:
    """Handle one update; raises DatabaseUnavailable when it must be kept for later."""
    result = await dispatcher.feed_update(bot, update, **{SPOOLED: True})
    if result is DEFERRED:
        raise DatabaseUnavailable(f"update {update.update_id}")
    return result


def update_entry(update: Update, payload: dict[str, Any]) -> SpoolEntry:
    """The raw update as the spool keeps it, ordered behind the same person's earlier updates."""
    return SpoolEntry(
        channel=Channel.TELEGRAM.value,
        event_id=str(update.update_id),
        sender=_sender(update),
        received_at=utcnow(),
        payload=payload,
    )


def _sender(update: Update) -> str:
    try:
        user = getattr(update.event, "from_user", None)
    except UpdateTypeLookupError:
        return "-"
    return str(user.id) if isinstance(user, User) else "-"


def skip_button_answer(method: TelegramMethod[Any]) -> bool:
    """True for the answer to a button press whose update was spooled: the webhook answered the press
    when it spooled it, and a callback query is answered once (again is an error from Telegram)."""
    if not isinstance(method, AnswerCallbackQuery):
        return False
    log.debug("callback query %s was answered when it was spooled; the late answer is not sent",
              method.callback_query_id)  # fmt: skip
    return True


def replayer(dispatcher: Dispatcher, bot: Bot) -> Replay:
    """Feed a spooled update again; a Bot API method it returns is called (there is no webhook answer),
    except the answer to a button press, which the webhook gave when it spooled the update."""

    async def replay(entry: SpoolEntry) -> None:
        update = Update.model_validate(entry.payload, context={"bot": bot})
        result = await feed(dispatcher, bot, update)
        if isinstance(result, TelegramMethod) and not skip_button_answer(result):
            await Dispatcher.silent_call_request(bot, result)

    return replay
