"""Problems that are the import's, not its rows', are told once with their fix: a key the API
refuses (401) says the key was refused and which variable holds it — in the CLI's line, the
next step, `importer show` and the drop summary — never "after the outage"; rows all refused
because the API does not know the creditor are one problem of the file, with where the
creditor came from, not twelve rows to fix in report.csv (the rows stay `rejected`). Through
the real command line against the sandbox over a real socket."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cli_support import SAMPLE, importer, one_line, report_of
from pipeline.hostile_api import HostileApi, Lie, hostile_api

from importer.sandbox import Sandbox

UNKNOWN = "65a1b2c3d4e5f60718293a4b"
"""A well-formed creditor id the sandbox has no case of."""


def test_a_refused_key_says_so_and_which_variable_to_set(workdir: Path, api: Sandbox) -> None:
    done = importer(workdir, "run", str(SAMPLE), api=api, key="wrong-key")
    assert done.returncode == 3
    report = report_of(workdir)
    import_id, url = report["file_import_report"], report["api"]["base_url"]
    step = (
        "The API refused the API key: put the right key in the environment variable "
        f"AMILI_API_KEY (api.api_key_env), then run: importer rerun {import_id}"
    )
    assert f"  next: {step}" in done.stdout.splitlines()
    assert one_line(done.stderr) == (
        f"importer: the API at {url} refused the API key; put the right key in the environment "
        f"variable AMILI_API_KEY (api.api_key_env), then run: importer rerun {import_id}"
    )
    assert "outage" not in done.stdout + done.stderr
    assert done.stdout.count("refused the API key") == 1  # said once on stdout, once on stderr
    assert [w["code"] for w in report["warnings"]] == ["api_key_refused"]
    shown = importer(workdir, "show", import_id)
    assert f"  next: {step}" in shown.stdout.splitlines()
    assert "outage" not in shown.stdout
    html = (workdir / "reports" / import_id / "report.html").read_text(encoding="utf-8")
    assert "environment variable AMILI_API_KEY" in html

    fixed = importer(workdir, "rerun", import_id, api=api)  # the right key: it goes through
    assert fixed.returncode == 1, fixed.stderr  # the sample's invalid row
    assert "API key" not in fixed.stdout + importer(workdir, "show", import_id).stdout
    assert report_of(workdir)["warnings"] == []


def test_a_dry_run_whose_key_is_refused_names_the_variable_to_set(
    workdir: Path, api: Sandbox
) -> None:
    """`validate` asks the API what it already holds when a key is set: a key it refuses is
    said as `run` says it, naming the variable that holds the key, not "the environment
    variable named by api.api_key_env" (a setting a finance person cannot look up)."""
    done = importer(workdir, "validate", str(SAMPLE), api=api, key="wrong-key")
    assert done.returncode == 3
    line = one_line(done.stderr)
    assert "refused the API key" in line, line
    assert "environment variable AMILI_API_KEY (api.api_key_env)" in line, line
    assert "outage" not in done.stdout + done.stderr


def test_a_drop_with_a_refused_key_says_so_in_its_summary(workdir: Path, api: Sandbox) -> None:
    inbox = workdir / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLE, inbox / "credits.csv")
    (inbox / "credits.csv.done").touch()
    done = importer(workdir, "drop", str(inbox), api=api, key="wrong-key")
    assert done.returncode == 3
    url = report_of(workdir)["api"]["base_url"]
    assert (
        f"  the API at {url} refused the API key: put the right key in the environment "
        "variable AMILI_API_KEY (api.api_key_env); the file stays in processing/ and the next "
        "pass resumes it"
    ) in done.stdout.splitlines()
    assert "outage" not in done.stdout


def test_rows_all_refused_for_an_unknown_creditor_are_one_problem_of_the_file(
    workdir: Path, api: Sandbox
) -> None:
    done = importer(workdir, "run", "--creditor", UNKNOWN, str(SAMPLE), api=api)
    assert done.returncode == 1
    report = report_of(workdir)
    import_id = report["file_import_report"]
    rejected = [row["row"] for row in report["rows"] if row["outcome"] == "rejected"]
    assert len(rejected) >= 2  # the contract stands: every refused row stays rejected
    assert all(
        "must exist in resource 'creditors'" in row["errors"][0]["message"]
        for row in report["rows"]
        if row["outcome"] == "rejected"
    )
    [warning] = [w for w in report["warnings"] if w["code"] == "creditor_unknown"]
    assert warning["rows"] == rejected
    step = (
        f"The API does not know creditor {UNKNOWN}: check --creditor, defaults.creditor in "
        "config.yaml or the file's creditor column, then import the file again: "
        f"importer run {SAMPLE.name} --force"
    )
    lines = done.stdout.splitlines()
    assert f"  next: {step}" in lines
    # the sample's one invalid row is still a row to fix; the refused rows are not
    fix_steps = [line for line in lines if line.startswith("  next: fix the rows")]
    assert len(fix_steps) == 1

    shown = importer(workdir, "show", import_id).stdout.splitlines()
    assert f"  next: {step}" in shown
    together = ", ".join(map(str, rejected))
    assert f"  {len(rejected)} rows, all for the file's problem above: rows {together}" in shown
    assert not any(line.startswith("  row ") and "rejected" in line for line in shown)
    html = (workdir / "reports" / import_id / "report.html").read_text(encoding="utf-8")
    assert html.count("Refused for the import&#x27;s own problem, not this row&#x27;s") == len(
        rejected
    )
    assert "Check the case or amount named in the reason" not in html


def test_the_embedded_sandbox_points_at_its_cases(workdir: Path) -> None:
    done = importer(workdir, "run", "--api-url", "sandbox", "--creditor", UNKNOWN, str(SAMPLE))
    assert done.returncode == 1
    assert (
        f"  next: The sandbox does not know creditor {UNKNOWN}: check --creditor, "
        "defaults.creditor in config.yaml or the file's creditor column, or give the sandbox "
        "cases of that creditor (sandbox.cases in config.yaml), then import the file again: "
        f"importer run {SAMPLE.name} --force"
    ) in done.stdout.splitlines()


def test_a_drop_tells_the_unknown_creditor_once(workdir: Path, api: Sandbox) -> None:
    inbox = workdir / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLE, inbox / "credits.csv")
    (inbox / "credits.csv.done").touch()
    done = importer(workdir, "drop", str(inbox), "--creditor", UNKNOWN, api=api)
    assert done.returncode == 1
    report = report_of(workdir)
    rejected = [row["row"] for row in report["rows"] if row["outcome"] == "rejected"]
    assert done.stdout.count(f"The API does not know creditor {UNKNOWN}") == 1
    together = ", ".join(map(str, rejected))
    assert (
        f"    {len(rejected)} rows, all for the file's problem above: rows {together}"
        in done.stdout.splitlines()
    )
    assert "must exist in resource" not in done.stdout
    summary = json.loads(next((workdir / "reports" / "drops").glob("*/summary.json")).read_text())
    assert summary["files"][0]["problem"].startswith(f"The API does not know creditor {UNKNOWN}")


def test_rows_all_refused_for_one_reason_are_one_problem_of_the_file(
    workdir: Path, api: Sandbox
) -> None:
    refusal = json.dumps(
        {
            "_status": "ERR",
            "_issues": {"account": "unknown field"},
            "_error": {
                "code": 422,
                "message": "Insertion failure: 1 document(s) contain(s) error(s)",
            },
        }
    ).encode()
    proxy = HostileApi(api.url, on_post=lambda n, body: Lie(422, refusal, store=False))
    with hostile_api(proxy):
        done = importer(workdir, "run", "--api-url", proxy.url, str(SAMPLE))
    assert done.returncode == 1, done.stderr
    report = report_of(workdir)
    import_id = report["file_import_report"]
    rejected = [row["row"] for row in report["rows"] if row["outcome"] == "rejected"]
    assert len(rejected) >= 2
    [warning] = [w for w in report["warnings"] if w["code"] == "same_reason_every_row"]
    assert warning["rows"] == rejected
    assert (
        "  next: Every row sent was refused for the same reason (see the rows' message): fix "
        f"its cause in the settings or the file, then run: importer rerun {import_id}"
    ) in done.stdout.splitlines()


def test_rows_refused_for_different_reasons_stay_row_problems(workdir: Path, api: Sandbox) -> None:
    done = importer(workdir, "run", str(SAMPLE), api=api)  # one row's invoice is unknown
    assert done.returncode == 1
    report = report_of(workdir)
    assert report["summary"]["outcomes"]["credited"] > 0
    assert report["warnings"] == []
    assert (
        "the file's problem" not in importer(workdir, "show", report["file_import_report"]).stdout
    )
