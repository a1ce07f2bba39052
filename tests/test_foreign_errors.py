"""Every foreign exception the importer can meet (requests, sqlite3, calamine, zipfile, OSError,
yaml, pydantic, codecs) is translated: the command line prints ONE clear line naming the thing
to fix, never a traceback, and exits with the code docs/outcomes.md gives it. Each case is made
with real parts: a closed port, a server that never answers or answers wrongly, a corrupt or
read-only SQLite file, a damaged workbook, a full or read-only file system."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import socketserver
import sqlite3
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import (
    CREDITOR,
    REPO,
    SAMPLE,
    SECRET,
    Main,
    closed_port,
    creditings,
    one_line,
)

import importer
from importer import errors
from importer.errors import FileRejected
from importer.journal import connection as journal_connection
from importer.sandbox import Sandbox
from importer.sources import read_source

FAST_API = "api:\n  max_attempts: 2\n  backoff_base: 0\n  read_timeout: 0.3\n"


def configure(workdir: Path, extra: str = "") -> None:
    (workdir / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\njournal:\n  path: j.sqlite\n{extra}",
        encoding="utf-8",
    )


@contextlib.contextmanager
def hostile(answer: bytes | None) -> Iterator[str]:
    """A loopback HTTP server that reads each request and sends `answer` raw (None: never
    answers, holding the connection until the test ends). Yields its base URL."""
    done = threading.Event()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.recv(65536)
            if answer is None:
                done.wait(10)
            else:
                self.request.sendall(answer)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        done.set()
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def tmpfs(where: Path, size: str = "64k") -> Iterator[Path]:
    """A real small file system mounted at `where` (needs root; the test skips without)."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


# ------------------------------------------------------------------------------ requests


def test_connection_refused(main: Main, workdir: Path) -> None:
    configure(workdir, FAST_API)
    code, _, err = main("run", "--api-url", f"http://127.0.0.1:{closed_port()}", str(SAMPLE))
    assert code == 3
    assert "unreachable" in one_line(err)


def test_read_timeout(main: Main, workdir: Path) -> None:
    configure(workdir, FAST_API)
    with hostile(None) as url:
        code, _, err = main("run", "--api-url", url, str(SAMPLE))
    assert code == 3
    assert "did not answer" in one_line(err)


def test_tls_spoken_to_a_plain_http_server(main: Main, workdir: Path, api: Sandbox) -> None:
    configure(workdir, FAST_API)
    url = api.url.replace("http://", "https://")
    code, _, err = main("run", "--api-url", url, str(SAMPLE))
    assert code == 3
    one_line(err)


def test_redirects_are_not_followed(main: Main, workdir: Path) -> None:
    configure(workdir, FAST_API)
    redirect = b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n"
    with hostile(redirect) as url:
        code, _, err = main("run", "--api-url", url, str(SAMPLE))
    assert code == 3
    assert "redirected" in one_line(err)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:99999", "http://", "http://[::1", "https://user:pw@host:port"]
)
def test_an_invalid_url(main: Main, workdir: Path, url: str) -> None:
    """requests would raise InvalidURL at the first POST; the setting is refused up front."""
    configure(workdir, FAST_API)
    code, _, err = main("run", "--api-url", url, str(SAMPLE))
    assert code == 2
    line = one_line(err)
    assert line.startswith("importer: api.base_url ")
    assert line.endswith(("is not a valid URL", "(it needs a host name and a port > 0)"))
    assert "pw" not in err


def test_a_broken_chunked_answer(main: Main, workdir: Path) -> None:
    configure(workdir, FAST_API)
    broken = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    with hostile(broken) as url:
        code, _, err = main("run", "--api-url", url, str(SAMPLE))
    assert code == 3
    one_line(err)


# ------------------------------------------------------------------------------- sqlite3


def test_a_journal_that_is_not_a_database(main: Main, workdir: Path) -> None:
    configure(workdir)
    (workdir / "j.sqlite").write_bytes(b"this is a spreadsheet, honest\n" * 200)
    code, _, err = main("validate", str(SAMPLE))
    assert code == 2
    assert "journal" in one_line(err)


def test_a_malformed_journal(main: Main, workdir: Path) -> None:
    configure(workdir)
    assert main("validate", str(SAMPLE))[0] == 1
    journal = workdir / "j.sqlite"
    with sqlite3.connect(journal) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        roots = db.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name='imports'")
        pages = [root for (root,) in roots]  # the imports table and its indexes
    db.close()
    data = bytearray(journal.read_bytes())
    size = int.from_bytes(data[16:18], "big")
    for page in pages:
        data[(page - 1) * size : page * size] = b"\xa5" * size
    journal.write_bytes(bytes(data))
    code, _, err = main("validate", str(SAMPLE))
    assert code == 2
    assert "journal" in one_line(err)


def test_a_locked_journal(main: Main, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another process holds the journal past the wait for its lock (30 s by default; short
    # here, the same path otherwise): the run says so in one line.
    monkeypatch.setattr(journal_connection, "LOCK_TIMEOUT", 0.3)
    monkeypatch.setattr(journal_connection, "OPEN_TIMEOUT", 0.3)
    configure(workdir)
    assert main("validate", str(SAMPLE))[0] == 1
    holder = sqlite3.connect(workdir / "j.sqlite", isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _, err = main("validate", str(SAMPLE))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 2
    assert "locked" in one_line(err)


def test_a_read_only_journal(main: Main, workdir: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m") as disk:
        configure(workdir, f"journal:\n  path: {disk / 'j.sqlite'}\n".replace("journal:\n", ""))
        (workdir / "config.yaml").write_text(
            f"defaults:\n  creditor: {CREDITOR}\njournal:\n  path: {disk / 'j.sqlite'}\n",
            encoding="utf-8",
        )
        assert main("validate", str(SAMPLE))[0] == 1
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        code, _, err = main("validate", str(SAMPLE))
    assert code == 2
    assert "journal" in one_line(err)


# ------------------------------------------------------------------ workbooks and zipfile


def test_a_workbook_whose_sheet_is_damaged(main: Main, workdir: Path) -> None:
    configure(workdir)
    source = REPO / "samples" / "credits.xlsx"
    damaged = workdir / "damaged.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(damaged, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data[: len(data) // 2]  # the sheet's XML cut in half
            zout.writestr(item, data)
    code, _, err = main("validate", str(damaged))
    assert code == 2
    assert "damaged.xlsx" in one_line(err)
    with pytest.raises(FileRejected) as rejected:  # what was met: calamine's own error
        read_source(damaged)
    assert type(rejected.value.__cause__).__name__ == "XmlError"


def test_a_truncated_workbook(main: Main, workdir: Path) -> None:
    configure(workdir)
    truncated = workdir / "truncated.xlsx"
    truncated.write_bytes((REPO / "samples" / "credits.xlsx").read_bytes()[:2000])
    code, _, err = main("validate", str(truncated))
    assert code == 2
    assert "truncated.xlsx" in one_line(err)


def test_an_old_excel_file_that_is_garbage(main: Main, workdir: Path) -> None:
    configure(workdir)
    fake = workdir / "old.xls"
    fake.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504 + b"\xff" * 2048)
    code, _, err = main("validate", str(fake))
    assert code == 2
    assert "old.xls" in one_line(err)
    with pytest.raises(FileRejected) as rejected:  # what was met: calamine's own error
        read_source(fake)
    assert type(rejected.value.__cause__).__name__ == "CalamineError"


# -------------------------------------------------------------------------------- OSError


def test_enoent_a_missing_file(main: Main, workdir: Path) -> None:
    configure(workdir)
    code, _, err = main("validate", "missing.csv")
    assert code == 2
    assert "missing.csv" in one_line(err)


def test_eisdir_a_folder_given_as_a_file(main: Main, workdir: Path) -> None:
    configure(workdir)
    (workdir / "folder.csv").mkdir()
    code, _, err = main("validate", "folder.csv")
    assert code == 2
    assert "folder.csv" in one_line(err)


def test_eacces_a_file_nobody_may_read(workdir: Path) -> None:
    """A real process; as root, without the capabilities that let root read any file."""
    configure(workdir)
    locked = workdir / "locked.csv"
    shutil.copy(SAMPLE, locked)
    locked.chmod(0o000)
    env = {k: v for k, v in os.environ.items() if k != "IMPORTER_CONFIG"}
    env["AMILI_API_KEY"] = SECRET
    drop = "-dac_override,-dac_read_search"
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root without setpriv: cannot make a file unreadable")
        prefix = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}"]
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "importer", "validate", "locked.csv"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "locked.csv" in one_line(done.stderr)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_enospc_a_full_disk_for_the_reports(main: Main, workdir: Path, tmp_path: Path) -> None:
    """Found by the pre-flight write, before anything is read or sent (a disk that fills
    after posting: tests/pipeline/test_disk_trouble.py). A report writer that failed leaves
    its archive to the collector; it is collected here, at a known point."""
    with tmpfs(tmp_path / "full", "64k") as disk:
        (workdir / "config.yaml").write_text(
            f"defaults:\n  creditor: {CREDITOR}\njournal:\n  path: j.sqlite\n"
            f"report:\n  dir: {disk}\n",
            encoding="utf-8",
        )
        with contextlib.suppress(OSError):
            (disk / "filler").write_bytes(b"\0" * 1024 * 1024)
        code, _, err = main("validate", str(SAMPLE))
        gc.collect()
    assert code == 2
    assert "cannot be written (No space left on device); nothing was sent" in one_line(err)


def test_enospc_a_full_disk_for_the_journal(main: Main, workdir: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "full", "64k") as disk:
        (workdir / "config.yaml").write_text(
            f"defaults:\n  creditor: {CREDITOR}\njournal:\n  path: {disk / 'j.sqlite'}\n",
            encoding="utf-8",
        )
        with contextlib.suppress(OSError):
            (disk / "filler").write_bytes(b"\0" * 1024 * 1024)
        code, _, err = main("validate", str(SAMPLE))
    assert code == 2
    assert "journal" in one_line(err)


# ------------------------------------------------------------ yaml, pydantic, text codecs


def test_yaml_that_does_not_parse(main: Main, workdir: Path) -> None:
    (workdir / "config.yaml").write_text("api: [unclosed\n", encoding="utf-8")
    code, _, err = main("imports")
    assert code == 2
    assert "config.yaml" in one_line(err)


def test_a_setting_of_the_wrong_type(main: Main, workdir: Path) -> None:
    (workdir / "config.yaml").write_text("report:\n  formats: pdf\n", encoding="utf-8")
    code, _, err = main("imports")
    assert code == 2
    assert "formats" in one_line(err)


def test_a_configuration_not_in_utf8(main: Main, workdir: Path) -> None:
    (workdir / "config.yaml").write_bytes("defaults:\n  origin: k\xf6p\n".encode("cp1252"))
    code, _, err = main("imports")
    assert code == 2
    assert "config.yaml: not UTF-8 text" in one_line(err)


def test_a_file_not_in_the_encoding_it_is_said_to_be(main: Main, workdir: Path) -> None:
    configure(workdir, "input:\n  encoding: utf-8\n")
    latin = workdir / "latin.csv"
    latin.write_bytes("invoice_number;amount\nF-1001;12,50 kr\xe4\n".encode("cp1252"))
    code, _, err = main("validate", str(latin))
    assert code == 2
    assert "latin.csv" in one_line(err)


def test_enospc_mid_run_stops_in_one_line_and_the_rerun_credits_each_row_once(
    workdir: Path, tmp_path: Path, api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk holding the journal fills up while rows are being posted (a real tmpfs,
    filled from the progress callback after the first row): the run stops with JournalFailed,
    and once there is room the same run credits every row exactly once."""
    monkeypatch.setenv("AMILI_API_KEY", SECRET)
    with tmpfs(tmp_path / "disk", "2m") as disk:
        (workdir / "config.yaml").write_text(
            f"defaults:\n  creditor: {CREDITOR}\njournal:\n  path: {disk / 'j.sqlite'}\n"
            f"report:\n  dir: {workdir / 'reports'}\napi:\n  base_url: {api.url}\n",
            encoding="utf-8",
        )
        config = importer.load_config(workdir / "config.yaml")
        filler = disk / "filler"

        def fill_the_disk(done: int, total: int, *_: object) -> None:
            if done == 1:
                with contextlib.suppress(OSError), filler.open("wb") as handle:
                    while True:
                        handle.write(b"\0" * 65536)

        with pytest.raises(errors.JournalFailed) as stopped:
            list(importer.run(config, [SAMPLE], progress=fill_the_disk))
        assert "cannot be written (database or disk is full)" in str(stopped.value)
        assert stopped.value.exit_code == 3
        assert len(creditings(api)) <= 2  # the run stopped where the disk filled
        filler.unlink()
        results = list(importer.run(config, [SAMPLE]))
    assert [r.exit_code for r in results] == [1]
    credited = [c["creditor_reference"] for c in creditings(api)]
    assert len(credited) == 5
    assert len(set(credited)) == 5


def test_credentials_in_the_api_url_reach_no_message_report_or_journal(
    main: Main, workdir: Path, api: Sandbox
) -> None:
    """Found while proving InvalidURL: the configured URL was repeated as it was written.
    Such a URL is refused before anything runs (`api.credentials`), reachable or not, and
    the refusal names the URL without its credentials."""
    configure(workdir, FAST_API)
    port = api.url.rsplit(":", 1)[1]
    with_password = f"http://operator:pa55word-in-url@127.0.0.1:{port}"
    code, out, err = main("run", "--api-url", with_password, str(SAMPLE))
    assert code == 2, err
    assert "must not carry a user or password" in one_line(err)
    assert creditings(api) == []
    refused = f"http://operator:pa55word-in-url@127.0.0.1:{closed_port()}"
    code, out2, err2 = main("run", "--api-url", refused, str(SAMPLE))
    assert code == 2
    assert "(http://127.0.0.1:" in one_line(err2)
    assert "pa55word" not in out + err + out2 + err2
    for path in workdir.rglob("*"):
        if path.is_file():
            assert b"pa55word" not in path.read_bytes(), path
