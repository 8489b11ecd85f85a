"""Settings from the environment or `.env`, one class per concern; secrets are `SecretStr`, never printed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_ENV = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


class DatabaseSettings(BaseSettings):
    model_config = _ENV
    database_url: str = Field(
        default="sqlite+aiosqlite:///var/civicbot.sqlite3",
        description="SQLAlchemy async URL; postgresql+asyncpg://... in production",
    )


class TelegramSettings(BaseSettings):
    model_config = _ENV
    telegram_bot_token: SecretStr | None = None
    telegram_api_base: str | None = Field(default=None, description="local Bot API server base URL")
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def enabled(self) -> bool:
        return self.telegram_bot_token is not None and bool(self.telegram_bot_token.get_secret_value())


class TwilioSettings(BaseSettings):
    model_config = _ENV
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base: str | None = Field(default=None, description="local Twilio-compatible API base URL")
    sms_messages_per_second: float = 1.0
    sms_price_per_segment: float = Field(default=0.0, description="for cost estimates, in USD")

    @property
    def enabled(self) -> bool:
        return bool(
            self.twilio_account_sid
            and self.twilio_auth_token
            and (self.twilio_from or self.twilio_messaging_service_sid)
        )


class HttpSettings(BaseSettings):
    model_config = _ENV
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    public_base_url: str | None = Field(default=None, description="external URL, for webhooks behind a proxy")


class PrivacySettings(BaseSettings):
    model_config = _ENV
    data_key: SecretStr | None = Field(
        default=None, description="Fernet key sealing special data; generated under STATE_DIR if unset"
    )
    state_dir: Path = Path("var")
    privacy_notice_version: str = "2026-11"
    controller_contact: str = Field(
        default="", description="controller / DPO contact shown in the privacy notice"
    )


class Settings(BaseSettings):
    """Everything the service needs, combined. Build with `Settings()`; nothing reads it at import time."""

    model_config = _ENV
    log_level: str = "INFO"
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
