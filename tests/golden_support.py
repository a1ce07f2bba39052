"""The golden corpus (tests/data/golden/<case>/): real export files beside the report rows
they must produce. `golden_report` validates one case's input the way `importer validate`
does and reduces its report.json to what the corpus pins; `tests/test_golden.py` compares,
and `tests/data/golden/regenerate.py` rewrites `expected.json` — only when run on purpose."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from importer.api.target import Target
from importer.config_load import load_config, with_settings
from importer.journal import Journal
from importer.pipeline.reference import is_generated
from importer.pipeline.results import RunOptions
from importer.pipeline.run import Importer

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
CONFIG = GOLDEN / "config.yaml"


def cases() -> list[Path]:
    """Every case folder: one input file (`input.*`) and its `expected.json`."""
    return sorted(path for path in GOLDEN.iterdir() if path.is_dir())


def input_of(case: Path) -> Path:
    (found,) = case.glob("input.*")
    return found


def golden_report(case: Path) -> dict[str, Any]:
    """What the corpus pins of the case's report: file errors, warnings, the summary (its
    counts and control totals) and,
    per row, outcome, errors, request and source (generated references without the import
    id, which changes every run)."""
    with tempfile.TemporaryDirectory() as folder:
        config = with_settings(
            load_config(CONFIG),
            {
                "report.dir": Path(folder) / "reports",
                "report.formats": ["json"],
                "journal.path": Path(folder) / "journal.sqlite",
            },
        )
        target = Target("sandbox", None, None, True)
        with Journal(config.journal.path) as journal:
            result = Importer(config, journal, target).run_file(
                input_of(case), RunOptions(dry_run=True)
            )
        report = json.loads(result.report_paths["json"].read_text(encoding="utf-8"))
    rows = []
    for row in report["rows"]:
        request = row["request"]
        if request is not None and is_generated(request.get("creditor_reference")):
            request["creditor_reference"] = "<generated>"
        rows.append(
            {
                "row": row["row"],
                "outcome": row["outcome"],
                "errors": row["errors"],
                "request": request,
                "source": row["source"],
            }
        )
    summary = report["summary"]
    return {
        "exit_code": int(result.exit_code),
        "file_errors": report["file_errors"],
        "warnings": report["warnings"],
        "creditor": report["creditor"],
        "summary": {
            "rows": summary["rows"],
            "outcomes": {k: v for k, v in summary["outcomes"].items() if v},
            "amount_requested": summary["amount_requested"],
            # The control totals: what reconciles the report with the file's own total.
            "amount_read": summary["amount_read"],
            "amounts": {k: v for k, v in summary["amounts"].items() if v != "0.00"},
            "rows_without_amount": summary["rows_without_amount"],
            "left_out": {k: v for k, v in summary["left_out"].items() if v["rows"]},
        },
        "rows": rows,
    }
