"""Surveys on Telegram: /polls, the survey buttons, and typed answers while a survey is in progress."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from channels.message import N_, Outgoing
from channels.telegram.send import Replies
from handlers.telegram.filters import InDialog, Namespace
from storage.models import Channel, Contact
from surveys.engine import STATE_PREFIX, SurveyConversation
from surveys.prompts import NAMESPACES

router = Router(name=__name__)

_SIGN_UP = N_("Please send /start to sign up first.")


@router.message(Command("polls"))
async def on_polls(
    message: Message, session: AsyncSession, contact: Contact | None, lang: str, replies: Replies
) -> None:
    """The surveys open to this person, as buttons."""
    if contact is None:
        replies.add(message.chat.id, [Outgoing.say(_SIGN_UP)], lang)
        return
    conversation = SurveyConversation(session, contact, Channel.TELEGRAM)
    replies.add(message.chat.id, await conversation.list_open(), contact.language)


@router.callback_query(Namespace(*NAMESPACES))
async def on_button(
    query: CallbackQuery, session: AsyncSession, contact: Contact | None, lang: str, replies: Replies
) -> AnswerCallbackQuery:
    """Start, resume or answer. The spinner is stopped by returning the answer to the callback, which
    goes back in the webhook's HTTP response (one Bot API request fewer per tap) or, when polling, is
    sent by the dispatcher; a double tap or an old button changes nothing and says nothing."""
    if contact is None or query.data is None or query.message is None:
        replies.add(query.from_user.id, [Outgoing.say(_SIGN_UP)], lang)
        return query.answer()
    conversation = SurveyConversation(session, contact, Channel.TELEGRAM)
    reply = await conversation.choose(query.data)
    replies.add(query.message.chat.id, reply, contact.language, edit_message_id=query.message.message_id)
    return query.answer()


@router.message(InDialog(STATE_PREFIX), ~F.text.startswith("/"))
async def on_typed_answer(
    message: Message, session: AsyncSession, contact: Contact, replies: Replies
) -> None:
    """Text typed while a survey is in progress answers its current question (commands pass by)."""
    conversation = SurveyConversation(session, contact, Channel.TELEGRAM)
    answer = message.text or message.caption or ""
    replies.add(message.chat.id, await conversation.text(answer), contact.language)
