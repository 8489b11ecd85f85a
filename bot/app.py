"""The one place that assembles the service: settings -> engine -> services -> dispatcher -> HTTP app ->
background work (Telegram polling, delivery workers, scheduler)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError, TelegramServerError, TelegramUnauthorizedError
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.maintenance import run_retention
from bot.scheduler import run_reminders, run_scheduler
from bot.settings import Settings
from bot.telemetry import QueueDepth, RequestContext, UpdateContext
from campaigns import staff
from channels.dispatcher import run_delivery
from channels.telegram.client import create_bot
from contacts.privacy import PrivacyPolicy, privacy_page
from contacts.vault import DataVault
from handlers.body_limit import BodySizeLimit
from handlers.context import AppContext
from handlers.sms.webhook import replayer as sms_replayer
from handlers.sms.webhook import router as sms_webhook_router
from handlers.spool import Intake
from handlers.telegram import routers as telegram_routers
from handlers.telegram.commands import register_commands
from handlers.telegram.deferral import DeferWhenDatabaseDown
from handlers.telegram.deferral import replayer as telegram_replayer
from handlers.telegram.middlewares import UnitOfWorkMiddleware
from handlers.telegram.private import PrivateChatsOnly
from handlers.telegram.webhook import WebhookCredentials
from handlers.telegram.webhook import router as telegram_webhook_router
from storage.db import create_engine, session_factory
from storage.models import Channel
from storage.models.campaigns import Role, StaffMember
from storage.outage import database_answers
from web.app import mount_web
from web.simulator.demo import simulator_hint

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]

# How long the inbound replayer waits for `SELECT 1` before calling the database unavailable (seconds).
DATABASE_PROBE_SECONDS = 1.0
# How long /metrics waits for the outbox count before answering with the last one (seconds).
METRICS_DATABASE_SECONDS = 1.0

# Backoff while the Bot API is unreachable at start-up (seconds).
TELEGRAM_RETRY_FIRST = 1.0
TELEGRAM_RETRY_MAX = 60.0

# A background component: started after the database and channels exist, stopped before they close.
Component = Callable[["Service"], Coroutine[Any, Any, None]]


@dataclass
class Service:
    """Everything one running process holds. Built by `Service.build`, started by the HTTP lifespan."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    context: AppContext
    intake: Intake
    bot: Bot | None = None
    dispatcher: Dispatcher | None = None
    webhook: WebhookCredentials | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def build(cls, settings: Settings) -> Service:
        engine = create_engine(settings.db.database_url)
        sessions = session_factory(engine)
        data_key = settings.privacy.data_key.get_secret_value() if settings.privacy.data_key else None
        context = AppContext(
            sessions=sessions,
            vault=DataVault.from_key_or_file(data_key, settings.privacy.state_dir),
            policy=PrivacyPolicy(
                settings.privacy.privacy_notice_version,
                settings.privacy.controller_contact,
                privacy_url=privacy_page(settings.http.public_base_url),
            ),
        )
        intake = Intake(
            settings.privacy.state_dir / "inbound-spool",
            f"{socket.gethostname()}-{settings.http.http_port}",  # one spool file per replica
            probe=lambda: database_answers(engine, DATABASE_PROBE_SECONDS),
        )
        service = cls(settings, engine, sessions, context, intake, webhook=webhook_credentials(settings))
        if settings.telegram.enabled:
            assert settings.telegram.telegram_bot_token is not None
            service.bot = create_bot(
                settings.telegram.telegram_bot_token.get_secret_value(), settings.telegram.telegram_api_base
            )
            service.dispatcher = build_dispatcher(context)
        return service

    @property
    def webhook_mode(self) -> bool:
        return self.webhook is not None

    async def start(self) -> None:
        await self._bootstrap_admins()
        if self.bot is None or self.dispatcher is None:
            log.warning("TELEGRAM_BOT_TOKEN is not set: the Telegram channel is off")
        else:
            self.intake.register(Channel.TELEGRAM.value, telegram_replayer(self.dispatcher, self.bot))
            self.tasks.append(asyncio.create_task(self._connect_telegram(), name="telegram-connect"))
        self.intake.start()  # the spool of inbound events the database did not take, and its replayer
        for component in BACKGROUND_COMPONENTS:
            self.tasks.append(asyncio.create_task(component(self), name=component.__name__))
        http = self.settings.http
        if hint := await simulator_hint(self.sessions, http.http_host, http.http_port, http.public_base_url):
            log.info(hint)

    async def _bootstrap_admins(self) -> None:
        """ADMIN_TELEGRAM_IDS become coordinators on first start; a later `staff revoke` is respected."""
        ids = self.settings.telegram.admin_telegram_ids
        if not ids:
            return
        async with self.sessions() as session, session.begin():
            for telegram_id in ids:
                known = await session.scalar(
                    select(StaffMember.id).where(StaffMember.telegram_id == telegram_id)
                )
                if known is None:
                    await staff.grant(
                        session,
                        Role.COORDINATOR,
                        telegram_id=telegram_id,
                        actor="settings:ADMIN_TELEGRAM_IDS",
                    )
                    log.info("Telegram user %s is a coordinator (ADMIN_TELEGRAM_IDS)", telegram_id)

    async def _connect_telegram(self) -> None:
        """Connect to Telegram, retrying with backoff while the Bot API cannot be reached.

        Everything else (SMS, delivery, scheduler) runs meanwhile; a refused token stops only Telegram.
        """
        delay = TELEGRAM_RETRY_FIRST
        while not self.stopping.is_set():
            try:
                await self._start_telegram()
                return
            except TelegramUnauthorizedError:
                log.error(
                    "Telegram refused TELEGRAM_BOT_TOKEN (401): check the token with @BotFather; "
                    "the Telegram channel stays off until the service is restarted"
                )
                return
            except (TelegramNetworkError, TelegramServerError, OSError) as exc:
                log.warning("Telegram not reachable (%s); retrying in %.0f s", exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)
            delay = min(delay * 2, TELEGRAM_RETRY_MAX)

    async def _start_telegram(self) -> None:
        assert self.bot is not None
        assert self.dispatcher is not None
        me = await self.bot.get_me()
        log.info("Telegram bot @%s connected", me.username)
        await register_commands(self.bot)
        if self.webhook is not None:
            assert self.settings.telegram.telegram_webhook_url is not None
            await self.bot.set_webhook(
                self.webhook.url(self.settings.telegram.telegram_webhook_url),
                secret_token=self.webhook.secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("Telegram webhook mode (path key and secret token required)")
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)
            self.tasks.append(
                asyncio.create_task(
                    self.dispatcher.start_polling(
                        self.bot,
                        handle_signals=False,
                        close_bot_session=False,
                        allowed_updates=ALLOWED_UPDATES,
                    ),
                    name="telegram-polling",
                )
            )
            log.info("Telegram long polling")

    async def stop(self) -> None:
        self.stopping.set()
        await self.intake.stop()
        if self.dispatcher is not None and not self.webhook_mode:
            # RuntimeError: polling had not started (e.g. the Bot API was unreachable at start-up).
            with contextlib.suppress(RuntimeError):
                await self.dispatcher.stop_polling()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.bot is not None:
            await self.bot.session.close()
        await self.engine.dispose()


def webhook_credentials(settings: Settings) -> WebhookCredentials | None:
    """The webhook's path key and secret, or None in long-polling mode (or with Telegram off).

    Raises ValueError for a TELEGRAM_WEBHOOK_SECRET Telegram would refuse or anyone could guess.
    """
    telegram = settings.telegram
    if not (telegram.enabled and telegram.telegram_webhook_url):
        return None
    assert telegram.telegram_bot_token is not None
    configured = telegram.telegram_webhook_secret
    return WebhookCredentials.for_bot(
        telegram.telegram_bot_token.get_secret_value(), configured.get_secret_value() if configured else None
    )


def build_dispatcher(context: AppContext) -> Dispatcher:
    dispatcher = Dispatcher(app=context)
    dispatcher.update.outer_middleware(UpdateContext())  # the update id on every log line
    dispatcher.update.outer_middleware(PrivateChatsOnly())  # before anything is stored
    dispatcher.update.outer_middleware(DeferWhenDatabaseDown())  # a stuck database: the spool keeps it
    dispatcher.update.outer_middleware(UnitOfWorkMiddleware(context))
    dispatcher.include_routers(*telegram_routers())
    return dispatcher


# Long-running work started with the service (the delivery engine and scheduler register here).
BACKGROUND_COMPONENTS: list[Component] = [run_delivery, run_retention, run_scheduler, run_reminders]


def _forget_count(counting: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    def forget(task: asyncio.Task[None]) -> None:
        counting.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("outbox not counted for /metrics: %s", type(task.exception()).__name__)

    return forget


def create_http_app(settings: Settings, service: Service | None = None) -> FastAPI:
    """The one HTTP surface: health, metrics, the Telegram webhook and (when configured) Twilio webhooks."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running = service or Service.build(settings)
        app.state.service = running
        app.state.bot = running.bot if running.webhook_mode else None
        app.state.dispatcher = running.dispatcher if running.webhook_mode else None
        app.state.webhook = running.webhook
        app.state.intake = running.intake
        app.state.pending_updates = set()
        if settings.twilio.enabled:
            running.intake.register(Channel.SMS.value, sms_replayer(app.state))
        await running.start()
        try:
            yield
        finally:
            if app.state.pending_updates:
                await asyncio.wait(app.state.pending_updates, timeout=10)
            await running.stop()

    app = FastAPI(title="civicbot", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(BodySizeLimit)  # before any route reads a byte
    app.add_middleware(RequestContext)  # outermost: request id for the logs, webhook latency
    app.include_router(telegram_webhook_router)
    app.include_router(sms_webhook_router)
    mount_web(app, service)

    @app.get("/healthz")
    async def healthz() -> dict[str, object]:
        """Liveness and readiness: the database answers, and which channels are on."""
        running: Service = app.state.service
        async with running.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return {
            "status": "ok",
            "database": running.engine.dialect.name,
            "telegram": "webhook" if running.webhook_mode else ("polling" if running.bot else "off"),
            "sms": "on" if settings.twilio.enabled else "off",
        }

    queue_depth = QueueDepth()
    counting: set[asyncio.Task[None]] = set()

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Metrics even while the database is stuck (the spool's depth matters most then): the outbox is
        counted in the background, and a count that takes longer than a second leaves the last one."""
        if not counting:
            task = asyncio.create_task(queue_depth.refresh(app.state.service.engine))
            counting.add(task)
            task.add_done_callback(_forget_count(counting))
        await asyncio.wait(counting, timeout=METRICS_DATABASE_SECONDS)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
