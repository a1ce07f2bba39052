"""The words of the commands that list and keep the record — `imports`, `resolve`, `backup`,
`journal copy`, `prune` (the `record.` keys of `importer.words`, merged into its one
catalogue). Same rule as every section: each key holds its English and Swedish text, with the
same placeholders."""

from __future__ import annotations

RECORD: dict[str, tuple[str, str]] = {
    "record.column.import": ("import", "import"),
    "record.column.started": ("started", "start"),
    "record.column.state": ("state", "läge"),
    "record.column.rows": ("rows", "rader"),
    "record.column.outcomes": ("outcomes", "utfall"),
    "record.column.file": ("file", "fil"),
    "record.state.open": ("open", "öppen"),
    "record.state.finished": ("finished", "klar"),
    "record.state.rejected": ("rejected", "avvisad"),
    "record.no_imports_yet": ("no imports yet", "inga importer ännu"),
    "record.no_imports_match": ("no imports match", "inga importer matchar"),
    "record.dry_run": ("(dry run)", "(provkörning)"),
    "record.creditor": ("creditor {creditors}", "borgenär {creditors}"),
    "record.resolved": (
        "import {id}: row(s) {rows} resolved by {who}: {note}",
        "import {id}: rad(er) {rows} markerade som åtgärdade av {who}: {note}",
    ),
    "record.reopened": (
        "import {id}: row(s) {rows} reopened by {who}: {note}",
        "import {id}: rad(er) {rows} öppnade igen av {who}: {note}",
    ),
    "record.now": ("  now {open}; nothing was sent", "  nu {open}; inget skickades"),
    "record.report": ("  report     {folder}/ ({files})", "  rapport    {folder}/ ({files})"),
    "record.backed_up": (
        "journal {journal} backed up to {path}: {imports} imports, {rows} rows, {bytes} bytes",
        "journalen {journal} säkerhetskopierad till {path}: {imports} importer, {rows} rader, "
        "{bytes} byte",
    ),
    "record.copied": (
        "journal {journal} copied to {url} as it stood at {when} (a snapshot): {imports} "
        "imports, {rows} rows",
        "journalen {journal} kopierad till {url} som den var {when} (en ögonblicksbild): "
        "{imports} importer, {rows} rader",
    ),
    "record.copied_counts": (
        "  counts checked table by table, the same in both: {counts}",
        "  antalen kontrollerade tabell för tabell, lika i båda: {counts}",
    ),
    "record.not_finished": ("import {id}: not finished", "import {id}: inte slutförd"),
    "record.open_items": ("import {id}: {open}", "import {id}: {open}"),
    "record.removed": ("removed {path}", "tog bort {path}"),
    "record.would_remove": ("would remove {path}", "skulle ta bort {path}"),
    "record.kept": ("kept {path} ({why})", "behöll {path} ({why})"),
    "record.unreadable": (
        "it cannot be read, so whether its import still has open rows is unknown",
        "den går inte att läsa, så det är okänt om dess import har öppna rader",
    ),
    "record.removed_total": (
        "removed {count} item(s), {megabytes} MB; kept {kept}",
        "tog bort {count} objekt, {megabytes} MB; behöll {kept}",
    ),
    "record.would_remove_total": (
        "would remove {count} item(s), {megabytes} MB; kept {kept}",
        "skulle ta bort {count} objekt, {megabytes} MB; behöll {kept}",
    ),
}
