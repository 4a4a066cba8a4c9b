"""Every flow is declared as data: its diagram is generated, and the declarations are whole."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from handlers import build_router
from handlers.conversation.diagram import document
from handlers.conversation.states import States

ROOT = Path(__file__).resolve().parent.parent
FLOWS = build_router().flows


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_the_committed_diagram_is_the_code(name: str) -> None:
    committed = ROOT / "docs" / "flows" / f"{name}.md"
    assert committed.is_file(), f"run `make flows`: docs/flows/{name}.md is missing"
    assert committed.read_text(encoding="utf-8") == document(FLOWS[name]), (
        f"docs/flows/{name}.md differs from the flow's declaration: run `make flows`"
    )


def test_no_diagram_without_a_flow() -> None:
    names = {p.stem for p in (ROOT / "docs" / "flows").glob("*.md")}
    assert names == set(FLOWS)


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_every_state_has_a_prompt_and_its_edges_stay_in_the_flow(name: str) -> None:
    flow = FLOWS[name]
    for state, decl in flow.steps.items():
        assert decl.prompt is not None, f"{state.key} has no prompt: a resumed draft shows nothing"
        for target in decl.to:
            assert isinstance(target, flow.states)


def test_no_flow_state_is_named_by_a_string() -> None:
    found = subprocess.run(
        ["git", "grep", "-n", 'Step.to("', "--", "handlers", "bot", "crm", "scheduler"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert found.stdout == ""


def test_a_misspelt_state_fails_at_import() -> None:
    class Demo(States, flow="demo"):
        ONE = "one"

    with pytest.raises(AttributeError):
        _ = Demo.ONNE  # type: ignore[attr-defined]
