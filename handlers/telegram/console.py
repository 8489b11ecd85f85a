"""/console: a staff member asks for a one-time sign-in link to the web console, sent to their own chat."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.staff_access import issue_link
from channels.message import N_, Outgoing
from channels.telegram.send import Replies
from handlers.telegram.staff_only import staff_or_refuse

router = Router(name=__name__)

LINK = N_("Your sign-in link to the staff console. It works once, for 10 minutes; do not forward it:\n{url}")


class _ConsoleAddress(BaseSettings):
    """Where the console is reached (same variables as `HttpSettings`): handlers do not import bot/."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")
    public_base_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080

    def base(self) -> str:
        return (self.public_base_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")


@router.message(Command("console"))
async def on_console(message: Message, session: AsyncSession, lang: str, replies: Replies) -> None:
    """Active staff get a fresh sign-in link in this private chat; anyone else a polite refusal."""
    member = await staff_or_refuse(session, message.from_user, message.chat.id, lang, replies)
    if member is None:
        return
    token = await issue_link(session, member)
    url = f"{_ConsoleAddress().base()}/console/signin/link?token={token}"
    replies.add(message.chat.id, [Outgoing.say(LINK, url=url)], lang)
