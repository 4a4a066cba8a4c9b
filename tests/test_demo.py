"""The README's demo transcript is what `crm-bot demo --script tests/demo/script.txt` prints.

Run with UPDATE_TRANSCRIPT=1 to rewrite the README's transcript after a deliberate change.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "demo" / "script.txt"
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- transcript:start -->\n)(.*?)(<!-- transcript:end -->)", re.S)


def run_demo(db: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert (
        main(["demo", "--reset", "--db", f"sqlite+aiosqlite:///{db}", "--script", str(SCRIPT)]) == 0
    )
    return capsys.readouterr().out


def test_readme_transcript_is_reproduced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_demo(tmp_path / "demo.db", capsys)
    block = f"```text\n{out}```\n"
    text = README.read_text(encoding="utf-8")
    if os.environ.get("UPDATE_TRANSCRIPT") == "1":
        README.write_text(BLOCK.sub(lambda m: m.group(1) + block + m.group(3), text), "utf-8")
    m = BLOCK.search(README.read_text(encoding="utf-8"))
    assert m is not None, "README lacks the transcript markers"
    assert m.group(2) == block


def test_demo_script_covers_the_protocol(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_demo(tmp_path / "demo.db", capsys)
    # Several people, buttons pressed, the clock moved, and a reminder that came of it.
    for handle in ("rep1", "customer1", "manager", "rep2"):
        assert f"[to {handle}]" in out
    assert "(clock: 2026-12-02 09:00" in out
    assert "> [" in out
    assert out.count("⏰") >= 1


@pytest.mark.slow
def test_state_persists_between_demo_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.db"
    run_demo(db, capsys)
    script = tmp_path / "again.txt"
    script.write_text("/as rep1\n@clock +1h\n/as manager\n/summary\n")
    url = f"sqlite+aiosqlite:///{db}"
    assert main(["demo", "--db", url, "--script", str(script)]) == 0
    out = capsys.readouterr().out
    # The clock continued from where the first run left it, and the visit is still counted.
    assert "(clock: 2026-12-02 10:00" in out


@pytest.mark.slow
def test_demo_with_no_input_sets_up_and_exits(tmp_path: Path) -> None:
    env = dict(os.environ, CRM_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x.db")
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--db", f"sqlite+aiosqlite:///{tmp_path}/d.db"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "d.db").exists()
