"""The report's words in English and Swedish: one catalogue for every outcome, status, error
code, API reason key (`status_reason_locale`), Summary label and next-step sentence.

Why one catalogue: a text defined beside the code that uses it is only ever written in one
language, and a second language added later forgets half the keys. Here every key holds both
texts as one tuple, so a missing translation is a missing tuple element that a test (and the
module itself, at import) catches. Keys are namespaced: `outcome.`, `status.`, `error.`,
`reason.` (the API's locale keys, verbatim after the prefix), `label.`, `next.`, `sheet.`.

Everything a person reads about an import speaks `report.language`: the report files, the
command line's closing summary and `importer show` (`cli.`), the night's drop summary
(`drop.`), the commands that list and keep the record (`record.`: `imports`, `resolve`,
`backup`, `prune`), the file-level warnings (`warning.`, by their stable code) and the
detailed reasons a rule writes on a row (`detail.`). Errors of the command itself (a usage
error, a missing file) stay English: they come before a configuration is read. Numbers
inside a text follow the language too (`number_text`: `12 345.50`, `12 345,50`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from importer.outcomes import ImportWarning

from importer.detail_words import DETAILS
from importer.night_words import NIGHT
from importer.record_words import RECORD

Language = Literal["en", "sv"]
LANGUAGES: tuple[Language, ...] = ("en", "sv")

_FIELDS_EN = {
    "creditor": "Creditor id",
    "case": "Case id",
    "invoice_number": "Invoice number",
    "credit_invoice": "Credit note",
    "creditor_reference": "Reference",
    "account": "Account",
    "origin": "Origin",
    "currency": "Currency",
}
_FIELDS_SV = {
    "creditor": "Borgenärs-id",
    "case": "Ärende-id",
    "invoice_number": "Fakturanummer",
    "credit_invoice": "Kreditfaktura",
    "creditor_reference": "Referens",
    "account": "Konto",
    "origin": "Ursprung",
    "currency": "Valuta",
}

CATALOGUE: dict[str, tuple[str, str]] = {
    # ---- outcomes (docs/outcomes.md)
    "outcome.credited": ("Credited", "Krediterad"),
    "outcome.invalid": ("Invalid, not sent", "Ogiltig, ej skickad"),
    "outcome.rejected": ("Rejected by the API", "Avvisad av API:et"),
    "outcome.duplicate": ("Duplicate, not sent", "Dubblett, ej skickad"),
    "outcome.not_sent": ("Not sent", "Ej skickad"),
    "outcome.unknown": ("Unknown: no answer", "Okänd: inget svar"),
    "label.would_be_sent": ("Valid: would be sent", "Giltig: skulle skickas"),
    # ---- processing statuses of a crediting
    "status.completed": ("Completed", "Genomförd"),
    "status.warning": ("Warning", "Varning"),
    "status.error": ("Error", "Fel"),
    # ---- the API's status_reason_locale keys (the sandbox's, and Amili's as documented)
    "reason.crediting.case_closed": (
        "The case is closed or has nothing left to credit; nothing was settled.",
        "Ärendet är avslutat eller har inget kvar att kreditera; inget reglerades.",
    ),
    "reason.crediting.amount_exceeds_remaining": (
        "The amount is more than the case's remaining capital; only the remainder was settled.",
        "Beloppet är större än ärendets kvarvarande kapital; bara det kvarvarande beloppet "
        "reglerades.",
    ),
    # ---- row error codes (validation, dedupe, the client, reconciliation)
    "error.creditor_missing": (
        "No creditor id in the row and no default creditor.",
        "Borgenärs-id saknas på raden och inget standardvärde är angivet.",
    ),
    "error.creditor_conflict": (
        "The row names another creditor than the one given with --creditor.",
        "Raden anger en annan borgenär än den som angavs med --creditor.",
    ),
    "error.field_count": (
        "The row has more or fewer fields than the header: an unquoted delimiter or decimal comma?",
        "Raden har fler eller färre fält än rubrikraden: kanske ett avgränsningstecken eller "
        "decimalkomma utan citattecken?",
    ),
    "error.unterminated_row": (
        "The file's last line has no line break: the file may have been cut off in this row.",
        "Filens sista rad saknar radbrytning: filen kan ha klippts av i den här raden.",
    ),
    "error.excel_number_format": (
        "Excel turned this number into exponent form (9.87654E+11): format the column as text "
        "and export again.",
        "Excel har gjort om talet till exponentform (9,87654E+11): formatera kolumnen som text "
        "och exportera igen.",
    ),
    "error.merged_cell": (
        "The cell is empty because it is part of merged cells; only the first holds the value.",
        "Cellen är tom eftersom den ingår i sammanfogade celler; bara den första har värdet.",
    ),
    "error.formula_uncomputed": (
        "The cell is a formula without a computed value: open and save the file in Excel or "
        "LibreOffice.",
        "Cellen är en formel utan beräknat värde: öppna och spara filen i Excel eller LibreOffice.",
    ),
    "error.case_and_invoice_number": (
        "Both a case id and an invoice number: give exactly one.",
        "Både ärende-id och fakturanummer: ange bara det ena.",
    ),
    "error.case_or_invoice_number_missing": (
        "Neither a case id nor an invoice number.",
        "Varken ärende-id eller fakturanummer.",
    ),
    "error.amount_missing": ("The amount is empty.", "Beloppet är tomt."),
    "error.amount_not_a_number": ("The amount is not a number.", "Beloppet är inte ett tal."),
    "error.amount_ambiguous": (
        "The amount could be read two ways (1,234): write it with its decimals.",
        "Beloppet kan läsas på två sätt (1,234): skriv det med decimaler.",
    ),
    "error.amount_too_many_decimals": (
        "The amount has more than two decimals (öre).",
        "Beloppet har fler än två decimaler (öre).",
    ),
    "error.amount_negative": (
        "The amount is negative; a credit amount must be positive.",
        "Beloppet är negativt; ett krediteringsbelopp måste vara positivt.",
    ),
    "error.amount_zero": (
        "The amount is zero; there is nothing to credit.",
        "Beloppet är noll; det finns inget att kreditera.",
    ),
    "error.amount_too_large": (
        "The amount is above the configured maximum.",
        "Beloppet är större än det inställda maxbeloppet.",
    ),
    "error.currency_missing": ("The currency is empty.", "Valutan är tom."),
    "error.currency_not_supported": (
        "Only SEK can be credited.",
        "Bara SEK kan krediteras.",
    ),
    "error.origin_invalid": (
        "The origin must be creditor_system.",
        "Ursprunget måste vara creditor_system.",
    ),
    "error.date_invalid": (
        "The date cannot be read, is ambiguous or does not exist.",
        "Datumet går inte att läsa, är tvetydigt eller finns inte.",
    ),
    "error.creditor_reference_duplicate": (
        "The reference is already used by an earlier row of this import.",
        "Referensen används redan av en tidigare rad i importen.",
    ),
    "error.credit_invoice_already_credited": (
        "This credit note was already credited; not sent again.",
        "Kreditfakturan är redan krediterad; skickades inte igen.",
    ),
    "error.credit_invoice_conflict": (
        "This credit note was seen before with another amount or case.",
        "Kreditfakturan finns redan med ett annat belopp eller ärende.",
    ),
    "error.row_already_credited": (
        "This row was already credited by an earlier import; not sent again.",
        "Raden är redan krediterad av en tidigare import; skickades inte igen.",
    ),
    "error.credited_by_another_importer": (
        "Another importer credited this row while this import was being sent; not sent again.",
        "En annan importör krediterade raden medan importen skickades; skickades inte igen.",
    ),
    "error.crediting_found_unclear": (
        "A crediting found at the API may be this row's: check it before sending the row.",
        "En kreditering i Amili kan vara radens: kontrollera den innan raden skickas.",
    ),
    "error.credited_twice": (
        "The API holds this row's crediting more than once: reverse all but one.",
        "Raden har krediterats mer än en gång: återför alla krediteringar utom en.",
    ),
    "error.crediting_unproven": (
        "The API answered without naming a crediting; it was looked up by its reference.",
        "API:et svarade utan att ange någon kreditering; den söktes upp via referensen.",
    ),
    "error.api_rejected": (
        "The API refused the row.",
        "API:et avvisade raden.",
    ),
    "error.api_http": (
        "The API refused the row (HTTP error).",
        "API:et avvisade raden (HTTP-fel).",
    ),
    "error.outcome_unknown": (
        "The request was sent but no answer came.",
        "Begäran skickades men inget svar kom.",
    ),
    "error.api_answer_unusable": (
        "The API's answer held a value that cannot be used; it is kept in the journal.",
        "API:ets svar innehöll ett värde som inte går att använda; det sparas i journalen.",
    ),
    "error.reconcile_ambiguous": (
        "The crediting could not be identified at the API.",
        "Krediteringen gick inte att identifiera i API:et.",
    ),
    "error.file_rejected": (
        "The whole file was rejected; nothing was sent.",
        "Hela filen avvisades; inget skickades.",
    ),
    # ---- Summary and page labels
    "label.title": ("File import report", "Importrapport"),
    "label.import": ("Import", "Import"),
    "label.file": ("File", "Fil"),
    "label.sha256": ("SHA-256", "SHA-256"),
    "label.format": ("Format", "Format"),
    "label.creditor": ("Creditor", "Borgenär"),
    "label.api": ("API", "API"),
    "label.sandbox": ("Sandbox", "Testmiljö"),
    "label.sandbox_yes": (
        "Yes: no real credits were issued",
        "Ja: inga riktiga krediteringar gjordes",
    ),
    "label.sandbox_no": ("No: real credits", "Nej: riktiga krediteringar"),
    "label.dry_run": ("Dry run: nothing was sent", "Provkörning: inget skickades"),
    "label.started": ("Started (local time)", "Startad (lokal tid)"),
    "label.finished": ("Finished (local time)", "Klar (lokal tid)"),
    "label.not_finished": ("not finished", "inte klar"),
    "label.exit_code": ("Exit code", "Returkod (för IT-driften)"),
    "label.timezone": ("Time zone", "Tidszon"),
    "label.control_totals": ("Control totals", "Kontrollsummor"),
    "label.rows_read": ("Rows read", "Lästa rader"),
    "label.amount_read": ("Amount read", "Läst belopp"),
    "label.rows_without_amount": ("Rows without a readable amount", "Rader utan läsbart belopp"),
    "label.left_out.total_rows": (
        "Total rows left out (not credits)",
        "Summarader som utelämnats (inte krediteringar)",
    ),
    "label.left_out.hidden_rows": ("Hidden rows left out", "Dolda rader som utelämnats"),
    "label.outcome": ("Outcome", "Utfall"),
    "label.rows": ("Rows", "Rader"),
    "label.amount": ("Amount", "Belopp"),
    "label.status": ("Status", "Status"),
    "label.settled": ("Settled", "Reglerat"),
    "label.amount_requested": ("Amount credited (requested)", "Begärt belopp"),
    "label.amount_settled": ("Amount settled", "Reglerat belopp"),
    "label.next_step": ("What to do next", "Nästa steg"),
    "label.file_errors": ("File errors", "Fel i filen"),
    "label.warnings": ("Warnings", "Varningar"),
    "label.audit": ("Changed by hand", "Ändrat för hand"),
    "label.row": ("Row", "Rad"),
    "label.reason": ("Reason", "Orsak"),
    "label.field": ("Field", "Fält"),
    "label.code": ("Code", "Kod"),
    "label.message": ("Message", "Meddelande"),
    "label.report_column": (" (report)", " (rapport)"),
    "label.needs_attention": ("Rows needing attention", "Rader som behöver åtgärdas"),
    "label.more_rows": (
        "… and {count} more rows: see report.csv or report.json.",
        "… och {count} rader till: se report.csv eller report.json.",
    ),
    "label.all_rows_elsewhere": (
        "The import has {count} rows, more than {limit}: the full list is in report.csv and "
        "report.json.",
        "Importen har {count} rader, fler än {limit}: hela listan finns i report.csv och "
        "report.json.",
    ),
    "label.xlsx_rows_cut": (
        "Excel holds at most {limit} rows on a sheet: {count} rows are left out of sheet "
        "'{sheet}'; report.csv and report.json are complete.",
        "Excel rymmer högst {limit} rader på ett blad: {count} rader är utelämnade från bladet "
        "'{sheet}'; report.csv och report.json är fullständiga.",
    ),
    "label.xlsx_columns_cut": (
        "Excel holds at most {limit} columns: {count} of the file's columns are left out of "
        "the workbook; report.csv and report.json are complete.",
        "Excel rymmer högst {limit} kolumner: {count} av filens kolumner är utelämnade ur "
        "arbetsboken; report.csv och report.json är fullständiga.",
    ),
    "label.nothing_needs_attention": (
        "No row needs attention.",
        "Ingen rad behöver åtgärdas.",
    ),
    # ---- sheet names (at most 31 characters, none of []:*?/\)
    "sheet.summary": ("Summary", "Sammanfattning"),
    "sheet.attention": ("Needs attention", "Behöver åtgärd"),
    "sheet.all_rows": ("All rows", "Alla rader"),
    # ---- next steps: one per reason a row needs a person, and per import
    "next.invalid": (
        "Correct the row in report.csv, then run: importer rerun {id} --fix {csv}",
        "Rätta raden i report.csv och kör sedan: importer rerun {id} --fix {csv}",
    ),
    "next.invalid_above": (
        "Correct the row in report.csv, then run the command above.",
        "Rätta raden i report.csv och kör sedan kommandot ovan.",
    ),
    "next.invalid_dry_run": (
        "Correct the row in the file, then validate or run the file again.",
        "Rätta raden i filen och validera eller kör sedan filen igen.",
    ),
    "next.rejected": (
        "Check the case or amount named in the reason, correct the row in report.csv, then "
        "rerun with --fix.",
        "Kontrollera ärendet eller beloppet som orsaken nämner, rätta raden i report.csv och "
        "kör om med --fix.",
    ),
    "next.rejected_shared": (
        "Refused for the import's own problem, not this row's: see what to do next for the "
        "whole import.",
        "Avvisad på grund av ett fel som gäller hela importen, inte just den här raden: se "
        "Nästa steg för importen.",
    ),
    "next.warning": (
        "Credited, but not fully settled: check the case and whether the rest must be handled.",
        "Krediterad men inte helt reglerad: kontrollera ärendet och om resten måste hanteras.",
    ),
    "next.error": (
        "Credited, but nothing was settled: check the case with Amili.",
        "Krediterad men inget reglerades: kontrollera ärendet i Amili.",
    ),
    "next.not_sent": (
        "Not sent yet: run importer rerun {id} once the API is reachable.",
        "Ännu inte skickad: kör importer rerun {id} när API:et går att nå.",
    ),
    "next.answer_unusable": (
        "Credited, but the API's answer held a value that cannot be used: check this crediting "
        "in Amili (the answer is kept in the journal).",
        "Krediterad, men API:ets svar innehöll ett värde som inte går att använda: kontrollera "
        "krediteringen i Amili (svaret sparas i journalen).",
    ),
    "next.unknown": (
        "Sent without an answer: importer rerun {id} looks it up before anything is resent; "
        "if it stays unknown, look the reference up in Amili.",
        "Skickad men inget svar kom: importer rerun {id} kontrollerar den innan något skickas "
        "igen; är den fortfarande okänd, sök på referensen i Amili.",
    ),
    "next.credited_twice": (
        "Credited more than once: reverse all but one of the creditings the message names, "
        "in Amili.",
        "Krediterad mer än en gång: återför i Amili alla utom en av krediteringarna som "
        "meddelandet nämner.",
    ),
    "next.conflict": (
        "A person decides: the credit note was seen with another amount or case.",
        "Manuell kontroll krävs: kreditfakturan finns redan med ett annat belopp eller ärende.",
    ),
    "next.import_fix": (
        "Fix the rows in 'Needs attention' in report.csv, then run: "
        "importer rerun {id} --fix {csv}",
        "Rätta raderna under 'Behöver åtgärd' i report.csv och kör sedan: "
        "importer rerun {id} --fix {csv}",
    ),
    "next.import_outage": (
        "Rows were not sent or got no answer: once the API is reachable, run: importer rerun {id}",
        "Rader skickades inte eller fick inget svar: när API:et går att nå, kör: "
        "importer rerun {id}",
    ),
    "next.import_check": (
        "Check the credited rows with status warning or error in 'Needs attention'.",
        "Kontrollera de krediterade raderna med status varning eller fel under 'Behöver åtgärd'.",
    ),
    "next.import_dry_run": (
        "Nothing was sent. Fix the invalid rows, or run the same file with importer run.",
        "Inget skickades. Rätta de ogiltiga raderna, eller kör samma fil med importer run.",
    ),
    "next.import_file": (
        "The file was rejected as a whole: fix what the file errors say and import it again.",
        "Hela filen avvisades: rätta felen under Fel i filen och importera den igen.",
    ),
    "next.import_done": (
        "Nothing to do: every row is in order.",
        "Inget att åtgärda: alla rader är klara.",
    ),
    "next.import_key_refused": (
        "The API refused the API key: put the right key in the environment variable {env} "
        "(api.api_key_env), then run: importer rerun {id}",
        "API:et godtog inte API-nyckeln: lägg rätt nyckel i miljövariabeln {env} "
        "(api.api_key_env) och kör sedan: importer rerun {id}",
    ),
    "next.import_creditor_unknown": (
        "The API does not know creditor {creditor}: check --creditor, defaults.creditor in "
        "config.yaml or the file's creditor column, then import the file again: "
        "importer run {file} --force",
        "API:et känner inte till borgenären {creditor}: kontrollera --creditor, "
        "defaults.creditor i config.yaml eller filens kolumn för borgenär och importera sedan "
        "filen igen: importer run {file} --force",
    ),
    "next.import_creditor_unknown_sandbox": (
        "The sandbox does not know creditor {creditor}: check --creditor, defaults.creditor in "
        "config.yaml or the file's creditor column, or give the sandbox cases of that creditor "
        "(sandbox.cases in config.yaml), then import the file again: importer run {file} --force",
        "Testmiljön känner inte till borgenären {creditor}: kontrollera --creditor, "
        "defaults.creditor i config.yaml eller filens kolumn för borgenär, eller ge testmiljön "
        "ärenden för borgenären (sandbox.cases i config.yaml), och importera sedan filen igen: "
        "importer run {file} --force",
    ),
    "next.import_same_reason": (
        "Every row sent was refused for the same reason (see the rows' message): fix its cause "
        "in the settings or the file, then run: importer rerun {id}",
        "Alla rader som skickades avvisades av samma orsak (se radernas meddelande): åtgärda "
        "orsaken i inställningarna eller filen och kör sedan: importer rerun {id}",
    ),
    # ---- file-level warnings (report.json `warnings`, by code); English keeps the stored text
    "warning.total_row_left_out": (
        "row {rows} is a total, not a credit: left out",
        "rad {rows} är en summarad, inte en kreditering, och togs inte med",
    ),
    "warning.total_row_left_out_amount": (
        "row {rows} is a total (amount {amount}), not a credit: left out",
        "rad {rows} är en summarad (belopp {amount}), inte en kreditering, och togs inte med",
    ),
    "warning.hidden_rows_imported": (
        "{count} hidden row(s) of sheet '{sheet}' were imported: rows {rows}",
        "dolda rader på bladet '{sheet}' ({count}) togs med (input.hidden_rows: import): "
        "rad {rows}",
    ),
    "warning.hidden_rows_skipped": (
        "{count} hidden row(s) of sheet '{sheet}' were left out: rows {rows}",
        "dolda rader på bladet '{sheet}' ({count}) togs inte med: rad {rows}; visa raderna, "
        "eller ange input.hidden_rows: import, för att kreditera dem",
    ),
    "warning.hidden_sheet": (
        "the workbook's sheet '{sheet}' is hidden and was not read",
        "arbetsbokens blad '{sheet}' är dolt och lästes inte; om det innehåller krediteringar, "
        "visa bladet eller ange det i input.sheet",
    ),
    "warning.daylight_saving_gap": (
        "{count} date(s) name a local time that does not exist: rows {rows}",
        "{count} datum anger en lokal tid som inte finns (klockan ställdes fram den natten): "
        "rad {rows}; de lästes med tidszonen före omställningen, kontrollera dem",
    ),
    "warning.daylight_saving_overlap": (
        "{count} date(s) name a local time that occurs twice: rows {rows}",
        "{count} datum anger en lokal tid som finns två gånger (klockan ställdes tillbaka den "
        "natten): rad {rows}; de lästes med tidszonen före omställningen, kontrollera dem",
    ),
    "warning.columns_not_sent": (
        "columns set by Amili were not sent",
        "kolumner som Amili själv fyller i skickades inte",
    ),
    "warning.all_or_nothing": (
        "all-or-nothing: rows are invalid, so nothing was posted",
        "allt eller inget: rader är ogiltiga, så inget skickades; rätta dem och kör filen igen",
    ),
    "warning.api_key_refused": (
        "the API at {url} refused the API key; the key is read from the environment variable "
        "{env} (api.api_key_env)",
        "API:et på {url} godtog inte API-nyckeln; nyckeln läses från miljövariabeln {env} "
        "(api.api_key_env)",
    ),
    "warning.creditor_unknown": (
        "the API does not know creditor {creditor}: every row sent ({count}) was refused for "
        "it; it is the file's problem, not the rows'",
        "API:et känner inte till borgenären {creditor}: alla {count} rader som skickades "
        "avvisades därför; felet gäller hela filen, inte enskilda rader",
    ),
    "warning.same_reason_every_row": (
        "every row sent ({count}) was refused for the same reason; it is the file's problem, "
        "not the rows'",
        "alla {count} rader som skickades avvisades av samma orsak; felet gäller hela filen, "
        "inte enskilda rader",
    ),
    # ---- the credit-note conflict, in full (dedupe): both amounts or cases, and what to do
    "detail.conflict_amount": (
        "Credit note {note} was already credited for {earlier} ({where}); this row says "
        "{amount}. Not sent: a person must decide which is right and credit any difference "
        "by hand.",
        "Kreditfakturan {note} är redan krediterad med {earlier} ({where}); den här raden "
        "anger {amount}. Skickades inte: manuell kontroll krävs av vilket belopp som är rätt, "
        "och en eventuell skillnad krediteras för hand.",
    ),
    "detail.conflict_case": (
        "Credit note {note} was already credited on {earlier} ({where}); this row names "
        "{amount}. Not sent: a person must decide which is right and credit any difference "
        "by hand.",
        "Kreditfakturan {note} är redan krediterad på {earlier} ({where}); den här raden "
        "anger {amount}. Skickades inte: manuell kontroll krävs av vilket ärende som är rätt, "
        "och en eventuell skillnad krediteras för hand.",
    ),
    "detail.already_credited": (
        "Credit note {note} was already credited ({where}); not sent again.",
        "Kreditfakturan {note} är redan krediterad ({where}); skickades inte igen.",
    ),
    "detail.repeat": (
        "This row is identical to {where}, credited as {id}; not sent again. If it is a new "
        "credit, run with --allow-repeats.",
        "Raden är identisk med {where}, krediterad som {id}; skickades inte igen. Är det en ny "
        "kreditering, kör med --allow-repeats.",
    ),
    "detail.already_imported": (
        "{file} was already imported as {id} ({when}); nothing was sent. Use --force to import "
        "it again.",
        "{file} är redan importerad som {id} ({when}); inget skickades. Använd --force för att "
        "importera den igen.",
    ),
    "detail.where_import": ("import {id} row {row}", "import {id} rad {row}"),
    "detail.where_row": ("row {row}", "rad {row}"),
    "detail.where_api": ("crediting {id} found at the API", "kreditering {id} som finns i API:et"),
    "detail.case": ("case {id}", "ärende {id}"),
    "detail.invoice": ("invoice {id}", "faktura {id}"),
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
    # ---- rows of a fix file that a rerun leaves as they were
    "fix.left_alone": (
        "{count} {kind} row(s) of {file} left as they were (rows {rows})",
        "{count} rad(er) i {file} lämnades som de var ({kind}; rader {rows})",
    ),
    "fix.kind.credited": ("credited", "krediterade"),
    "fix.kind.duplicate": ("duplicate", "dubbletter"),
    "fix.kind.unknown": ("unknown", "okända"),
    "fix.kind.resolved": ("resolved", "åtgärdade"),
    # ---- the audit trail as people read it (show, report.html, report.xlsx)
    "audit.head": (
        "{when} {action} row(s) {rows} by {who}",
        "{when} {action} rad(er) {rows} av {who}",
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
    "cli.next": ("next: {step}", "nästa steg: {step}"),
    "cli.next_outage": (
        "after the outage, once the API answers: importer rerun {id}",
        "när API:et svarar igen: importer rerun {id}",
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
    # ---- the night's drop summary (summary.txt)
    "drop.head": ("Drop {id} — inbox {inbox}", "Körning {id} — inkorg {inbox}"),
    "drop.files": (
        "{count} file(s), exit code {code} ({meaning}); started {started}",
        "antal filer {count}, returkod {code} ({meaning}); start {started}",
    ),
    "drop.unwritten": (
        "this summary could not be written; every file's outcome is below",
        "sammanfattningen kunde inte sparas; varje fils resultat står nedan",
    ),
    "drop.nothing": ("Nothing was ready.", "Inget var klart att importera."),
    "drop.note": ("NOTE: {note}", "OBS: {note}"),
    "drop.meaning_0": ("all credited", "allt krediterat"),
    "drop.meaning_1": ("rows need attention", "rader behöver åtgärdas"),
    "drop.meaning_2": ("a file or setting was rejected", "en fil eller inställning avvisades"),
    "drop.meaning_3": (
        "a file could not finish; the next pass resumes it",
        "en fil kunde inte slutföras; nästa körning fortsätter med den",
    ),
    "drop.file": (
        "{file}  (inbox {inbox}, creditor {creditor})",
        "{file}  (inkorg {inbox}, borgenär {creditor})",
    ),
    "drop.no_creditor": ("none given", "ingen angiven"),
    "drop.archived": ("→ {path}", "→ {path}"),
    "drop.in_processing": ("→ left in processing/", "→ ligger kvar i processing/"),
    "drop.state": ("{state}, exit code {code} {where}", "{state}, returkod {code} {where}"),
    "drop.state_imported": ("imported", "importerad"),
    "drop.state_already_imported": ("already imported", "redan importerad"),
    "drop.state_rejected": ("rejected", "avvisad"),
    "drop.state_unfinished": ("unfinished", "inte klar"),
    "drop.rows": ("{count} rows: {outcomes}", "antal rader {count}: {outcomes}"),
    "drop.statuses": ("statuses: {statuses}", "status: {statuses}"),
    "drop.amounts": (
        "amount requested {requested} {currency}, settled {settled} {currency}",
        "begärt belopp {requested} {currency}, reglerat {settled} {currency}",
    ),
    "drop.report": ("report: {path}", "rapport: {path}"),
    "drop.open_html": (" (open {name})", " (öppna {name})"),
    "drop.attention": ("needs attention: {count} row(s)", "rader som behöver åtgärdas: {count}"),
    "drop.more": ("… and {count} more in the report", "… och {count} till i rapporten"),
    "drop.key_refused": (
        "the API at {url} refused the API key: put the right key in the environment variable "
        "{env} (api.api_key_env); the file stays in processing/ and the next pass resumes it",
        "API:et på {url} godtog inte API-nyckeln: lägg rätt nyckel i miljövariabeln {env} "
        "(api.api_key_env); filen ligger kvar i processing/ och nästa körning fortsätter med den",
    ),
    "drop.summary_in": ("(summary in {path})", "(sammanfattningen finns i {path})"),
    "drop.halted": (
        "a file could not finish (see below), so this pass claimed nothing more; files still "
        "in the inboxes wait for the next pass",
        "en fil kunde inte slutföras (se nedan), så den här körningen tog inte fler filer; "
        "filer som ligger kvar i inkorgarna väntar på nästa körning",
    ),
    "drop.no_answer": (
        "no answer from the API; it is looked up before anything is resent",
        "inget svar från API:et; krediteringen kontrolleras innan något skickas igen",
    ),
    "drop.not_sent_yet": (
        "not sent yet; the next pass sends it",
        "inte skickad än; nästa körning skickar den",
    ),
}

# Field-templated error codes (`<field>_invalid`, `<field>_too_long`, `<field>_invalid` for ids):
# generated for every field validation checks, in both languages, from the field names above.
for _field, _en in _FIELDS_EN.items():
    _sv = _FIELDS_SV[_field]
    CATALOGUE.setdefault(
        f"error.{_field}_invalid",
        (f"{_en}: the cell cannot be used as it is.", f"{_sv}: cellen går inte att använda."),
    )
    CATALOGUE.setdefault(
        f"error.{_field}_too_long",
        (f"{_en} is too long.", f"{_sv}: värdet är för långt."),
    )

CATALOGUE.update(NIGHT)
CATALOGUE.update(RECORD)
if DETAILS.keys() & CATALOGUE.keys():  # pragma: no cover - a key defined twice is a bug
    raise RuntimeError(f"words: {sorted(DETAILS.keys() & CATALOGUE.keys())} defined twice")
CATALOGUE.update(DETAILS)

for _key, _texts in CATALOGUE.items():  # a key with an empty text is a bug, found at import
    if len(_texts) != len(LANGUAGES) or not all(t.strip() for t in _texts):
        raise RuntimeError(f"words: {_key} lacks a text in one of {LANGUAGES}")  # pragma: no cover

_HTTP_CODE = re.compile(r"api_http_\d{3}\Z")


def text(key: str, language: Language, **values: object) -> str:
    """The text of `key` in `language`, with `{name}` filled from `values`.

    An unknown key is returned as it is: an API may send a reason key this version has never
    seen, and showing the key is better than showing nothing (the report keeps the key anyway).
    """
    texts = CATALOGUE.get(key)
    if texts is None:
        return key.split(".", 1)[-1]
    chosen = texts[LANGUAGES.index(language)]
    return chosen.format(**values) if values else chosen


def error_key(code: str) -> str:
    """The catalogue key of a row error code (`api_http_404` shares `error.api_http`)."""
    if _HTTP_CODE.match(code):
        return "error.api_http"
    return f"error.{code}"


def error_text(code: str, language: Language) -> str:
    return text(error_key(code), language)


def reason_text(reason: str | None, language: Language) -> str | None:
    """The words for an API `status_reason_locale` key (None stays None)."""
    if reason is None:
        return None
    return text(f"reason.{reason}", language)


def outcome_text(outcome: str, status: str | None, language: Language) -> str:
    """ "Credited" or "Credited: Warning" and so on: the outcome a person reads."""
    shown = text(f"outcome.{outcome}", language)
    if status:
        shown += ": " + text(f"status.{status}", language).lower()
    return shown


def number_text(value: Decimal | float, language: Language, places: int = 2) -> str:
    """A number as the language writes it in running text: `12 345.50` (en), `12 345,50`
    (sv); groups of three split by a space either way."""
    shown = f"{value:,.{places}f}".replace(",", " ")
    return shown.replace(".", ",") if language == "sv" else shown


def rows_text(rows: Sequence[int], shown: int = 20) -> str:
    """Row numbers as a person reads them: the first `shown`, then an ellipsis."""
    return ", ".join(map(str, rows[:shown])) + (" …" if len(rows) > shown else "")


def warning_text(warning: ImportWarning, language: Language, **context: object) -> str:
    """A file-level warning in `language`. English is the stored sentence itself (it names
    the settings in full); another language words it from the warning's code and fields
    (`rows`, `amount`, `sheet`) and `context` (`url`, `env`, `creditor`). A code this version
    has no words for shows its stored sentence."""
    if language == "en":
        return warning.message
    key = f"warning.{warning.code}"
    if warning.code == "total_row_left_out" and warning.amount:
        key += "_amount"
    if key not in CATALOGUE:
        return warning.message
    amount = number_text(Decimal(warning.amount), language) if warning.amount else ""
    values = {"rows": rows_text(warning.rows), "count": len(warning.rows), "amount": amount}
    values.update(sheet=warning.sheet or "", url="", env="", creditor="")
    values.update(context)
    return text(key, language, **values)
