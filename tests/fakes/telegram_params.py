"""Reading Bot API parameters the way the real server does: query string, JSON, urlencoded or multipart.

aiogram posts multipart form data in which every value is a string (objects JSON-encoded, booleans
"true"), so each method reads its parameters through typed getters that accept both spellings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, ClientResponse, MultipartReader, web


class ApiError(Exception):
    """A Bot API failure: becomes ``{"ok": false, "error_code", "description", "parameters"?}``."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request; the fake keeps only what a sent Message reports."""

    filename: str
    content_type: str
    size: int


class Params:
    """The parameters of one call, with the coercions Telegram applies to string values."""

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, UploadedFile] | None = None) -> None:
        self.values = dict(values)
        self.files = dict(files or {})

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def get_str(self, name: str, default: str = "") -> str:
        value = self.values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, error: str) -> Any:
        """A JSON-serialized parameter (reply_markup, commands, scope...); ``error`` if unparsable."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error) from None

    def get_file(self, name: str) -> UploadedFile | str | None:
        """An uploaded file (sent directly or as ``attach://<part>``) or a file_id/URL string."""
        if name in self.files:
            return self.files[name]
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return value if isinstance(value, str) and value else None


async def read_request(request: web.Request) -> Params:
    """Merge the query string and the body of a Bot API request into Params."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.read()
        if body.strip():
            try:
                parsed = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON encoded request") from None
            if not isinstance(parsed, dict):
                raise bad_request("JSON object expected")
            values.update(parsed)
    elif content_type.startswith("multipart/"):
        await _read_multipart(await request.multipart(), values, files)
    elif request.can_read_body:
        for key, value in (await request.post()).items():
            values[key] = value if isinstance(value, str) else str(value)
    return Params(values, files)


async def read_reply(response: ClientResponse) -> Params | None:
    """The Bot API call a webhook answered with (``method`` in the body), or None for a plain answer."""
    values: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    if response.content_type.startswith("multipart/"):
        await _read_multipart(MultipartReader(response.headers, response.content), values, files)
    elif response.content_type == "application/json":
        try:
            parsed = json.loads(await response.read() or b"null")
        except ValueError:
            return None
        if isinstance(parsed, dict):
            values.update(parsed)
    return Params(values, files) if isinstance(values.get("method"), str) else None


async def _read_multipart(
    reader: MultipartReader, values: dict[str, Any], files: dict[str, UploadedFile]
) -> None:
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        data = await part.read(decode=True)
        if part.filename is not None:
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            files[part.name] = UploadedFile(part.filename, content_type, len(data))
        else:
            values[part.name] = data.decode(part.get_charset("utf-8"))
