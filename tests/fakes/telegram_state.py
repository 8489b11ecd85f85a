"""What the fake Telegram remembers: users, the messages the bot sent (with edits), callbacks, commands.

Everything a test asserts on lives here, and every change wakes the waiters, so tests wait for a
condition (``wait_until``) instead of sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tests.fakes.telegram_html import Entity


class UserState(StrEnum):
    """Whether the bot can reach a user: blocked and deactivated users answer sends with 403."""

    ACTIVE = "active"
    BLOCKED = "blocked"
    DEACTIVATED = "deactivated"


@dataclass
class FakeUser:
    """A private Telegram user; their private chat with the bot has the same id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    state: UserState = UserState.ACTIVE

    def to_api(self) -> dict[str, Any]:
        """The User object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        optional = {
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        data.update({key: value for key, value in optional.items() if value})
        return data

    def chat_api(self) -> dict[str, Any]:
        """The Chat object of the private chat with this user."""
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        optional = {"last_name": self.last_name, "username": self.username}
        data.update({key: value for key, value in optional.items() if value})
        return data

    def to_record(self) -> dict[str, Any]:
        return {**self.to_api(), "state": self.state.value}


@dataclass
class FakeGroup:
    """A group chat the bot is a member of (negative id, as Telegram's); messages in it have a sender."""

    id: int
    title: str
    type: str = "supergroup"
    state: UserState = UserState.ACTIVE

    def chat_api(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass
class Edit:
    """One successful editMessage* call: the content after it, and the text and keyboard before it."""

    date: int
    method: str
    text: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    previous_text: str | None
    previous_reply_markup: dict[str, Any] | None


@dataclass
class BotMessage:
    """A message the bot sent; ``text`` is the plain text after parsing (the caption for media)."""

    message_id: int
    chat_id: int
    date: int
    kind: str  # "text", "photo" or "document"
    text: str | None
    entities: list[Entity]
    source: str | None  # the text or caption exactly as the bot sent it
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    media: dict[str, Any] | list[dict[str, Any]] | None = None
    paid: bool = False
    edit_date: int | None = None
    deleted: bool = False
    edits: list[Edit] = field(default_factory=list)

    def to_api(self, bot: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        """The Message object, as sendMessage and editMessageText return it."""
        data: dict[str, Any] = {"message_id": self.message_id, "from": bot, "chat": chat, "date": self.date}
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        entities = [entity.to_api() for entity in self.entities]
        if self.kind == "text":
            data["text"] = self.text
            if entities:
                data["entities"] = entities
        else:
            data[self.kind] = self.media
            if self.text:
                data["caption"] = self.text
                if entities:
                    data["caption_entities"] = entities
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup  # only inline keyboards are part of a Message
        return data

    def to_record(self) -> dict[str, Any]:
        """What the control API reports: content, how it was sent, and the edit history."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "date": self.date,
            "kind": self.kind,
            "text": self.text,
            "source": self.source,
            "parse_mode": self.parse_mode,
            "entities": [entity.to_api() for entity in self.entities],
            "reply_markup": self.reply_markup,
            "media": self.media,
            "paid": self.paid,
            "edit_date": self.edit_date,
            "deleted": self.deleted,
            "edits": [edit.__dict__ for edit in self.edits],
        }

    def buttons_data(self) -> set[str]:
        """callback_data of every button in the message's current inline keyboard."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return {button["callback_data"] for row in rows for button in row if button.get("callback_data")}


@dataclass
class CallbackAnswer:
    """One answerCallbackQuery call."""

    callback_query_id: str
    user_id: int
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


class FakeState:
    """All recorded state of one fake bot; ``touch()`` after every change wakes ``wait_until``."""

    def __init__(self, bot: dict[str, Any], now: Callable[[], float] = time.time) -> None:
        self.bot = bot
        self.now = now
        self.users: dict[int, FakeUser] = {}
        self.groups: dict[int, FakeGroup] = {}
        self.messages: dict[int, list[BotMessage]] = {}
        self.inbound: dict[int, list[dict[str, Any]]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: list[CallbackAnswer] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.stats: Counter[str] = Counter()
        self.error_codes: Counter[int] = Counter()
        self._next_message_id: dict[int, int] = {}
        self._changed = asyncio.Event()
        self.last_change = time.monotonic()

    def clear(self, *, users: bool) -> None:
        """Forget messages, callbacks and counters; users too when asked. Commands are bot settings: kept."""
        if users:
            self.users.clear()
            self.groups.clear()
        for store in (self.messages, self.inbound, self.callback_queries, self._next_message_id, self.files):
            store.clear()
        self.callback_answers.clear()
        self.chat_actions.clear()
        self.stats.clear()
        self.error_codes.clear()
        self.touch()

    def date(self) -> int:
        return int(self.now())

    def touch(self) -> None:
        """Record activity and wake everyone waiting for a change."""
        self.last_change = time.monotonic()
        self._changed.set()
        self._changed = asyncio.Event()

    async def next_change(self, within: float) -> bool:
        """Wait for the next ``touch()``; False if none came within ``within`` seconds."""
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), max(within, 0.0))
        except TimeoutError:
            return False
        return True

    async def wait_until(self, predicate: Callable[[], bool], within: float) -> None:
        """Return once ``predicate()`` holds, re-checking on every change; TimeoutError after ``within`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0 or (not await self.next_change(remaining) and not predicate()):
                raise TimeoutError

    def next_message_id(self, chat_id: int) -> int:
        """Private chats number messages of both sides in one sequence, as Telegram does."""
        value = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = value
        return value

    def bot_messages(self, chat_id: int) -> list[BotMessage]:
        return [message for message in self.messages.get(chat_id, []) if not message.deleted]

    def find_message(self, chat_id: int, message_id: int) -> BotMessage | None:
        for message in self.messages.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        return None

    def commands_for(self, scope: dict[str, Any] | None, language_code: str) -> list[dict[str, str]]:
        return list(self.commands.get(scope_key(scope, language_code), []))


def scope_key(scope: dict[str, Any] | None, language_code: str) -> tuple[str, str]:
    """Commands are stored per (scope, language_code); the default scope is ``{"type": "default"}``."""
    scope = scope or {"type": "default"}
    parts = [str(scope.get("type", "default"))]
    parts += [f"{key}={scope[key]}" for key in sorted(scope) if key != "type"]
    return ";".join(parts), language_code or ""
