"""Filters that route by where a person is in a conversation (state lives in the database)."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from storage.models import Contact


class InDialog(Filter):
    """Passes when the person's stored dialog state starts with `prefix` (e.g. "survey.")."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    async def __call__(self, event: TelegramObject, contact: Contact | None = None, **_: Any) -> bool:
        return bool(contact and contact.dialog_state and contact.dialog_state.startswith(self.prefix))


class Namespace(Filter):
    """Passes a callback whose data starts with one of the given `namespace:` prefixes."""

    def __init__(self, *namespaces: str) -> None:
        self.namespaces = tuple(f"{ns}:" for ns in namespaces)

    async def __call__(self, event: TelegramObject, **_: Any) -> bool:
        data = getattr(event, "data", None)
        return isinstance(data, str) and data.startswith(self.namespaces)
