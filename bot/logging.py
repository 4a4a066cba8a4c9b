"""Structured logs that never carry tokens, phone numbers or message bodies."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

SECRET_KEYS = {"token", "telegram_token", "phone", "text", "password", "payload"}
TOKEN_RE = re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}")
# E.164 numbers and Chinese mobile numbers; dates and ids must not look like phones.
PHONE_RE = re.compile(r"\+\d{7,15}\b|(?<!\d)1[3-9]\d{9}(?!\d)")


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return PHONE_RE.sub("[phone]", TOKEN_RE.sub("[token]", value))
    return value


def scrub(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in list(event):
        if key == "timestamp":
            continue
        if key in SECRET_KEYS:
            event[key] = "[redacted]"
        else:
            event[key] = _scrub_value(event[key])
    return event


class ScrubFilter(logging.Filter):
    """The same scrubbing for the libraries' own stdlib logs (aiogram, asyncio, alembic...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _scrub_value(record.getMessage())
        record.args = ()
        if record.exc_info:
            record.exc_text = _scrub_value(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class _StderrLogger:
    """Looks sys.stderr up at each write, so a replaced stream (tests, daemons) is honoured."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def _stderr_logger(*_args: Any) -> _StderrLogger:
    return _StderrLogger()


def setup(level: str = "INFO", json: bool = True) -> None:
    logging.basicConfig(stream=sys.stderr, level=level, format="%(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
    for noisy in ("aiogram", "telegram", "httpx", "apscheduler", "sqlalchemy", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            scrub,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
