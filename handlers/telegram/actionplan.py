"""/actionplan on Telegram: citizens read their municipality's plan; staff update items (guided, `apl:`
buttons and the typed note)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking.actionplan_console import NAMESPACE, PlanConsole
from campaigns import staff
from campaigns.console import Said
from campaigns.quiet import service_quiet_hours
from channels.message import Outgoing
from channels.telegram.send import Replies, acknowledge
from handlers.telegram.actionplan_site import plan_chat
from handlers.telegram.filters import Namespace
from handlers.telegram.staff_only import staff_or_refuse
from storage.base import utcnow
from storage.models import Contact
from storage.models.campaigns import StaffMember

router = Router(name=__name__)

SIGN_UP_FIRST = "Please send /start to sign up first."


class WritingNote(Filter):
    """Passes a message from active staff at the note step of /actionplan, handing over `member`."""

    async def __call__(
        self, event: TelegramObject, session: AsyncSession, event_from_user: User | None = None, **_: Any
    ) -> bool | dict[str, Any]:
        if event_from_user is None:
            return False
        member = await staff.by_telegram(session, event_from_user.id)
        if member is None or not (member.dialog_state or "").startswith("actionplan."):
            return False
        return {"member": member}


def _add(replies: Replies, chat_id: int, said: Sequence[Said], lang: str) -> None:
    for item in said:
        replies.add(chat_id, [item.message], item.language or lang)


@router.message(Command("actionplan"))
async def on_actionplan(
    message: Message, session: AsyncSession, contact: Contact | None, lang: str, replies: Replies
) -> None:
    """Staff: the guided update. Everyone else: their municipality's plan, item by item."""
    member = await staff.by_telegram(session, message.from_user.id) if message.from_user else None
    if member is not None:
        said = await PlanConsole(session, member, service_quiet_hours()).start()
        _add(replies, message.chat.id, said, lang)
        return
    if contact is None:
        replies.add(message.chat.id, [Outgoing.say(SIGN_UP_FIRST)], lang)
        return
    replies.add(message.chat.id, await plan_chat(session, contact, utcnow()), contact.language)


@router.callback_query(Namespace(NAMESPACE))
async def on_button(
    query: CallbackQuery, bot: Bot, session: AsyncSession, lang: str, replies: Replies
) -> None:
    """A button of the staff flow: municipality, item, status, progress, no note, save, cancel."""
    await acknowledge(bot, query.id)
    member = await staff_or_refuse(session, query.from_user, query.from_user.id, lang, replies)
    if member is None:
        return
    said = await PlanConsole(session, member, service_quiet_hours()).choose(query.data or "")
    _add(replies, query.from_user.id, said, lang)


@router.message(WritingNote(), F.text, ~F.text.startswith("/"))
async def on_note(
    message: Message, session: AsyncSession, member: StaffMember, lang: str, replies: Replies
) -> None:
    """The note typed for the record of a status change."""
    _add(
        replies,
        message.chat.id,
        await PlanConsole(session, member, service_quiet_hours()).text(message.text or ""),
        lang,
    )
