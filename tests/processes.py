"""The real `crm-bot` command as a child process, for the tests that run it end to end."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


async def spawn_cli(command: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    """`python -m bot.cli COMMAND` in `cwd` (no stray .env file there), its output piped."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        command,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    return proc
