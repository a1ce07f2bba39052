"""report.json's JSON Schema: generated from the pydantic models, shipped in the
package, printed by `importer schema`; report.json carries `schema_version` and the import's
`exit_code`. (Every report.json the suite writes is validated against it by conftest.)"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from cli_support import in_process
from test_report import make_report

from importer.report import SCHEMA_VERSION, write_reports
from importer.report.schema import dumps, generate, shipped_text


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert shipped_text() == dumps(generate()), "run: python -m importer.report.schema"


def test_importer_schema_prints_it() -> None:
    done = in_process(["schema"], cwd=Path.cwd(), env=os.environ)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(shipped_text())


def test_a_report_fits_and_a_broken_one_does_not(tmp_path: Path) -> None:
    path = write_reports(make_report(exit_code=1), tmp_path, ["json"])["json"]
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["exit_code"] == 1
    validator = jsonschema.Draft202012Validator(json.loads(shipped_text()))
    validator.validate(document)
    for broken in (
        {**document, "summary": {**document["summary"], "amount_settled": 305.1}},
        {**document, "rows": [{**document["rows"][0], "outcome": "lost"}]},
        {**document, "exit_code": "1"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(broken)
