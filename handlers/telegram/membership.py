"""Blocking and unblocking the bot: a blocked person is unreachable on Telegram until they unblock."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession

from storage.identities import set_identity_reachable
from storage.models import Channel

router = Router(name=__name__)


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=KICKED))
async def on_blocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    """The person blocked the bot."""
    await set_identity_reachable(
        session, Channel.TELEGRAM, str(event.from_user.id), False, "blocked by the user"
    )


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=MEMBER))
async def on_unblocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    """The person unblocked (or restarted) the bot."""
    await set_identity_reachable(session, Channel.TELEGRAM, str(event.from_user.id), True)
