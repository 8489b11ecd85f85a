"""A fake Twilio Programmable Messaging API for tests: the real wire protocol, run in-process or alone.

The official twilio-python client talks to it unchanged once `client.api.base_url` points at
`fake.base_url`. It answers `POST/GET .../Messages(.json|/{Sid}.json)` with Twilio's JSON and error codes,
plays each message's status lifecycle back to its StatusCallback (signed with X-Twilio-Signature), posts
incoming messages to the app's webhook, applies Twilio's default STOP/START handling and a per-sender
rate limit. Run alone with `python -m tests.fakes.twilio_api --help` (JSON control API under /_control/).
"""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Self

from aiohttp import web

from tests.fakes.twilio_control import add_control_routes
from tests.fakes.twilio_inbound import InboundGateway
from tests.fakes.twilio_models import (
    API_VERSION,
    CallbackRecord,
    FakeMessage,
    InboundResult,
    Outcome,
    new_sid,
)
from tests.fakes.twilio_policy import LoopGuard, OptOutBook, SenderRateLimiter
from tests.fakes.twilio_rest import MessagesResource
from tests.fakes.twilio_segments import count_segments
from tests.fakes.twilio_webhooks import WebhookClient

Plan = list[tuple[str, int | None]]


class FakeTwilio:
    """In-process fake of Twilio's Messages API for one account.

        async with FakeTwilio(sid, token, senders=["+995322000001"], webhook_url=app_url) as fake:
            client.api.base_url = fake.base_url          # twilio.rest.Client with AsyncTwilioHttpClient
            fake.set_outcome("+995599000002", "undelivered", 30003)
            answer = await fake.send_sms("+995599000001", "1")  # -> the app's webhook, signed
            sent = await fake.wait_for_messages("+995599000001", count=1)

    `senders` are the account's own numbers/sender IDs; `messaging_services` maps an MG SID to its sender
    pool. Webhooks are signed on their URL as given; one starting with `public_base_url` is delivered to
    `connect_base_url` instead (a reverse proxy). `mps=None`, `loop_limit=None`, `opt_out_handling=False`
    switch those rules off; `step_delay` is the pause between two status changes.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        senders: Iterable[str] = (),
        messaging_services: Mapping[str, Sequence[str]] | None = None,
        webhook_url: str | None = None,
        public_base_url: str | None = None,
        connect_base_url: str | None = None,
        opt_out_handling: bool = True,
        advanced_opt_out: bool = False,
        mps: float | None = 10.0,
        loop_limit: int | None = 30,
        allowed_regions: Iterable[str] | None = None,
        step_delay: float = 0.005,
        callback_retries: int = 0,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.services = {sid: list(pool) for sid, pool in (messaging_services or {}).items()}
        numbers = [*senders, *(number for pool in self.services.values() for number in pool)]
        self.senders = set(numbers)
        self._default_number = numbers[0] if numbers else None
        self.webhook_url = webhook_url
        self.webhooks = WebhookClient(
            auth_token, public_base_url=public_base_url, connect_base_url=connect_base_url
        )
        self.opt_out_handling, self.advanced_opt_out = opt_out_handling, advanced_opt_out
        self.allowed_regions = set(allowed_regions) if allowed_regions is not None else None
        self.step_delay, self.callback_retries = step_delay, callback_retries
        self._clock = clock
        self.limiter = SenderRateLimiter(mps, monotonic)
        self.loop_guard = LoopGuard(loop_limit, monotonic)
        self.opt_outs = OptOutBook()
        self.outcomes: dict[str, Outcome] = {}
        self.messages: dict[str, FakeMessage] = {}
        self.callbacks: list[CallbackRecord] = []
        self.auto_replies: list[FakeMessage] = []
        self.twiml_errors: list[str] = []
        self.counters: Counter[str] = Counter()
        self.task_errors: list[BaseException] = []
        self.inbound = InboundGateway(self)
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- lifecycle --------------------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application()
        MessagesResource(self).add_routes(app)
        add_control_routes(app, self)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port) and return `base_url`, e.g. 'http://127.0.0.1:8123'."""
        await self.webhooks.open()
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.webhooks.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- test controls ----------------------------------------------------------------------------------

    def set_outcome(self, to: str, status: str = "delivered", error_code: int | None = None) -> None:
        """Decide what happens to later messages to `to`, e.g. ('undelivered', 30003) or ('failed', 30008)."""
        self.outcomes[to] = Outcome(status, error_code)

    def opt_out(self, number: str, sender: str | None = None) -> None:
        self.opt_outs.opt_out(self.scope_for(sender or self.default_number()), number)

    def opt_in(self, number: str, sender: str | None = None) -> None:
        self.opt_outs.opt_in(self.scope_for(sender or self.default_number()), number)

    def is_opted_out(self, number: str, sender: str | None = None) -> bool:
        return self.opt_outs.is_opted_out(self.scope_for(sender or self.default_number()), number)

    def sent_to(self, to: str) -> list[FakeMessage]:
        """Outbound messages (API and TwiML replies, not Twilio's own auto-replies) to `to`, oldest first."""
        return [m for m in self.messages.values() if m.to == to and m.direction.startswith("outbound")]

    def stats(self) -> dict[str, Any]:
        statuses = Counter(m.status for m in self.messages.values())
        return {"counters": dict(self.counters), "statuses": dict(statuses), "messages": len(self.messages)}

    def reset(self) -> None:
        """Forget messages, outcomes, opt-outs and rate-limit state; configuration stays."""
        for store in (self.outcomes, self.messages, self.auto_replies, self.callbacks, self.twiml_errors):
            store.clear()
        self.inbound.requests.clear()
        self.task_errors.clear()
        self.counters.clear()
        self.opt_outs.clear()
        self.limiter.clear()
        self.loop_guard.clear()

    async def wait_for_messages(self, to: str, count: int = 1, timeout: float = 5.0) -> list[FakeMessage]:  # noqa: ASYNC109 - the contract every test calls
        """Wait until at least `count` outbound messages went to `to`; TimeoutError says what did arrive."""
        try:
            async with asyncio.timeout(timeout):
                while len(self.sent_to(to)) < count:
                    await self._next_change()
        except TimeoutError:
            got = [m.body for m in self.sent_to(to)]
            raise TimeoutError(
                f"expected {count} message(s) to {to} within {timeout}s, got {got!r}"
            ) from None
        return self.sent_to(to)

    async def wait_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - mirrors wait_for_messages
        """Wait until every status progression and callback has finished; re-raise a crash of the fake."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self.task_errors:
            raise RuntimeError("a background task of the fake Twilio crashed") from self.task_errors[0]

    # -- inbound messages (phone -> app) ----------------------------------------------------------------

    async def send_sms(
        self,
        from_number: str,
        body: str,
        to: str | None = None,
        *,
        signature: str | None = None,
        url: str | None = None,
    ) -> InboundResult:
        """Deliver an SMS from a citizen's phone to the app's webhook, as Twilio would, and return the answer.

        `to` defaults to the first configured sender; `signature` replaces the computed X-Twilio-Signature
        (e.g. "bad"); `url` replaces `webhook_url` for this one message.
        """
        return await self.inbound.send(from_number, body, to or self.default_number(), signature, url)

    async def replay(self, message_sid: str) -> InboundResult:
        """Send the identical webhook request again (same URL, form, signature, idempotency token)."""
        return await self.inbound.replay(message_sid)

    def accept_outbound(
        self,
        *,
        to: str,
        sender: str | None,
        service: str | None,
        body: str,
        media: list[str],
        callback: str | None,
        direction: str,
        params: dict[str, list[str]],
    ) -> FakeMessage:
        """Record an accepted outbound message and start its status lifecycle in the background."""
        message = FakeMessage(
            sid=new_sid("MM" if media else "SM"),
            account_sid=self.account_sid,
            to=to,
            from_=sender,
            messaging_service_sid=service,
            body=body,
            segmentation=count_segments(body),
            direction=direction,
            status="accepted" if service else "queued",
            date_created=self.now(),
            media_urls=list(media),
            status_callback=callback,
            request_params=params,
        )
        self.messages[message.sid] = message
        self._notify()
        plan: Plan = [("queued", None)] if service else []
        scope = service or self.scope_for(sender or "")
        if direction == "outbound-reply" and self.opt_outs.is_opted_out(scope, to):
            plan.append(("failed", 21610))
        elif self.loop_guard.trips(sender or service or "", to):
            plan.append(("failed", 14107))
        else:
            plan.extend(self._carrier_plan(to))
        self._spawn(self._progress(message, plan))
        return message

    def _carrier_plan(self, to: str) -> Plan:
        outcome = self.outcomes.get(to, Outcome())
        if outcome.status == "failed":
            return [("failed", outcome.error_code)]
        return [("sent", None), (outcome.status, outcome.error_code)]

    async def _progress(self, message: FakeMessage, plan: Plan) -> None:
        for status, error_code in plan:
            await asyncio.sleep(self.step_delay)
            if status == "queued" and message.from_ is None and message.messaging_service_sid:
                message.from_ = self.services[message.messaging_service_sid][0]
            message.move_to(status, error_code, self.now())
            self._notify()
            if message.status_callback:
                await self._status_callback(message)

    async def _status_callback(self, message: FakeMessage) -> None:
        url = message.status_callback or ""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_ or "",
            "MessageSid": message.sid,
            "MessageStatus": message.status,
            "SmsSid": message.sid,
            "SmsStatus": message.status,
            "To": message.to,
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if message.error_code is not None:
            params["ErrorCode"] = str(message.error_code)
        if message.status in {"delivered", "undelivered"}:
            params["RawDlrDoneDate"] = self.now().strftime("%y%m%d%H%M")
        record = CallbackRecord(url, params, self.webhooks.sign(url, params))
        self.callbacks.append(record)
        record.response_status, record.attempts = await self.webhooks.post_with_retries(
            url, params, record.signature, uuid.uuid4().hex, self.callback_retries
        )
        ok = record.response_status is not None and 200 <= record.response_status < 300
        self.counters["callbacks_ok" if ok else "callbacks_failed"] += 1

    # -- helpers ----------------------------------------------------------------------------------------

    def service_of(self, number: str) -> str | None:
        return next((sid for sid, pool in self.services.items() if number in pool), None)

    def scope_for(self, sender: str) -> str:
        """Opt-outs apply to a whole Messaging Service when the number belongs to one, else to the number."""
        return self.service_of(sender) or sender

    def now(self) -> datetime:
        return self._clock() if self._clock is not None else datetime.now(UTC)

    def default_number(self) -> str:
        """The number incoming messages go to when a test names none: the first configured sender."""
        if self._default_number is None:
            raise ValueError("no sender configured: pass senders=[...] or messaging_services={...}")
        return self._default_number

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            self.task_errors.append(error)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _next_change(self) -> None:
        await self._changed.wait()


if __name__ == "__main__":
    from tests.fakes.twilio_control import main

    main()
