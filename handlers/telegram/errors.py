"""The last line of defence: a failing handler is logged and the person told, the dispatcher goes on."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import ErrorEvent, User

from channels.i18n import negotiate, t
from handlers.context import AppContext
from storage.identities import set_identity_reachable
from storage.models import Channel

log = logging.getLogger(__name__)
router = Router(name=__name__)


@router.errors()
async def on_error(event: ErrorEvent, bot: Bot, app: AppContext) -> bool:
    """Log the failure by update id (never the text: it may hold personal data) and apologise.

    A 403 means the person blocked the bot: that identity becomes unreachable instead.
    """
    update = event.update
    user: User | None = None
    if update.message and update.message.from_user:
        user = update.message.from_user
    elif update.callback_query:
        user = update.callback_query.from_user
    if isinstance(event.exception, TelegramForbiddenError):
        log.info("update %s: user unreachable (%s)", update.update_id, event.exception.message)
        if user is not None:
            async with app.sessions() as session, session.begin():
                await set_identity_reachable(
                    session, Channel.TELEGRAM, str(user.id), False, event.exception.message[:200]
                )
        return True
    log.error(
        "update %s failed: %r",
        update.update_id,
        event.exception,
        exc_info=(type(event.exception), event.exception, event.exception.__traceback__),
    )
    if user is None:
        return True
    try:
        await bot.send_message(
            user.id,
            t(negotiate(user.language_code), "Sorry, a technical error occurred. Please try again."),
        )
    except Exception:  # the apology is best effort; the failure is already logged
        log.warning("could not tell the user about the failure", exc_info=True)
    return True
