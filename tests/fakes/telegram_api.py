"""A fake Telegram Bot API server speaking the real HTTP protocol, for tests and benchmarks.

The real bot (aiogram, ``TELEGRAM_API_BASE`` pointed here) calls ``{base}/bot{token}/{method}`` and
gets Telegram's answers, errors and flood limits; tests play the users (``send_text``, ``press``,
``block``) and read what the bot sent. Run in-process (``async with FakeTelegram() as fake``) or as a
process with a JSON control API under ``/_control/``::

    python -m tests.fakes.telegram_api --port 8081 --token 123:ABC --global-limit 30 --paid-limit 1000
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.fakes.telegram_control import add_control_routes
from tests.fakes.telegram_html import utf16_len
from tests.fakes.telegram_limits import LimitConfig, RateLimiter
from tests.fakes.telegram_methods import BotApi
from tests.fakes.telegram_params import ApiError, Params, read_request
from tests.fakes.telegram_state import BotMessage, CallbackAnswer, FakeGroup, FakeState, FakeUser, UserState
from tests.fakes.telegram_updates import UpdateFeed

DEFAULT_TOKEN = "123456789:AAFakeCivicbotTokenForLocalTests0000"
_TOKEN = re.compile(r"(\d+):[A-Za-z0-9_-]+")
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


class FakeTelegram:
    """One bot's view of Telegram: its Bot API over HTTP, its users, and everything it sent."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "civicbot_test_bot",
        bot_first_name: str = "Civic Bot",
        global_limit: float = 30.0,
        per_chat_limit: float = 1.0,
        per_chat_burst: int = 3,
        paid_limit: float = 1000.0,
        webhook_retry_delays: Iterable[float] = (1, 2, 4, 8, 16),
        webhook_timeout: float = 10.0,
        strict_html: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise ValueError(f"not a bot token (<digits>:<secret>): {token!r}")
        self.token = token
        bot = {"id": int(match.group(1)), "is_bot": True, "first_name": bot_first_name}
        self.state = FakeState({**bot, "username": bot_username})
        limits = LimitConfig(global_limit, per_chat_limit, per_chat_burst, paid_limit)
        self.limiter = RateLimiter(limits, clock)
        self.feed = UpdateFeed(self._execute_reply, self._on_event, webhook_retry_delays, webhook_timeout)
        self.api = BotApi(self.state, self.limiter, self.feed, strict_html=strict_html)
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._in_flight = 0
        self._query_ids = itertools.count(4_200_000_000_000_000_001)

    # --- serving ----------------------------------------------------------------------------------

    def app(self) -> web.Application:
        """The aiohttp application: the Bot API under ``/bot<token>/`` and the control API."""
        app = web.Application(client_max_size=50 * 1024 * 1024)  # Telegram's upload limit for bots
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        add_control_routes(app, self)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0 picks a free port); returns and sets ``base_url``."""
        self.feed.open()
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_port = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        """End long polls and webhook deliveries, then close the server."""
        await self.feed.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            self.state.error_codes[401] += 1
            return _error(ApiError(401, "Unauthorized"))
        counted = method.lower() != "getupdates"  # a waiting long poll is not the bot being busy
        if counted:
            self._in_flight += 1
        try:
            result, description = await self.api.call(method, await read_request(request))
        except ApiError as error:
            return _error(error)
        finally:
            if counted:
                self._in_flight -= 1
            self.state.touch()
        body: dict[str, Any] = {"ok": True, "result": result}
        if description:
            body["description"] = description
        return web.json_response(body)

    async def _execute_reply(self, params: Params) -> None:
        """A webhook answered with a method call: run it; Telegram reports its errors to no one."""
        method = str(params.values.pop("method"))
        try:
            await self.api.call(method, params)
        except ApiError:
            self.state.stats["webhook_reply_errors"] += 1

    def _on_event(self, counter: str) -> None:
        if counter:
            self.state.stats[counter] += 1
        self.state.touch()

    # --- users ------------------------------------------------------------------------------------

    def register_user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        language_code: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
    ) -> FakeUser:
        """A private user who has started the bot; their chat id is ``user_id``."""
        user = FakeUser(user_id, first_name, last_name, username, language_code)
        self.state.users[user_id] = user
        self.state.touch()
        return user

    def user(self, user_id: int) -> FakeUser:
        user = self.state.users.get(user_id)
        if user is None:
            raise LookupError(f"user {user_id} is not registered")
        return user

    # --- what users do ----------------------------------------------------------------------------

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        self.state.stats["updates"] += 1
        return self.feed.push(update)

    def send_text(self, user_id: int, text: str) -> dict[str, Any]:
        """The user sends ``text``; commands get bot_command entities. A blocked bot is restarted first."""
        user = self.user(user_id)
        if user.state is UserState.DEACTIVATED:
            raise ValueError(f"user {user_id} is deactivated and cannot write")
        if user.state is UserState.BLOCKED:
            self.unblock(user_id)  # what Telegram's "Restart bot" button does
        message: dict[str, Any] = {
            "message_id": self.state.next_message_id(user_id),
            "from": user.to_api(),
            "chat": user.chat_api(),
            "date": self.state.date(),
            "text": text,
        }
        entities = [
            {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
            for m in _COMMAND.finditer(text)
        ]
        if entities:
            message["entities"] = entities
        self.state.inbound.setdefault(user_id, []).append(message)
        return self._push({"message": message})

    def create_group(self, chat_id: int, title: str = "Neighbours") -> FakeGroup:
        """A group chat (negative id) the bot has been added to."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        group = FakeGroup(chat_id, title)
        self.state.groups[chat_id] = group
        self.state.touch()
        return group

    def send_group_text(self, user_id: int, chat_id: int, text: str) -> dict[str, Any]:
        """``user_id`` writes ``text`` in the group ``chat_id``; commands get bot_command entities."""
        user, group = self.user(user_id), self.state.groups[chat_id]
        message: dict[str, Any] = {
            "message_id": self.state.next_message_id(chat_id),
            "from": user.to_api(),
            "chat": group.chat_api(),
            "date": self.state.date(),
            "text": text,
        }
        entities = [
            {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
            for m in _COMMAND.finditer(text)
        ]
        if entities:
            message["entities"] = entities
        return self._push({"message": message})

    def group_member_change(self, user_id: int, chat_id: int, old: str, new: str) -> dict[str, Any]:
        """``user_id`` adds (``new="member"``) or removes (``"left"``/``"kicked"``) the bot in a group."""
        user, group, bot = self.user(user_id), self.state.groups[chat_id], self.state.bot
        change = {
            "chat": group.chat_api(),
            "from": user.to_api(),
            "date": self.state.date(),
            "old_chat_member": {"status": old, "user": bot, **({"until_date": 0} if old == "kicked" else {})},
            "new_chat_member": {"status": new, "user": bot, **({"until_date": 0} if new == "kicked" else {})},
        }
        return self._push({"my_chat_member": change})

    def press(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        """The user presses the inline button with ``data`` under a bot message; it must exist there."""
        user = self.user(user_id)
        if user.state is not UserState.ACTIVE:
            raise ValueError(f"user {user_id} is {user.state} and cannot press buttons")
        message = self.state.find_message(user_id, message_id)
        if message is None:
            raise LookupError(f"chat {user_id} has no bot message {message_id}")
        if data not in message.buttons_data():
            buttons = sorted(message.buttons_data())
            raise LookupError(f"message {message_id} has no button {data!r}; it has {buttons}")
        query_id = str(next(self._query_ids))
        query: dict[str, Any] = {
            "id": query_id,
            "from": user.to_api(),
            "message": message.to_api(self.state.bot, user.chat_api()),
            "chat_instance": str(user_id * 7 + 1_000_000_000_000),
            "data": data,
        }
        self.state.callback_queries[query_id] = query
        return self._push({"callback_query": query})

    def _member_change(self, user: FakeUser, old: str, new: str) -> dict[str, Any]:
        bot = self.state.bot
        new_member: dict[str, Any] = {"status": new, "user": bot}
        if new == "kicked":
            new_member["until_date"] = 0
        change = {
            "chat": user.chat_api(),
            "from": user.to_api(),
            "date": self.state.date(),
            "old_chat_member": {"status": old, "user": bot, **({"until_date": 0} if old == "kicked" else {})},
            "new_chat_member": new_member,
        }
        return self._push({"my_chat_member": change})

    def block(self, user_id: int) -> dict[str, Any] | None:
        """The user blocks the bot: sends now fail with 403, and the bot gets a my_chat_member update."""
        user = self.user(user_id)
        if user.state is not UserState.ACTIVE:
            return None
        user.state = UserState.BLOCKED
        return self._member_change(user, "member", "kicked")

    def unblock(self, user_id: int) -> dict[str, Any] | None:
        """The user unblocks (restarts) the bot: member again, with the my_chat_member update."""
        user = self.user(user_id)
        if user.state is not UserState.BLOCKED:
            return None
        user.state = UserState.ACTIVE
        return self._member_change(user, "kicked", "member")

    def deactivate(self, user_id: int) -> None:
        """The user deletes their account: sends fail with 403 "user is deactivated"; no update."""
        self.user(user_id).state = UserState.DEACTIVATED
        self.state.touch()

    def inject_raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any update dict as is (numbered if it has no update_id), to test odd or malformed ones."""
        return self._push(dict(update))

    # --- records ----------------------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[BotMessage]:
        """What the bot sent to ``chat_id`` (deleted ones excluded), with edits applied."""
        return self.state.bot_messages(chat_id)

    def sent_to(self) -> list[int]:
        return [chat_id for chat_id in self.state.messages if self.state.bot_messages(chat_id)]

    def commands(self, language_code: str = "", scope: dict[str, Any] | None = None) -> list[dict[str, str]]:
        return self.state.commands_for(scope, language_code)

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return list(self.state.callback_answers)

    @property
    def chat_actions(self) -> list[tuple[int, str]]:
        return list(self.state.chat_actions)

    def stats(self) -> dict[str, Any]:
        """Counters for tests and benchmarks: sends, 429s by scope, 403s, errors, webhook deliveries."""
        counters = self.state.stats
        keys = (
            "requests",
            "sent",
            "paid_sent",
            "edits",
            "rate_limited",
            "rate_limited_global",
            "rate_limited_paid",
            "rate_limited_chat",
            "rate_limited_flood",
            "forbidden",
            "updates",
            "webhook_deliveries",
            "webhook_failures",
            "webhook_dropped",
            "webhook_reply_errors",
            "updates_filtered",
        )
        return {
            **{key: counters[key] for key in keys},
            "methods": {k.removeprefix("method."): v for k, v in counters.items() if k.startswith("method.")},
            "errors": {str(code): count for code, count in sorted(self.state.error_codes.items())},
            "peak_sends_per_second": self.limiter.peak_per_second,
            "pending_updates": self.feed.pending_count,
            "users": len(self.state.users),
            "limits": vars(self.limiter.config).copy(),
        }

    def configure_limits(self, **limits: float) -> LimitConfig:
        """Change global_limit, per_chat_limit, per_chat_burst, paid_limit, mode ("strict" sliding
        window or "bucket"), hidden_limit, flood_at or flood_seconds (`telegram_limits`); all start afresh."""
        config = LimitConfig(**{**vars(self.limiter.config), **limits})
        self.limiter.reconfigure(config)
        return config

    def reset(self, *, users: bool = False) -> None:
        """Forget messages, updates, callbacks, counters and flood state (and users if asked)."""
        self.state.clear(users=users)
        self.limiter.reset()
        self.feed.clear()

    # --- waiting ----------------------------------------------------------------------------------

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's deadline
    ) -> list[BotMessage]:
        """The bot's messages in ``chat_id`` once there are at least ``count``; TimeoutError otherwise."""
        try:
            await self.state.wait_until(lambda: len(self.messages(chat_id)) >= count, timeout)
        except TimeoutError:
            texts = [message.text for message in self.messages(chat_id)]
            wanted = f"chat {chat_id}: wanted {count} bot messages in {timeout}s"
            raise TimeoutError(f"{wanted}, got {texts}") from None
        return self.messages(chat_id)

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's deadline
    ) -> None:
        """Wait until ``predicate()`` holds, re-checked on every change of the fake, or TimeoutError."""
        await self.state.wait_until(predicate, timeout)

    async def wait_idle(self, timeout: float = 5.0, quiet: float = 0.05) -> None:  # noqa: ASYNC109
        """Wait until every update was taken by the bot, no call is running, and nothing changed for
        ``quiet`` seconds. A bot that sleeps longer than ``quiet`` mid-handler looks idle: prefer
        ``wait_for_messages`` when the expected outcome is known."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            busy = self.feed.busy or self._in_flight > 0
            calm = time.monotonic() - self.state.last_change
            remaining = deadline - loop.time()
            if not busy and calm >= quiet:
                return
            if remaining <= 0:
                raise TimeoutError(
                    f"not idle after {timeout}s: {self.feed.pending_count} updates pending, "
                    f"{self._in_flight} calls in flight"
                )
            await self.state.next_change(remaining if busy else min(remaining, quiet - calm))


def _error(error: ApiError) -> web.Response:
    return web.json_response(error.to_api(), status=error.code)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.telegram_api", description="A fake Telegram Bot API server for tests."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port (printed at start)")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="civicbot_test_bot")
    parser.add_argument("--global-limit", type=float, default=30.0, help="messages per second, all chats")
    parser.add_argument("--per-chat-limit", type=float, default=1.0, help="messages per second in one chat")
    parser.add_argument("--per-chat-burst", type=int, default=3, help="messages one chat may get at once")
    parser.add_argument("--paid-limit", type=float, default=1000.0, help="with allow_paid_broadcast")
    parser.add_argument("--webhook-retry-delays", default="1,2,4,8,16", help="seconds between retries")
    parser.add_argument("--strict-html", action="store_true", help="also reject a bare & or >")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeTelegram(
        args.token,
        bot_username=args.bot_username,
        global_limit=args.global_limit,
        per_chat_limit=args.per_chat_limit,
        per_chat_burst=args.per_chat_burst,
        paid_limit=args.paid_limit,
        webhook_retry_delays=[float(s) for s in args.webhook_retry_delays.split(",") if s.strip()],
        strict_html=args.strict_html,
    )
    url = await fake.start(args.host, args.port)
    print(f"fake Telegram Bot API listening on {url}", flush=True)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    await stopped.wait()
    await fake.stop()


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(_serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
