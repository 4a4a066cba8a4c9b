"""Settings and business rules: defaults, overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import SettingsError, load


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("CRM_TIMEZONE", "CRM_LOCALE", "CRM_DATABASE_URL", "CRM_RULES_FILE"):
        monkeypatch.delenv(key, raising=False)
    settings, rules = load(_env_file=None)
    assert settings.timezone == "Asia/Shanghai" and settings.locale == "zh_CN"
    assert settings.telegram_token is None
    assert rules.cadence_days.A == 14 and rules.claims.period_days == 60
    assert rules.classes.key_threshold == 200000
    assert rules.sla.complaint.first_response_minutes == 60


def test_invalid_setting_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match="CRM_TIMEZONE"):
        load(_env_file=None)


def test_bad_api_url_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_TELEGRAM_API_URL", "localhost:8081")
    with pytest.raises(SettingsError, match="CRM_TELEGRAM_API_URL"):
        load(_env_file=None)


def test_dotenv_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("CRM_LOCALE=en\nCRM_TELEGRAM_TOKEN=123456:abc\n")
    settings, _ = load(_env_file=str(env))
    assert settings.locale == "en"
    assert settings.telegram_token is not None
    assert "123456" not in repr(settings)


def test_rules_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    f = tmp_path / "rules.toml"
    f.write_text("[cadence_days]\nA = 7\n")
    _, rules = load(rules_file=f, _env_file=None)
    assert rules.cadence_days.A == 7 and rules.cadence_days.B == 30


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[cadence_days]\nA = -1\n", "cadence_days.A"),
        ('[business_hours]\nstart = "18:00"\nend = "09:00"\n', "business_hours"),
        ("[claims]\nperiod_day = 3\n", "claims.period_day"),
        ("[rate_limits]\nglobal_per_second = 100\n", "rate_limits.global_per_second"),
    ],
)
def test_invalid_rule_names_the_key(tmp_path: Path, toml: str, key: str) -> None:
    f = tmp_path / "rules.toml"
    f.write_text(toml)
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        load(rules_file=f, _env_file=None)


def test_run_without_token_says_what_to_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CRM_TELEGRAM_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "CRM_TELEGRAM_TOKEN" in err and "make demo" in err


def test_cli_reports_bad_setting(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("CRM_LOCALE", "klingon")
    assert main(["migrate", "--db", "sqlite+aiosqlite:///:memory:"]) == 2
    assert "CRM_LOCALE" in capsys.readouterr().err
