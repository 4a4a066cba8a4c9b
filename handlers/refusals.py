"""The refusals every flow gives, written once: a stale button, something not theirs or gone,
bad input. A handler names one of these instead of writing the words again (a test checks)."""

from __future__ import annotations

from bot.types import T

STALE = T("This button is no longer valid. Nothing was changed.")
DENIED = T("That is not available to you. Nothing was changed.")
CHOOSE = T("Please choose one of the buttons.")
GONE_CUSTOMER = T("This customer is no longer available to you. Nothing was saved.")
NOTHING_SAVED = T("Cancelled. Nothing was saved.")

# What a button or a draft named is gone, closed, or no longer the user's.
GONE = T("This is no longer available to you. Nothing was saved.")
NO_CUSTOMER = T("This customer no longer exists.")
NO_REQUEST = T("This request no longer exists.")
REQUEST_NOT_OPEN = T("This request is no longer open to you. Nothing was sent.")
NOT_YOUR_REQUEST = T("You may not act on this request. Nothing was changed.")
FOLLOWUP_CLOSED = T("This follow-up is already closed. Nothing was changed.")
NOT_IN_TEAM = T("This rep is no longer in your team. Nothing was saved.")
NOTHING_PENDING = T("There is nothing awaiting approval here. Nothing was changed.")
NO_PREVIEW = T("This preview is no longer valid. Nothing was changed.")

# Admins' things asked for by someone else.
RULES_ADMINS_ONLY = T("Only an admin can change business rules. Nothing was changed.")

# A file sent for an import that is not a table.
UNREADABLE_FILE = T("I cannot read this file as CSV or Excel (.xlsx). Nothing was changed.")
EMPTY_FILE = T("The file is empty. Nothing was changed.")
