"""The words of the command line's closing summary and of `importer show` (the `cli.` keys of
`importer.words`, merged into its one catalogue), in `report.language` like the report itself.
Same rule as every section: each key holds its English and Swedish text, with the same
placeholders."""

from __future__ import annotations

CLI: dict[str, tuple[str, str]] = {
    # ---- the command line's closing summary and `importer show` (in report.language)
    "cli.head": ("{file} — import {id} ({kind})", "{file} — import {id} ({kind})"),
    "cli.dry_run": ("dry run, nothing sent", "provkörning, inget skickades"),
    "cli.api": ("API {url}", "API {url}"),
    "cli.creditor": ("creditor", "borgenär"),
    "cli.creditor_none": (
        "- (the file was rejected before its rows were read)",
        "- (filen avvisades innan raderna lästes)",
    ),
    "cli.creditor_per_row": ("as given on each row", "enligt varje rad"),
    "cli.sandbox_mark": (" (sandbox)", " (testmiljö)"),
    "cli.sandbox": (
        "SANDBOX: no real credits were issued.",
        "TESTMILJÖ: inga riktiga krediteringar gjordes.",
    ),
    "cli.file_rejected": (
        "file rejected: nothing was sent; the reason is the last line (importer: …)",
        "filen avvisades: inget skickades; orsaken står på sista raden (importer: …)",
    ),
    "cli.file_rejected_reason": ("file rejected: {message}", "filen avvisades: {message}"),
    "cli.warning": ("warning: {text}", "varning: {text}"),
    "cli.outcome": ("outcome", "utfall"),
    "cli.rows": ("rows", "rader"),
    "cli.total": ("total", "totalt"),
    "cli.would_be_sent": ("valid: would be sent", "giltiga: skulle skickas"),
    "cli.amount_requested": ("amount requested", "begärt belopp"),
    "cli.amount_settled": ("amount settled", "reglerat belopp"),
    "cli.elapsed": ("elapsed", "tid"),
    "cli.seconds": ("{seconds} s", "{seconds} s"),
    "cli.posting": ("posting", "skickat"),
    "cli.posting_rate": (
        "{lanes} {lane_word}, {rows} rows at {rate} rows/s",
        "{lanes} {lane_word}, {rows} rader med {rate} rader/s",
    ),
    "cli.lane": ("lane", "flöde"),
    "cli.lanes": ("lanes", "parallella flöden"),
    "cli.report": ("report", "rapport"),
    "cli.amounts": ("amounts", "belopp"),
    "cli.amount": ("amount", "belopp"),
    "cli.amount_read": ("amount read", "läst belopp"),
    "cli.label.rows_without_amount": ("no amount", "utan belopp"),
    "cli.label.rows_without_amount.meaning": (
        "rows above without a readable amount",
        "rader ovan utan läsbart belopp",
    ),
    "cli.label.corrected": ("corrected", "rättade"),
    "cli.label.corrected.meaning": (
        "rows above whose amount rerun --fix changed; amount read less this is the file's "
        "total as sent",
        "rader ovan vars belopp rerun --fix ändrade; läst belopp minus detta är filens summa "
        "som den skickades",
    ),
    "cli.label.left_out.total_rows": ("total rows", "summarader"),
    "cli.label.left_out.total_rows.meaning": (
        "left out: totals, not credits",
        "utelämnade: summor, inte krediteringar",
    ),
    "cli.label.left_out.hidden_rows": ("hidden rows", "dolda rader"),
    "cli.label.left_out.hidden_rows.meaning": (
        "left out: hidden in the workbook",
        "utelämnade: dolda i arbetsboken",
    ),
    "cli.open": ("open", "öppet"),
    "cli.by_hand": ("by hand", "för hand"),
    "cli.next": ("next: {step}", "nästa steg: {step}"),
    "cli.next_outage": (
        "after the outage, once the API answers: importer rerun {id}",
        "när API:et svarar igen: importer rerun {id}",
    ),
    "cli.next_all_or_nothing": (
        "nothing was posted, because rows are invalid and the import is all-or-nothing: fix "
        "the invalid rows in {csv}, then: importer rerun {id} --fix {csv} (every row is then "
        "posted)",
        "inget skickades, eftersom rader är ogiltiga och importen är allt eller inget: rätta "
        "de ogiltiga raderna i {csv} och kör sedan: importer rerun {id} --fix {csv} (då "
        "skickas alla rader)",
    ),
    "cli.next_fix": (
        'fix the rows in "Needs attention" in {csv}, then: importer rerun {id} --fix {csv}',
        'rätta raderna under "Behöver åtgärd" i {csv} och kör sedan: '
        "importer rerun {id} --fix {csv}",
    ),
    "cli.next_flagged": (
        "credited rows need a person (credited more than once, or an answer that did not "
        "fit): importer show {id}",
        "krediterade rader kräver manuell kontroll (krediterade mer än en gång, eller ett svar "
        "som inte gick att använda): importer show {id}",
    ),
    "cli.show_head": ("import {id}: {file}", "import {id}: {file}"),
    "cli.started": ("started", "start"),
    "cli.finished": ("finished", "slut"),
    "cli.requested": ("requested", "begärt"),
    "cli.settled": ("settled", "reglerat"),
    "cli.exit_code": ("exit code", "returkod"),
    "cli.report_gone": (
        "(not there now: importer report {id} writes it again)",
        "(finns inte nu: importer report {id} skriver den igen)",
    ),
    "cli.nothing_needs_attention": ("no row needs attention", "ingen rad behöver åtgärdas"),
    "cli.attention": ("{count} row(s) need attention:", "rader som behöver åtgärdas: {count}"),
    "cli.same_reason_rows": (
        "{count} rows, all for the file's problem above: rows {rows}",
        "rader som avvisades på grund av filens fel ovan ({count}): rad {rows}",
    ),
    "cli.row": ("row", "rad"),
}
