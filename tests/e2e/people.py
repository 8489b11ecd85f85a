"""A Telegram user for end-to-end tests (the pattern of `test_telegram_onboarding.Person`), shared."""

from __future__ import annotations

from typing import Any

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_state import BotMessage


class Person:
    """One Telegram user talking to the bot, waiting for each answer like a person would."""

    def __init__(self, telegram: FakeTelegram, user_id: int, language_code: str | None) -> None:
        self.telegram, self.id = telegram, user_id
        telegram.register_user(user_id, "Nino", language_code=language_code)

    @property
    def seen(self) -> int:
        return len(self.telegram.messages(self.id))

    async def say(self, text: str, expect: int = 1) -> list[str]:
        before = self.seen
        self.telegram.send_text(self.id, text)
        return await self.answers(before, expect)

    async def press(self, data: str, expect: int = 1) -> list[str]:
        before = self.seen
        self.telegram.press(self.id, self.message_with(data).message_id, data)
        return await self.answers(before, expect)

    def message_with(self, data: str) -> BotMessage:
        """The latest bot message that has a button carrying `data`."""
        return next(m for m in reversed(self.telegram.messages(self.id)) if has_button(m.reply_markup, data))

    async def answers(self, before: int, expect: int) -> list[str]:
        messages = await self.telegram.wait_for_messages(self.id, before + expect, timeout=15)
        return [m.text or "" for m in messages[before:]]

    async def sign_up(self, lang: str, municipality: str) -> None:
        """/start to the welcome: language, municipality, consent, no topics, no profile."""
        await self.say("/start")
        await self.press(f"lang:{lang}")
        await self.press(f"mun:{municipality}")
        await self.press("cons:yes", expect=2)
        await self.press("topd:")
        await self.press("prof:skip")


def has_button(markup: dict[str, Any] | None, data: str) -> bool:
    rows = (markup or {}).get("inline_keyboard", [])
    return any(button.get("callback_data") == data for row in rows for button in row)


def buttons(message: BotMessage) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row if "callback_data" in button]
