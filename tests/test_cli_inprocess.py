"""The command line driven in-process (`cli.main(argv)`), so coverage sees it: every
subcommand against real files, the journal on disk and the sandbox over a real socket, and
every error path that maps to an exit code prints one line, never a traceback, never the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import SAMPLE, Main, closed_port, creditings, one_line, report_of

from importer.pipeline import facade
from importer.sandbox import Sandbox


def test_run_prints_the_summary_and_exits_1_for_rows_needing_attention(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    code, out, _ = main("run", "--api-url", api.url, str(SAMPLE))
    assert code == 1
    assert "credited" in out
    assert "amount settled" in out
    assert "SANDBOX" not in out  # an explicit URL is not the embedded sandbox
    assert len(creditings(api)) == 5
    assert report_of(workdir)["summary"]["rows"] == 8


def test_validate_and_dry_run_send_nothing(main: Main, api: Sandbox) -> None:
    assert main("validate", "--api-url", api.url, str(SAMPLE))[0] == 1
    code, out, _ = main("run", "--dry-run", "--api-url", api.url, str(SAMPLE))
    assert code == 1
    assert "dry run, nothing sent" in out
    assert "valid: would be sent" in out
    assert creditings(api) == []


def test_embedded_sandbox_logging_and_all_or_nothing(main: Main, workdir: Path) -> None:
    code, out, err = main("run", "--verbose", "--all-or-nothing", str(SAMPLE))
    assert code == 1
    assert "SANDBOX: no real credits were issued." in out
    assert "warning:" in out
    assert err  # --verbose logs progress to stderr
    code, _, err = main("run", "--log-json", "--force", "--api-url", "sandbox", str(SAMPLE))
    assert code == 1
    assert any(line.startswith("{") for line in err.splitlines())


def test_the_same_file_twice_is_not_imported_again(main: Main, api: Sandbox) -> None:
    assert main("run", "--api-url", api.url, str(SAMPLE))[0] == 1
    code, out, _ = main("run", "--api-url", api.url, str(SAMPLE))
    assert code == 0
    assert "already imported" in out
    assert len(creditings(api)) == 5


def test_imports_lists_what_ran(main: Main, api: Sandbox) -> None:
    assert main("imports") == (0, "no imports yet\n", "")
    main("validate", str(SAMPLE))
    main("run", "--api-url", api.url, str(SAMPLE))
    code, out, _ = main("imports")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("import")
    assert len(lines) == 3
    assert any("(dry run)" in line for line in lines)
    assert any("credited 5" in line for line in lines)


def test_report_renders_again_by_id_and_by_report_json(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    main("run", "--api-url", api.url, str(SAMPLE))
    import_id = report_of(workdir)["file_import_report"]
    code, out, _ = main("report", import_id)
    assert code == 0
    assert out.startswith(f"report {import_id}: ")
    path = next((workdir / "reports").glob("*/report.json"))
    assert main("report", str(path))[0] == 0


def test_rerun_posts_again_what_did_not_go_through(main: Main, api: Sandbox, workdir: Path) -> None:
    code, _, err = main("run", "--api-url", api.url, "--config", "config.yaml", str(SAMPLE))
    assert code == 1, err
    import_id = report_of(workdir)["file_import_report"]
    code, out, _ = main("rerun", "--api-url", api.url, import_id)
    assert code == 1  # the invalid and rejected rows are still what they were
    assert f"import {import_id}" in out
    assert len(creditings(api)) == 5  # nothing credited twice


def test_rerun_with_a_fix_file(main: Main, api: Sandbox, workdir: Path) -> None:
    main("run", "--api-url", api.url, str(SAMPLE))
    report = next((workdir / "reports").glob("*/report.json"))
    fixed = report.with_name("report.csv")
    code, _, err = main("rerun", "--api-url", api.url, str(report), "--fix", str(fixed))
    assert code in (0, 1), err
    assert len(creditings(api)) >= 5


# ------------------------------------------------------------------ error paths -> exit codes


def test_a_missing_file_is_exit_2(main: Main) -> None:
    code, _, err = main("validate", "nope.csv")
    assert code == 2
    assert "nope.csv" in one_line(err)


def test_a_rejected_file_is_exit_2_and_one_line(main: Main, workdir: Path) -> None:
    bad = workdir / "bad.csv"
    bad.write_text("Fakturanummer;Valuta\nF-1;SEK\n", encoding="utf-8")
    code, out, err = main("validate", str(bad))
    assert code == 2
    assert "required column missing: amount" in one_line(err)
    assert "file rejected" in out


def test_a_refused_key_is_exit_3(main: Main, api: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMILI_API_KEY", "wrong")
    code, _, err = main("run", "--api-url", api.url, str(SAMPLE))
    assert code == 3
    assert "refused the API key" in one_line(err)


def test_an_unreachable_api_is_exit_3(main: Main, workdir: Path) -> None:
    (workdir / "config.yaml").write_text(
        "defaults:\n  creditor: 5f1a2b3c4d5e6f7a8b9c0d1e\njournal:\n  path: j.sqlite\n"
        "api:\n  max_attempts: 2\n  backoff_base: 0\n",
        encoding="utf-8",
    )
    code, _, err = main("run", "--api-url", f"http://127.0.0.1:{closed_port()}", str(SAMPLE))
    assert code == 3
    assert "127.0.0.1" in one_line(err)


def test_an_unknown_import_is_exit_2(main: Main) -> None:
    for command in ("rerun", "report"):
        code, _, err = main(command, "20990101-000000-deadbeef")
        assert code == 2
        assert "20990101-000000-deadbeef" in one_line(err)


def test_a_dry_run_cannot_be_rerun(main: Main, workdir: Path) -> None:
    main("validate", str(SAMPLE))
    import_id = report_of(workdir)["file_import_report"]
    code, _, err = main("rerun", import_id)
    assert code == 2
    one_line(err)


def test_a_report_json_that_is_not_a_report_is_exit_2(main: Main, workdir: Path) -> None:
    (workdir / "other.json").write_text(json.dumps({"hello": 1}), encoding="utf-8")
    code, _, err = main("rerun", "other.json")
    assert code == 2
    assert "not an import report" in one_line(err)


def test_a_broken_configuration_is_exit_2(main: Main, workdir: Path) -> None:
    (workdir / "config.yaml").write_text("api:\n  max_attempts: zero\n", encoding="utf-8")
    code, _, err = main("imports")
    assert code == 2
    assert "max_attempts" in one_line(err)


def test_the_sandbox_subcommand_refuses_a_missing_cases_file(main: Main) -> None:
    code, _, err = main("sandbox", "--port", "0", "--cases", "absent.json")
    assert code == 2
    assert "absent.json" in err
    assert "Traceback" not in err


def test_a_bug_is_one_internal_error_line_exit_3_and_debug_shows_the_cause(
    main: Main, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug cannot be provoked through real inputs (that would be a bug to fix): this one
    # place stands a failing library call in for it.
    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("lost")

    monkeypatch.setattr(facade, "imports", broken)
    code, _, err = main("imports")
    assert code == 3
    assert "internal error (KeyError)" in one_line(err)
    code, _, err = main("imports", "--debug")
    assert code == 3
    assert "KeyError: 'lost'" in err  # --debug: the cause, chained below the one line


def test_ctrl_c_outside_a_run_is_exit_3(main: Main, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(facade, "imports", interrupted)
    code, _, err = main("imports")
    assert code == 3
    assert one_line(err) == "importer: interrupted"


def test_debug_shows_the_traceback_of_a_usage_error(main: Main) -> None:
    code, _, err = main("rerun", "--debug", "20990101-000000-deadbeef")
    assert code == 2
    assert "Traceback" in err


def test_show_names_the_rows_needing_attention_and_their_next_step(
    main: Main, api: Sandbox, workdir: Path
) -> None:
    main("run", "--api-url", api.url, str(SAMPLE))
    import_id = report_of(workdir)["file_import_report"]
    code, out, _ = main("show", import_id)
    assert code == 0
    assert out.startswith(f"import {import_id}: credits.csv")
    assert "need attention:" in out
    assert "row 6" in out
    assert "next: " in out
    code, _, err = main("show", "20990101-000000-deadbeef")
    assert code == 2
    one_line(err)


def test_imports_as_json(main: Main) -> None:
    main("validate", str(SAMPLE))
    code, out, _ = main("imports", "--json")
    assert code == 0
    listed = json.loads(out)
    assert listed


def test_config_says_where_each_setting_comes_from_and_never_the_key(main: Main) -> None:
    code, out, _ = main("config", "--report-dir", "elsewhere")
    assert code == 0
    assert out.startswith("configuration: ")
    assert "elsewhere" in out
    assert "--report-dir" in out or "command line" in out


def test_schema_prints_the_report_json_schema(main: Main) -> None:
    code, out, _ = main("schema")
    assert code == 0
    assert json.loads(out)["type"] == "object"
