"""A throwaway PostgreSQL 15 server for the tests: `initdb` and `pg_ctl` from the Debian
server package, run as the `postgres` user when the tests run as root (PostgreSQL refuses to
run as root), in a temporary folder, on a free loopback port, its unix socket in that folder.

The server is started once per session (about half a second) and each test gets a database
of its own, created empty (`CREATE DATABASE … TEMPLATE template0`, copied as files, tens of
milliseconds). Clients log in over TCP as the role `importer` with a password
(scram-sha-256), as an importer on another host would; the superuser works over the unix
socket only (`trust`), to create and drop databases.

Without the server binaries the PostgreSQL tests are skipped, unless `IMPORTER_REQUIRE_PG=1`
(set by .ci/run): then a missing server fails them, so CI never passes with them unrun."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

BIN = Path(os.environ.get("IMPORTER_PG_BIN", "/usr/lib/postgresql/15/bin"))
ROLE = "importer"
PASSWORD = "pg-pass-never-printed-7f3a"
"""The role's password: tests check it never reaches output, reports or messages."""
PASSWORD_ENV = "IMPORTER_TEST_PG_PASSWORD"


def required() -> bool:
    return os.environ.get("IMPORTER_REQUIRE_PG") == "1"


def unavailable(reason: str) -> None:
    """Skip, or fail when CI requires PostgreSQL (a skipped database test is no test)."""
    if required():
        pytest.fail(f"PostgreSQL is required (IMPORTER_REQUIRE_PG=1) but {reason}")
    pytest.skip(reason)


_PORT_ATTEMPTS = 3
"""Starts tried when the port probed free was taken before the server bound it."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PgServer:
    """A running server: `database()` makes a fresh database and returns its URL."""

    folder: Path
    port: int
    _names: itertools.count[int]

    @property
    def socket_dir(self) -> str:
        return str(self.folder)

    def url(self, database: str, *, role: str = ROLE) -> str:
        """The URL an importer is given: no password in it (that comes from the env)."""
        return f"postgresql://{role}@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        """The superuser over the unix socket, autocommit (CREATE DATABASE needs it)."""
        return psycopg.connect(
            host=self.socket_dir, port=self.port, user="postgres", dbname=database, autocommit=True
        )

    def database(self) -> str:
        """A new empty database owned by the `importer` role; returns its name. Copied as
        files (`STRATEGY FILE_COPY`): PostgreSQL 15's default writes every page of the
        template to the WAL, 0.09 s a database against 0.05 s (a third of the time with four
        test processes creating them at once); the checkpoint a file copy takes first costs
        nothing on the tests' server, which never syncs."""
        name = f"journal_{os.getpid()}_{next(self._names)}"
        with self.admin() as admin:
            admin.execute(
                f'CREATE DATABASE "{name}" OWNER {ROLE} TEMPLATE template0 STRATEGY FILE_COPY'
            )
        return name

    def connect(self, database: str) -> psycopg.Connection:
        """The importer role over TCP, as a test looks at what the importer wrote."""
        return psycopg.connect(self.url(database), password=PASSWORD, autocommit=True)

    @contextmanager
    def frozen(self, database: str) -> Iterator[list[int]]:
        """Every session of `database` frozen (its backend process stopped, SIGSTOP) for the
        block, as a hung backend or a stalled disk leaves it: the machine's kernel still
        acknowledges its TCP, so keepalives see a live peer. Yields the pids; they run on
        (SIGCONT) after the block, whatever happened in it."""
        with self.admin() as admin:
            pids = [
                pid
                for (pid,) in admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
                ).fetchall()
            ]
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            yield pids
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)

    def run_as_owner(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _as_postgres([str(BIN / "pg_ctl"), "-D", str(self.folder / "data"), *args])

    def stop(self) -> None:
        self.run_as_owner("stop", "-m", "immediate", "-w")
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_postgres(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """`argv` as the `postgres` user when we are root (initdb and postgres refuse root)."""
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=120)


THROWAWAY = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
"""The tests' server: nothing it holds must outlive a power cut."""
LIKE_SQLITE_NORMAL = "-c fsync=on -c synchronous_commit=off"
"""For measuring against SQLite's WAL with synchronous=NORMAL, which promises the same: a
killed process loses nothing, a power cut may lose the last commits."""


def start(durability: str = THROWAWAY) -> PgServer:
    """initdb, start on a free loopback port with `durability`, create the role."""
    if not (BIN / "initdb").is_file():
        unavailable(f"no PostgreSQL server binaries in {BIN} (apt-get install postgresql-15)")
    folder = Path(tempfile.mkdtemp(prefix="pgtest-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
    folder.chmod(0o700)
    init = _as_postgres(
        [
            str(BIN / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
    )
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        unavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
    # The port is free when probed and bound by the server a moment later: another process
    # (a parallel test worker's server, a sandbox) may take it in between. The server then
    # refuses to start, saying so in its log, and is started again on another port.
    for _attempt in range(_PORT_ATTEMPTS):
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} {durability}"
            " -c max_connections=100"
        )
        server = PgServer(folder, port, itertools.count(1))
        started = server.run_as_owner(
            "start", "-w", "-t", "60", "-l", str(folder / "log"), "-o", options
        )
        if started.returncode == 0:
            break
        log = (
            (folder / "log").read_text(errors="replace")[-500:] if (folder / "log").exists() else ""
        )
        if "could not bind" not in log and "already in use" not in log:
            break
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        unavailable(f"the server did not start: {started.stderr.strip()} {log}")
    with server.admin() as admin:
        admin.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'")
    return server
