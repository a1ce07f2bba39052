"""What a run, a validation or a rerun is asked (`RunOptions`) and what it answers for one file
(`ImportResult`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from importer.errors import ConfigError, FileRejected
from importer.exit_codes import ExitCode
from importer.pipeline.control_total import ControlTotal
from importer.pipeline.lanes import LaneRun
from importer.report import Report

Progress = Callable[[int, int, Callable[[], int]], None]
"""Called with (rows done, rows to do, a function giving the number of rows needing attention
so far) as rows are posted. The last is a journal query: call it when drawing, not per row."""


RERUN_ONLY = ("fix", "by")
"""Options of a rerun only: they correct and sign an import's rows."""
IMPORT_ONLY = ("all_or_nothing", "force", "control")
"""Options of importing a file only (`run`, `validate`)."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What `run`, `validate` and `rerun` are asked: one type for the three, as the CLI's
    flags are one set. An option that belongs to the other kind of command (`RERUN_ONLY`,
    `IMPORT_ONLY`) is refused (`refuse`), so a caller never believes it took
    effect."""

    dry_run: bool = False
    """Validate (`run`), or say what would be sent (`rerun`); nothing is sent."""
    all_or_nothing: bool = False
    force: bool = False
    """Import a file again even though the same bytes were fully imported before."""
    creditor: str | None = None
    """`--creditor` (checked: `validation.creditor_option`): the creditor of every row; a
    row naming another is invalid, and a file without a creditor column needs no default.
    For a rerun, an import of another creditor is refused."""
    control: ControlTotal | None = None
    """What the sender says the file holds (a drop marker's control total): a file that does
    not match is rejected as a whole before anything is journaled or sent."""
    fix: Path | None = None
    """`rerun --fix`: the corrected rows, matched by key (`pipeline.corrections`)."""
    by: str | None = None
    """`rerun --by`: a name recorded beside the OS user with the corrections."""

    def refuse(self, names: tuple[str, ...], command: str) -> None:
        """ConfigError naming those of `names` set here (options `command` does not take)."""
        given = [name for name in names if getattr(self, name) not in (None, False)]
        if given:
            raise ConfigError(f"{command} does not take {', '.join(given)}")


@dataclass(slots=True)
class ImportResult:
    """What the CLI prints for one file.

    `report` is the report's head: `report.summary` counts every row, `report.rows` is
    empty and the rows are in the files at `report_paths`. Reports are streamed block by
    block (from the journal, or for a dry run straight from validation) so a 200,000-row
    file never needs its rows as models in memory; `importer.report.render.build_report` gives
    an import's rows as models to a caller who wants them."""

    file: str
    exit_code: ExitCode
    import_id: str | None = None
    report: Report | None = None
    report_paths: dict[str, Path] = field(default_factory=dict)
    message: str | None = None
    posting: LaneRun | None = None
    """Lanes used, rows posted and how long it took, when this run posted anything."""
    already_imported: bool = False
    """The same bytes were fully imported before (as `import_id`); nothing was sent."""
    rejected: FileRejected | None = None
    """Why the file was refused as a whole, when it was: `message` is its English; whoever
    tells a person words it in their language (`FileRejected.said_in`)."""
