"""Rewrite the golden corpus's expected.json files from what the importer produces now.

Only run on purpose, after a change whose new output you have read and mean: the corpus
exists to catch the changes nobody meant. Prints which cases changed.

Run:  python tests/data/golden/regenerate.py [CASE ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from golden_support import cases, golden_report


def main(names: list[str]) -> None:
    for case in cases():
        if names and case.name not in names:
            continue
        expected = case / "expected.json"
        text = json.dumps(golden_report(case), ensure_ascii=False, indent=1) + "\n"
        before = expected.read_text(encoding="utf-8") if expected.exists() else None
        if text != before:
            expected.write_text(text, encoding="utf-8")
            print(f"{case.name}: {'written' if before is None else 'CHANGED'}")


if __name__ == "__main__":
    main(sys.argv[1:])
