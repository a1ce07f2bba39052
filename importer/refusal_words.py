"""The words of a file refused as a whole (the `refusal.` keys of `importer.words`, merged into
its one catalogue): why the sources readers, the column mapping, the row shape check and a
sender's control total refuse a file, each under the stable code the refusal is raised with
(`importer.refusal.Refusal`), with the facts it names (a row, a column, a byte, a marker) as
placeholders.

Why the English is here too: the English sentence is the one the command line has always
printed and tests pin word for word; the refusal is worded from its code and facts in the
language of whoever reads it (the night's summary, the command line's line, the report of
the rejected import), so English and Swedish come from the same place and never drift.

`refusal.<name>_<value>` keys are the fixed phrases a refusal names by a value (what a
binary file looks like, the tab delimiter, an empty first row), and `FIELDS_SV` the request's
fields in Swedish: `importer.refusal` words those placeholders from here, and shows any other
value as it is.
"""

from __future__ import annotations

NAME_THE_CREDITOR = (
    "add a creditor column (Borgenär), give --creditor ID, or set defaults.creditor in the "
    "configuration"
)
"""The three ways to name the creditor, said the same way wherever one is missing (the
refusal below, and a row's `creditor_missing`)."""

_NAME_THE_CREDITOR_SV = (
    "lägg till en kolumn för borgenären (Borgenär), ange --creditor ID, eller ange "
    "defaults.creditor i konfigurationen"
)
_COLUMNS_HINT = (
    "If the file names a column differently, add its header under `columns:` in "
    'config.yaml (e.g. `columns: {{amount: ["Kreditbelopp"]}}`)'
)
_COLUMNS_HINT_SV = (
    "Om filen kallar en kolumn något annat, lägg till kolumnens rubrik under `columns:` i "
    'config.yaml (t.ex. `columns: {{amount: ["Kreditbelopp"]}}`)'
)
_NOT_A_TABLE = "not a CSV or Excel file"
_NOT_A_TABLE_SV = "filen är inte en CSV- eller Excelfil"
_ZIP_BOMB = "the file is refused as a possible zip bomb"
_ZIP_BOMB_SV = "filen avvisas eftersom den kan vara en zipbomb"
_MARKER_AGAIN = "nothing was sent — have the sender deliver the whole file again"
_MARKER_AGAIN_SV = "inget skickades — be avsändaren leverera hela filen igen"
_UNREADABLE_MARKER = (
    "its control total cannot be checked, so nothing was sent — correct the marker and "
    "deliver it again"
)
_UNREADABLE_MARKER_SV = (
    "dess kontrollsumma kan inte kontrolleras, så inget skickades — rätta markören och "
    "leverera den igen"
)

REFUSALS: dict[str, tuple[str, str]] = {
    # ---- the file itself (sources/__init__.py, pipeline/preflight.py)
    "refusal.empty": ("the file is empty", "filen är tom"),
    "refusal.missing": ("the file does not exist", "filen finns inte"),
    "refusal.folder": ("this is a folder, not a file", "detta är en mapp, inte en fil"),
    "refusal.permission": (
        "the file cannot be opened: permission denied",
        "filen kan inte öppnas: behörighet saknas",
    ),
    "refusal.unreadable": (
        "the file cannot be read ({reason})",
        "filen kan inte läsas ({reason})",
    ),
    "refusal.not_regular": (
        "is not a regular file (a pipe or a device); save it as a file first",
        "är inte en vanlig fil (en pipe eller en enhet); spara den som en fil först",
    ),
    # ---- what the file is (sources/sniff.py, sources/delimited.py)
    "refusal.not_a_table": (_NOT_A_TABLE, _NOT_A_TABLE_SV),
    "refusal.empty_zip": (
        f"{_NOT_A_TABLE} (it is an empty zip archive)",
        f"{_NOT_A_TABLE_SV} (den är ett tomt zip-arkiv)",
    ),
    "refusal.looks_like": (
        f"{_NOT_A_TABLE} (it looks like {{what}})",
        f"{_NOT_A_TABLE_SV} (den ser ut att vara {{what}})",
    ),
    "refusal.what_pdf": ("a PDF document", "ett PDF-dokument"),
    "refusal.what_png": ("a PNG image", "en PNG-bild"),
    "refusal.what_jpeg": ("a JPEG image", "en JPEG-bild"),
    "refusal.what_gif": ("a GIF image", "en GIF-bild"),
    "refusal.what_gzip": ("a gzip archive", "ett gzip-arkiv"),
    "refusal.what_7z": ("a 7-Zip archive", "ett 7-Zip-arkiv"),
    "refusal.what_rar": ("a RAR archive", "ett RAR-arkiv"),
    "refusal.open_document": (
        f"{_NOT_A_TABLE} (it is an OpenDocument file, but not a spreadsheet)",
        f"{_NOT_A_TABLE_SV} (den är en OpenDocument-fil, men inget kalkylark)",
    ),
    "refusal.office_document": (
        f"{_NOT_A_TABLE} (it is an Office document, but not an Excel workbook)",
        f"{_NOT_A_TABLE_SV} (den är ett Office-dokument, men ingen Excel-arbetsbok)",
    ),
    "refusal.zip_archive": (
        f"{_NOT_A_TABLE} (it is a zip archive)",
        f"{_NOT_A_TABLE_SV} (den är ett zip-arkiv)",
    ),
    "refusal.markup": (
        f"{_NOT_A_TABLE} (it is a web page or XML document, which some systems save with an "
        ".xls name); open it in Excel and save it as .xlsx or CSV",
        f"{_NOT_A_TABLE_SV} (den är en webbsida eller ett XML-dokument, som vissa system sparar "
        "med filändelsen .xls); öppna den i Excel och spara den som .xlsx eller CSV",
    ),
    "refusal.xlsb": (
        "Excel binary workbooks (.xlsb) are not supported; save the file as .xlsx or CSV and retry",
        "binära Excel-arbetsböcker (.xlsb) stöds inte; spara filen som .xlsx eller CSV och "
        "försök igen",
    ),
    # ---- workbooks (sources/workbook.py, sources/zipguard.py)
    "refusal.password": (
        "the workbook is protected with a password; save it without a password and retry",
        "arbetsboken är lösenordsskyddad; spara den utan lösenord och försök igen",
    ),
    "refusal.damaged": (
        "the workbook is damaged or not an Excel file",
        "arbetsboken är skadad eller inte en Excelfil",
    ),
    "refusal.entities": (
        "the workbook's XML uses entity declarations, which Excel never writes and which are a "
        "known attack pattern; the file is refused",
        "arbetsbokens XML innehåller entitetsdeklarationer, som Excel aldrig skriver och som är "
        "ett känt angreppsmönster; filen avvisas",
    ),
    "refusal.no_sheets": ("the workbook has no sheets", "arbetsboken har inga blad"),
    "refusal.no_sheet_number": (
        "the workbook has no sheet number {sheet} (sheets are counted from 0); its sheets are: "
        "{sheets}",
        "arbetsboken har inget blad nummer {sheet} (bladen räknas från 0); dess blad är: {sheets}",
    ),
    "refusal.no_sheet_named": (
        "the workbook has no sheet named '{sheet}'; its sheets are: {sheets}",
        "arbetsboken har inget blad som heter '{sheet}'; dess blad är: {sheets}",
    ),
    "refusal.zip_parts": (
        "the workbook consists of {parts} parts (at most {most} are accepted); " + _ZIP_BOMB,
        "arbetsboken består av {parts} delar (högst {most} godtas); " + _ZIP_BOMB_SV,
    ),
    "refusal.zip_ratio": (
        "the workbook part '{part}' would expand from {packed} to {expanded} (more than "
        "{ratio} times); " + _ZIP_BOMB,
        "arbetsbokens del '{part}' skulle växa från {packed} till {expanded} (mer än {ratio} "
        "gånger); " + _ZIP_BOMB_SV,
    ),
    "refusal.zip_size": (
        "the workbook would expand to more than 1 GB when opened; " + _ZIP_BOMB,
        "arbetsboken skulle växa till mer än 1 GB när den öppnas; " + _ZIP_BOMB_SV,
    ),
    # ---- text (sources/text_encoding.py, sources/delimited.py)
    "refusal.mixed_encodings": (
        "the file mixes two text encodings: most of it is UTF-8, but line {line} has byte "
        "0x{byte}, which is not; save the file again as UTF-8",
        "filen blandar två teckenkodningar: det mesta är UTF-8, men rad {line} har byten "
        "0x{byte}, som inte är det; spara filen igen som UTF-8",
    ),
    "refusal.undecodable": (
        "the file is not UTF-8, UTF-16 or Windows-1252 text (undecodable byte 0x{byte} at line "
        "{line})",
        "filen är inte text i UTF-8, UTF-16 eller Windows-1252 (byten 0x{byte} på rad {line} "
        "kan inte läsas)",
    ),
    "refusal.unknown_encoding": (
        "the configured encoding '{encoding}' is not a known text encoding",
        "den inställda teckenkodningen '{encoding}' är ingen känd teckenkodning",
    ),
    "refusal.not_valid_text": (
        "the file is not valid {encoding} text (undecodable byte 0x{byte} at line {line})",
        "filen är inte giltig {encoding}-text (byten 0x{byte} på rad {line} kan inte läsas)",
    ),
    "refusal.nul_byte": (
        "the file contains a NUL byte at line {line}; it is not plain text",
        "filen innehåller en NUL-byte på rad {line}; den är inte vanlig text",
    ),
    "refusal.bad_delimiter": (
        "the configured delimiter {given} cannot be used",
        "den inställda avgränsaren {given} kan inte användas",
    ),
    "refusal.unclosed_quote": (
        "row {row}: a quoted field is never closed; the quote would swallow every row after "
        "it, so the file is refused (check the quote characters in that row)",
        "rad {row}: ett fält inom citattecken avslutas aldrig; citattecknet skulle sluka varje "
        "rad efter det, så filen avvisas (kontrollera citattecknen på den raden)",
    ),
    "refusal.cell_too_long": (
        "row {row}: a cell is longer than {most} characters; no credit file has such a cell, "
        "so the file is refused (is it the right file?)",
        "rad {row}: en cell är längre än {most} tecken; ingen krediteringsfil har en sådan "
        "cell, så filen avvisas (är det rätt fil?)",
    ),
    "refusal.cell_too_long_quote": (
        "row {row}: a cell is longer than {most} characters, most likely because a quoted "
        "field is never closed (check the quote characters)",
        "rad {row}: en cell är längre än {most} tecken, troligen för att ett fält inom "
        "citattecken aldrig avslutas (kontrollera citattecknen)",
    ),
    "refusal.text_after_quote": (
        "row {row}: text follows the closing quote of a quoted field; a quote inside a quoted "
        'cell must be doubled ("")',
        "rad {row}: text följer efter det avslutande citattecknet i ett fält inom citattecken; "
        'ett citattecken inne i en sådan cell måste skrivas dubbelt ("")',
    ),
    "refusal.csv_unreadable": (
        "row {row}: the line cannot be read as CSV ({reason})",
        "rad {row}: raden kan inte läsas som CSV ({reason})",
    ),
    "refusal.ragged_rows": (
        "{count} of {rows} rows do not have the header's {fields} fields (the first is row "
        "{first}): the file was read with the delimiter {delimiter}, which is probably not the "
        "one it uses; set input.delimiter to the file's delimiter, or quote cells that contain "
        "it",
        "{count} av {rows} rader har inte rubrikradens {fields} fält (den första är rad "
        "{first}): filen lästes med avgränsaren {delimiter}, som troligen inte är den som "
        "filen använder; ange filens avgränsare i input.delimiter, eller sätt citattecken kring "
        "celler som innehåller den",
    ),
    "refusal.delimiter_tab": ("tab", "tabb"),
    # ---- the columns (mapping.py)
    "refusal.no_header": (
        "no header row matches the column mapping: expected columns {expected}; the first row "
        "holds {seen}. " + _COLUMNS_HINT,
        "ingen rubrikrad stämmer med kolumnmappningen: förväntade kolumner {expected}; första "
        "raden innehåller {seen}. " + _COLUMNS_HINT_SV,
    ),
    "refusal.seen_nothing": ("nothing", "ingenting"),
    "refusal.more_characters": ("… ({count} more characters)", "… ({count} tecken till)"),
    "refusal.no_creditor": (
        "no creditor is named for this file (header row {row} has no creditor column; found "
        "{found}): " + NAME_THE_CREDITOR,
        "filen anger ingen borgenär (rubrikrad {row} har ingen kolumn för borgenär; hittade "
        "{found}): " + _NAME_THE_CREDITOR_SV,
    ),
    "refusal.column_missing": (
        "required column missing: {missing} (header row {row}; expected {expected}; found "
        "{found}). " + _COLUMNS_HINT,
        "obligatorisk kolumn saknas: {missing} (rubrikrad {row}; förväntade {expected}; "
        "hittade {found}). " + _COLUMNS_HINT_SV,
    ),
    "refusal.same_field": (
        "header row {row}: columns {columns} all mean {field}; keep one of them",
        "rubrikrad {row}: kolumnerna {columns} betyder alla {field}; behåll en av dem",
    ),
    # ---- a correction file (rerun --fix: pipeline/correction_match.py, correction_origin.py)
    "refusal.fix_row_number": (
        "row {row}: the 'row' column must hold the original row number, not {value}",
        "rad {row}: kolumnen 'row' ('Rad') måste innehålla det ursprungliga radnumret, inte "
        "{value}",
    ),
    "refusal.fix_no_key": (
        "the corrections cannot be matched to the import's rows: the file has no 'row' column "
        "(as report.csv and report.xlsx have), no credit note column and no reference column; "
        "rows are never matched by position, so nothing was changed",
        "rättelserna kan inte kopplas till importens rader: filen har ingen kolumn 'row' eller "
        "'Rad' (som report.csv och report.xlsx har), ingen kolumn för kreditfaktura och ingen "
        "kolumn för referens; rader kopplas aldrig efter sin plats, så inget ändrades",
    ),
    "refusal.fix_other_import": (
        "this is the report of import {imports}, not of import {id} ({name}): corrections "
        "belong to the import they came from (importer rerun {first} --fix {file}); nothing "
        "was changed",
        "detta är rapporten för import {imports}, inte för import {id} ({name}): rättelser "
        "hör till den import de kommer från (importer rerun {first} --fix {file}); inget "
        "ändrades",
    ),
    "refusal.fix_unknown_owner": (
        "unknown (row {row}'s _id {crediting} is no crediting of {id})",
        "okänd (rad {row} har _id {crediting}, som ingen kreditering i {id} har)",
    ),
    "refusal.fix_match": (
        "corrections are matched to import {id} ({name}) by {by}: {problems}; nothing was changed",
        "rättelserna kopplas till import {id} ({name}) efter {by}: {problems}; inget ändrades",
    ),
    "refusal.by_row": ("row number", "radnummer"),
    "refusal.by_credit_invoice": ("credit note", "kreditfaktura"),
    "refusal.by_creditor_reference": ("reference", "referens"),
    "refusal.fix_item": ("row {row} ({by} {value})", "rad {row} ({by} {value})"),
    "refusal.fix_empty": ("empty", "tom"),
    "refusal.fix_unmatched_one": (
        "{items} matches no row of the import",
        "{items} motsvarar ingen rad i importen",
    ),
    "refusal.fix_unmatched_many": (
        "{items} match no row of the import",
        "{items} motsvarar ingen rad i importen",
    ),
    "refusal.fix_several_item": ("{item} matches rows {rows}", "{item} motsvarar raderna {rows}"),
    "refusal.fix_several": (
        "{items}; a correction must match exactly one row",
        "{items}; en rättelse måste motsvara exakt en rad",
    ),
    "refusal.fix_twice_item": (
        "rows {first} and {second} both correct row {row}",
        "raderna {first} och {second} rättar båda rad {row}",
    ),
    "refusal.fix_sheets": (
        "{items} corrected differently on two sheets; correct each row on one sheet only: "
        "nothing was changed",
        "{items} rättade på olika sätt på två blad; rätta varje rad på ett enda blad: inget "
        "ändrades",
    ),
    "refusal.fix_sheets_item": (
        "row {row} ('{first}' and '{second}')",
        "rad {row} ('{first}' och '{second}')",
    ),
    "refusal.and_more": ("{items} and {count} more", "{items} och {count} till"),
    # ---- a sender's control total (pipeline/control_total.py)
    "refusal.marker_rows_unreadable": (
        "the marker {marker} says rows: {value}, which is not a number of rows; "
        + _UNREADABLE_MARKER,
        "markören {marker} anger rows: {value}, vilket inte är ett antal rader; "
        + _UNREADABLE_MARKER_SV,
    ),
    "refusal.marker_amount_unreadable": (
        "the marker {marker} says amount: {value}, which is not an amount such as 1234.50; "
        + _UNREADABLE_MARKER,
        "markören {marker} anger amount: {value}, vilket inte är ett belopp som 1234,50; "
        + _UNREADABLE_MARKER_SV,
    ),
    "refusal.marker_sha256_unreadable": (
        "the marker {marker} says sha256: {value}, which is not a SHA-256 hash; "
        + _UNREADABLE_MARKER,
        "markören {marker} anger sha256: {value}, vilket inte är en SHA-256-summa; "
        + _UNREADABLE_MARKER_SV,
    ),
    "refusal.marker_sha256": (
        "the file's bytes are not the ones the marker {marker} names (its SHA-256 is {sha256}, "
        "the marker says {expected}): it was changed or cut short on the way; nothing was "
        "sent — have the sender deliver it again",
        "filens innehåll är inte det som markören {marker} anger (filens SHA-256 är {sha256}, "
        "markören anger {expected}): den ändrades eller kortades av på vägen; inget skickades "
        "— be avsändaren leverera den igen",
    ),
    "refusal.marker_rows": (
        "the marker {marker} says {expected} rows, the file has {rows}: it may have been cut "
        "short; " + _MARKER_AGAIN,
        "markören {marker} anger {expected} rader, filen har {rows}: den kan ha kortats av; "
        + _MARKER_AGAIN_SV,
    ),
    "refusal.marker_amount_unread": (
        "the marker {marker} says an amount of {amount}, but {count} row(s) have no readable "
        "amount, so the file's total cannot be checked; " + _MARKER_AGAIN,
        "markören {marker} anger beloppet {amount}, men {count} rad(er) har inget läsbart "
        "belopp, så filens summa kan inte kontrolleras; " + _MARKER_AGAIN_SV,
    ),
    "refusal.marker_amount": (
        "the marker {marker} says an amount of {amount}, the file's rows add up to {total}: it "
        "may have been cut short or changed; " + _MARKER_AGAIN,
        "markören {marker} anger beloppet {amount}, men filens rader summerar till {total}: "
        "den kan ha kortats av eller ändrats; " + _MARKER_AGAIN_SV,
    ),
}

FIELDS_SV: dict[str, str] = {
    "creditor": "borgenär",
    "case": "ärende",
    "invoice_number": "fakturanummer",
    "case / invoice_number": "ärende / fakturanummer",
    "currency": "valuta",
    "amount": "belopp",
    "origin": "ursprung",
    "credit_invoice": "kreditfaktura",
    "client_registration_date": "registreringsdatum",
    "creditor_reference": "referens",
    "account": "konto",
}
"""The request's fields as a Swedish refusal names them (`field`, `missing`, `expected`);
English names a field by its name in the request and in `columns:` of config.yaml, so these
are not catalogue keys (a name is the same in both columns of a key's English)."""
