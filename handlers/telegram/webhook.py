"""Telegram webhook endpoint: path key and secret checked, answered within the inbound spool's budget
(`handlers.spool`; carrying a Bot API method the handler returned in time), malformed updates dropped."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import Update
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from handlers.spool import KEPT, Intake, SpoolUnavailable
from handlers.telegram.deferral import feed, skip_button_answer, update_entry

log = logging.getLogger(__name__)
router = APIRouter()

# Telegram's rule for secret_token is 1-256 of these characters; fewer than 16 is guessable.
_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


@dataclass(frozen=True)
class WebhookCredentials:
    """What a webhook call must carry: a key in the URL path and the secret-token header.

    There is no webhook without both. Unless TELEGRAM_WEBHOOK_SECRET is set, the secret is derived from the
    bot token, as the path key always is: every replica computes the same values, nobody without the token
    can, and knowing the token already gives full control of the bot.
    """

    secret: str
    path_key: str

    @classmethod
    def for_bot(cls, token: str, configured_secret: str | None) -> WebhookCredentials:
        if configured_secret:
            if not _SECRET.fullmatch(configured_secret):
                raise ValueError(
                    "TELEGRAM_WEBHOOK_SECRET must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - "
                    "(or leave it unset: a secret is then derived from the bot token)"
                )
            secret = configured_secret
        else:
            secret = _derive(token, "telegram-webhook-secret")
        return cls(secret=secret, path_key=_derive(token, "telegram-webhook-path")[:32])

    def url(self, public_url: str) -> str:
        """The URL registered with Telegram: TELEGRAM_WEBHOOK_URL plus the path key."""
        return f"{public_url.rstrip('/')}/{self.path_key}"


def _derive(token: str, purpose: str) -> str:
    digest = hmac.new(token.encode(), purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@router.post("/telegram/webhook/{path_key}", include_in_schema=False)
async def telegram_webhook(path_key: str, request: Request) -> Response:
    """Check path key and secret, validate, handle; an update the database does not take within the spool's
    budget is spooled and answered 200 (Telegram re-sends what it got no 2xx for), then finishes later."""
    state = request.app.state
    bot: Bot | None = getattr(state, "bot", None)
    dp: Dispatcher | None = getattr(state, "dispatcher", None)
    expected: WebhookCredentials | None = getattr(state, "webhook", None)
    if bot is None or dp is None or expected is None:
        return Response(status_code=404)
    if not hmac.compare_digest(path_key.encode(), expected.path_key.encode()):
        log.warning("webhook call to an unknown path from %s", request.client)
        return Response(status_code=404)
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(given.encode(), expected.secret.encode()):
        log.warning("webhook call with a wrong secret token from %s", request.client)
        return Response(status_code=401)
    try:
        payload: Any = await request.json()
        update = Update.model_validate(payload, context={"bot": bot})
    except (ValueError, ValidationError) as exc:
        # Answering 4xx would make Telegram re-send the same broken update forever.
        log.warning("malformed update dropped: %s", str(exc)[:300])
        return Response(status_code=200)
    intake: Intake = state.intake
    try:
        result = await intake.take(
            update_entry(update, payload),
            lambda: feed(dp, bot, update),
            on_late=lambda late: _call_late(bot, late, state.pending_updates),
        )
    except SpoolUnavailable:  # neither handled nor kept: Telegram must send it again
        return Response(status_code=503)
    except Exception:  # already logged by the dispatcher's error handler; Telegram must not re-send
        log.debug("update %s raised", update.update_id, exc_info=True)
        return Response(status_code=200)
    if result is KEPT:
        result = _stop_the_spinner(update)
    return _reply_with(bot, result) or Response(status_code=200)


def _stop_the_spinner(update: Update) -> AnswerCallbackQuery | None:
    """A button press left to the spool is answered now, with no text: the person's app stops its
    spinner instead of waiting for a database that is stuck. The handler's own answer, when it comes, is
    not sent (`skip_button_answer`): a callback query is answered once."""
    if update.callback_query is None:
        return None
    return AnswerCallbackQuery(callback_query_id=update.callback_query.id)


def _reply_with(bot: Bot, result: Any) -> Response | None:
    """A Bot API method a handler returned (e.g. answering a callback query) goes back in the HTTP
    response, as Telegram allows for webhooks: one request fewer per update. Methods with files cannot."""
    if not isinstance(result, TelegramMethod):
        return None
    files: dict[str, Any] = {}
    params = {
        key: prepared
        for key, value in result.model_dump(warnings=False).items()
        if (prepared := bot.session.prepare_value(value, bot=bot, files=files, _dumps_json=False)) is not None
    }
    if files:
        return None
    return JSONResponse({"method": result.__api_method__, **params})


def _call_late(bot: Bot, result: Any, pending: set[asyncio.Future[Any]]) -> None:
    """The update finished after we answered: its method must still reach Telegram (unless it answers
    the button press the webhook answered already)."""
    if not isinstance(result, TelegramMethod) or skip_button_answer(result):
        return
    call = asyncio.ensure_future(Dispatcher.silent_call_request(bot, result))
    pending.add(call)
    call.add_done_callback(pending.discard)
