"""Typed drafts: what a flow has gathered so far, validated, versioned and kept as JSON.

A draft is a pydantic model whose fields are declared: a misspelt key fails (extra="forbid",
validate_assignment), and an old row whose shape no longer fits is noticed, not misread. The
mapping methods (`d["x"]`, `d.get("x")`, `d.update(...)`) accept only declared fields: they are
there so a flow can read a field named by data (a field table) without `getattr` strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # Bumped by a flow when its draft changes shape; kept in the row as "v".
    VERSION: ClassVar[int] = 1
    # Fields that do not make a draft worth keeping on their own (buttons offered, lists shown).
    SCAFFOLD: ClassVar[frozenset[str]] = frozenset()

    # Set while one field is being edited from the summary card: the next step returns there.
    returning: bool = False

    def __getitem__(self, key: str) -> Any:
        self._known(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        self._known(key)
        setattr(self, key, value)

    def __contains__(self, key: object) -> bool:
        return (
            isinstance(key, str)
            and key in type(self).model_fields
            and (getattr(self, key) is not None)
        )

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        return iter(type(self).model_fields)

    def get(self, key: str, default: Any = None) -> Any:
        self._known(key)
        value = getattr(self, key)
        return default if value is None else value

    def update(self, values: dict[str, Any] | None = None, **more: Any) -> None:
        for key, value in {**(values or {}), **more}.items():
            self[key] = value

    def _known(self, key: str) -> None:
        if key not in type(self).model_fields:
            raise KeyError(f"{type(self).__name__} has no field {key!r}")

    def is_empty(self) -> bool:
        """Nothing the user gave is in it: such a draft is not parked, there is nothing to keep."""
        defaults = type(self)()
        skip = self.SCAFFOLD | {"returning"}
        return all(
            getattr(self, name) == getattr(defaults, name)
            for name in type(self).model_fields
            if name not in skip
        )

    def dump(self) -> dict[str, Any]:
        return {"v": self.VERSION, **self.model_dump(mode="json")}

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> Draft:
        data = dict(data or {})
        version = data.pop("v", cls.VERSION)
        if version != cls.VERSION:
            raise ValueError(f"{cls.__name__}: draft version {version}, expected {cls.VERSION}")
        return cls.model_validate(data)


class NoDraft(Draft):
    """Idle: nothing gathered."""
