"""/summary on Telegram: a hearing at a glance for its officer (or a coordinator), and its `hsum:` buttons.

Anyone who is not staff gets the polite refusal; an officer asking for another municipality's hearing
gets the shared scope refusal (audited by the service)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from channels.telegram.send import Replies, acknowledge
from handlers.telegram.filters import Namespace
from handlers.telegram.staff_only import staff_or_refuse
from hearings.summary_chat import NAMESPACE, SummaryDesk

router = Router(name=__name__)


@router.message(Command("summary"))
async def on_summary(
    message: Message, command: CommandObject, session: AsyncSession, lang: str, replies: Replies
) -> None:
    """Staff: `/summary 3` shows hearing 3; `/summary` offers the hearings to choose from."""
    member = await staff_or_refuse(session, message.from_user, message.chat.id, lang, replies)
    if member is None:
        return
    replies.add(message.chat.id, await SummaryDesk(session, member).command(command.args or ""), lang)


@router.callback_query(Namespace(NAMESPACE))
async def on_button(
    query: CallbackQuery, bot: Bot, session: AsyncSession, lang: str, replies: Replies
) -> None:
    """A hearing chosen from the /summary list."""
    await acknowledge(bot, query.id)
    member = await staff_or_refuse(session, query.from_user, query.from_user.id, lang, replies)
    if member is None:
        return
    replies.add(query.from_user.id, await SummaryDesk(session, member).choose(query.data or ""), lang)
