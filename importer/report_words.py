"""The report's own words (the `label.`, `sheet.`, `next.`, `warning.` keys and the
credit-note conflict's `detail.` keys of `importer.words`, merged into its one catalogue): the
Summary's and the pages' labels, the workbook's sheet names, what to do next for a row and for
an import, the file-level warnings (by their stable code; English keeps the stored sentence),
and a credit-note conflict or repeat written in full. Same rule as every section: each key
holds its English and Swedish text, with the same placeholders."""

from __future__ import annotations

REPORT: dict[str, tuple[str, str]] = {
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
    "label.corrected": ("Amounts changed by rerun --fix", "Belopp ändrade med rerun --fix"),
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
    "label.warnings_more": (
        "… and {count} more warning(s): report.html and report.json list them all",
        "… och {count} varningar till: report.html och report.json visar alla",
    ),
    "label.audit_more": (
        "… and {count} more line(s) of changes by hand: importer show {id} and report.json "
        "have them all",
        "… och {count} rader till om ändringar för hand: importer show {id} och report.json "
        "har alla",
    ),
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
    "next.invalid_summary": (
        "Correct the row in report.csv, then run the command under What to do next on the "
        "Summary sheet.",
        "Rätta raden i report.csv och kör sedan kommandot under Nästa steg på bladet "
        "Sammanfattning.",
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
    "next.import_all_or_nothing": (
        "Nothing was posted, because rows are invalid and the import is all-or-nothing: fix the "
        "invalid rows in report.csv, then run: importer rerun {id} --fix {csv} (every row is "
        "then posted).",
        "Inget skickades, eftersom rader är ogiltiga och importen är allt eller inget: rätta de "
        "ogiltiga raderna i report.csv och kör sedan: importer rerun {id} --fix {csv} (då "
        "skickas alla rader).",
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
    "warning.imported_before": (
        "Amili already holds every row this file would credit, each under its own reference: "
        "the file was imported before, so --allow-repeats does not credit it again (--force "
        "credits it all the same)",
        "Amili har redan varje rad som filen skulle kreditera, var och en under sin egen "
        "referens: filen har importerats tidigare, så --allow-repeats krediterar den inte igen "
        "(med --force krediteras den ändå)",
    ),
    "warning.journal_alone": (
        "This prediction rests on this machine's journal alone ({why}): a row credited through "
        "another journal is shown as one to send.",
        "förutsägelsen bygger bara på den här datorns journal (API:et gick inte att fråga: "
        "{why}): en rad som krediterats via en annan journal visas som en rad att skicka",
    ),
    "warning.journal_alone_no_key": (
        "This prediction rests on this machine's journal alone (no API key in {env} to ask the "
        "API with): a row credited through another journal is shown as one to send.",
        "förutsägelsen bygger bara på den här datorns journal (ingen API-nyckel i {env} att "
        "fråga API:et med): en rad som krediterats via en annan journal visas som en rad att "
        "skicka",
    ),
    "warning.api_lookup_refused": (
        "The API refused the look-up made before sending ({why}); dedupe.require_api_lookup is "
        "false, so whether a row was credited before was decided from this machine's journal "
        "alone — a weakened guarantee: a lost, restored or second journal may credit a row "
        "twice.",
        "API:et avvisade uppslagningen före sändningen ({why}); dedupe.require_api_lookup är "
        "false, så "
        "om en rad krediterats tidigare avgjordes bara av den här datorns journal — en "
        "försvagad garanti: en förlorad, återställd eller andra journal kan kreditera en rad "
        "två gånger",
    ),
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
}
