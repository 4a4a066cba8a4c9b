"""Structured logs that never carry tokens, phone numbers or message bodies."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import phonenumbers
import structlog
from phonenumbers import Leniency

NOISY = ("aiogram", "telegram", "httpx", "apscheduler", "sqlalchemy", "alembic", "asyncio")
SECRET_KEYS = {"token", "telegram_token", "phone", "text", "password", "payload"}
TOKEN_RE = re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}")
# E.164 numbers and Chinese mobile numbers; dates and ids must not look like phones.
PHONE_RE = re.compile(r"\+\d{7,15}\b|(?<!\d)1[3-9]\d{9}(?!\d)")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# A text with fewer digits than this holds no phone number worth the matcher's time.
_MIN_DIGITS = 7
_DIGIT = re.compile(r"\d")
# The regions whose national formats are recognised (`139 1234 5678`, `010-62345678`): China
# always, plus the company's country (rules.business_hours.holiday_country), set by `setup`.
_regions: tuple[str, ...] = ("CN",)


def _scrub_phones(text: str) -> str:
    text = PHONE_RE.sub("[phone]", text)
    if len(_DIGIT.findall(text)) < _MIN_DIGITS:
        return text
    spans: list[tuple[int, int]] = []
    for region in _regions:
        # VALID: a number that could be dialled in that region; dates, ids and coordinates
        # are not (POSSIBLE would take any run of 7+ digits).
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            spans.append((m.start, m.end))
    for start, end in sorted(set(spans), reverse=True):
        text = text[:start] + "[phone]" + text[end:]
    return text


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return EMAIL_RE.sub("[email]", _scrub_phones(TOKEN_RE.sub("[token]", value)))
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


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The libraries' records, rendered like ours; sys.stderr looked up at each record."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _exception_text(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    # ScrubFilter has already turned the record's traceback into scrubbed text.
    record = event.get("_record")
    if record is not None and record.exc_text:
        event["exception"] = record.exc_text
    return event


def setup(level: str = "INFO", json: bool = True, region: str | None = None) -> None:
    """JSON lines on stderr (`json`), else a console rendering; for structlog's events and the
    libraries' stdlib records alike, so that every line of a JSON log parses. `region`: the
    company's country, whose phone formats are scrubbed besides China's."""
    global _regions
    _regions = tuple(dict.fromkeys(["CN", *([region.upper()] if region else [])]))
    root = logging.getLogger()
    root.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        root.addHandler(_StderrHandler())
    logging.captureWarnings(True)  # warnings too, as records rather than bare stderr text
    for handler in root.handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
    # Libraries that would log requests, SQL parameters or payloads below WARNING.
    for noisy in (*NOISY, "aiosqlite", "asyncpg", "aiohttp", "httpcore", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _exception_text,
            scrub,
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    for handler in root.handlers:
        if isinstance(handler, _StderrHandler):
            handler.setFormatter(formatter)
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
