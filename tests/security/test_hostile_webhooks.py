"""Hostile bodies on the two webhooks that anyone on the internet can reach.

- Telegram: any JSON posted with the right path key and secret gets a 200 (a 4xx would make Telegram
  re-send it for ever) and no handler crashes: no update reaches the error handler, nothing is logged at
  ERROR. Update-shaped JSON walks the real dispatcher (private-chat guard, unit of work, every router).
- Twilio: any form with a valid signature gets TwiML (or 204 for a status callback) or a 4xx, never a
  500; without a valid signature it is a 403 and nothing is stored.

Hypothesis draws the examples up front (`drawn`) and the async test posts them, so the database fixtures
and the event loop stay the test's own.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any, cast
from unittest import mock

import httpx
import pytest
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import GetMe, TelegramMethod
from aiogram.types import User
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers
from hypothesis.internal.conjecture.providers import Constants
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from twilio.request_validator import RequestValidator

from bot.app import build_dispatcher
from contacts.privacy import PrivacyPolicy
from contacts.vault import DataVault
from handlers.context import AppContext
from handlers.spool import Intake
from handlers.telegram import webhook
from storage.models import Contact, InboundEvent
from tests.handlers.intake import running_intake
from tests.handlers.sms.conftest import sms  # noqa: F401  (the fixture)
from tests.handlers.sms.harness import AUTH_TOKEN, PUBLIC_BASE, SENDER, SmsHarness
from tests.handlers.telegram.test_actionplan import _CONTEXT, _DISPATCHER

TOKEN = "42:AAFakeTokenForTheHostileWebhookTests0000"
CREDENTIALS = webhook.WebhookCredentials(secret="s" * 32, path_key="k" * 32)
NASTY = ["", "\x00", "\u202e", "\ufeff", "²", "٣", "=1+1", "<b>x</b>", "&amp;", "9" * 40, "-1", "STOP",
         "DELETE", "1", "2 3", "ქართული", "Հայերեն", "русский", "Azərbaycan"]  # fmt: skip
TEXT = st.one_of(st.sampled_from(NASTY), st.text(max_size=60))
COMMANDS = st.sampled_from(["/start", "/stop", "/delete", "/mydata", "/polls", "/hearings", "/actionplan",
                            "/language", "/help", "/console", "/admin", "/campaign", "/start x"])  # fmt: skip
CALLBACK_DATA = st.one_of(TEXT, st.from_regex(r"\A[a-z]{1,4}(:[0-9a-z-]{0,6}){0,5}\Z"))
IDS = st.one_of(st.integers(1, 2**40), st.integers(-(2**63), 2**63 - 1))
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=10,
)
USER = st.fixed_dictionaries(
    {"id": IDS, "is_bot": st.booleans(), "first_name": TEXT},
    optional={"language_code": st.one_of(TEXT, st.sampled_from(["ka", "az", "hy", "ru", "en"])),
              "username": TEXT},
)  # fmt: skip
CHAT = st.fixed_dictionaries(
    {"id": IDS, "type": st.sampled_from(["private", "private", "group", "supergroup", "channel"])}
)
MESSAGE = st.fixed_dictionaries(
    {"message_id": st.integers(1, 2**31), "date": st.integers(0, 2**31), "chat": CHAT},
    optional={"from": USER, "text": st.one_of(COMMANDS, TEXT), "caption": TEXT,
              "contact": st.fixed_dictionaries({"phone_number": TEXT, "first_name": TEXT})},
)  # fmt: skip
CALLBACK = st.fixed_dictionaries(
    {"id": TEXT, "from": USER, "chat_instance": TEXT}, optional={"data": CALLBACK_DATA, "message": MESSAGE}
)
MEMBER = st.fixed_dictionaries(
    {"chat": CHAT, "from": USER, "date": st.integers(0, 2**31),
     "old_chat_member": st.fixed_dictionaries({"status": st.just("member"), "user": USER}),
     "new_chat_member": st.fixed_dictionaries({"status": st.just("kicked"), "user": USER,
                                               "until_date": st.just(0)})},
)  # fmt: skip
UPDATE = st.builds(
    lambda update_id, kind: {"update_id": update_id, **kind},
    st.integers(1, 2**31),
    st.one_of(
        st.fixed_dictionaries({"message": MESSAGE}),
        st.fixed_dictionaries({"edited_message": MESSAGE}),
        st.fixed_dictionaries({"callback_query": CALLBACK}),
        st.fixed_dictionaries({"my_chat_member": MEMBER}),
        st.dictionaries(TEXT, JSON, max_size=2),
    ),
)


def drawn(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """`count` examples of `strategy`, the same every run (a seed), for an async test to use.

    Hypothesis also mixes in constants it finds in every loaded module of the project, so the same seed
    drew other examples whenever any module changed or another test had imported more; without them the
    examples depend on the seed alone.
    """
    found: list[Any] = []

    @seed(20261204)
    @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy)
    def collect(example: Any) -> None:
        found.append(example)

    with mock.patch.object(providers, "_get_local_constants", Constants):
        collect()
    return found


class RecordingSession(BaseSession):
    """A Bot API that accepts every call (and knows the bot's own name)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> Any:
        self.calls.append(method)
        if isinstance(method, GetMe):
            return User(id=42, is_bot=True, first_name="civicbot", username="civicbot_test_bot")
        return True

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError
        yield b""

    async def close(self) -> None:
        return None


def _telegram_app(context: AppContext, intake: Intake) -> FastAPI:
    """The webhook over the real dispatcher. Routers attach to one dispatcher per process, so this shares
    the one the action-plan chat tests build, pointed at this test's database."""
    _CONTEXT.sessions, _CONTEXT.vault, _CONTEXT.policy = context.sessions, context.vault, context.policy
    if not _DISPATCHER:
        _DISPATCHER.append(build_dispatcher(cast(AppContext, _CONTEXT)))
    app = FastAPI()
    app.include_router(webhook.router)
    app.state.bot = Bot(TOKEN, session=RecordingSession())
    app.state.dispatcher = _DISPATCHER[0]
    app.state.webhook = CREDENTIALS
    app.state.pending_updates = set()
    app.state.intake = intake
    return app


async def _count(sessions: async_sessionmaker[AsyncSession], model: type[object]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("kind", ["any json", "update-shaped"])
async def test_any_json_with_the_secret_is_a_200_and_nothing_crashes(
    kind: str,
    sessions: async_sessionmaker[AsyncSession],
    vault: DataVault,
    policy: PrivacyPolicy,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    bodies = drawn(JSON, 60) if kind == "any json" else drawn(UPDATE, 120)
    headers = {"X-Telegram-Bot-Api-Secret-Token": CREDENTIALS.secret}
    url = f"/telegram/webhook/{CREDENTIALS.path_key}"
    with caplog.at_level(logging.WARNING):
        # Answered when handled, as before the spool (5 s): the updates come one after the other.
        async with running_intake(tmp_path, spool_after_ms=5000) as intake:
            app = _telegram_app(AppContext(sessions, vault, policy), intake)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
                for body in bodies:
                    response = await client.post(url, json=body, headers=headers)
                    assert response.status_code == 200, body
    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert crashes == [], [r.getMessage() for r in crashes]
    if kind == "update-shaped":  # the examples reached the handlers, which answered
        session = app.state.bot.session
        assert isinstance(session, RecordingSession)
        assert len(session.calls) >= 20
        assert await _count(sessions, InboundEvent) >= 20


async def test_a_wrong_secret_or_path_is_refused_and_stores_nothing(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy, tmp_path: Path
) -> None:
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                                          "from": {"id": 5, "is_bot": False, "first_name": "A"}, "text": "/start"}}  # fmt: skip
    async with (
        running_intake(tmp_path) as intake,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=_telegram_app(AppContext(sessions, vault, policy), intake)),
            base_url="http://bot",
        ) as client,
    ):
        for secret in [
            *drawn(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40), 15),
            "s" * 31,
            "s" * 33,
        ]:
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            response = await client.post(
                f"/telegram/webhook/{CREDENTIALS.path_key}", json=update, headers=headers
            )
            assert response.status_code == 401
        response = await client.post("/telegram/webhook/" + "j" * 32, json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": CREDENTIALS.secret})  # fmt: skip
        assert response.status_code == 404
    assert await _count(sessions, InboundEvent) == 0
    assert await _count(sessions, Contact) == 0


# -- Twilio -------------------------------------------------------------------------------------------

FIELDS = ["MessageSid", "SmsSid", "AccountSid", "From", "To", "Body", "OptOutType", "NumMedia", "MessageStatus",
          "ErrorCode", "SmsStatus", "MessagingServiceSid", "FromCountry"]  # fmt: skip
PHONES = st.one_of(
    st.sampled_from(
        ["+995599123456", "+995599000111", "+995322000001", SENDER, "+994501234567", "+1", "", "x"]
    ),
    TEXT,
)
FORM = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), TEXT),
    st.one_of(TEXT, PHONES, st.sampled_from(["SM" + "0" * 32, "delivered", "failed", "undelivered", "30003",
                                             "²", "STOP", "START"])),
    max_size=8,
).map(lambda form: {"MessageSid": form.pop("MessageSid", "SM" + "f" * 32), **form})  # fmt: skip


def _signature(path: str, form: dict[str, str]) -> str:
    return str(RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC_BASE}{path}", form))


async def test_any_signed_form_is_twiml_or_a_4xx_never_a_500(sms: SmsHarness) -> None:  # noqa: F811
    """~10 s: a status callback for an SID we never sent is looked up again for ~3 s (RECEIPT_WAITS)."""
    forms = [
        *drawn(FORM, 60),
        {"MessageSid": "SM" + "e" * 32, "MessageStatus": "failed", "ErrorCode": "²", "To": "+995599123456"},
        {"MessageSid": "SM" + "d" * 32, "From": "+995599123456", "Body": "\u202eSTOP", "OptOutType": "STOP"},
    ]
    async with httpx.AsyncClient(base_url=sms.local_url, timeout=30) as client:
        for form in forms:
            sent = {key: value.replace("\x00", "") for key, value in form.items()}
            for path in ("/twilio/sms", "/twilio/status"):
                response = await client.post(
                    path, data=sent, headers={"X-Twilio-Signature": _signature(path, sent)}
                )
                assert response.status_code < 500, (path, sent, response.text)
                if path == "/twilio/sms" and response.status_code == 200:
                    assert response.text.startswith("<?xml"), response.text


async def test_a_form_without_a_valid_signature_is_403_and_stores_nothing(sms: SmsHarness) -> None:  # noqa: F811
    forms = drawn(FORM, 20)
    async with httpx.AsyncClient(base_url=sms.local_url, timeout=30) as client:
        for form in forms:
            for path in ("/twilio/sms", "/twilio/status"):
                response = await client.post(path, data=form, headers={"X-Twilio-Signature": "AAAA"})
                assert response.status_code == 403
            response = await client.post("/twilio/sms", content=b"\xff\xfe" + bytes(range(256)),
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
            assert response.status_code == 403
    assert await _count(sms.sessions, InboundEvent) == 0
    assert await _count(sms.sessions, Contact) == 0
