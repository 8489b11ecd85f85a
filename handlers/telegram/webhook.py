"""Telegram webhook endpoint: secret checked, answered within the deadline (carrying a Bot API method the
handler returned), malformed updates dropped."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

log = logging.getLogger(__name__)
router = APIRouter()

# Telegram waits a limited time and re-sends what it did not get a 2xx for; answer well inside that.
ANSWER_WITHIN_SECONDS = 5.0


@router.post("/telegram/webhook", include_in_schema=False)
async def telegram_webhook(request: Request) -> Response:
    """Check the secret, validate, handle; a slow update finishes in the background after a 200."""
    state = request.app.state
    bot: Bot | None = getattr(state, "bot", None)
    dp: Dispatcher | None = getattr(state, "dispatcher", None)
    if bot is None or dp is None:
        return Response(status_code=404)
    expected: str | None = state.webhook_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if expected and not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("webhook call with a wrong secret token from %s", request.client)
        return Response(status_code=401)
    try:
        payload: Any = await request.json()
        update = Update.model_validate(payload, context={"bot": bot})
    except (ValueError, ValidationError) as exc:
        # Answering 4xx would make Telegram re-send the same broken update forever.
        log.warning("malformed update dropped: %s", str(exc)[:300])
        return Response(status_code=200)
    task = asyncio.ensure_future(dp.feed_update(bot, update))
    state.pending_updates.add(task)
    task.add_done_callback(state.pending_updates.discard)
    try:
        result = await asyncio.wait_for(asyncio.shield(task), ANSWER_WITHIN_SECONDS)
    except TimeoutError:
        log.info("update %s still running after %.0fs; answered 200", update.update_id, ANSWER_WITHIN_SECONDS)
        task.add_done_callback(lambda done: _call_late(bot, done, state.pending_updates))
        return Response(status_code=200)
    except Exception:  # already logged by the dispatcher's error handler; Telegram must not re-send
        log.debug("update %s raised", update.update_id, exc_info=True)
        return Response(status_code=200)
    return _reply_with(bot, result) or Response(status_code=200)


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


def _call_late(bot: Bot, done: asyncio.Future[Any], pending: set[asyncio.Future[Any]]) -> None:
    """The update finished after we answered: its method must still reach Telegram."""
    if done.cancelled() or done.exception() is not None or not isinstance(done.result(), TelegramMethod):
        return
    call = asyncio.ensure_future(Dispatcher.silent_call_request(bot, done.result()))
    pending.add(call)
    call.add_done_callback(pending.discard)
