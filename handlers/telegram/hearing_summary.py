"""/summary on Telegram: a hearing at a glance for its officer (or a coordinator), and its `hsum:` buttons.

Anyone who is not staff gets the polite refusal; an officer asking for another municipality's hearing
gets the shared scope refusal (audited by the service)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import staff
from channels.message import N_, Outgoing
from channels.telegram.send import Replies, acknowledge
from handlers.telegram.filters import Namespace
from hearings.summary_chat import NAMESPACE, SummaryDesk

router = Router(name=__name__)

NOT_STAFF = N_("Sorry, this command is only for municipality staff.")


@router.message(Command("summary"))
async def on_summary(
    message: Message, command: CommandObject, session: AsyncSession, lang: str, replies: Replies
) -> None:
    """Staff: `/summary 3` shows hearing 3; `/summary` offers the hearings to choose from."""
    member = await staff.by_telegram(session, message.from_user.id) if message.from_user else None
    if member is None:
        replies.add(message.chat.id, [Outgoing.say(NOT_STAFF)], lang)
        return
    replies.add(message.chat.id, await SummaryDesk(session, member).command(command.args or ""), lang)


@router.callback_query(Namespace(NAMESPACE))
async def on_button(
    query: CallbackQuery, bot: Bot, session: AsyncSession, lang: str, replies: Replies
) -> None:
    """A hearing chosen from the /summary list."""
    await acknowledge(bot, query.id)
    member = await staff.by_telegram(session, query.from_user.id)
    if member is None:
        replies.add(query.from_user.id, [Outgoing.say(NOT_STAFF)], lang)
        return
    replies.add(query.from_user.id, await SummaryDesk(session, member).choose(query.data or ""), lang)
