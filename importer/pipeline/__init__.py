"""The import pipeline (docs/pipeline.md): read → map → validate → journal → post → report.

`facade` holds the functions a caller (and the CLI) uses: `run`, `rerun`, `render`,
`imports`. `Importer` (in `run`) is the object behind them: `run_file`, `continue_import`,
`rerun` and `render` against one target and one journal. The stages, in the order a row
meets them: `intake` (read, map, validate, journal), `dedupe` (credit notes already
credited), `posting` (intent → post → record), `reconcile` (rows whose answer never came;
statuses read back) and `corrections` (`rerun --fix`).
"""

from importer.pipeline.results import ImportResult, Progress, RunOptions
from importer.pipeline.run import Importer

__all__ = ["ImportResult", "Importer", "Progress", "RunOptions"]
