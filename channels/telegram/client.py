"""The aiogram Bot the whole service shares: HTML parse mode, optional local Bot API server, retries,
requests sent as JSON."""

from __future__ import annotations

from typing import Any, cast

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientError, ClientTimeout

from channels.telegram.retry import RetryMiddleware

_JSON = {"Content-Type": "application/json"}


class JsonSession(AiohttpSession):
    """aiogram's session, but a call without files goes as a JSON body (the Bot API takes both).

    aiogram form-encodes every call: each field, the keyboard's JSON included, is URL-quoted, about a
    fifth of the CPU of a reply. Calls with files still go as multipart forms. The method is dumped
    without its unset (None) fields, which aiogram would walk and then drop: a keyboard button has a
    dozen of them.
    """

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        files: dict[str, Any] = {}
        params = {
            key: prepared
            for key, value in method.model_dump(warnings=False, exclude_none=True).items()
            if (prepared := self.prepare_value(value, bot=bot, files=files, _dumps_json=False)) is not None
        }
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=self.json_dumps(params),
                headers=_JSON,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=raw_result)
        return cast(TelegramType, response.result)


def create_bot(token: str, api_base: str | None = None, *, retry: bool = True) -> Bot:
    api = TelegramAPIServer.from_base(api_base.rstrip("/")) if api_base else None
    session = JsonSession(api=api) if api else JsonSession()
    if retry:
        session.middleware(RetryMiddleware())
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
