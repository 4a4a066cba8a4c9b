"""aiogram's response models stay built for the life of the process (see
bot.channels.aiogram_responses): a garbage collection must not cost the next reply a rebuild."""

from __future__ import annotations

import gc
import weakref

from aiogram.methods import Response, SendMessage
from aiogram.types import Message

import bot.channels.aiogram  # noqa: F401 (the adapter holds them)
from bot.channels.aiogram_responses import RESULT_TYPES


def response_type(method: type[SendMessage]) -> type:
    """What aiogram's session asks for on every answer, from inside a function as it does
    (pydantic keeps one made at a module's top level in that module)."""
    return Response[method.__returning__]  # type: ignore[name-defined]


def test_response_models_survive_a_garbage_collection() -> None:
    built = weakref.ref(response_type(SendMessage))
    gc.collect()
    assert built() is not None
    assert response_type(SendMessage) is built()
    assert Response[Message] is built()


def test_every_method_result_is_held() -> None:
    assert Message in RESULT_TYPES
    assert bool in RESULT_TYPES
    assert len(RESULT_TYPES) > 30  # one per distinct result type of the Bot API's methods
