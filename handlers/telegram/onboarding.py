"""Sign-up, settings and privacy commands: /start /language /municipality /topics /profile /privacy
/mydata /stop /delete /help, and the buttons of those conversations."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import negotiate
from channels.message import Outgoing
from channels.telegram.send import Replies, acknowledge
from contacts.conversation import Conversation
from contacts.registry import contact_for, remember_username
from handlers.context import AppContext
from handlers.telegram.filters import Namespace
from storage.models import Channel, Contact

router = Router(name=__name__)

SETTINGS_COMMANDS = (
    "language",
    "municipality",
    "topics",
    "profile",
    "privacy",
    "mydata",
    "stop",
    "delete",
    "help",
)
OPEN_BEFORE_SIGNUP = ("language", "privacy", "help")
NAMESPACES = ("lang", "mun", "cons", "top", "topd", "prof", "age", "gen", "spc", "grp", "del", "wd")


async def _conversation(
    session: AsyncSession, app: AppContext, contact: Contact | None, message: Message
) -> Conversation:
    if contact is None:
        user = message.from_user
        assert user is not None
        contact, _ = await contact_for(
            session,
            Channel.TELEGRAM,
            str(user.id),
            language=negotiate(user.language_code),
            chat_id=str(message.chat.id),
        )
    if message.from_user is not None:
        await remember_username(session, str(message.from_user.id), message.from_user.username)
    return Conversation(session, app.vault, app.policy, contact, Channel.TELEGRAM)


@router.message(CommandStart())
async def on_start(
    message: Message, session: AsyncSession, app: AppContext, contact: Contact | None, replies: Replies
) -> None:
    """Begin sign-up, or remind someone already signed up of what the bot does (repeating is harmless)."""
    conversation = await _conversation(session, app, contact, message)
    replies.add(message.chat.id, await conversation.start(), conversation.contact.language)


@router.message(Command(*SETTINGS_COMMANDS))
async def on_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    app: AppContext,
    contact: Contact | None,
    lang: str,
    replies: Replies,
) -> None:
    """Settings and privacy commands; someone unknown is invited to /start first."""
    if contact is None and command.command not in OPEN_BEFORE_SIGNUP:
        replies.add(message.chat.id, [Outgoing.say("Please send /start to sign up first.")], lang)
        return
    conversation = await _conversation(session, app, contact, message)
    replies.add(message.chat.id, await conversation.command(command.command), conversation.contact.language)


@router.callback_query(Namespace(*NAMESPACES))
async def on_choice(
    query: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    app: AppContext,
    contact: Contact | None,
    lang: str,
    replies: Replies,
) -> None:
    """A button of the sign-up or settings conversation."""
    await acknowledge(bot, query.id)
    if contact is None or query.data is None or query.message is None:
        replies.add(query.from_user.id, [Outgoing.say("Please send /start to sign up first.")], lang)
        return
    conversation = Conversation(session, app.vault, app.policy, contact, Channel.TELEGRAM)
    replies.add(
        query.message.chat.id,
        await conversation.choose(query.data),
        contact.language,
        edit_message_id=query.message.message_id,
    )
