"""How reps write, read: one entry point, read_visit, from a message to a Reading.

The package holds the whole grammar: dates and times (date_words, date_rules, date_clock,
date_grammar, dates), report periods (date_ranges), the Traditional Chinese fold (zh_hant), the
customer matcher (customers), people (people), the words (reading_words), the reading's time
rules (when) and the reader itself (reader). See docs/language.md.
"""

from crm.language.reader import read_visit, read_when_happened
from crm.language.reading import Part, Reading

__all__ = ["Part", "Reading", "read_visit", "read_when_happened"]
