"""The JSON control API under ``/_control/``: drive a fake Telegram running in another process.

Benchmarks and out-of-process tests register users, play their messages and button presses, and
read what the bot sent, over plain HTTP. Waiting endpoints take a ``timeout`` so no client sleeps
blindly: ``GET /_control/chats/{id}/messages?count=N&timeout=S`` answers once N messages exist.

| route | body / query | answer |
|---|---|---|
| POST /_control/users | ``{id, first_name, language_code?, ...}`` or ``{"users": [...]}`` | the users |
| GET /_control/users/{id} | | the user with its ``state`` |
| POST /_control/users/{id}/block, /unblock, /deactivate | | ``{"update": ...}`` |
| POST /_control/send_text | ``{user_id, text}`` | ``{"update": ...}`` |
| POST /_control/press | ``{user_id, message_id, data}`` | ``{"update": ...}`` |
| POST /_control/inject | any update object | ``{"update": ...}`` |
| GET /_control/chats/{id}/messages | ``count``, ``timeout`` | ``{"messages": [...]}`` (408 on timeout) |
| GET /_control/callback_answers | | ``{"answers": [...]}`` |
| GET /_control/commands | ``language_code``, ``scope`` (JSON) | ``{"commands": [...]}`` |
| GET /_control/stats | | counters |
| POST /_control/limits | ``{global_limit?, per_chat_limit?, per_chat_burst?, paid_limit?, mode?, hidden_limit?, flood_at?, flood_seconds?}`` | the limits |
| GET /_control/sends | | accepted send times (the fake's monotonic clock), ``flood_until``, ``now`` |
| POST /_control/wait_idle | ``{timeout?, quiet?}`` | ``{"idle": true}`` (408 on timeout) |
| POST /_control/reset | ``{users?: bool}`` | ``{"reset": true}`` |
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.telegram_api import FakeTelegram

Route = Callable[[web.Request], Awaitable[Any]]
_USER_FIELDS = ("language_code", "last_name", "username")


def _guarded(route: Route) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Turn a route's result into JSON, and test-side mistakes into 4xx with a readable ``error``."""

    async def handler(request: web.Request) -> web.Response:
        try:
            return web.json_response(await route(request))
        except KeyError as error:
            return web.json_response({"error": f"missing field {error}"}, status=400)
        except LookupError as error:
            return web.json_response({"error": str(error).strip("'\"")}, status=404)
        except TimeoutError as error:
            return web.json_response({"error": str(error) or "timed out"}, status=408)
        except (ValueError, TypeError) as error:
            return web.json_response({"error": str(error)}, status=400)

    return handler


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("a JSON object is expected")
    return body


def add_control_routes(app: web.Application, fake: FakeTelegram) -> None:
    """Mount the control API of ``fake`` on ``app``."""

    async def register(request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        entries = body.get("users", [body])
        users = [
            fake.register_user(
                int(entry["id"]),
                str(entry.get("first_name", "Test")),
                **{key: entry[key] for key in _USER_FIELDS if entry.get(key)},
            )
            for entry in entries
        ]
        return {"users": [user.to_record() for user in users]}

    async def get_user(request: web.Request) -> dict[str, Any]:
        return fake.user(int(request.match_info["user_id"])).to_record()

    async def user_action(request: web.Request) -> dict[str, Any]:
        user_id = int(request.match_info["user_id"])
        action = request.match_info["action"]
        if action == "block":
            return {"update": fake.block(user_id)}
        if action == "unblock":
            return {"update": fake.unblock(user_id)}
        if action == "deactivate":
            fake.deactivate(user_id)
            return {"update": None}
        raise LookupError(f"no user action {action!r}")

    async def send_text(request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        return {"update": fake.send_text(int(body["user_id"]), str(body["text"]))}

    async def press(request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        update = fake.press(int(body["user_id"]), int(body["message_id"]), str(body["data"]))
        return {"update": update}

    async def inject(request: web.Request) -> dict[str, Any]:
        return {"update": fake.inject_raw(await _body(request))}

    async def messages(request: web.Request) -> dict[str, Any]:
        chat_id = int(request.match_info["chat_id"])
        count = int(request.query.get("count", "0"))
        if count:
            found = await fake.wait_for_messages(chat_id, count, float(request.query.get("timeout", "5")))
        else:
            found = fake.messages(chat_id)
        return {"messages": [message.to_record() for message in found]}

    async def answers(request: web.Request) -> dict[str, Any]:
        return {"answers": [vars(answer) for answer in fake.callback_answers]}

    async def commands(request: web.Request) -> dict[str, Any]:
        scope = json.loads(request.query["scope"]) if request.query.get("scope") else None
        return {"commands": fake.commands(request.query.get("language_code", ""), scope)}

    async def stats(request: web.Request) -> dict[str, Any]:
        return fake.stats()

    async def limits(request: web.Request) -> dict[str, Any]:
        return {"limits": vars(fake.configure_limits(**await _body(request)))}

    async def sends(request: web.Request) -> dict[str, Any]:
        limiter = fake.limiter
        return {"accepted": limiter.accepted, "flood_until": limiter.flood_until, "now": limiter.clock()}

    async def wait_idle(request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        await fake.wait_idle(float(body.get("timeout", 5.0)), float(body.get("quiet", 0.05)))
        return {"idle": True}

    async def reset(request: web.Request) -> dict[str, Any]:
        fake.reset(users=bool((await _body(request)).get("users", False)))
        return {"reset": True}

    routes: list[tuple[str, str, Route]] = [
        ("POST", "/_control/users", register),
        ("GET", "/_control/users/{user_id}", get_user),
        ("POST", "/_control/users/{user_id}/{action}", user_action),
        ("POST", "/_control/send_text", send_text),
        ("POST", "/_control/press", press),
        ("POST", "/_control/inject", inject),
        ("GET", "/_control/chats/{chat_id}/messages", messages),
        ("GET", "/_control/callback_answers", answers),
        ("GET", "/_control/commands", commands),
        ("GET", "/_control/stats", stats),
        ("POST", "/_control/limits", limits),
        ("GET", "/_control/sends", sends),
        ("POST", "/_control/wait_idle", wait_idle),
        ("POST", "/_control/reset", reset),
    ]
    for method, path, route in routes:
        app.router.add_route(method, path, _guarded(route))
