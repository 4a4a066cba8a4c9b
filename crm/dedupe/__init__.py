"""The duplicate check ("撞客"): is a customer being registered one the company already has?

`names` says how alike two names are; `check.find` asks the database, across the whole company
(not only what the rep may see), by name, phone (the customers' and their contacts'), address and
the names of customers merged away.
"""

from crm.dedupe.check import Match, find
from crm.dedupe.names import alike, core, similarity

__all__ = ["Match", "alike", "core", "find", "similarity"]
