"""A flow's states as an enum: a typo in a state's name fails at import, not in a user's chat."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class States(StrEnum):
    """Subclass per flow, naming the flow: ``class VisitStep(States, flow="visit")``.

    The member's value is the step's name in the state row and in button payloads.
    """

    _flow_name: ClassVar[str]

    def __init_subclass__(cls, flow: str = "", **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if not flow:
            raise TypeError(f"{cls.__name__}: name the flow, class X(States, flow='name')")
        cls._flow_name = flow

    @property
    def flow(self) -> str:
        return type(self)._flow_name

    @property
    def key(self) -> str:
        """ "flow.step", as kept in the state row and written in button payloads."""
        return f"{type(self)._flow_name}.{self.value}"
