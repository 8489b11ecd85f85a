"""The Bot API methods the fake implements, each checking what Telegram checks, in a fixed order.

Order of checks for a sending method: the chat exists (400), the content is valid (400), the flood
limits allow it (429, no token taken), the user can be reached (403), then it is recorded. Sends to
blocked users therefore still count against the limits, which keeps a broadcast's pacing honest.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from tests.fakes.telegram_limits import RateLimiter
from tests.fakes.telegram_params import ApiError, Params, bad_request
from tests.fakes.telegram_state import (
    BotMessage,
    CallbackAnswer,
    Edit,
    FakeState,
    FakeUser,
    UserState,
    scope_key,
)
from tests.fakes.telegram_updates import UpdateFeed, WebhookConfig
from tests.fakes.telegram_validation import (
    CALLBACK_ANSWER_LIMIT,
    CAPTION_LIMIT,
    NOT_MODIFIED,
    TEXT_LIMIT,
    Formatted,
    bot_commands,
    formatted,
    inline_part,
    media_object,
    reply_markup,
)

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@dataclass
class Described:
    """A result that Telegram accompanies with a ``description`` (the webhook methods)."""

    result: Any
    description: str


Handler = Callable[[Params], Awaitable[Any]]


class BotApi:
    """Dispatches ``/bot<token>/<method>`` calls; method names are case-insensitive, as in Telegram."""

    def __init__(
        self, state: FakeState, limiter: RateLimiter, feed: UpdateFeed, *, strict_html: bool
    ) -> None:
        self.state = state
        self.limiter = limiter
        self.feed = feed
        self.strict_html = strict_html
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendChatAction": self.send_chat_action,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
        }
        self._handlers = {name.lower(): handler for name, handler in handlers.items()}

    async def call(self, method: str, params: Params) -> tuple[Any, str | None]:
        """Run one method: its result and optional description, or ApiError as Telegram would fail."""
        stats = self.state.stats
        stats["requests"] += 1
        try:
            handler = self._handlers.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            stats[f"method.{method}"] += 1
            self.state.touch()  # a call has started: waiters on "the bot asked for X" can look
            result = await handler(params)
        except ApiError as error:
            self.state.error_codes[error.code] += 1
            raise
        finally:
            self.state.touch()
        if isinstance(result, Described):
            return result.result, result.description
        return result, None

    # --- checks shared by the methods -------------------------------------------------------------

    def _chat(self, params: Params) -> FakeUser:
        raw = params.raw("chat_id")
        if raw in (None, ""):
            raise bad_request("chat_id is empty")
        try:
            key = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        # A group has what sending needs of a private user's chat (id, state, chat_api).
        chat = self.state.users.get(key) or cast("FakeUser | None", self.state.groups.get(key))
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _reachable(self, user: FakeUser) -> None:
        if user.state is UserState.BLOCKED:
            self.state.stats["forbidden"] += 1
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if user.state is UserState.DEACTIVATED:
            self.state.stats["forbidden"] += 1
            raise ApiError(403, "Forbidden: user is deactivated")

    def _deliverable(self, user: FakeUser, *, paid: bool) -> None:
        refusal = self.limiter.acquire(user.id, paid=paid)
        if refusal is not None:
            self.state.stats["rate_limited"] += 1
            self.state.stats[f"rate_limited_{refusal.scope}"] += 1
            seconds = refusal.retry_after
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
        self._reachable(user)

    def _text(self, params: Params, field: str = "text", *, required: bool = True) -> Formatted | None:
        if field == "text":
            return formatted(
                params,
                field,
                limit=TEXT_LIMIT,
                too_long="message is too long",
                required=required,
                strict_html=self.strict_html,
            )
        return formatted(
            params,
            field,
            limit=CAPTION_LIMIT,
            too_long="message caption is too long",
            required=required,
            strict_html=self.strict_html,
        )

    def _editable(self, params: Params) -> tuple[FakeUser, BotMessage]:
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID")  # the fake has no inline-mode messages
        user = self._chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self.state.find_message(user.id, message_id)
        if message is None:
            inbound = any(m["message_id"] == message_id for m in self.state.inbound.get(user.id, []))
            raise bad_request("message can't be edited" if inbound else "message to edit not found")
        return user, message

    def _sent(self, user: FakeUser, message: BotMessage) -> dict[str, Any]:
        self.state.messages.setdefault(user.id, []).append(message)
        self.state.stats["sent"] += 1
        if message.paid:
            self.state.stats["paid_sent"] += 1
        return message.to_api(self.state.bot, user.chat_api())

    def _edited(self, user: FakeUser, message: BotMessage, method: str, **changes: Any) -> dict[str, Any]:
        """Apply an edit and keep its history: the text and keyboard before and after it."""
        before = (message.text, message.reply_markup)
        for name, value in changes.items():
            setattr(message, name, value)
        message.edit_date = self.state.date()
        message.edits.append(
            Edit(message.edit_date, method, message.text, message.parse_mode, message.reply_markup, *before)
        )
        self.state.stats["edits"] += 1
        return message.to_api(self.state.bot, user.chat_api())

    # --- identity and updates ---------------------------------------------------------------------

    async def get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self.state.bot,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        self.feed.set_allowed(params.get_json("allowed_updates", "can't parse allowed_updates JSON array"))
        return await self.feed.get_updates(
            offset=params.get_int("offset", 0) or 0,
            limit=params.get_int("limit", 100) or 100,
            poll_seconds=params.get_int("timeout", 0) or 0,
        )

    async def set_webhook(self, params: Params) -> Described:
        url = params.get_str("url").strip()
        drop = params.get_bool("drop_pending_updates")
        if not url:
            removed = await self.feed.delete_webhook(drop_pending=drop)
            return Described(True, "Webhook was deleted" if removed else "Webhook is already deleted")
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get_str("secret_token") or None
        if secret is not None and not _SECRET.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        self.feed.set_allowed(params.get_json("allowed_updates", "can't parse allowed_updates JSON array"))
        same = self.feed.deliverer is not None and self.feed.deliverer.config.url == url
        connections = min(max(params.get_int("max_connections", 40) or 40, 1), 100)
        await self.feed.set_webhook(WebhookConfig(url, secret, connections), drop_pending=drop)
        return Described(True, "Webhook is already set" if same else "Webhook was set")

    async def delete_webhook(self, params: Params) -> Described:
        removed = await self.feed.delete_webhook(drop_pending=params.get_bool("drop_pending_updates"))
        return Described(True, "Webhook was deleted" if removed else "Webhook is already deleted")

    async def get_webhook_info(self, params: Params) -> dict[str, Any]:
        return self.feed.webhook_info()

    # --- sending ----------------------------------------------------------------------------------

    async def send_message(self, params: Params) -> dict[str, Any]:
        user = self._chat(params)
        text = self._text(params)
        assert text is not None  # required=True raises instead of returning None
        markup = reply_markup(params)
        paid = params.get_bool("allow_paid_broadcast")
        self._deliverable(user, paid=paid)
        message = BotMessage(
            self.state.next_message_id(user.id),
            user.id,
            self.state.date(),
            "text",
            text.text,
            text.entities,
            text.source,
            text.parse_mode,
            markup,
            paid=paid,
        )
        return self._sent(user, message)

    async def _send_media(self, params: Params, kind: str) -> dict[str, Any]:
        user = self._chat(params)
        file = params.get_file(kind)
        if file is None:
            raise bad_request(f"there is no {kind} in the request")
        caption = self._text(params, "caption", required=False)
        markup = reply_markup(params)
        media = media_object(file, kind, self.state.files)
        paid = params.get_bool("allow_paid_broadcast")
        self._deliverable(user, paid=paid)
        message = BotMessage(
            self.state.next_message_id(user.id),
            user.id,
            self.state.date(),
            kind,
            caption.text if caption else None,
            caption.entities if caption else [],
            caption.source if caption else None,
            caption.parse_mode if caption else None,
            markup,
            media=media,
            paid=paid,
        )
        return self._sent(user, message)

    async def send_photo(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "photo")

    async def send_document(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "document")

    async def send_chat_action(self, params: Params) -> bool:
        user = self._chat(params)
        action = params.get_str("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._reachable(user)
        self.state.chat_actions.append((user.id, action))
        return True

    # --- editing ----------------------------------------------------------------------------------

    async def edit_message_text(self, params: Params) -> dict[str, Any]:
        user, message = self._editable(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text = self._text(params)
        assert text is not None
        markup = inline_part(reply_markup(params))  # no reply_markup removes the keyboard, as in Telegram
        current = (message.text, message.entities, inline_part(message.reply_markup))
        if (text.text, text.entities, markup) == current:
            raise bad_request(NOT_MODIFIED)
        self._deliverable(user, paid=False)
        return self._edited(
            user,
            message,
            "editMessageText",
            text=text.text,
            entities=text.entities,
            source=text.source,
            parse_mode=text.parse_mode,
            reply_markup=markup,
        )

    async def edit_message_caption(self, params: Params) -> dict[str, Any]:
        user, message = self._editable(params)
        if message.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        caption = self._text(params, "caption", required=False)
        markup = inline_part(reply_markup(params))
        new = (caption.text if caption else None, caption.entities if caption else [], markup)
        if new == (message.text, message.entities, inline_part(message.reply_markup)):
            raise bad_request(NOT_MODIFIED)
        self._deliverable(user, paid=False)
        return self._edited(
            user,
            message,
            "editMessageCaption",
            text=new[0],
            entities=new[1],
            reply_markup=markup,
            source=caption.source if caption else None,
            parse_mode=caption.parse_mode if caption else None,
        )

    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        user, message = self._editable(params)
        markup = inline_part(reply_markup(params))
        if markup == inline_part(message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        self._deliverable(user, paid=False)
        return self._edited(user, message, "editMessageReplyMarkup", reply_markup=markup)

    async def delete_message(self, params: Params) -> bool:
        """Bots may delete their own messages and, in private chats, the user's."""
        user = self._chat(params)
        message_id = params.get_int("message_id") or 0
        message = self.state.find_message(user.id, message_id)
        inbound = self.state.inbound.get(user.id, [])
        if message is not None:
            message.deleted = True
        elif any(m["message_id"] == message_id for m in inbound):
            self.state.inbound[user.id] = [m for m in inbound if m["message_id"] != message_id]
        else:
            raise bad_request("message to delete not found")
        return True

    # --- callbacks and commands -------------------------------------------------------------------

    async def answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id")
        query = self.state.callback_queries.get(query_id)
        if query is None:
            raise bad_request(QUERY_INVALID)
        text = params.get_str("text") or None
        if text is not None and len(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        del self.state.callback_queries[query_id]  # a query is answered once; again is QUERY_INVALID
        self.state.callback_answers.append(
            CallbackAnswer(
                query_id,
                query["from"]["id"],
                query.get("data"),
                text,
                params.get_bool("show_alert"),
                params.get_str("url") or None,
                params.get_int("cache_time", 0) or 0,
            )
        )
        return True

    def _scope(self, params: Params) -> tuple[str, str]:
        scope = params.get_json("scope", "can't parse BotCommandScope JSON object")
        if scope is not None and not isinstance(scope, dict):
            raise bad_request("can't parse BotCommandScope JSON object")
        return scope_key(scope, params.get_str("language_code"))

    async def set_my_commands(self, params: Params) -> bool:
        commands = bot_commands(params.get_json("commands", "can't parse commands JSON object"))
        key = self._scope(params)
        if commands:
            self.state.commands[key] = commands
        else:
            self.state.commands.pop(key, None)
        return True

    async def get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return list(self.state.commands.get(self._scope(params), []))

    async def delete_my_commands(self, params: Params) -> bool:
        self.state.commands.pop(self._scope(params), None)
        return True
