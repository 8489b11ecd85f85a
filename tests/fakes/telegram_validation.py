"""The checks Telegram makes on what a bot sends: text and captions, inline keyboards, commands, files.

Descriptions are Telegram's own (``Bad Request: ...``), so the bot's error handling is tested
against the strings it will really see. Where the exact wording could not be confirmed, the
constant says so.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from tests.fakes.telegram_html import Entity, EntityParseError, parse_html, trim, utf16_len
from tests.fakes.telegram_params import Params, UploadedFile, bad_request

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
TEXT_BUTTON = "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
BUTTON_TEXT_INVALID = "BUTTON_TEXT_INVALID"  # MTProto's name for it; the Bot API wording is unconfirmed
_ACTION_FIELDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_EMPTY_MEANS_ABSENT = frozenset({"url", "callback_data"})
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_PHOTO_SIZE = (800, 600)  # the fake does not decode images; every photo reports this size


@dataclass
class Formatted:
    """Text or caption after parse_mode: what the user sees, plus what the bot sent."""

    text: str
    entities: list[Entity]
    source: str
    parse_mode: str | None


def formatted(
    params: Params, field: str, *, limit: int, too_long: str, required: bool, strict_html: bool
) -> Formatted | None:
    """Parse ``field`` with ``parse_mode`` (or explicit entities), trim it, check emptiness and length."""
    source = params.get_str(field)
    entities_field = "entities" if field == "text" else f"{field}_entities"
    if not source:
        if required:
            raise bad_request("message text is empty")
        return None
    mode = params.get_str("parse_mode").strip() or None
    if mode is not None and mode.lower() == "html":
        try:
            text, entities = parse_html(source, strict=strict_html)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    elif mode is None or mode.lower() in ("markdown", "markdownv2"):
        # Markdown is not validated by the fake: the text is kept as sent.
        text, entities = source, _explicit_entities(params.get_json(entities_field, "can't parse entities"))
    else:
        raise bad_request(f"unsupported parse_mode {mode}")
    text, entities = trim(text, entities)
    if not text:
        if required:
            raise bad_request("message text is empty")
        return None
    if utf16_len(text) > limit:
        raise bad_request(too_long)
    return Formatted(text, entities, source, mode)


def _explicit_entities(value: Any) -> list[Entity]:
    if not isinstance(value, list):
        return []
    found = []
    for item in value:
        if isinstance(item, dict) and all(isinstance(item.get(key), int) for key in ("offset", "length")):
            argument = str(item.get("url") or item.get("language") or item.get("custom_emoji_id") or "")
            found.append(Entity(str(item.get("type", "")), item["offset"], item["length"], argument))
    return found


def reply_markup(params: Params) -> dict[str, Any] | None:
    """The reply_markup object, with an inline keyboard checked button by button."""
    error = "can't parse reply keyboard markup JSON object"
    markup = params.get_json("reply_markup", error)
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request(error)
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    return markup


def inline_part(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Only an inline keyboard stays attached to a message (and is what edits compare)."""
    return markup if markup and markup.get("inline_keyboard") else None


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('can\'t parse inline keyboard: Field "inline_keyboard" must be of type Array')
    for row in rows:
        for button in row:
            _check_button(button)


def _check_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: expected an Object")
    if "text" not in button:
        raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
    if not isinstance(button["text"], str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request(BUTTON_TEXT_INVALID)
    actions = [
        name
        for name in _ACTION_FIELDS
        if button.get(name) is not None and not (name in _EMPTY_MEANS_ABSENT and button[name] == "")
    ]
    if not actions:
        raise bad_request(TEXT_BUTTON)
    data = button.get("callback_data")
    if "callback_data" in actions and (
        not isinstance(data, str) or len(data.encode("utf-8")) > CALLBACK_DATA_LIMIT
    ):
        raise bad_request("BUTTON_DATA_INVALID")


def bot_commands(value: Any) -> list[dict[str, str]]:
    """setMyCommands' list, each command 1-32 of [a-z0-9_] and a description of 1-256 characters."""
    if value is None:
        raise bad_request('parameter "commands" is required')
    if not isinstance(value, list):
        raise bad_request("can't parse commands JSON object")
    commands = []
    for item in value:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append({"command": command, "description": description})
    return commands


def media_object(
    file: UploadedFile | str, kind: str, known: dict[str, dict[str, Any]]
) -> dict[str, Any] | list[dict[str, Any]]:
    """The PhotoSize list or Document for an upload, a file_id the fake issued, or an HTTP URL."""
    if isinstance(file, str):
        if file in known and known[file]["kind"] == kind:
            issued: dict[str, Any] | list[dict[str, Any]] = known[file]["object"]
            return issued
        if urlparse(file).scheme not in ("http", "https"):
            raise bad_request("wrong file identifier/HTTP URL specified")
        name = urlparse(file).path.rsplit("/", 1)[-1] or "file"
        file = UploadedFile(name, "application/octet-stream", 0)
    prefix = "AgAC" if kind == "photo" else "BQAC"
    file_id = prefix + secrets.token_urlsafe(24)
    base = {"file_id": file_id, "file_unique_id": secrets.token_urlsafe(9), "file_size": file.size}
    result: dict[str, Any] | list[dict[str, Any]]
    if kind == "photo":
        result = [{**base, "width": _PHOTO_SIZE[0], "height": _PHOTO_SIZE[1]}]
    else:
        result = {**base, "file_name": file.filename, "mime_type": file.content_type}
    known[file_id] = {"kind": kind, "object": result}
    return result
