"""Secrets never reach what the importer writes.

A base URL carrying a user, a password or a query is refused before anything is read or sent
(with a message pointing at `api.api_key_env`, not echoing the secret); a key with a control
character is refused at start without echoing it; and with `--debug`, `-v` and `--log-json`
every byte written — stdout, stderr, logs, every report file, the journal and its WAL — is
searched for the key, against an API that accepts it and one that refuses it. That search
runs real processes, so what an interpreter prints of an escaping error or at its exit is
searched too; the refusals, made before anything is read or sent, run in this process
(`cli_support.importer`: the same exit code, stdout and stderr, an escaping exception's
traceback included)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import (
    SAMPLE,
    SECRET,
    creditings,
    importer,
    importer_process,
    one_line,
    report_of,
    searchable_bytes,
)

from importer.api.credentials import check_plain_http
from importer.sandbox import Sandbox


def _written_bytes(workdir: Path, *streams: str) -> bytes:
    """Everything the importer left behind in its work folder, plus what it printed."""
    chunks = [stream.encode("utf-8") for stream in streams]
    chunks.extend(
        searchable_bytes(path)
        for path in workdir.rglob("*")
        if path.is_file() and path.name not in ("config.yaml", "sandbox.sqlite")
    )
    return b"\n".join(chunks)


@pytest.mark.parametrize(
    ("shape", "secret"),
    [
        ("http://operator:{secret}@127.0.0.1:{port}", "pw-0451-hunter2"),
        ("http://{secret}@127.0.0.1:{port}", "tok-0451-userinfo"),
        ("http://127.0.0.1:{port}/?token={secret}", "tok-0451-query"),
        ("http://127.0.0.1:{port}/v1?api_key={secret}", "tok-0451-apikey"),
        ("http://127.0.0.1:{port}/#{secret}", "tok-0451-fragment"),
    ],
)
@pytest.mark.parametrize("command", ["run", "validate"])
def test_url_with_a_secret_is_refused(
    workdir: Path, api: Sandbox, shape: str, secret: str, command: str
):
    port = api.url.rsplit(":", 1)[1]
    url = shape.format(secret=secret, port=port)
    result = importer(workdir, command, "--api-url", url, "--debug", str(SAMPLE))
    assert result.returncode == 2, result.stderr
    assert "api_key_env" in result.stderr.strip().splitlines()[-1]  # after --debug's traceback
    assert secret.encode() not in _written_bytes(workdir, result.stdout, result.stderr)
    assert creditings(api) == []
    assert not (workdir / "reports").exists()


@pytest.mark.parametrize("bad", ["\x01", "\x1b[2J", "\t", "\u00a0", " middle "])
def test_key_with_a_control_character_is_refused_unechoed(workdir: Path, api: Sandbox, bad: str):
    key = f"abc-0451{bad}tail-0451"
    result = importer(workdir, "run", str(SAMPLE), "--debug", api=api, key=key)
    assert result.returncode == 2, result.stderr
    assert "AMILI_API_KEY" in result.stderr
    assert "position 9" in result.stderr
    assert "0451" not in result.stderr + result.stdout
    assert creditings(api) == []


@pytest.mark.slow
@pytest.mark.parametrize("accepted", [True, False])
def test_the_key_is_in_no_byte_written(workdir: Path, api: Sandbox, accepted: bool):
    key = SECRET if accepted else "wrong-key-0451-never-printed"
    args = ("run", str(SAMPLE), "--debug", "-v", "--log-json")
    result = importer_process(workdir, *args, api=api, key=key)
    assert result.returncode == (1 if accepted else 3), result.stderr
    written = _written_bytes(workdir, result.stdout, result.stderr)
    assert key.encode() not in written
    assert key.encode("utf-16-le") not in written
    # and `importer report ID`, `imports` and a rerun add nothing that carries it
    for more in (("imports", "--debug"), ("rerun", _import_id(workdir), "--debug", "-v")):
        again = importer_process(workdir, *more, api=api if more[0] == "rerun" else None, key=key)
        assert key not in again.stdout + again.stderr


def _import_id(workdir: Path) -> str:
    return next(p for p in (workdir / "reports").iterdir() if p.is_dir()).name


@pytest.mark.parametrize("command", ["run", "validate"])
def test_plain_http_to_another_host_is_refused_before_the_key_is_sent(workdir: Path, command: str):
    result = importer(workdir, command, "--api-url", "http://api.example.invalid:8080", str(SAMPLE))
    assert result.returncode == 2, result.stderr
    line = one_line(result.stderr)
    assert "http://api.example.invalid:8080 is plain http" in line
    assert "api.allow_plain_http" in line
    assert not (workdir / "reports").exists()


def test_plain_http_to_another_host_is_sent_when_the_operator_allows_it(workdir: Path):
    config = workdir / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "api:\n  allow_plain_http: true\n  max_attempts: 1\n",
        encoding="utf-8",
    )
    result = importer(workdir, "run", "--api-url", "http://api.example.invalid:8080", str(SAMPLE))
    assert result.returncode == 3, result.stderr  # allowed: the host is tried, and not found
    assert "plain http" not in result.stderr


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://127.8.9.10", "http://[::1]:8080/v1", "http://localhost:80",
     "HTTP://LOCALHOST", "https://api.example.invalid"],
)  # fmt: skip
def test_plain_http_to_the_loopback_and_https_anywhere_are_accepted(url: str) -> None:
    check_plain_http(url, allowed=False)


@pytest.mark.parametrize(
    "cell",
    [SECRET, "x" * 50 + SECRET],  # the second quoted cut short inside the key (60 characters)
    ids=["the key", "cut inside the key"],
)
def test_an_amount_cell_that_is_the_api_key_is_not_printed(
    workdir: Path, api: Sandbox, cell: str
) -> None:
    path = workdir / "credits.csv"
    path.write_text(f"invoice_number,amount\nF-1001,{cell}\nF-1004,10.00\n", "utf-8")
    done = importer_process(workdir, "run", str(path), api=api)
    assert done.returncode == 1, done.stderr
    import_id = report_of(workdir)["file_import_report"]
    shown = importer_process(workdir, "show", import_id)
    assert shown.returncode in (0, 1), shown.stderr
    assert "not a number" in shown.stdout
    printed = done.stdout + done.stderr + shown.stdout + shown.stderr
    assert SECRET[:6] not in printed  # nor the beginning a quote cut short would show
    assert "[API key removed]" in printed
