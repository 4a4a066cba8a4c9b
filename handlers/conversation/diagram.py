"""A flow's Mermaid state diagram, generated from its declaration (`make flows`)."""

from __future__ import annotations

import sys
from pathlib import Path

from handlers.conversation.flow import Flow


def mermaid(flow: Flow) -> str:
    lines = ["stateDiagram-v2"]
    for label, first in flow.entries:
        lines.append(f"    [*] --> {first.value}: {label}")
    for state, decl in flow.steps.items():
        accepts = ", ".join(sorted(i.value for i in decl.accepts))
        lines.append(f"    {state.value}: {state.value} ({accepts})")
        for target in decl.to:
            lines.append(f"    {state.value} --> {target.value}")
        if decl.back is not None:
            lines.append(f"    {state.value} --> {decl.back.value}: Back")
        for callee in decl.calls:
            lines.append(f"    {state.value} --> {state.value}: calls {callee.key}")
        if decl.ends:
            lines.append(f"    {state.value} --> [*]")
    if flow.card is not None:
        lines.append(f"    note right of {flow.card.value}: Edit a field, then back here")
    return "\n".join(lines) + "\n"


def document(flow: Flow) -> str:
    """docs/flows/<flow>.md: the diagram, and what Cancel does (the same for every flow)."""
    return (
        f"# Flow `{flow.name}`\n\n"
        "Generated from the flow's declaration by `make flows`; a test fails when this file and "
        "the code differ.\nEvery state also has Cancel (discards the draft, naming it) and an "
        "interruption parks the draft.\n\n"
        f"```mermaid\n{mermaid(flow)}```\n"
    )


def write_all(folder: Path) -> list[Path]:
    """Writes docs/flows/<flow>.md for every assembled flow; returns the files written."""
    from handlers import build_router

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, flow in sorted(build_router().flows.items()):
        path = folder / f"{name}.md"
        path.write_text(document(flow), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/flows")):
        print(p)
