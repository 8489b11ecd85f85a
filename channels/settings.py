"""How fast and how persistently the outbox delivers: rates, workers, leases and retries.

Rates are per delivering process. Several replicas share Telegram's one limit per bot, so with N
replicas set TELEGRAM_RATE_PER_SECOND to the bot's limit divided by N (each replica also learns a
lower pace from 429s by itself). Sends are paced DELIVERY_HEADROOM under each limit.
"""

from __future__ import annotations

import math

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from channels.pace import HEADROOM
from channels.ratelimit import ChannelLimit


class DeliverySettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_rate_per_second: float = Field(default=30.0, gt=0, description="all chats together")
    telegram_per_chat_per_second: float = Field(default=1.0, gt=0, description="one chat")
    telegram_reply_burst: int = Field(
        default=3, ge=1, description="messages of one reply that may go to a chat back to back"
    )
    delivery_headroom: float = Field(
        default=HEADROOM, ge=0, lt=0.5, description="share of each limit left unused, for jitter on the way"
    )
    telegram_paid_broadcast: bool = Field(
        default=False, description="send with allow_paid_broadcast (billed in Telegram Stars)"
    )
    telegram_paid_rate: float = Field(default=1000.0, gt=0, description="overall rate with paid broadcast")
    sms_messages_per_second: float = Field(
        default=1.0, gt=0, description="the SMS sender's throughput (the same variable Twilio settings read)"
    )
    delivery_concurrency: int | None = Field(
        default=None, ge=1, description="sends in flight per channel; default: a tenth of a second's worth"
    )
    delivery_lease_seconds: float = Field(
        default=120.0, gt=0, description="a claimed message is claimed again this long after a crash"
    )
    delivery_max_attempts: int = Field(default=5, ge=1, description="tries before a message fails")
    delivery_batch_size: int = Field(default=200, ge=1, description="messages claimed per query")
    delivery_poll_seconds: float = Field(default=1.0, gt=0, description="idle wait between claims")
    delivery_retry_base_seconds: float = Field(default=10.0, gt=0, description="first retry delay")
    delivery_retry_max_seconds: float = Field(default=900.0, gt=0, description="longest retry delay")

    def telegram_limit(self) -> ChannelLimit:
        rate = self.telegram_paid_rate if self.telegram_paid_broadcast else self.telegram_rate_per_second
        return ChannelLimit(
            rate=rate,
            per_recipient=self.telegram_per_chat_per_second,
            headroom=self.delivery_headroom,
            reply_burst=self.telegram_reply_burst,
        )

    def concurrency_for(self, rate: float) -> int:
        """Sends in flight: enough to cover a round trip plus its commit (~0.1 s) at `rate`, 8 to 128.

        It also bounds what a crash can send twice: sends that went out but were not yet recorded.
        """
        if self.delivery_concurrency is not None:
            return self.delivery_concurrency
        return max(8, min(128, math.ceil(rate / 10)))

    def sms_limit(self) -> ChannelLimit:
        """SMS: the sender's (number's or messaging service's) throughput; no per-recipient limit."""
        return ChannelLimit(rate=self.sms_messages_per_second, headroom=self.delivery_headroom)
