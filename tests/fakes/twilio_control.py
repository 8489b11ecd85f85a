"""JSON control API (/_control/...) and command line of the fake Twilio, for tests that run it as a process.

Every route maps onto one public method of FakeTwilio, so a test in another process can do what an
in-process test does: text the app, choose delivery outcomes, read what was sent, wait, reset.
"""

import argparse
import asyncio
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.twilio_api import FakeTwilio

Handler = Callable[[web.Request], Awaitable[web.Response]]


def add_control_routes(app: web.Application, fake: "FakeTwilio") -> None:
    """Mount /_control/ on the fake's own server; it needs no auth, like any local test helper."""

    def route(action: Callable[[dict[str, Any]], Awaitable[Any]]) -> Handler:
        async def handle(request: web.Request) -> web.Response:
            payload: dict[str, Any] = dict(request.query)
            if request.can_read_body:
                payload |= await request.json()
            try:
                return web.json_response(await action(payload))
            except (KeyError, ValueError, TypeError, RuntimeError) as error:
                return web.json_response({"error": f"{type(error).__name__}: {error}"}, status=400)
            except TimeoutError as error:
                return web.json_response({"error": str(error)}, status=408)
            except aiohttp.ClientError as error:
                return web.json_response({"error": f"the app did not answer: {error}"}, status=502)

        return handle

    async def send_sms(p: dict[str, Any]) -> Any:
        result = await fake.send_sms(
            p["from"], p["body"], p.get("to"), signature=p.get("signature"), url=p.get("url")
        )
        return result.record()

    async def replay(p: dict[str, Any]) -> Any:
        return (await fake.replay(p["message_sid"])).record()

    async def outcome(p: dict[str, Any]) -> Any:
        fake.set_outcome(p["to"], p.get("status", "delivered"), p.get("error_code"))
        return {"to": p["to"], "status": p.get("status", "delivered"), "error_code": p.get("error_code")}

    async def opt_out(p: dict[str, Any]) -> Any:
        (fake.opt_out if p.get("opted_out", True) else fake.opt_in)(p["number"], p.get("sender"))
        return {"opt_outs": [list(pair) for pair in fake.opt_outs.pairs()]}

    async def messages(p: dict[str, Any]) -> Any:
        chosen = fake.sent_to(p["to"]) if "to" in p else list(fake.messages.values())
        return {"messages": [message.record() for message in chosen]}

    async def message(p: dict[str, Any]) -> Any:
        return fake.messages[p["sid"]].record()

    async def callbacks(p: dict[str, Any]) -> Any:
        return {
            "callbacks": [
                {
                    "url": c.url,
                    "params": c.params,
                    "signature": c.signature,
                    "attempts": c.attempts,
                    "response_status": c.response_status,
                }
                for c in fake.callbacks
            ]
        }

    async def auto_replies(p: dict[str, Any]) -> Any:
        return {"auto_replies": [reply.record() for reply in fake.auto_replies]}

    async def wait(p: dict[str, Any]) -> Any:
        sent = await fake.wait_for_messages(p["to"], int(p.get("count", 1)), float(p.get("timeout", 5.0)))
        return {"messages": [m.record() for m in sent]}

    async def wait_idle(p: dict[str, Any]) -> Any:
        await fake.wait_idle(float(p.get("timeout", 5.0)))
        return {"idle": True}

    async def configure(p: dict[str, Any]) -> Any:
        """Change where webhooks go, for a fake started before the app knew its port."""
        if "webhook_url" in p:
            fake.webhook_url = p["webhook_url"]
        for key in ("public_base_url", "connect_base_url"):
            if key in p:
                setattr(fake.webhooks, key, p[key])
        if "mps" in p:
            fake.limiter.rate = None if p["mps"] is None else float(p["mps"])
        if "mps_mode" in p:
            fake.limiter.mode = str(p["mps_mode"])
        if "hidden_mps" in p:
            fake.limiter.hidden_rate = None if p["hidden_mps"] is None else float(p["hidden_mps"])
        return {
            "webhook_url": fake.webhook_url,
            "public_base_url": fake.webhooks.public_base_url,
            "connect_base_url": fake.webhooks.connect_base_url,
            "mps": fake.limiter.rate,
            "mps_mode": fake.limiter.mode,
            "hidden_mps": fake.limiter.hidden_rate,
        }

    async def stats(p: dict[str, Any]) -> Any:
        return fake.stats()

    async def reset(p: dict[str, Any]) -> Any:
        fake.reset()
        return {"reset": True}

    for path, action in {
        "sms": send_sms,
        "replay": replay,
        "outcome": outcome,
        "opt_out": opt_out,
        "wait": wait,
        "wait_idle": wait_idle,
        "config": configure,
        "reset": reset,
    }.items():
        app.router.add_post(f"/_control/{path}", route(action))
    for path, action in {
        "messages": messages,
        "message": message,
        "callbacks": callbacks,
        "auto_replies": auto_replies,
        "stats": stats,
        "config": configure,
    }.items():
        app.router.add_get(f"/_control/{path}", route(action))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.twilio_api",
        description="Fake Twilio Programmable Messaging API for tests.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on start)")
    parser.add_argument("--account-sid", default=os.environ.get("TWILIO_ACCOUNT_SID"))
    parser.add_argument("--auth-token", default=os.environ.get("TWILIO_AUTH_TOKEN"))
    parser.add_argument("--sender", action="append", default=[], help="an owned From number or sender ID")
    parser.add_argument(
        "--messaging-service",
        action="append",
        default=[],
        metavar="MGSID=+NUMBER[,+NUMBER]",
        help="a Messaging Service and its sender pool",
    )
    parser.add_argument("--webhook-url", help="public URL of the app's incoming-message webhook")
    parser.add_argument("--public-base-url", help="URL prefix that webhooks are signed with")
    parser.add_argument("--connect-base-url", help="URL prefix actually connected to instead")
    parser.add_argument("--mps", default="10", help="messages per second per sender, or 'none'")
    parser.add_argument("--no-opt-out", action="store_true", help="do not handle STOP/START keywords")
    parser.add_argument("--advanced-opt-out", action="store_true", help="add OptOutType to incoming webhooks")
    parser.add_argument("--step-delay", type=float, default=0.005, help="seconds between status changes")
    parser.add_argument("--callback-retries", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.account_sid or not args.auth_token:
        parser.error(
            "--account-sid and --auth-token (or TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN) are required"
        )
    if not args.sender and os.environ.get("TWILIO_FROM"):
        args.sender = [os.environ["TWILIO_FROM"]]
    return args


async def _serve(args: argparse.Namespace) -> None:
    from tests.fakes.twilio_api import FakeTwilio  # deferred: twilio_api imports this module

    services = {}
    for spec in args.messaging_service:
        sid, _, numbers = spec.partition("=")
        services[sid] = [number for number in numbers.split(",") if number]
    fake = FakeTwilio(
        args.account_sid,
        args.auth_token,
        senders=args.sender,
        messaging_services=services,
        webhook_url=args.webhook_url,
        public_base_url=args.public_base_url,
        connect_base_url=args.connect_base_url,
        opt_out_handling=not args.no_opt_out,
        advanced_opt_out=args.advanced_opt_out,
        mps=None if args.mps.lower() == "none" else float(args.mps),
        step_delay=args.step_delay,
        callback_retries=args.callback_retries,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with fake:
        print(f"fake Twilio listening on {fake.base_url}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(_serve(_parse_args(argv)))
