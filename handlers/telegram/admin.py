"""Staff commands: /broadcast (a guided message to an audience), /approve (coordinators), their `adm:`
buttons and the texts typed while writing a broadcast or a reason for returning a campaign. Anyone else
gets a polite refusal."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import staff
from campaigns.console import Console, Said
from campaigns.dryrun import Rates
from campaigns.outline import NAMESPACE
from campaigns.quiet import service_quiet_hours
from channels.settings import DeliverySettings
from channels.telegram.send import Replies, acknowledge
from handlers.telegram.filters import Namespace
from handlers.telegram.staff_only import staff_or_refuse
from storage.ids import parse_id
from storage.models.campaigns import StaffMember

router = Router(name=__name__)


class _SmsFigures(BaseSettings):
    """The SMS rate and price of `TwilioSettings` (same variables): handlers do not import bot/."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")
    sms_messages_per_second: float = 1.0
    sms_price_per_segment: float = 0.0


@cache
def _rates() -> Rates:
    sms = _SmsFigures()
    return Rates(
        DeliverySettings().telegram_limit().rate,
        sms.sms_messages_per_second,
        Decimal(str(sms.sms_price_per_segment)),
    )


class WritingBroadcast(Filter):
    """Passes a message from active staff in the middle of a console dialog (a broadcast's text, a reason
    for returning a campaign), handing the handler `member`."""

    async def __call__(
        self, event: TelegramObject, session: AsyncSession, event_from_user: User | None = None, **_: Any
    ) -> bool | dict[str, Any]:
        if event_from_user is None:
            return False
        member = await staff.by_telegram(session, event_from_user.id)
        if member is None or not (member.dialog_state or "").startswith("admin."):
            return False
        return {"member": member}


def _add(replies: Replies, chat_id: int, said: Sequence[Said], lang: str) -> None:
    for item in said:
        replies.add(chat_id, [item.message], item.language or lang)


@router.message(Command("broadcast"))
async def on_broadcast(
    message: Message, command: CommandObject, session: AsyncSession, lang: str, replies: Replies
) -> None:
    """Start a guided broadcast (`/broadcast marneuli` picks the municipality at once)."""
    member = await staff_or_refuse(session, message.from_user, message.chat.id, lang, replies)
    if member is None:
        return
    said = await Console(session, member, _rates()).broadcast(command.args or "")
    _add(replies, message.chat.id, said, lang)


@router.message(Command("approve"))
async def on_approve(
    message: Message, command: CommandObject, session: AsyncSession, lang: str, replies: Replies
) -> None:
    """Coordinators: the approval view of the campaign waiting (`/approve 12`: of campaign 12), or the
    list of those waiting."""
    member = await staff_or_refuse(session, message.from_user, message.chat.id, lang, replies)
    if member is None:
        return
    argument = (command.args or "").strip()
    console = Console(session, member, _rates())
    number = parse_id(argument.lstrip("#"))
    said = await console.choose(f"{NAMESPACE}:rv:{number}") if number else await console.review()
    _add(replies, message.chat.id, said, lang)


@router.callback_query(Namespace(NAMESPACE))
async def on_button(
    query: CallbackQuery, bot: Bot, session: AsyncSession, lang: str, replies: Replies
) -> None:
    """A console button: municipality, submit, cancel, review, approve, return, schedule."""
    await acknowledge(bot, query.id)
    member = await staff_or_refuse(session, query.from_user, query.from_user.id, lang, replies)
    if member is None:
        return
    console = Console(session, member, _rates(), quiet=service_quiet_hours())
    _add(replies, query.from_user.id, await console.choose(query.data or ""), lang)


@router.message(WritingBroadcast(), F.text, ~F.text.startswith("/"))
async def on_text(
    message: Message, session: AsyncSession, member: StaffMember, lang: str, replies: Replies
) -> None:
    """The broadcast text in the language asked for, or the reason for returning a campaign."""
    _add(replies, message.chat.id, await Console(session, member, _rates()).text(message.text or ""), lang)
