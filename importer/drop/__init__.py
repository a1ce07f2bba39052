"""Nightly drops (docs/drops.md): `importer drop INBOX` as a library.

`Drop` (in `run`) is the facade a caller uses: one pass over an inbox, or passes until asked to
stop. Its parts, in the order a dropped file meets them: `readiness` (is the file finished?),
`inbox` (claim into processing/, archive to done/ or failed/, the one-drop-per-inbox lock),
`file_import` (import it exactly as `importer run` does and decide where it goes) and
`summary` (the night's summary.json and summary.txt). It sits on top of the pipeline and never
the other way round.
"""

from importer.drop.run import Drop, DropOptions, DropStop

__all__ = ["Drop", "DropOptions", "DropStop"]
