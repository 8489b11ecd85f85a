"""Staff commands and buttons answer anyone who is not staff with one polite refusal."""

from __future__ import annotations

from aiogram.types import User
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import staff
from channels.message import N_, Outgoing
from channels.telegram.send import Replies
from storage.models.campaigns import StaffMember

NOT_STAFF = N_("Sorry, this command is only for municipality staff.")


async def staff_or_refuse(
    session: AsyncSession, user: User | None, chat_id: int, lang: str, replies: Replies
) -> StaffMember | None:
    """The active staff member who sent the command or pressed the button; for anyone else None, and the
    refusal is already queued in `replies`, so the caller only returns."""
    member = await staff.by_telegram(session, user.id) if user else None
    if member is None:
        replies.add(chat_id, [Outgoing.say(NOT_STAFF)], lang)
    return member
