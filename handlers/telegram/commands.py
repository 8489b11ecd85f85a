"""The command menu, registered with setMyCommands once per language so each person sees their own."""

from __future__ import annotations

from collections.abc import Mapping

from aiogram import Bot
from aiogram.types import BotCommand

from channels.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from channels.message import N_

COMMANDS: Mapping[str, str] = {
    "start": N_("Sign up or start again"),
    "polls": N_("Open surveys and votes"),
    "hearings": N_("Upcoming public hearings"),
    "actionplan": N_("The action plan and its progress"),
    "topics": N_("Topics you follow"),
    "language": N_("Change the language"),
    "municipality": N_("Change your municipality"),
    "profile": N_("Optional information about you"),
    "privacy": N_("How we use your data"),
    "mydata": N_("Everything we store about you"),
    "stop": N_("Stop all messages"),
    "delete": N_("Delete your personal data"),
    "help": N_("What the bot can do"),
}


def command_menu(lang: str) -> list[BotCommand]:
    return [BotCommand(command=name, description=t(lang, text)) for name, text in COMMANDS.items()]


async def register_commands(bot: Bot) -> None:
    await bot.set_my_commands(command_menu(DEFAULT_LANGUAGE))
    for lang in LANGUAGES:
        await bot.set_my_commands(command_menu(lang), language_code=lang)
