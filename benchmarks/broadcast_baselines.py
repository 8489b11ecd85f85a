"""What the broadcast benchmark compares civicbot's outbox with, each run as its own process.

- `naive`: the loop most aiogram bots start with: send, sleep 1/limit, and on 429 sleep `retry_after`
  and send again. No outbox: a crash loses the rest of the list.
- `ptb`: python-telegram-bot's `AIORateLimiter` (aiolimiter buckets, retries on 429) with 64 sending
  tasks, as many as civicbot keeps in flight at 1000/s (gathering 20,000 sends at once made the
  limiter's waiter queue the bottleneck: under 130/s).

    python -m benchmarks.broadcast_baselines naive --api-base URL --first-id 1 --count 100 --rate 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

from benchmarks.broadcast_processes import peak_rss_mb
from tests.fakes.telegram_api import DEFAULT_TOKEN

TEXT = "Thank you."
TASKS = 64


async def naive(api_base: str, chats: Sequence[int], rate: float, paid: bool) -> dict[str, Any]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    bot = Bot(DEFAULT_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    ok = failed = waits = 0
    try:
        for chat in chats:
            while True:
                try:
                    await bot.send_message(chat, TEXT, allow_paid_broadcast=True if paid else None)
                    ok += 1
                    break
                except TelegramRetryAfter as exc:
                    waits += 1
                    await asyncio.sleep(exc.retry_after)
                except TelegramAPIError:
                    failed += 1
                    break
            await asyncio.sleep(1 / rate)
    finally:
        await bot.session.close()
    return {"ok": ok, "failed": failed, "retry_after_waits": waits}


async def ptb(api_base: str, chats: Sequence[int], rate: float, paid: bool) -> dict[str, Any]:
    from telegram.error import TelegramError
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    limiter = AIORateLimiter(overall_max_rate=rate, overall_time_period=1, max_retries=5)
    request = HTTPXRequest(connection_pool_size=64, pool_timeout=60)
    bot = ExtBot(DEFAULT_TOKEN, base_url=f"{api_base}/bot", request=request, rate_limiter=limiter)
    outcomes = {"ok": 0, "failed": 0}

    queue = iter(chats)
    flag = True if paid else None

    async def sender() -> None:
        for chat in queue:
            try:
                await bot.send_message(chat, TEXT, parse_mode="HTML", allow_paid_broadcast=flag)
                outcomes["ok"] += 1
            except TelegramError:
                outcomes["failed"] += 1

    async with bot:
        await asyncio.gather(*(sender() for _ in range(TASKS)))
    return dict(outcomes)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.broadcast_baselines")
    parser.add_argument("kind", choices=["naive", "ptb"])
    parser.add_argument("--api-base", required=True)
    parser.add_argument("--first-id", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--paid", action="store_true")
    args = parser.parse_args(argv)
    chats = range(args.first_id, args.first_id + args.count)
    runner = naive if args.kind == "naive" else ptb
    started = time.monotonic()
    result = asyncio.run(runner(args.api_base, chats, args.rate, args.paid))
    seconds = time.monotonic() - started
    print(json.dumps({**result, "seconds": seconds, "peak_rss_mb": peak_rss_mb(os.getpid())}), flush=True)


if __name__ == "__main__":
    main()
