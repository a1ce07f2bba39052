"""`Sandbox`: the in-process handle on a running sandbox — store, faults and server wired
together, serving from a background thread.

The importer's `--api-url sandbox`, the tests and the `importer sandbox` command all start the
sandbox through this one class, so they exercise the same thing.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path
from types import TracebackType

from importer.errors import SandboxError
from importer.sandbox.faults import Faults, FaultSettings
from importer.sandbox.key import API_KEY_ENV, DEFAULT_API_KEY
from importer.sandbox.seed import load_cases
from importer.sandbox.server import SandboxServer
from importer.sandbox.store import Store

_POLL_INTERVAL = 0.02
"""How often the accept loop checks for stop(): how long stop() takes after the last request
(a test's sandbox is stopped hundreds of times a suite; 0.05 s was a test's 50 ms)."""


class Sandbox:
    """A local, contract-faithful stand-in for Amili's crediting API (docs/sandbox.md).

    `db_path` None uses a temporary database deleted on stop; `cases_path` None seeds the
    packaged sample cases. A database that already has cases is never re-seeded; with
    `add_cases`, the cases of `cases_path` it lacks are added to it (the embedded sandbox and
    `sandbox.cases`: a database kept beside the journal takes your cases when you name them).
    `port` 0 picks a free port; `start()` returns the base URL."""

    def __init__(
        self,
        db_path: str | os.PathLike[str] | None = None,
        cases_path: str | os.PathLike[str] | None = None,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: int = 0,
        fail_rate: float = 0.0,
        drop_rate: float = 0.0,
        rate_limit: int | None = None,
        seed: int | None = None,
        latency_jitter_ms: int = 0,
        add_cases: bool = False,
        fail_after_store_rate: float = 0.0,
    ) -> None:
        self.api_key: str = api_key or os.environ.get(API_KEY_ENV) or DEFAULT_API_KEY
        self.host = host
        self.port = port
        self.cases_path = cases_path
        self.add_cases = add_cases
        self.faults = FaultSettings(
            latency_ms,
            fail_rate,
            drop_rate,
            rate_limit,
            seed,
            latency_jitter_ms,
            fail_after_store_rate,
        )
        self.faults.check()
        self._requested_db = Path(db_path) if db_path is not None else None
        self.db_path: Path | None = self._requested_db
        self.seeded: int | None = None
        """How many cases start() seeded; None when the database already had its cases."""
        self._store: Store | None = None
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None
        self._temporary = False
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. "http://127.0.0.1:54321" (only while started)."""
        if self._url is None:
            raise SandboxError("the sandbox is not running: call start() first")
        return self._url

    @property
    def running(self) -> bool:
        return self._url is not None

    def start(self) -> str:
        """Open (and if empty, seed) the database, listen, serve in a daemon thread."""
        if self._url is not None:
            raise SandboxError("the sandbox is already running")
        try:
            self._open_store()
            self._listen()
        except BaseException:
            self.stop()
            raise
        return self.url

    def _open_store(self) -> None:
        if self._requested_db is None:
            fd, name = tempfile.mkstemp(prefix="importer-sandbox-", suffix=".sqlite")
            os.close(fd)
            self.db_path, self._temporary = Path(name), True
        assert self.db_path is not None
        if not self.db_path.parent.is_dir():
            raise SandboxError(
                f"database {self.db_path}: folder {self.db_path.parent} does not exist"
            )
        self._store = Store(self.db_path)
        cases_path = self.cases_path
        self.seeded = self._store.seed(lambda: load_cases(cases_path), add=self.add_cases)

    def _listen(self) -> None:
        assert self._store is not None
        try:
            self._server = SandboxServer(
                (self.host, self.port),
                store=self._store,
                faults=Faults(self.faults),
                api_key=self.api_key,
            )
        except OSError as exc:
            raise SandboxError(
                f"cannot listen on {self.host}:{self.port} ({exc.strerror or exc})"
            ) from exc
        host, port = self._server.server_address[:2]
        self.port = port
        host = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{host}]" if ":" in host else host
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name=f"importer-sandbox:{port}",
            daemon=True,
        )
        self._thread.start()
        self._url = f"http://{shown}:{port}"

    def stop(self) -> None:
        """Stop accepting, let requests in flight answer, close the database; idempotent.
        A temporary database is deleted."""
        server, self._server = self._server, None
        if server is not None:
            if self._thread is not None and self._thread.is_alive():
                server.shutdown()
            server.server_close()
            server.close_connections(timeout=5.0)
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        store, self._store = self._store, None
        if store is not None:
            store.close()
        if self._temporary and self.db_path is not None:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{self.db_path}{suffix}")
            self._temporary = False
        self._url = None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Sandbox(url={self._url!r}, db_path={str(self.db_path)!r})"
