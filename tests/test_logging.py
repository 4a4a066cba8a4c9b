"""Logs never carry tokens, phone numbers or message bodies, from our code or the libraries'."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from bot import logging as logs

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"


def test_structlog_events_are_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("INFO", json=True)
    structlog.get_logger("t").info(
        "event",
        text="我的电话 13812345678",
        phone="+8613812345678",
        detail=f"url https://api/bot{TOKEN}/getMe, call +8613812345678",
        update_id=20261201,
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["text"] == "[redacted]" and line["phone"] == "[redacted]"
    assert TOKEN not in line["detail"] and "13812345678" not in line["detail"]
    assert line["update_id"] == 20261201  # numbers that are not phones stay
    assert line["timestamp"].startswith("20")


def test_library_logs_are_scrubbed() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ScrubFilter())
    lib = logging.getLogger("aiogram.event.test")
    lib.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"request to /bot{TOKEN}/sendMessage failed")
        except RuntimeError:
            lib.exception("failed for chat of %s", "13912345678")
    finally:
        lib.removeHandler(handler)
    err = stream.getvalue()
    assert "failed for chat of [phone]" in err
    assert TOKEN not in err and "13912345678" not in err and "[token]" in err


def test_setup_puts_the_filter_on_the_root_handlers() -> None:
    logs.setup("INFO", json=True)
    handlers = logging.getLogger().handlers
    assert handlers and all(
        any(isinstance(f, logs.ScrubFilter) for f in h.filters) for h in handlers
    )
