"""No secret in any output of a full run: the service log and every HTTP body a client can read.

One `civicbot serve` in webhook mode on PostgreSQL (its URL carrying a password), with the fake Bot API
and the fake Twilio: a person signs up on Telegram, another texts by SMS and gets the reply, a staff
member signs in to the console and opens its pages, and /healthz and /metrics are read. Then the bot
token (and its secret half), the webhook secret and path key, the Twilio auth token, DATA_KEY and the
database password are looked for in the log, the bodies and the headers the service sent.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from campaigns import staff
from campaigns import staff_access as access
from handlers.telegram.webhook import WebhookCredentials
from storage.db import create_engine, session_factory, unit_of_work
from storage.models.campaigns import Role
from tests.conftest import database_for
from tests.e2e.conftest import CONVERSATION_PACE_ENV, TOKEN, telegram  # noqa: F401  (the fixture)
from tests.e2e.service import civicbot_serve, free_port
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

pytestmark = pytest.mark.slow

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-9c1e5a77d2"
WEBHOOK_SECRET = "webhook_secret-71f0c2a9d4e6b8"
DB_PASSWORD = "pg-password-5e3b91c7"
SENDER = "+995322000001"
PUBLIC_BASE = "https://sms.civicbot.example.ge"
PHONE = "+995599100077"
PASSWORD = "correct horse battery staple"


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with database_for(request, tmp_path) as url:
        yield url


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


async def test_no_secret_reaches_the_log_or_any_page(
    telegram: FakeTelegram,  # noqa: F811
    migrated_url: str,
    tmp_path: Path,
) -> None:
    engine = create_engine(migrated_url)
    async with unit_of_work(session_factory(engine)) as session:
        member = await staff.grant(session, Role.COORDINATOR, name="nino", telegram_id=5001)
        await access.set_password(session, member, PASSWORD, actor="test")
    await engine.dispose()
    data_key = Fernet.generate_key().decode()
    database_url = make_url(migrated_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    port = free_port()
    webhook_url = f"http://127.0.0.1:{port}/telegram/webhook"
    seen: list[str] = []
    async with FakeTwilio(
        ACCOUNT_SID, AUTH_TOKEN, senders=[SENDER], webhook_url=f"{PUBLIC_BASE}/twilio/sms",
        public_base_url=PUBLIC_BASE, mps=None,
    ) as twilio:  # fmt: skip
        env = {
            "DATABASE_URL": database_url,
            "DATA_KEY": data_key,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE": telegram.base_url,
            "TELEGRAM_WEBHOOK_URL": webhook_url,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM": SENDER,
            "TWILIO_API_BASE": twilio.base_url,
            "PUBLIC_BASE_URL": PUBLIC_BASE,
            "DELIVERY_POLL_SECONDS": "0.1",
            "QUIET_HOURS": "00:00-00:00",
            "LOG_LEVEL": "DEBUG",
            **CONVERSATION_PACE_ENV,  # as `telegram` is configured
        }
        async with civicbot_serve(env, tmp_path, port=port) as service:
            twilio.webhooks.connect_base_url = service.base_url
            telegram.register_user(8101, "Giorgi", language_code="ka")
            telegram.send_text(8101, "/start")
            await telegram.wait_for_messages(8101, 1, timeout=20)
            assert (await twilio.send_sms(PHONE, "salam")).status == 200
            await twilio.wait_for_messages(PHONE, 1, timeout=20)
            jar: dict[
                str, str
            ] = {}  # the console's cookies are Secure (an https PUBLIC_BASE_URL): kept by hand

            def keep(response: httpx.Response) -> httpx.Response:
                seen.append(f"{response.request.url}\n{response.headers}\n{response.text}")
                for cookie in response.headers.get_list("set-cookie"):
                    name, _, rest = cookie.partition("=")
                    jar[name] = rest.split(";", 1)[0]
                client.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items() if v and v != '""')
                return response

            async with httpx.AsyncClient(base_url=service.base_url, timeout=20) as client:
                keep(await client.get("/healthz"))
                keep(await client.get("/metrics"))
                form = keep(await client.get("/console/signin"))
                signed = keep(await client.post("/console/signin", data={
                    "csrf": _csrf(form.text), "name": "nino", "password": PASSWORD, "next": "/console"}))  # fmt: skip
                assert signed.status_code in (302, 303), signed.text[:500]
                for page in ("/console", "/console/m/marneuli", "/console/campaigns", "/console/campaigns/new",
                             "/console/hearings", "/console/surveys", "/console/staff", "/console/audit",
                             "/console/people?kind=phone&q=" + PHONE, "/", "/privacy", "/try"):  # fmt: skip
                    keep(await client.get(page))
                keep(await client.post("/telegram/webhook/wrong", json={"update_id": 1}))
                keep(await client.post("/twilio/sms", data={"From": PHONE, "Body": "x"}))
        log = service.log()
    assert "Application startup complete" in log
    path_key = WebhookCredentials.for_bot(TOKEN, WEBHOOK_SECRET).path_key
    secrets = {
        "bot token": TOKEN,
        "bot token's secret half": TOKEN.split(":", 1)[1],
        "webhook secret": WEBHOOK_SECRET,
        "webhook path key": path_key,
        "Twilio auth token": AUTH_TOKEN,
        "DATA_KEY": data_key,
        "DATA_KEY without padding": data_key.rstrip("="),
        "database password": DB_PASSWORD,
    }
    outputs = {"service log": log, **{f"response {n}": text for n, text in enumerate(seen)}}
    leaks = [f"{secret} in {where}" for secret, value in secrets.items() for where, text in outputs.items()
             if value in text]  # fmt: skip
    assert not leaks, leaks
    assert len(seen) >= 15 and len(log) > 1000  # the run did produce output to look in
    staff_page = next(text for text in seen if text.startswith(f"{service.base_url}/console/staff"))
    assert "nino" in staff_page and "signin" not in staff_page.split("\n", 1)[0]  # signed in, not bounced
