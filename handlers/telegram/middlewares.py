"""One unit of work per update: a transaction, the update recorded once, and the person behind it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User
from sqlalchemy.exc import IntegrityError

from channels.i18n import negotiate
from contacts.registry import find_identity
from handlers.context import AppContext
from storage.models import Channel, Contact, InboundEvent

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UnitOfWorkMiddleware(BaseMiddleware):
    """Outer update middleware: commits when the handler returns, rolls back when it raises.

    A re-sent update (a webhook Telegram thinks failed) is recognised by its update_id and skipped, so a
    press is never recorded twice.
    """

    def __init__(self, app: AppContext) -> None:
        self.app = app

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        async with self.app.sessions() as session, session.begin():
            try:
                async with session.begin_nested():
                    session.add(InboundEvent(channel="telegram", external_id=str(event.update_id)))
            except IntegrityError:
                log.info("update %s already handled; skipped", event.update_id)
                return None
            data["session"] = session
            data["app"] = self.app
            user: User | None = data.get("event_from_user")
            data["contact"] = await _known_contact(session, user)
            data["lang"] = (
                data["contact"].language
                if data["contact"]
                else negotiate(user.language_code if user else None)
            )
            return await handler(event, data)


async def _known_contact(session: Any, user: User | None) -> Contact | None:
    if user is None:
        return None
    identity = await find_identity(session, Channel.TELEGRAM, str(user.id))
    if identity is None:
        return None
    return await session.get(Contact, identity.contact_id)  # type: ignore[no-any-return]
