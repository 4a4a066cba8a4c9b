"""Process settings from the environment (prefix CRM_) and .env; business rules from a TOML file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm.rules import Rules, load_rules

DEFAULT_DB = "sqlite+aiosqlite:///var/crm.db"
# What Telegram accepts as a webhook's secret_token.
WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CRM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = DEFAULT_DB
    telegram_token: SecretStr | None = None
    telegram_api_url: str | None = None
    channel: Literal["aiogram", "ptb"] = "aiogram"
    # Set: Telegram POSTs updates to this public URL (a proxy forwards it to the listener's
    # /telegram/webhook) instead of the bot polling.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=0, le=65535)
    # Checked even when unset: it is required with a webhook URL.
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    # The bot's username for deep links: by default what Telegram's getMe said at the last
    # start-up (bot.identity); set, it overrides that.
    bot_username: str | None = None
    # A forum supergroup where the bot is an admin: the service team's desk, one topic per
    # ticket (bot.forum). Unset: the private-chat desk only.
    service_group_id: int | None = None
    # Words-only replies waiting for the same per-chat turn go as one message (ChatPacer).
    # CRM_COALESCE_REPLIES=0 sends one message per reply (as tests that count them need).
    coalesce_replies: bool = True
    # Reverse geocoding of pins (crm.geocode): offline GeoNames data by default; a
    # Nominatim-compatible reverse URL (and its key) is asked first when set, the offline data
    # answering when it fails. CRM_GEOCODER_URL, CRM_GEOCODER_KEY.
    geocoder_url: str | None = None
    geocoder_key: SecretStr | None = None
    locale: Literal["zh_CN", "zh_TW", "en", "ru"] = "zh_CN"
    timezone: str = "Asia/Shanghai"
    rules_file: Path | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    # /healthz and /metrics in polling mode and for `crm-bot scheduler` (with a webhook they are
    # on the webhook's listener). 0: any free port, logged as health_listening.
    health_listen: str = "127.0.0.1"
    health_port: int = Field(default=8081, ge=0, le=65535)
    scheduler_tick_seconds: int = Field(default=30, gt=0, le=3600)
    sender_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # How long a sender owns a row it took: a crashed replica's rows are sent by another after it.
    sender_lease_seconds: float = Field(default=120.0, ge=1, le=3600)
    # How long a direct reply, journaled in the outbox, waits to be sent by the process that
    # handled the update before another replica's sender sends it (that process died).
    reply_lease_seconds: float = Field(default=30.0, ge=2, le=3600)
    # Scheduler leader election on PostgreSQL (scheduler.leader): a stand-by asks for the lock
    # this often (takeover within about that much after the leader dies); the leader checks its
    # lock's connection this often.
    leader_retry_seconds: float = Field(default=5.0, gt=0, le=60)
    leader_check_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/") if v else v

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, v: object) -> object:
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, v: str | None, info: ValidationInfo) -> str | None:
        if not v:
            return None
        if v.startswith("http://") and info.data.get("telegram_api_url"):
            return v  # a local Bot API server may post to plain HTTP
        if not v.startswith("https://"):
            raise ValueError("must be the public https:// URL Telegram posts updates to")
        return v

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, v: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if v is None or not v.get_secret_value():
            if info.data.get("webhook_url"):
                # Without it anyone who finds the URL could post updates as any user.
                raise ValueError("required with CRM_WEBHOOK_URL")
            return None
        if not WEBHOOK_SECRET_RE.fullmatch(v.get_secret_value()):
            raise ValueError("use 1-256 characters: letters, digits, _ and -")
        return v

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def rules(self) -> Rules:
        return load_rules(self.rules_file)


class SettingsError(Exception):
    """Settings or rules that cannot be used; the message names the key."""


def describe(exc: ValidationError, prefix: str) -> str:
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        parts.append(f"{prefix}{key.upper() if prefix == 'CRM_' else key}: {err['msg']}")
    return "; ".join(parts)


def load(**overrides: object) -> tuple[Settings, Rules]:
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError("invalid setting " + describe(exc, "CRM_")) from None
    try:
        rules = settings.rules()
    except ValidationError as exc:
        where = settings.rules_file or "rules.default.toml"
        raise SettingsError(f"invalid business rule in {where}: " + describe(exc, "")) from None
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read CRM_RULES_FILE {settings.rules_file}: {exc}") from None
    return settings, rules
