"""The outbox's Telegram adapter: one sendMessage, and aiogram's errors mapped onto outcomes.

The Bot given here must have no retry middleware (`create_bot(..., retry=False)`): a middleware that
sleeps on 429 would hide flood control from the workers, which pace every chat and the whole channel.
"""

from __future__ import annotations

import logging

import aiohttp
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import Response
from aiogram.types import Message

from channels.delivery import SendOutcome
from channels.message import Outgoing
from channels.telegram.render import render_telegram
from storage.models.contacts import Channel

log = logging.getLogger(__name__)

# aiogram validates every answer as `Response[Message]`; pydantic caches that generic class only weakly,
# so without a reference the garbage collector drops it and every few dozen sends rebuild it (~20 ms).
RESPONSE_TYPE = Response[Message]

# 400 descriptions that mean the chat itself is gone or never existed, not that this message is wrong.
GONE_CHAT = ("chat not found", "user not found", "peer_id_invalid")


class TelegramSender:
    """`paid_broadcast` sends with `allow_paid_broadcast` (up to 1000 messages/s, billed in Stars)."""

    channel = Channel.TELEGRAM

    def __init__(self, bot: Bot, *, paid_broadcast: bool = False) -> None:
        self.bot = bot
        self.paid_broadcast = paid_broadcast

    async def send(
        self,
        address: str,
        message: Outgoing,
        language: str,
        *,
        sms_latin: bool = False,
        sms_sender: str | None = None,
    ) -> SendOutcome:
        try:
            rendered = render_telegram(message, language)
        except (KeyError, ValueError) as exc:  # a language without text and no fallback: never better
            return SendOutcome.failed(f"cannot render in {language}: {exc}")
        try:
            sent = await self.bot.send_message(
                chat_id=int(address) if address.lstrip("-").isdigit() else address,
                text=rendered.text,
                reply_markup=rendered.reply_markup,
                allow_paid_broadcast=True if self.paid_broadcast else None,
            )
        except TelegramRetryAfter as exc:
            return SendOutcome.wait(float(exc.retry_after), exc.message)
        except TelegramForbiddenError as exc:  # blocked, deactivated, kicked, never started the bot
            return SendOutcome.unreachable(exc.message)
        except TelegramBadRequest as exc:
            if any(marker in exc.message.lower() for marker in GONE_CHAT):
                return SendOutcome.unreachable(exc.message)
            return SendOutcome.failed(exc.message)
        except (TelegramNotFound, TelegramMigrateToChat, TelegramEntityTooLarge) as exc:
            return SendOutcome.failed(exc.message)
        except (TelegramServerError, TelegramNetworkError, ClientDecodeError) as exc:
            return SendOutcome.transient(str(exc))
        except TelegramAPIError as exc:  # 401 (token revoked), 409...: not this message's fault
            log.warning("telegram refused a delivery: %s", exc)
            return SendOutcome.transient(str(exc))
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return SendOutcome.transient(f"{type(exc).__name__}: {exc}")
        return SendOutcome.sent(str(sent.message_id))
