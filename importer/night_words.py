"""The words of a night's summary and of the notifications (the `night.` and `drop.` keys of
`importer.words`, merged into its one catalogue). Same rule as every section: each key holds
its English and Swedish text, with the same placeholders."""

from __future__ import annotations

NIGHT: dict[str, tuple[str, str]] = {
    "night.title": ("Night of {night} — inbox {inbox}", "Natten {night} — inkorg {inbox}"),
    "night.counts": (
        "{files} file(s), exit code {code} ({meaning}); {started} to {finished}",
        "{files} fil(er), returkod {code} ({meaning}); {started} till {finished}",
    ),
    "night.meaning_0": ("all credited", "allt krediterat"),
    "night.meaning_1": ("something needs a person", "något behöver åtgärdas"),
    "night.meaning_2": ("a file or setting was rejected", "en fil eller inställning avvisades"),
    "night.meaning_3": (
        "a file could not finish; the next pass resumes it",
        "en fil kunde inte slutföras; nästa körning återupptar den",
    ),
    "night.meaning_unwritten": (
        "this summary could not be written; every file's outcome is below",
        "sammanfattningen kunde inte skrivas; varje fils utfall står nedan",
    ),
    "night.summary_in": ("summary in {folder}", "sammanfattning i {folder}"),
    "night.nothing": ("Nothing was ready.", "Inget var klart."),
    "night.missing": (
        "NO FILE: inbox {inbox} expects a file every night (drop.expect: daily) and had none "
        "by {time}.",
        "INGEN FIL: inkorgen {inbox} väntar en fil varje natt (drop.expect: daily) och hade "
        "ingen klockan {time}.",
    ),
    "night.note": ("NOTE: {text}", "OBS: {text}"),
    "night.orphan": (
        "ORPHAN: {marker}: a marker without its file ({age} days old; {fate}) in inbox {inbox}",
        "UTAN FIL: {marker}: en markör utan sin fil ({age} dagar gammal; {fate}) i inkorg {inbox}",
    ),
    "night.orphan_removed": ("removed", "borttagen"),
    "night.orphan_kept": ("removed at {days} days", "tas bort efter {days} dagar"),
    "night.file": (
        "{file}  (inbox {inbox}, creditor {creditor})",
        "{file}  (inkorg {inbox}, borgenär {creditor})",
    ),
    "night.no_creditor": ("none given", "ingen angiven"),
    "night.file_state": (
        "{state}, exit code {code} → {where}",
        "{state}, returkod {code} → {where}",
    ),
    "night.in_processing": ("left in processing/", "ligger kvar i processing/"),
    "night.state_imported": ("imported", "importerad"),
    "night.state_already_imported": ("already imported", "redan importerad"),
    "night.state_rejected": ("rejected", "avvisad"),
    "night.state_unfinished": ("unfinished", "inte slutförd"),
    # outcomes and statuses as counted on one line ("credited 12, invalid 1")
    "night.count_credited": ("credited", "krediterade"),
    "night.count_invalid": ("invalid", "ogiltiga"),
    "night.count_rejected": ("rejected", "avvisade"),
    "night.count_duplicate": ("duplicate", "dubbletter"),
    "night.count_not_sent": ("not_sent", "ej skickade"),
    "night.count_unknown": ("unknown", "okända"),
    "night.count_completed": ("completed", "genomförda"),
    "night.count_warning": ("warning", "varning"),
    "night.count_error": ("error", "fel"),
    "night.rows": ("{rows} rows: {shown}", "{rows} rader: {shown}"),
    "night.statuses": ("statuses: {shown}", "statusar: {shown}"),
    "night.amounts": (
        "amount requested {requested} {currency}, settled {settled} {currency}",
        "begärt belopp {requested} {currency}, reglerat {settled} {currency}",
    ),
    "night.read": ("amount read {read} {currency}", "läst belopp {read} {currency}"),
    "night.read_unread": (
        "amount read {read} {currency}; {count} row(s) without a readable amount",
        "läst belopp {read} {currency}; {count} rad(er) utan läsbart belopp",
    ),
    "night.warning": ("warning: {text}", "varning: {text}"),
    "night.report": ("report: {folder} (open {name})", "rapport: {folder} (öppna {name})"),
    "night.attention_head": (
        "needs attention: {count} row(s)",
        "behöver åtgärdas: {count} rad(er)",
    ),
    "night.attention_row": (
        "row {row} {outcome}: credit note {note}, invoice {invoice}: {reason}",
        "rad {row} {outcome}: kreditfaktura {note}, faktura {invoice}: {reason}",
    ),
    "night.more": ("… and {count} more in the report", "… och {count} till i rapporten"),
    "night.next": ("next: {step}", "nästa steg: {step}"),
    "night.next_unfinished": (
        "nothing to do unless it repeats: the next pass of importer drop {inbox} resumes it "
        "(or at once: importer rerun {id})",
        "inget att göra om det inte upprepas: nästa körning av importer drop {inbox} "
        "återupptar den (eller genast: importer rerun {id})",
    ),
    "night.next_retry": (
        "the next pass of importer drop {inbox} tries it again",
        "nästa körning av importer drop {inbox} försöker igen",
    ),
    "night.next_drop_again": (
        "it is in failed/ with its reason; put the corrected file into {inbox}",
        "den ligger i failed/ med orsaken; lägg den rättade filen i {inbox}",
    ),
    "night.next_show": (
        "look at the rows: importer show {id}",
        "titta på raderna: importer show {id}",
    ),
    "night.waiting_head": ("Waiting ({count}):", "Väntar ({count}):"),
    "night.wait_settling": (
        "not yet stable (changed {time})",
        "ännu inte stabil (ändrad {time})",
    ),
    "night.wait_open": (
        "still open for writing by another process (changed {time})",
        "fortfarande öppen för skrivning av en annan process (ändrad {time})",
    ),
    "night.wait_no_marker": (
        "no .done or .ok marker beside it (changed {time})",
        "ingen .done- eller .ok-markör bredvid (ändrad {time})",
    ),
    "night.ignored_head": ("Folders left alone:", "Mappar som lämnas orörda:"),
    "night.ignored": (
        "{folder}: no config.yaml, so it is no creditor's inbox; its {count} file(s) are not "
        "imported",
        "{folder}: ingen config.yaml, så den är ingen borgenärs inkorg; dess {count} fil(er) "
        "importeras inte",
    ),
    "night.notified": ("Notified by {channel} at {time}.", "Meddelat via {channel} {time}."),
    "night.not_notified": (
        "NOT notified by {channel} at {time}: {problem}; the next pass tries again.",
        "INTE meddelat via {channel} {time}: {problem}; nästa körning försöker igen.",
    ),
    "night.not_attached": (
        "Not attached ({size}, more than notify.max_attachment_bytes): {file}",
        "Inte bifogad ({size}, mer än notify.max_attachment_bytes): {file}",
    ),
    "night.subject": (
        "importer: {creditor} — night {night}: exit code {code} — {files} file(s), "
        "{credited} credited, {attention} need attention",
        "importer: {creditor} — natten {night}: returkod {code} — {files} fil(er), "
        "{credited} krediterade, {attention} behöver åtgärdas",
    ),
    "night.import_subject": (
        "importer: {creditor} — {file} (night {night}): exit code {code} — {rows} rows, "
        "{credited} credited, {attention} need attention",
        "importer: {creditor} — {file} (natten {night}): returkod {code} — {rows} rader, "
        "{credited} krediterade, {attention} behöver åtgärdas",
    ),
    "night.import_head": ("{file} — import {id}", "{file} — import {id}"),
    "night.failure_subject": (
        "importer: {unit} failed on {host}",
        "importer: {unit} misslyckades på {host}",
    ),
    "night.failure_body": (
        "The scheduled job {unit} on {host} failed at {time}: the importer could not finish "
        "(exit code 3: the API down, the key refused, or interrupted) or its configuration is "
        "wrong (exit code 2). What it said: journalctl -u {unit}. A file left unfinished is "
        "resumed by the next pass; the night's summaries are in {folder}.",
        "Det schemalagda jobbet {unit} på {host} misslyckades {time}: importen kunde inte "
        "slutföras (returkod 3: API:et nere, nyckeln nekad, eller avbruten) eller så är dess "
        "inställningar fel (returkod 2). Vad den skrev: journalctl -u {unit}. En fil som inte "
        "slutfördes återupptas av nästa körning; nattens sammanfattningar finns i {folder}.",
    ),
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
    "drop.rejected_whole": ("the file was rejected as a whole", "filen avvisades i sin helhet"),
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
