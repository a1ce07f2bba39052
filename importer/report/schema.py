"""The JSON Schema of report.json: generated from the pydantic models that write it (so the
two cannot disagree), and shipped in the package as `data/report.schema.json` so that
`importer schema` and a consumer without this code get the same document. A test holds the
shipped file equal to the generated one: `python -m importer.report.schema` rewrites it."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from importer.report.model import SCHEMA_VERSION, Report

SHIPPED = "report.schema.json"


def generate() -> dict[str, Any]:
    """The schema of report.json as written (serialization mode, by alias)."""
    schema = Report.model_json_schema(by_alias=True, mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:importer:report:{SCHEMA_VERSION}"
    schema["title"] = "importer report.json"
    return schema


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def shipped_text() -> str:
    """The schema as shipped in the package."""
    return resources.files("importer").joinpath("data", SHIPPED).read_text(encoding="utf-8")


def main() -> None:  # pragma: no cover - a maintainer's command
    target = Path(__file__).parents[1] / "data" / SHIPPED
    target.write_text(dumps(generate()), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":  # pragma: no cover
    main()
