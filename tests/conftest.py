"""Fixtures shared by the whole suite."""

from __future__ import annotations

import compileall
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pg_support
import pytest
from cli_support import CREDITOR, REPO, SECRET, Main, in_process
from hypothesis import HealthCheck, settings

from importer import logs
from importer.sandbox import Sandbox

# The property tests prove what the code computes, never how fast: Hypothesis's default fails
# a test whose one example took over 200 ms (and whose examples are slow to make), which is
# what a process of `-n 4` on two loaded cores does when it is not scheduled for a moment
# ('Unreliable test timings', measured with the process frozen 0.3 s now and then). Loaded
# here, before any test module applies its own @settings on top of these.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


def pytest_sessionstart(session: pytest.Session) -> None:
    """The package's bytecode is compiled once, before the tests start their hundreds of
    importer processes, as an installed package's is at install time: with
    PYTHONDONTWRITEBYTECODE set (as on some machines) every process would otherwise compile
    the checkout again (0.1 s of CPU of its 0.5 s start). Once, by the controller only, when
    the suite runs in several processes (`-n 4`)."""
    if not hasattr(session.config, "workerinput"):
        compileall.compile_dir(REPO / "importer", quiet=1)


_BYTECODE_SETTING: list[bool] = []


def pytest_configure(config: pytest.Config) -> None:
    """Test modules are collected with their rewritten bytecode cached, whatever
    PYTHONDONTWRITEBYTECODE says: pytest rewrites the asserts of every test module it imports,
    and without its cache each of the 4 processes of `-n 4` rewrote all 130 modules at every
    run (14.7 s of CPU to collect, measured under --cov; 7.9 s with the cache warm). The cache
    is keyed by each file's size and time, so an edited module is rewritten again; the first
    run in a fresh checkout still writes it. The setting is put back once collection is done."""
    _BYTECODE_SETTING.append(sys.dont_write_bytecode)
    sys.dont_write_bytecode = False


def pytest_collection_finish(session: pytest.Session) -> None:
    if _BYTECODE_SETTING:
        sys.dont_write_bytecode = _BYTECODE_SETTING.pop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `slow` (processes killed and resumed, two importers at once, the
    benchmarks: 5 to 50 s each) start first, the rest after them in their usual order. In 4
    processes (`-n 4`) handed one test at a time (`--maxschedchunk=1`, pyproject.toml), a
    50-second test started last is 50 seconds of one process working while three wait idle
    at the end; started first, the short ones fill in around it. Every worker sorts the same
    collection the same way (a stable sort), as pytest-xdist requires."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh local Amili sandbox over a real socket: temporary database seeded with the
    packaged sample cases (samples/cases.json), key "test-key", stopped after the test."""
    with Sandbox(api_key="test-key") as sb:
        yield sb


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox for CLI tests, keyed with the secret the tests check never leaks."""
    with Sandbox(db_path=tmp_path / "api.sqlite", api_key=SECRET) as sandbox:
        yield sandbox


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with its own config.yaml, where `python -m importer` runs in CLI tests."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "config.yaml").write_text(
        f"defaults:\n  creditor: {CREDITOR}\nreport:\n  dir: reports\njournal:\n  path: j.sqlite\n",
        encoding="utf-8",
    )
    return work


@pytest.fixture
def main(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Main:
    """`importer ARGS` run in this process from `workdir` by `cli_support.in_process` (the
    one in-process runner: what a process would leave behind is put back), in the test's
    environment as it is at the call: the key set by this fixture (or the one the test set
    since), no IMPORTER_CONFIG. The test itself runs in `workdir`. Returns (exit code,
    stdout, stderr), checked for the key."""
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("AMILI_API_KEY", SECRET)
    monkeypatch.delenv("IMPORTER_CONFIG", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        done = in_process(argv, cwd=workdir, env=dict(os.environ))
        assert SECRET not in done.stdout + done.stderr
        return done.returncode, done.stdout, done.stderr

    return run


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg_support.PgServer]:
    """A throwaway PostgreSQL 15 for the whole session (tests/pg_support.py); skipped
    without the server binaries, failed instead under IMPORTER_REQUIRE_PG=1 (.ci/run)."""
    server = pg_support.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_database(pg_server: pg_support.PgServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh empty database of the test's own on the session's server; the `importer`
    role's password in the environment variable a configuration names
    (`journal.password_env: IMPORTER_TEST_PG_PASSWORD`), for this process and the importer
    processes it starts. Returns the database's name."""
    monkeypatch.setenv(pg_support.PASSWORD_ENV, pg_support.PASSWORD)
    return pg_server.database()


_REPORT_VALIDATOR: list[Any] = []


def _report_validator() -> Any:
    """The validator of the shipped report.json schema (built once per session): the schema
    is checked against its meta-schema by jsonschema, the reports are validated by
    jsonschema-rs, the same draft in compiled code — jsonschema took 3 s for a report of
    12,000 rows, after every test that writes one."""
    if not _REPORT_VALIDATOR:
        import jsonschema
        import jsonschema_rs

        from importer.report.schema import shipped_text

        schema = json.loads(shipped_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        _REPORT_VALIDATOR.append(jsonschema_rs.Draft202012Validator(schema))
    return _REPORT_VALIDATOR[0]


@pytest.fixture(autouse=True)
def _log_level_of_the_cli_forgotten() -> Iterator[None]:
    """The CLI run in-process sets the event log's level for the process (`logs.configure`);
    the next test starts from plain structlog, as a library caller would."""
    yield
    logs.reset()


@pytest.fixture(autouse=True)
def _every_report_json_fits_the_schema(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that used tmp_path, every report.json it (or a process it started)
    wrote there is validated against the schema `importer schema` prints."""
    if "tmp_path" not in request.fixturenames:
        yield
        return
    root: Path = request.getfixturevalue("tmp_path")
    yield
    for path in root.rglob("report.json"):
        try:
            document = json.loads(path.read_bytes())
        except ValueError:
            continue  # a test that breaks a report on purpose
        errors = sorted(_report_validator().iter_errors(document), key=str)
        if errors:
            where = list(errors[0].instance_path)
            pytest.fail(f"{path} does not fit the schema: {errors[0].message} at {where}")
