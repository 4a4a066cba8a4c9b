"""The refusals every flow gives, written once: a stale button, something not theirs, bad input."""

from __future__ import annotations

from bot.types import T

STALE = T("This button is no longer valid. Nothing was changed.")
DENIED = T("That is not available to you. Nothing was changed.")
CHOOSE = T("Please choose one of the buttons.")
GONE_CUSTOMER = T("This customer is no longer available to you. Nothing was saved.")
NOTHING_SAVED = T("Cancelled. Nothing was saved.")
