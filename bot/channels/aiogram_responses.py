"""Keeps aiogram's response models built.

aiogram validates every Bot API answer as `Response[T]` (T the method's result type) and
asks pydantic for that class on each call. pydantic keeps parametrised models in a weak
cache, so once the garbage collector has dropped one (every few updates in a busy bot)
the next call builds its schema again: 5-10 ms for `Response[Message]`, more than the
rest of an update's work. Holding one of each for the process keeps them built; all of
them together take about 50 ms at import.
"""

from __future__ import annotations

import inspect

from aiogram import methods
from aiogram.methods.base import Response, TelegramMethod

RESULT_TYPES = frozenset(
    cls.__returning__
    for _name, cls in inspect.getmembers(methods, inspect.isclass)
    if issubclass(cls, TelegramMethod)
    and cls is not TelegramMethod
    and hasattr(cls, "__returning__")
)

# Never read: holding them is the point.
PINNED = tuple(Response[result] for result in RESULT_TYPES)
