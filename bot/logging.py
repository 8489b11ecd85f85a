"""Logging for the service: one line per event, secrets masked wherever a library might print them.

`LOG_FORMAT=json` writes one JSON object a line (for a log collector: Loki, Elasticsearch, CloudWatch)
with the request or update id (`bot.telemetry.REQUEST_ID`) so all lines of one webhook call or one
Telegram update can be found together, across replicas too; the default is plain text.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from bot.telemetry import REQUEST_ID

_BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactSecrets(logging.Filter):
    """Masks configured secrets and anything shaped like a Telegram bot token in every record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _BOT_TOKEN.sub("<bot-token>", message)
        for secret in self.secrets:
            masked = masked.replace(secret, "<secret>")
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, request id, process,
    and the traceback when there is one. Runs after `RedactSecrets`, so the message is already masked."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if (request_id := REQUEST_ID.get()) is not None:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, secrets: Iterable[str] = (), fmt: str | None = None) -> None:
    """`fmt` is "text" or "json"; None reads `LOG_FORMAT` (default text)."""
    fmt = (fmt or os.environ.get("LOG_FORMAT") or "text").lower()
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiogram.event").setLevel(max(logging.WARNING, root.level))
    # Drivers that log statements with their parameters (aiosqlite at DEBUG) would print what citizens
    # typed; SQLAlchemy's own parameters are hidden by the engine (`hide_parameters`).
    for chatty in QUIET_LOGGERS:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))


QUIET_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine")
