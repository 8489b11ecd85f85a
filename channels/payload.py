"""`Outgoing` <-> JSON, so a message waits in the outbox as data and is rendered only when it is sent.

Rendering at send time (not at enqueue time) keeps catalog fixes and the reader's language effective for
messages still waiting. Every value is tagged with its kind, so a date stays a date (formatted in the
reader's language later) and a nested `Text` stays translatable; a value we cannot bring back unchanged
is refused at enqueue time with `TypeError`, never discovered by the worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from channels.message import Choice, Content, Joined, LinkButton, Literal, Outgoing, Renderable, Text, Urgency

FORMAT_VERSION = 1
_KIND = "$"  # the tag key of an encoded value; a plain JSON object never appears as a parameter


def dump_outgoing(message: Outgoing) -> dict[str, Any]:
    """A JSON-ready dict that `load_outgoing` turns back into an equal `Outgoing`."""
    data: dict[str, Any] = {
        "v": FORMAT_VERSION,
        "parts": [dump_renderable(part) for part in message.parts],
        "urgency": message.urgency.value,
    }
    if message.choices:
        data["choices"] = [
            {"data": choice.data, "label": dump_renderable(choice.label), "selected": choice.selected}
            for choice in message.choices
        ]
    if message.links:
        data["links"] = [{"label": dump_renderable(link.label), "url": link.url} for link in message.links]
    if message.progress is not None:
        data["progress"] = list(message.progress)
    if message.columns != 1:
        data["columns"] = message.columns
    if message.edit:
        data["edit"] = True
    return data


def load_outgoing(data: Mapping[str, Any]) -> Outgoing:
    """The message `dump_outgoing` wrote; ValueError for anything it could not have written."""
    version = data.get("v")
    if version != FORMAT_VERSION:
        raise ValueError(f"unknown outbox payload version {version!r}")
    progress = data.get("progress")
    return Outgoing(
        parts=tuple(load_renderable(part) for part in data["parts"]),
        choices=tuple(
            Choice(c["data"], load_renderable(c["label"]), bool(c.get("selected", False)))
            for c in data.get("choices", ())
        ),
        links=tuple(
            LinkButton(load_renderable(link["label"]), link["url"]) for link in data.get("links", ())
        ),
        progress=(int(progress[0]), int(progress[1])) if progress is not None else None,
        columns=int(data.get("columns", 1)),
        edit=bool(data.get("edit", False)),
        urgency=Urgency(data.get("urgency", Urgency.NORMAL.value)),
    )


def dump_renderable(text: Renderable) -> dict[str, Any]:
    if isinstance(text, Literal):
        return {_KIND: "literal", "text": text.text}
    if isinstance(text, Content):
        return {_KIND: "content", "translations": dict(text.translations), "fallback": text.fallback}
    if isinstance(text, Joined):
        return {_KIND: "joined", "parts": [dump_renderable(part) for part in text.parts], "sep": text.sep}
    if isinstance(text, Text):
        data: dict[str, Any] = {_KIND: "text", "msgid": text.msgid}
        if text.params:
            data["params"] = {str(key): _dump_value(value) for key, value in text.params.items()}
        if text.plural is not None:
            data["plural"] = text.plural
        if text.n is not None:
            data["n"] = text.n
        return data
    raise TypeError(f"not a renderable: {text!r}")


def load_renderable(data: Mapping[str, Any]) -> Renderable:
    kind = data.get(_KIND)
    if kind == "literal":
        return Literal(data["text"])
    if kind == "content":
        return Content(dict(data["translations"]), data.get("fallback"))
    if kind == "joined":
        return Joined(tuple(load_renderable(part) for part in data["parts"]), data["sep"])
    if kind == "text":
        params = {key: _load_value(value) for key, value in data.get("params", {}).items()}
        msgid = data["msgid"]  # a variable, so the catalog extractor does not take "msgid" for a message
        return Text(msgid, params, data.get("plural"), data.get("n"))
    raise ValueError(f"not an encoded renderable: {data!r}")


def _dump_value(value: Any) -> Any:
    """Parameters: JSON scalars as they are; dates, datetimes and nested text tagged."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetime in message parameters; pass an aware one (UTC)")
        return {_KIND: "datetime", "iso": value.isoformat()}
    if isinstance(value, date):
        return {_KIND: "date", "iso": value.isoformat()}
    if isinstance(value, Text | Content | Literal | Joined):
        return dump_renderable(value)
    raise TypeError(f"cannot store a message parameter of type {type(value).__name__}: {value!r}")


def _load_value(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    kind = value.get(_KIND)
    if kind == "datetime":
        return datetime.fromisoformat(value["iso"])
    if kind == "date":
        return date.fromisoformat(value["iso"])
    return load_renderable(value)
