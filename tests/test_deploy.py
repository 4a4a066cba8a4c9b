"""deploy/: the units, the compose file, the proxy and the env example name real commands and
settings. Docker is not run here; systemd-analyze checks the units where it is installed."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import _parser
from bot.health import HEALTH_PATH
from bot.settings import Settings
from bot.webhook import PATH

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
SETTINGS = {f"CRM_{name.upper()}" for name in Settings.model_fields}


def unit(path: Path) -> dict[str, list[str]]:
    """Key -> values of a unit file (keys repeat: Environment=...)."""
    out: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def crm_bot_args(command: list[str]) -> list[str]:
    assert Path(command[0]).name == "crm-bot", command
    return command[1:]


def test_the_units_are_there() -> None:
    assert {u.name for u in UNITS} >= {"crm-bot@.service", "crm-bot-scheduler.service"}


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_units_run_real_subcommands_with_real_settings(path: Path) -> None:
    keys = unit(path)
    (exec_start,) = keys["ExecStart"]
    args = crm_bot_args(shlex.split(exec_start))
    parsed = _parser().parse_args(args)  # exits (fails the test) on an unknown command/option
    assert parsed.command in ("run", "scheduler", "migrate")
    for env in keys.get("Environment", []):
        name = env.split("=", 1)[0]
        assert name in SETTINGS, f"{path.name}: {name} is not a setting"
    assert keys["EnvironmentFile"] == ["/etc/crm-bot/crm-bot.env"]
    if path.name == "crm-bot@.service":
        assert parsed.command == "run" and parsed.no_scheduler  # the scheduler runs once
        assert "CRM_WEBHOOK_PORT=%i" in keys["Environment"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    # The units as installed, with this checkout's crm-bot and paths that exist here.
    crm_bot = Path(sys.executable).with_name("crm-bot")
    env = tmp_path / "crm-bot.env"
    env.write_text("")
    names = []
    for path in UNITS:
        text = path.read_text().replace("/opt/crm-bot/.venv/bin/crm-bot", str(crm_bot))
        text = text.replace("/etc/crm-bot/crm-bot.env", str(env))
        text = text.replace("/opt/crm-bot", str(tmp_path))
        name = path.name.replace("@.", "@8080.")
        (tmp_path / name).write_text(text)
        names.append(f"./{name}")
    (tmp_path / "var").mkdir()
    proc = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Unknown keys and bad values are only warnings: any output is a finding.
    problems = [
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        if line.strip() and not re.search(r"(network-online|postgresql)\.(target|service)", line)
    ]
    assert proc.returncode == 0 and not problems, proc.stdout + proc.stderr


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_services_and_their_commands() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "bot", "scheduler", "caddy"}
    for name in ("migrate", "bot", "scheduler"):
        parsed = _parser().parse_args(services[name]["command"])
        assert parsed.command == {"bot": "run"}.get(name, name)
        env = services[name]["environment"]
        assert set(env) <= SETTINGS, set(env) - SETTINGS
        assert env["CRM_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert services[name]["env_file"] == "crm-bot.env"
    assert _parser().parse_args(services["bot"]["command"]).no_scheduler
    assert services["bot"]["deploy"]["replicas"] >= 2
    # Only the proxy is published; the bots and the scheduler are reached inside the network.
    assert [s for s, spec in services.items() if "ports" in spec] == ["caddy"]


@pytest.mark.parametrize(
    "name,port_key", [("bot", "CRM_WEBHOOK_PORT"), ("scheduler", "CRM_HEALTH_PORT")]
)
def test_compose_healthchecks_ask_healthz_where_it_listens(name: str, port_key: str) -> None:
    spec = compose()["services"][name]
    port = spec["environment"][port_key]
    check = " ".join(spec["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}{HEALTH_PATH}" in check
    assert spec["expose"] == [port]
    listen = "CRM_WEBHOOK_LISTEN" if name == "bot" else "CRM_HEALTH_LISTEN"
    assert spec["environment"][listen] == "0.0.0.0"  # reachable by the proxy and the checks


@pytest.mark.parametrize("caddyfile", ["Caddyfile", "systemd/Caddyfile"])
def test_the_proxy_forwards_the_webhook_path_and_nothing_else(caddyfile: str) -> None:
    text = (DEPLOY / caddyfile).read_text()
    assert f"handle {PATH} {{" in text
    assert f"health_uri {HEALTH_PATH}" in text
    assert "respond 404" in text
    assert text.count("{") == text.count("}")
    if caddyfile == "Caddyfile":
        port = compose()["services"]["bot"]["environment"]["CRM_WEBHOOK_PORT"]
        assert f"dynamic a bot {port}" in text


def test_env_example_names_only_settings_and_holds_no_secret() -> None:
    values = {}
    for line in (DEPLOY / "crm-bot.env.example").read_text().splitlines():
        line = line.lstrip("# ")
        if re.match(r"CRM_[A-Z_]+=", line):
            key, value = line.split("=", 1)
            values[key] = value
    assert set(values) <= SETTINGS, set(values) - SETTINGS
    assert {"CRM_TELEGRAM_TOKEN", "CRM_WEBHOOK_URL", "CRM_WEBHOOK_SECRET"} <= set(values)
    assert values["CRM_TELEGRAM_TOKEN"] == "" and values["CRM_WEBHOOK_SECRET"] == ""
    assert values["CRM_WEBHOOK_URL"].endswith(PATH)
    # What is filled in must be valid as it stands (the secrets aside).
    filled = {k[4:].lower(): v for k, v in values.items() if v and k != "CRM_WEBHOOK_URL"}
    Settings(_env_file=None, **filled)  # type: ignore[arg-type]
