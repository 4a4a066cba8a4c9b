"""Ids from outside (button payloads, typed numbers): ASCII digits within a column's range.

`str.isdigit()` accepts "²" and "٣", which `int()` then refuses or reads; and an id past the
column's range fails on PostgreSQL instead of simply finding nothing.
"""

from __future__ import annotations

# Integer primary keys are 32-bit signed on PostgreSQL.
MAX_ID = 2**31 - 1


def parse_id(text: str | None, limit: int = MAX_ID) -> int | None:
    """The id in `text`, or None if it is not 1-10 ASCII digits within 1..limit."""
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= limit else None
