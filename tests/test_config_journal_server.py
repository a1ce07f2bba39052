"""`journal.url` names a journal on a PostgreSQL server; its password never goes into the
configuration: a URL carrying one (as userinfo or as libpq's `password` parameter), or a
`journal.password` key, is refused in one line that does not echo it, before anything is
read or sent. `journal.password_env` names the variable that holds it; named but unset, the
run stops in one line. Without `journal.url`, the SQLite file as before; `--journal FILE`
names a SQLite file even when the configuration names a server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from cli_support import SAMPLE, importer, one_line

from importer.config_load import load_config
from importer.errors import ConfigError
from importer.journal.server import SECRET_PARAMETERS, JournalServer

LEAKED = "pw-in-the-file-0451"


def write(work: Path, journal: Mapping[str, object]) -> None:
    (work / "config.yaml").write_text(json.dumps({"journal": journal}), encoding="utf-8")


@pytest.mark.parametrize(
    "journal",
    [
        {"url": f"postgresql://importer:{LEAKED}@db.example:5432/journal"},
        {"url": f"postgresql://importer@db.example/journal?sslmode=require&password={LEAKED}"},
        {"url": "postgresql://importer@db.example/journal", "password": LEAKED},
    ],
)
@pytest.mark.parametrize("command", ["run", "config"])
def test_a_password_in_the_configuration_is_refused_unechoed(
    workdir: Path, journal: dict[str, str], command: str
) -> None:
    write(workdir, journal)
    args = [command, str(SAMPLE)] if command == "run" else [command]
    done = importer(workdir, *args, "--debug")
    assert done.returncode == 2, done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "password_env" in last
    assert LEAKED not in done.stdout + done.stderr
    assert not (workdir / "reports").exists()


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://importer:#{LEAKED}@db.example/journal",
        f"postgresql://importer:5432?{LEAKED}@db.example/journal",
        f"postgresql://importer@db.example/journal#x?password={LEAKED}",
    ],
)
def test_a_password_libpq_reads_where_a_web_url_has_none_is_refused_unechoed(
    workdir: Path, url: str
) -> None:
    """libpq, not a web browser, reads the URL: its userinfo runs to the first `@` before a
    `/` (a `#` or `?` in a password included) and its parameters follow the first `?`, even
    after a `#`. Each of these URLs hands libpq the password; each is refused like
    `user:pw@`, never shown by `importer config`."""
    write(workdir, {"url": url})
    done = importer(workdir, "config", "--debug")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "password_env" in done.stderr.strip().splitlines()[-1]
    assert LEAKED not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://importer@db.example/journal?sslcert=c.pem&sslkey=k.pem&sslpassword={LEAKED}",
        f"postgresql://importer@db.example/journal?oauth_client_secret={LEAKED}",
    ],
)
def test_every_secret_libpq_takes_in_a_url_is_refused_unechoed(workdir: Path, url: str) -> None:
    """Not only `password`: libpq takes the client key's passphrase (`sslpassword`) and an
    OAuth client secret as parameters too, and the URL is shown wherever the journal is."""
    write(workdir, {"url": url})
    for args in (["config", "--debug"], ["run", str(SAMPLE), "--debug"]):
        done = importer(workdir, *args)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "must not carry" in done.stderr.strip().splitlines()[-1]
        assert LEAKED not in done.stdout + done.stderr


def test_the_secrets_refused_in_a_url_are_every_one_libpq_marks_secret() -> None:
    """libpq marks its secret parameters (display "*"); a libpq that adds one fails here
    rather than letting it through into `importer config`."""
    from psycopg import pq

    marked = {o.keyword.decode() for o in pq.Conninfo.get_defaults() if o.dispchar == b"*"}
    assert marked <= set(SECRET_PARAMETERS)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://importer@db.example/journal", "must start with postgresql://"),
        ("postgresql://importer@db.example:port/journal", "is not a valid URL"),
        ("postgresql:///journal", "names no host"),
    ],
)
def test_a_url_that_names_no_postgresql_server_is_refused_in_one_line(
    workdir: Path, url: str, said: str
) -> None:
    write(workdir, {"url": url})
    done = importer(workdir, "run", str(SAMPLE))
    assert done.returncode == 2
    assert said in one_line(done.stderr)


def test_a_password_variable_named_but_unset_stops_the_run_in_one_line(workdir: Path) -> None:
    write(
        workdir,
        {"url": "postgresql://importer@127.0.0.1:1/journal", "password_env": "NO_SUCH_PG_PW"},
    )
    done = importer(workdir, "run", str(SAMPLE))
    assert done.returncode == 2
    assert one_line(done.stderr).endswith(
        "journal.password_env names $NO_SUCH_PG_PW, which is not set: set it to the password"
        " of the journal's database (postgresql://importer@127.0.0.1:1/journal); nothing was"
        " sent"
    )


def test_the_place_is_the_server_with_its_password_or_the_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "config.yaml"
    monkeypatch.setenv("JOURNAL_PW", "from-the-env")
    url = "postgresql://importer@db.example/journal?sslmode=verify-full&sslrootcert=ca.pem"
    write(tmp_path, {"url": url, "password_env": "JOURNAL_PW"})
    place = load_config(config_file).journal.place()
    assert place == JournalServer(url, "from-the-env")
    assert str(place) == url
    assert "from-the-env" not in repr(place)
    write(tmp_path, {"path": "j.sqlite"})
    assert load_config(config_file).journal.place() == tmp_path / "j.sqlite"


def test_journal_on_the_command_line_names_a_sqlite_file_even_beside_a_server(
    workdir: Path,
) -> None:
    write(workdir, {"url": "postgresql://importer@127.0.0.1:1/journal"})
    done = importer(workdir, "imports", "--journal", str(workdir / "here.sqlite"))
    assert done.returncode == 0, done.stderr
    assert (workdir / "here.sqlite").exists()
    shown = importer(workdir, "config", "--journal", str(workdir / "here.sqlite"))
    (url_line,) = [line for line in shown.stdout.splitlines() if "journal.url" in line]
    assert "null" in url_line
    assert "command line (--journal)" in url_line


def test_a_server_journal_has_the_deadline_the_configuration_gives_its_round_trips(
    tmp_path: Path,
) -> None:
    config_file = tmp_path / "config.yaml"
    url = "postgresql://importer@db.example/journal"
    write(tmp_path, {"url": url})
    assert load_config(config_file).journal.place() == JournalServer(url, None, 30.0)
    write(tmp_path, {"url": url, "statement_timeout": 2.5})
    assert load_config(config_file).journal.place() == JournalServer(url, None, 2.5)


@pytest.mark.parametrize("seconds", [0, 0.5, 3601, "soon", True])
def test_a_deadline_below_a_second_or_above_an_hour_is_refused_naming_the_key(
    tmp_path: Path, seconds: object
) -> None:
    write(
        tmp_path, {"url": "postgresql://importer@db.example/journal", "statement_timeout": seconds}
    )
    with pytest.raises(ConfigError) as refused:
        load_config(tmp_path / "config.yaml")
    assert "journal.statement_timeout" in str(refused.value)


def test_a_url_naming_several_hosts_is_taken_as_libpq_takes_it(tmp_path: Path) -> None:
    """libpq tries each host of a list in turn (`target_session_attrs` picks the one that
    takes writes after a failover): such a URL names the journal as it is written."""
    url = (
        "postgresql://importer@db1.example:5432,db2.example:5433,[::1]:5434/journal"
        "?target_session_attrs=read-write&sslmode=verify-full"
    )
    write(tmp_path, {"url": url})
    assert load_config(tmp_path / "config.yaml").journal.place() == JournalServer(url)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (f"postgresql://importer:{LEAKED}@db1.example,db2.example/journal", "password_env"),
        (f"postgresql://importer@db1.example,importer:{LEAKED}@db2.example/j", "password_env"),
        (f"postgresql://importer@db1.example,db2.example/j?password={LEAKED}", "password_env"),
        (f"postgresql://importer@db1.example,db2.example/j?sslpassword={LEAKED}", "sslpassword"),
        (f"postgresql://importer@db1.example:5432,db2.example:{LEAKED}/j", "is not a valid URL"),
        ("postgresql://importer@db1.example:5432,db2.example:65536/j", "is not a valid URL"),
    ],
)
def test_every_host_of_a_url_naming_several_is_checked_and_never_echoed(
    tmp_path: Path, url: str, said: str
) -> None:
    write(tmp_path, {"url": url})
    with pytest.raises(ConfigError) as refused:
        load_config(tmp_path / "config.yaml")
    assert said in str(refused.value)
    assert LEAKED not in str(refused.value)
