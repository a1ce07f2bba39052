"""Review R6: the operator's fix-and-rerun loop with corrections saved as a person saves them."""

from __future__ import annotations

from pathlib import Path

from cli_support import creditings, importer, report_of

from importer.sandbox import Sandbox

ORIGINAL = (
    "Fakturanummer;Belopp;Kreditfaktura;Referens\r\n"
    "F-1001;10,00;KF-1;R-1\r\n"
    "F-1002;0;KF-2;R-2\r\n"  # invalid: zero
    "F-1004;12,345;KF-3;R-3\r\n"  # invalid: three decimals
    "F-1006;15,00;KF-4;R-4\r\n"
)


def _first_run(workdir: Path, api: Sandbox) -> str:
    data = workdir / "export.csv"
    data.write_bytes(ORIGINAL.encode("cp1252"))
    assert importer(workdir, "run", str(data), api=api).returncode == 1
    return str(report_of(workdir)["file_import_report"])


def test_a_row_number_that_is_a_digit_but_not_a_number_is_named_not_an_internal_error(
    workdir: Path, api: Sandbox
) -> None:
    """A `row` cell such as "²" (a superscript two: a digit to str.isdigit, not a number to
    int) rejects the correction file as any other non-number does: exit 2 naming the row,
    not an internal error."""
    import_id = _first_run(workdir, api)
    before = creditings(api)
    fix = workdir / "fixed.csv"
    fix.write_text(
        "Fakturanummer;Belopp;Kreditfaktura;Referens;row\nF-1002;20,00;KF-2;R-2;\u00b2\n",
        encoding="utf-8-sig",
    )
    done = importer(workdir, "rerun", import_id, "--fix", str(fix), api=api)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the 'row' column must hold the original row number" in done.stderr
    assert "internal error" not in done.stderr
    assert creditings(api) == before
