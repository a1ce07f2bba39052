"""`<report dir>/index.html`: every import newest first with its file, creditor, counts,
amounts and open items, linking each report.html and each drop night's summary (every link
resolves to a file on this host), paged, no script and nothing external, every cell
escaped; rewritten after every import and drop pass. Real imports and a real drop against
the sandbox; the page rendered in headless Chromium where it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from cli_support import SAMPLE, importer

from importer.journal import Journal
from importer.pipeline.overview import overview_pages, write_overview
from importer.sandbox import Sandbox

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ODD = "a<b>&'x\".csv"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.rows: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += attrs
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag == "tr" and values.get("id"):
            self.rows.append(str(values["id"]))


def _parsed(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _resolves(href: str, folder: Path) -> bool:
    parsed = urlparse(href)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path)).is_file()
    if parsed.scheme:
        return False  # nothing external
    return (folder / unquote(parsed.path)).is_file()


def _two_imports(workdir: Path, api: Sandbox) -> list[str]:
    odd = workdir / ODD
    odd.write_text("invoice_number;amount\nF-1001;10,00\n", encoding="utf-8")
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    assert importer(workdir, "run", str(odd), api=api).returncode == 0
    with Journal(workdir / "j.sqlite") as journal:
        return [record.id for record in journal.imports.all()]


def test_the_overview_lists_every_import_newest_first_escaped_with_links_that_resolve(
    workdir: Path, api: Sandbox
) -> None:
    first, second = _two_imports(workdir, api)
    index = workdir / "reports" / "index.html"
    text = index.read_text(encoding="utf-8")
    page = _parsed(index)
    assert page.rows == [second, first]  # newest first
    assert "a&lt;b&gt;&amp;&#x27;x&quot;.csv" in text
    assert ODD not in text
    assert "script" not in page.tags
    assert not any(name in ("src", "srcset") for name, _ in page.attributes)
    assert "open 4: invalid 1, rejected 1, warning 1, error 1" in text
    assert "4 389.50" in text
    assert page.links
    assert all(_resolves(href, index.parent) for href in page.links), page.links


def test_a_drop_night_is_linked_and_the_page_is_rewritten_after_it(
    workdir: Path, api: Sandbox
) -> None:
    config = workdir / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "drop:\n  settle_seconds: 0\n")
    inbox = workdir / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLE, inbox / SAMPLE.name)
    done = importer(workdir, "drop", str(inbox), api=api)
    assert done.returncode == 1, done.stdout + done.stderr
    index = workdir / "reports" / "index.html"
    page = _parsed(index)
    summaries = [href for href in page.links if href.startswith("drops/")]
    assert summaries
    assert all(_resolves(href, index.parent) for href in page.links), page.links


def test_past_a_page_of_imports_the_overview_is_paged(workdir: Path, api: Sandbox) -> None:
    first, second = _two_imports(workdir, api)
    reports = workdir / "reports"
    with Journal(workdir / "j.sqlite") as journal:
        pages = dict(overview_pages(journal, reports, page_rows=1))
    assert list(pages) == ["index.html", "index-2.html"]
    assert f'id="{second}"' in pages["index.html"]
    assert f'id="{first}"' in pages["index-2.html"]
    assert '<a href="index-2.html">' in pages["index.html"]
    assert "page 1 of 2" in pages["index.html"]


@pytest.mark.skipif(
    not Path(CHROMIUM).is_file(),
    reason="headless Chromium is not installed (apt-get install chromium)",
)
def test_the_overview_renders_in_chromium_within_1280_pixels(
    workdir: Path, api: Sandbox, tmp_path: Path
) -> None:
    _two_imports(workdir, api)
    index = workdir / "reports" / "index.html"
    # A copy with a measuring script (the page itself has none), beside it so links hold.
    probe = index.with_name("probe.html")
    probe.write_text(
        index.read_text(encoding="utf-8").replace(
            "</body>",
            "<script>document.title = document.documentElement.scrollWidth + 'x' + "
            "document.querySelectorAll('tr').length</script></body>",
        ),
        encoding="utf-8",
    )
    shown = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--window-size=1280,900",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    found = re.search(r"<title>(\d+)x(\d+)</title>", shown.stdout)
    assert found, shown.stdout[:500] + shown.stderr[-500:]
    width, rows = int(found.group(1)), int(found.group(2))
    assert rows == 3  # the header and two imports rendered
    assert width <= 1280


def test_under_swedish_settings_the_overview_is_swedish_and_in_the_report_time_zone(
    workdir: Path, api: Sandbox
) -> None:
    """The overview is read by the same people as report.html: `report.language` and
    `report.timezone` hold for it too (local time with its offset, Swedish words and
    numbers), not English and UTC beside a Swedish report."""
    (workdir / "config.yaml").write_text(
        "defaults:\n  creditor: 5f1a2b3c4d5e6f7a8b9c0d1e\nreport:\n  dir: reports\n"
        "  language: sv\n  timezone: Asia/Kolkata\njournal:\n  path: j.sqlite\n",
        encoding="utf-8",
    )
    assert importer(workdir, "run", str(SAMPLE), api=api).returncode == 1
    text = (workdir / "reports" / "index.html").read_text(encoding="utf-8")
    assert "UTC" not in text
    assert "+05:30" in text
    assert '<html lang="sv">' in text
    assert "4 389,50" in text
    for english in ("Started", "File", "Credited", "open 4:", "invalid 1", "newest first"):
        assert english not in text, english


def test_a_killed_writers_temp_file_of_the_overview_is_cleaned_up(workdir: Path) -> None:
    # index.html is rewritten after every command; one killed mid-write left
    # `.index.html.PID.hex.tmp` in the report folder, never removed.
    reports = workdir / "reports"
    reports.mkdir(exist_ok=True)
    dead = reports / ".index.html.99999999.0badc0de.tmp"  # beyond any pid_max
    dead.write_text("<html>half a page")
    with Journal(workdir / "j.sqlite") as journal:
        write_overview(journal, reports)
    assert not dead.exists()
    assert (reports / "index.html").exists()
