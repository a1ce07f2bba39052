"""The words of an import's record as people read it after the run (the `fix.`, `audit.`,
`overview.` and `figures.` keys of `importer.words`, merged into its one catalogue): the rows
of a fix file a rerun leaves as they were, the audit trail of changes by hand (`show`,
report.html, report.xlsx), the overview page (index.html) and an import's figures as
`importer imports`, `show` and the overview give them. Same rule as every section: each key
holds its English and Swedish text, with the same placeholders."""

from __future__ import annotations

HISTORY: dict[str, tuple[str, str]] = {
    # ---- rows of a fix file that a rerun leaves as they were
    "fix.left_alone": (
        "{count} {kind} row(s) of {file} left as they were (rows {rows})",
        "{count} rad(er) i {file} lämnades som de var ({kind}; rader {rows})",
    ),
    "fix.kind.credited": ("credited", "krediterade"),
    "fix.kind.duplicate": ("duplicate", "dubbletter"),
    "fix.kind.unknown": ("unknown", "okända"),
    "fix.kind.resolved": ("resolved", "åtgärdade"),
    # ---- what `rerun --dry-run` would send
    "plan.head": (
        "rerun of import {id} ({file}): dry run, nothing was changed",
        "omkörning av import {id} ({file}): provkörning, inget ändrades",
    ),
    "plan.row": ("row", "rad"),
    "plan.looked_up": (
        "(looked up first: sent only if no crediting is found)",
        "(söks först: skickas bara om ingen kreditering hittas)",
    ),
    "plan.corrected": ("(corrected; was: {was})", "(rättad; var: {was})"),
    "plan.same_cells": ("the same cells", "samma celler"),
    "plan.more": ("… and {count} more", "… och {count} till"),
    "plan.would_send": (
        "would send {count} row(s), {amount} SEK in all",
        "skulle skicka {count} rad(er), {amount} SEK totalt",
    ),
    "plan.still_invalid": (
        "still invalid, not sent: {rows}",
        "fortfarande ogiltiga, skickas inte: {rows}",
    ),
    "plan.kept": (
        "corrections of credited, duplicate or unknown rows would be left as they were: "
        "rows {rows}",
        "rättelser av krediterade, dubbletter eller okända rader skulle lämnas som de var: "
        "rader {rows}",
    ),
    # ---- the audit trail as people read it (show, report.html, report.xlsx)
    "audit.head": (
        "{when} {action} row(s) {rows} by {who}",
        "{when} {action} rad(er) {rows} av {who}",
    ),
    "audit.head_no_row": (
        "{when} {action}: no row changed, by {who}",
        "{when} {action}: ingen rad ändrades, av {who}",
    ),
    "audit.action.correct": ("correct", "rättade"),
    "audit.action.resolve": ("resolve", "åtgärdade"),
    "audit.action.reopen": ("reopen", "öppnade igen"),
    "audit.from": ("from {file} (SHA-256 {sha256})", "från {file} (SHA-256 {sha256})"),
    "audit.change": ("row {row} {column}: {old} -> {new}", "rad {row} {column}: {old} -> {new}"),
    # ---- the overview page (index.html)
    "overview.title": ("Imports", "Importer"),
    "overview.count": (
        "{count} import(s), newest first; page {page} of {pages}.",
        "{count} import(er), nyaste först; sida {page} av {pages}.",
    ),
    "overview.page": ("page {page}", "sida {page}"),
    "overview.nights": ("Drop nights", "Nätter i inkorgen"),
    "overview.column.started": ("Started", "Start"),
    "overview.column.file": ("File", "Fil"),
    "overview.column.creditor": ("Creditor", "Borgenär"),
    "overview.column.state": ("State", "Läge"),
    "overview.column.rows": ("Rows", "Rader"),
    "overview.column.credited": ("Credited", "Krediterade"),
    "overview.column.read": ("Read (SEK)", "Läst (SEK)"),
    "overview.column.credited_sek": ("Credited (SEK)", "Krediterat (SEK)"),
    "overview.column.settled": ("Settled (SEK)", "Reglerat (SEK)"),
    "overview.column.open": ("Open", "Öppet"),
    "overview.column.report": ("Report", "Rapport"),
    "overview.report": ("report", "rapport"),
    "overview.report_gone": ("not there", "finns inte"),
    "overview.state.open": ("open", "öppen"),
    "overview.state.finished": ("finished", "klar"),
    "overview.state.rejected": ("rejected", "avvisad"),
    "overview.dry_run": ("(dry run)", "(provkörning)"),
    # ---- an import's figures, as `importer imports`, `show` and the overview give them
    "figures.read": ("read {amount} SEK", "läst {amount} SEK"),
    "figures.credited": ("credited {amount} SEK", "krediterat {amount} SEK"),
    "figures.settled": ("settled {amount} SEK", "reglerat {amount} SEK"),
    "figures.open": ("open {text}", "öppet {text}"),
    "figures.nothing_open": ("nothing open", "inget öppet"),
    "figures.resolved": ("({count} resolved)", "({count} åtgärdade)"),
    "figures.kind.invalid": ("invalid", "ogiltiga"),
    "figures.kind.rejected": ("rejected", "avvisade"),
    "figures.kind.unknown": ("unknown", "okända"),
    "figures.kind.not_sent": ("not_sent", "ej skickade"),
    "figures.kind.warning": ("warning", "varning"),
    "figures.kind.error": ("error", "fel"),
    "figures.kind.credited_twice": ("credited_twice", "krediterade två gånger"),
    "figures.kind.answer_unusable": ("answer_unusable", "oanvändbart svar"),
}
