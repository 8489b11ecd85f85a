"""The fake Telegram answers a real aiogram Bot over HTTP the way Telegram does."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiohttp import web

from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

NINO, ELDAR, ANI = 1001, 1002, 1003
GEORGIAN = "ა"  # three bytes in UTF-8, one UTF-16 unit
REPO_ROOT = Path(__file__).resolve().parents[2]


class ManualClock:
    """Monotonic time that moves only when a test says so, for exact flood-limit tests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class LocalSession(AiohttpSession):
    """aiogram waits 250 ms on close to let TLS connections finish; plain local HTTP has none."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def keyboard(*data: str) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(text=f"option {i}", callback_data=d)] for i, d in enumerate(data)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def make_bot(fake: FakeTelegram, **defaults: Any) -> Bot:
    session = LocalSession(api=TelegramAPIServer.from_base(fake.base_url))
    return Bot(fake.token, session=session, default=DefaultBotProperties(**defaults))


async def start_fake(**options: Any) -> FakeTelegram:
    fake = FakeTelegram(**options)
    await fake.start()
    fake.register_user(NINO, "Nino", language_code="ka")
    fake.register_user(ELDAR, "Eldar", language_code="az")
    fake.register_user(ANI, "Ani", language_code="hy")
    return fake


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    fake = await start_fake()
    yield fake
    await fake.stop()


@pytest.fixture
async def webhook_fake() -> AsyncIterator[FakeTelegram]:
    """Webhook retries after 10 ms instead of Telegram's seconds."""
    fake = await start_fake(webhook_retry_delays=(0.01, 0.01))
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    bot = make_bot(fake)
    yield bot
    await bot.session.close()


async def test_send_message_round_trip_parses_into_aiogram_types(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(
        NINO,
        "<b>გამარჯობა</b>, Nino &amp; 😀 <i>x</i>",
        parse_mode="HTML",
        reply_markup=keyboard("poll:1:yes"),
    )

    assert isinstance(sent, Message)
    assert (sent.chat.id, sent.chat.type, sent.chat.first_name) == (NINO, "private", "Nino")
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.text == "გამარჯობა, Nino & 😀 x"
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 9), ("italic", 21, 1)]
    assert isinstance(sent.reply_markup, InlineKeyboardMarkup)
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "poll:1:yes"
    [recorded] = fake.messages(NINO)
    assert (recorded.message_id, recorded.parse_mode) == (sent.message_id, "HTML")
    assert recorded.source == "<b>გამარჯობა</b>, Nino &amp; 😀 <i>x</i>"


@pytest.mark.parametrize(
    ("label", "html", "description"),
    [
        ("bare <", "1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("unknown tag", "<p>hi</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("unclosed tag", "<b>hi", "Can't find end tag corresponding to start tag b"),
        ("crossed", "<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("byte offsets", "ქართ <x>", 'Unsupported start tag "x" at byte offset 13'),
        ("< at the end", "score <", "Unclosed start tag at byte offset 6"),
        ("span class", "<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_invalid_html_is_rejected_with_telegrams_words(
    bot: Bot, label: str, html: str, description: str
) -> None:
    with pytest.raises(TelegramBadRequest) as error:
        await bot.send_message(NINO, html, parse_mode="HTML")
    assert error.value.message == f"Bad Request: can't parse entities: {description}"


async def test_bare_ampersand_and_gt_pass_as_in_telegram_unless_strict(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(NINO, "Q&A: 3 > 2", parse_mode="HTML")
    assert sent.text == "Q&A: 3 > 2"

    strict = await start_fake(strict_html=True)
    strict_bot = make_bot(strict)
    try:
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await strict_bot.send_message(NINO, "Q&A", parse_mode="HTML")
    finally:
        await strict_bot.session.close()
        await strict.stop()


@pytest.mark.parametrize(
    ("label", "text", "description"),
    [
        ("empty after parsing", "<b></b>", "Bad Request: message text is empty"),
        ("only spaces", "   \n ", "Bad Request: message text is empty"),
        ("4097 characters", "x" * 4097, "Bad Request: message is too long"),
        ("emoji count twice in UTF-16", "😀" * 2049, "Bad Request: message is too long"),
        ("markup does not count", "<b>" + "x" * 4097 + "</b>", "Bad Request: message is too long"),
    ],
)
async def test_text_length_is_counted_after_parsing_in_utf16(
    bot: Bot, label: str, text: str, description: str
) -> None:
    with pytest.raises(TelegramBadRequest) as error:
        await bot.send_message(NINO, text, parse_mode="HTML")
    assert error.value.message == description


async def test_longest_allowed_text_passes(bot: Bot) -> None:
    sent = await bot.send_message(NINO, "<i>" + GEORGIAN * 4096 + "</i>", parse_mode="HTML")
    assert sent.text is not None and len(sent.text) == 4096


@pytest.mark.parametrize(
    ("label", "data", "allowed"),
    [
        ("64 bytes", GEORGIAN * 21 + "a", True),
        ("65 bytes", GEORGIAN * 21 + "ab", False),
        ("22 Georgian letters", GEORGIAN * 22, False),
    ],
)
async def test_callback_data_is_limited_to_64_bytes(bot: Bot, label: str, data: str, allowed: bool) -> None:
    if allowed:
        await bot.send_message(NINO, "choose", reply_markup=keyboard(data))
        return
    with pytest.raises(TelegramBadRequest) as error:
        await bot.send_message(NINO, "choose", reply_markup=keyboard(data))
    assert error.value.message == "Bad Request: BUTTON_DATA_INVALID"


async def test_buttons_need_an_action(bot: Bot) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="no action")]])
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed in the inline keyboard"):
        await bot.send_message(NINO, "choose", reply_markup=markup)


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest) as error:
        await bot.send_message(424242, "hello")
    assert error.value.message == "Bad Request: chat not found"


async def test_per_chat_limit_answers_429_with_retry_after() -> None:
    clock = ManualClock()
    fake = await start_fake(per_chat_burst=2, clock=clock)
    bot = make_bot(fake)
    try:
        await bot.send_message(NINO, "1")
        await bot.send_message(NINO, "2")
        with pytest.raises(TelegramRetryAfter) as limited:
            await bot.send_message(NINO, "3")
        assert limited.value.retry_after == 1
        await bot.send_message(ELDAR, "another chat is not limited")

        async with httpx.AsyncClient(base_url=fake.base_url) as client:
            raw = await client.post(f"/bot{fake.token}/sendMessage", json={"chat_id": NINO, "text": "3"})
        assert raw.status_code == 429
        assert raw.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        clock.now += 1.0
        await bot.send_message(NINO, "3 after waiting")
        assert [m.text for m in fake.messages(NINO)] == ["1", "2", "3 after waiting"]
        assert fake.stats()["rate_limited_chat"] == 2
    finally:
        await bot.session.close()
        await fake.stop()


async def test_global_limit_applies_to_edits_and_paid_broadcast_lifts_it() -> None:
    clock = ManualClock()
    fake = await start_fake(global_limit=2, paid_limit=5, clock=clock)
    bot = make_bot(fake)
    try:
        first = await bot.send_message(NINO, "a")
        await bot.send_message(ELDAR, "b")
        with pytest.raises(TelegramRetryAfter) as limited:
            await bot.edit_message_text("a, edited", chat_id=NINO, message_id=first.message_id)
        assert limited.value.retry_after == 1

        for _ in range(3):  # the free bucket is empty, yet paid sends go, up to the paid limit
            await bot.send_message(ANI, "paid", allow_paid_broadcast=True)
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(NINO, "paid beyond the paid limit", allow_paid_broadcast=True)

        stats = fake.stats()
        assert (stats["sent"], stats["paid_sent"]) == (5, 3)
        limited_by = (stats["rate_limited_global"], stats["rate_limited_paid"], stats["rate_limited_chat"])
        assert limited_by == (1, 1, 0)
        assert stats["errors"] == {"429": 2}
    finally:
        await bot.session.close()
        await fake.stop()


async def test_blocked_and_deactivated_users_give_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    block = fake.block(NINO)
    assert block is not None
    assert block["my_chat_member"]["old_chat_member"]["status"] == "member"
    assert block["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(TelegramForbiddenError) as blocked:
        await bot.send_message(NINO, "hello")
    assert blocked.value.message == "Forbidden: bot was blocked by the user"

    fake.deactivate(ELDAR)
    with pytest.raises(TelegramForbiddenError) as gone:
        await bot.send_chat_action(ELDAR, "typing")
    assert gone.value.message == "Forbidden: user is deactivated"

    [update] = await bot.get_updates()
    assert update.my_chat_member is not None and update.my_chat_member.new_chat_member.status == "kicked"
    fake.unblock(NINO)
    await bot.send_message(NINO, "welcome back")
    assert fake.stats()["forbidden"] == 2


async def test_long_polling_wakes_up_for_user_messages_and_presses(fake: FakeTelegram, bot: Bot) -> None:
    question = await bot.send_message(NINO, "Join the hearing?", reply_markup=keyboard("rsvp:yes"))
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for(lambda: fake.stats()["methods"].get("getUpdates") == 1)  # the poll is waiting
    fake.send_text(NINO, "/start ka")
    [first] = await asyncio.wait_for(poll, 2)
    assert first.message is not None and first.message.text == "/start ka"
    assert [(e.type, e.offset, e.length) for e in first.message.entities or []] == [("bot_command", 0, 6)]

    fake.press(NINO, question.message_id, "rsvp:yes")
    [second] = await bot.get_updates(offset=first.update_id + 1, timeout=5)
    query = second.callback_query
    assert query is not None and query.data == "rsvp:yes" and query.from_user.id == NINO
    assert isinstance(query.message, Message) and query.message.message_id == question.message_id
    assert second.update_id == first.update_id + 1

    assert await bot.answer_callback_query(query.id, text="Saved")
    with pytest.raises(TelegramBadRequest) as again:
        await bot.answer_callback_query(query.id)
    assert again.value.message == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    assert [a.text for a in fake.callback_answers] == ["Saved"]


async def test_a_second_poller_terminates_the_first(fake: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for(lambda: fake.stats()["methods"].get("getUpdates") == 1)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 2)
    assert await second == []


async def test_allowed_updates_drops_other_update_types(fake: FakeTelegram, bot: Bot) -> None:
    assert await bot.get_updates(allowed_updates=["message"]) == []
    fake.block(NINO)  # my_chat_member was not asked for: Telegram drops it
    fake.unblock(NINO)
    fake.send_text(NINO, "hi")
    [update] = await bot.get_updates(allowed_updates=["message"])
    assert update.message is not None
    assert update.message.text == "hi"
    assert fake.stats()["updates_filtered"] == 2


async def test_press_requires_a_real_button(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(NINO, "choose", reply_markup=keyboard("a"))
    with pytest.raises(LookupError):
        fake.press(NINO, sent.message_id, "not-a-button")


async def test_edits_are_applied_and_unchanged_edits_refused(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(NINO, "<b>Poll</b>", parse_mode="HTML", reply_markup=keyboard("yes", "no"))
    with pytest.raises(TelegramBadRequest) as same:
        await bot.edit_message_reply_markup(
            chat_id=NINO, message_id=sent.message_id, reply_markup=keyboard("yes", "no")
        )
    assert same.value.message.startswith("Bad Request: message is not modified: specified new message")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "<strong>Poll</strong>",
            chat_id=NINO,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard("yes", "no"),
        )

    edited = await bot.edit_message_text("Poll closed", chat_id=NINO, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.reply_markup is None and edited.edit_date is not None
    [message] = fake.messages(NINO)
    assert (message.text, message.reply_markup) == ("Poll closed", None)
    assert [(e.method, e.previous_text, e.text) for e in message.edits] == [
        ("editMessageText", "Poll", "Poll closed")
    ]
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=NINO, message_id=999)


async def test_photo_upload_and_document_by_url(fake: FakeTelegram, bot: Bot) -> None:
    photo = await bot.send_photo(
        NINO, BufferedInputFile(b"\x89PNG fake", "map.png"), caption="<b>Map</b>", parse_mode="HTML"
    )
    assert photo.photo and photo.caption == "Map"
    again = await bot.send_photo(ANI, photo.photo[-1].file_id)
    assert again.photo and again.photo[-1].file_id == photo.photo[-1].file_id
    document = await bot.send_document(ELDAR, "https://example.org/files/plan.pdf")
    assert document.document is not None and document.document.file_name == "plan.pdf"
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(ELDAR, "no-such-file-id")
    assert fake.messages(NINO)[0].media == [photo.photo[-1].model_dump(exclude_none=True)]


async def test_commands_are_kept_per_scope_and_language(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="დაწყება")], language_code="ka")
    await bot.set_my_commands(
        [BotCommand(command="stop", description="dayandır")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="az",
    )
    assert [c.command for c in await bot.get_my_commands(language_code="ka")] == ["start"]
    assert await bot.get_my_commands() == []
    stop = [{"command": "stop", "description": "dayandır"}]
    assert fake.commands("az", {"type": "all_private_chats"}) == stop
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start!", description="x")])
    await bot.delete_my_commands(language_code="ka")
    assert fake.commands("ka") == []


async def test_plain_http_errors_and_body_encodings(fake: FakeTelegram) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        wrong_token = await client.post("/bot1:wrong/getMe")
        unknown = await client.post(f"/bot{fake.token}/sendTelepathy")
        as_json = await client.post(f"/bot{fake.token}/sendMessage", json={"chat_id": NINO, "text": "json"})
        as_form = await client.post(
            f"/bot{fake.token}/SENDMESSAGE",
            data={"chat_id": str(ELDAR), "text": "form", "reply_markup": keyboard("f").model_dump_json()},
        )
        as_query = await client.get(f"/bot{fake.token}/getMe", params={"unused": "1"})
    assert (wrong_token.status_code, wrong_token.json()["description"]) == (401, "Unauthorized")
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert as_json.json()["result"]["text"] == "json"
    assert as_form.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "f"
    assert as_query.json()["result"]["is_bot"] is True


async def test_webhook_posts_carry_the_secret_keep_order_and_retry(webhook_fake: FakeTelegram) -> None:
    fake, bot = webhook_fake, make_bot(webhook_fake)
    seen: list[tuple[str | None, int]] = []

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        seen.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), update["update_id"]))
        if len(seen) == 1:
            return web.Response(status=500)
        text = update["message"]["text"]
        return web.json_response({"method": "sendMessage", "chat_id": NINO, "text": f"echo {text}"})

    receiver = web.AppRunner(web.Application())
    receiver.app.router.add_post("/hook", hook)
    await receiver.setup()
    await web.TCPSite(receiver, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{receiver.addresses[0][1]}/hook"
        assert await bot.set_webhook(url, secret_token="s3cr3t-token")
        with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook"):
            await bot.get_updates()

        first = fake.send_text(NINO, "one")
        second = fake.send_text(NINO, "two")
        replies = await fake.wait_for_messages(NINO, 2)

        assert [m.text for m in replies] == ["echo one", "echo two"]
        assert seen == [("s3cr3t-token", first["update_id"])] * 2 + [("s3cr3t-token", second["update_id"])]
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == (url, 0)
        assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        assert fake.stats()["webhook_failures"] == 1
        assert await bot.delete_webhook()
        assert await bot.get_updates() == []
    finally:
        await bot.session.close()
        await receiver.cleanup()


async def test_undeliverable_webhook_updates_are_dropped_after_retries(webhook_fake: FakeTelegram) -> None:
    fake, bot = webhook_fake, make_bot(webhook_fake)
    try:
        await bot.set_webhook("http://127.0.0.1:9/nobody-listens")
        fake.send_text(NINO, "lost")
        await fake.wait_for(lambda: fake.stats()["webhook_dropped"] == 1)
        info = await bot.get_webhook_info()
        assert info.last_error_message == "Connection refused" and info.pending_update_count == 0
        assert fake.stats()["webhook_failures"] == 3
    finally:
        await bot.session.close()


async def test_aiogram_dispatcher_runs_a_conversation_against_the_fake(fake: FakeTelegram) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("<b>Join the hearing?</b>", reply_markup=keyboard("rsvp:yes"))

    @router.callback_query(F.data == "rsvp:yes")
    async def rsvp(query: CallbackQuery) -> None:
        await query.answer("Saved")
        assert isinstance(query.message, Message)
        await query.message.edit_text("See you there")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = make_bot(fake, parse_mode="HTML")
    polling = asyncio.create_task(dispatcher.start_polling(bot, polling_timeout=1, handle_signals=False))
    try:
        fake.send_text(NINO, "/start")
        [question] = await fake.wait_for_messages(NINO, 1)
        assert (question.text, question.parse_mode) == ("Join the hearing?", "HTML")
        fake.press(NINO, question.message_id, "rsvp:yes")
        await fake.wait_for(lambda: bool(question.edits))
        await fake.wait_idle()
        assert question.text == "See you there"
        assert [(a.user_id, a.data, a.text) for a in fake.callback_answers] == [(NINO, "rsvp:yes", "Saved")]
    finally:
        await dispatcher.stop_polling()
        await polling


async def test_inject_raw_delivers_odd_updates_as_given(fake: FakeTelegram) -> None:
    injected = fake.inject_raw({"update_id": 500, "edited_message": {"odd": True}})
    after = fake.send_text(NINO, "next")
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        answer = await client.post(f"/bot{fake.token}/getUpdates", json={"offset": 0})
    assert answer.json()["result"] == [injected, after]
    assert after["update_id"] == 501


async def test_control_api_drives_the_fake_over_http(fake: FakeTelegram, bot: Bot) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        registered = await client.post(
            "/_control/users", json={"users": [{"id": 7, "first_name": "Lia", "language_code": "ka"}]}
        )
        assert registered.json()["users"][0] == {
            "id": 7,
            "is_bot": False,
            "first_name": "Lia",
            "language_code": "ka",
            "state": "active",
        }
        sent = await bot.send_message(7, "Vote?", reply_markup=keyboard("vote:1"))
        press = {"user_id": 7, "message_id": sent.message_id, "data": "vote:1"}
        pressed = await client.post("/_control/press", json=press)
        assert pressed.json()["update"]["callback_query"]["data"] == "vote:1"
        texted = await client.post("/_control/send_text", json={"user_id": 7, "text": "/help"})
        assert texted.json()["update"]["message"]["entities"][0]["type"] == "bot_command"
        blocked = await client.post("/_control/users/7/block")
        assert blocked.json()["update"]["my_chat_member"]["new_chat_member"]["status"] == "kicked"

        messages = await client.get("/_control/chats/7/messages", params={"count": 1, "timeout": 1})
        assert [m["text"] for m in messages.json()["messages"]] == ["Vote?"]
        waited = await client.get("/_control/chats/7/messages", params={"count": 2, "timeout": 0.1})
        assert waited.status_code == 408
        missing = await client.post("/_control/send_text", json={"user_id": 99, "text": "hi"})
        assert missing.status_code == 404
        stats = (await client.get("/_control/stats")).json()
        assert (stats["sent"], stats["updates"], stats["users"]) == (1, 3, 4)
        limits = await client.post("/_control/limits", json={"global_limit": 100})
        assert limits.json()["limits"]["global_limit"] == 100
        assert (await client.post("/_control/reset", json={})).json() == {"reset": True}
        assert (await client.get("/_control/stats")).json()["sent"] == 0


async def test_runs_as_its_own_process() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.telegram_api",
        "--port",
        "0",
        "--token",
        DEFAULT_TOKEN,
        "--global-limit",
        "30",
        "--paid-limit",
        "1000",
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        base_url = line.decode().split()[-1]
        async with httpx.AsyncClient(base_url=base_url) as client:
            await client.post("/_control/users", json={"id": 5, "first_name": "Aytac", "language_code": "az"})
            sent = await client.post(f"/bot{DEFAULT_TOKEN}/sendMessage", json={"chat_id": 5, "text": "Salam"})
            assert sent.json()["ok"] is True
            messages = await client.get("/_control/chats/5/messages")
        assert [m["text"] for m in messages.json()["messages"]] == ["Salam"]
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 5) == 0
