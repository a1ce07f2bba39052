"""What the command line says about itself: the exit codes, the examples of `importer --help`
and each command's one-line summary, description and examples (`importer COMMAND --help`).

Apart from `importer.cli_parser`, the grammar (which options each command takes), because these
are texts for a person, read and edited as prose; the parser attaches them to its commands."""

from __future__ import annotations

EXIT_CODES = """\
exit codes: 0 all credited and completed; 1 rows need attention; 2 usage error or file
rejected as a whole (nothing posted); 3 run could not finish (rerun resumes it)"""

EXAMPLES = f"""\
examples:
  importer run samples/credits.csv                 import into the embedded sandbox
  importer validate nightly/*.csv                  check files, send nothing
  importer rerun 20261124-204500-3fa2c1d9          post again what did not go through
  importer show 20261124-204500-3fa2c1d9           one import and its rows needing attention
  importer imports --since 2026-11-01 --status open
  importer config                                  effective settings and where they came from
  importer drop /srv/inbox                         import the finished files of an inbox
  importer schema > report.schema.json             the JSON Schema of report.json
  importer sandbox --port 8080                     serve the local Amili-compatible API

{EXIT_CODES}
"""

COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": (
        "import files",
        "Read, validate and post every row of each FILE to the crediting API, in file order "
        "(with --lanes N, up to N cases at once, each case in file order), exactly once; "
        "write the report (json, csv, xlsx, html) under report.dir/<import id>/.",
        """\
  importer run samples/credits.csv
  importer run --api-url https://api.example.com/v1 credits.xlsx
  importer run --lanes 8 nightly.csv               8 cases at once, each in file order
  importer run --all-or-nothing credits.csv        post nothing if any row is invalid
  importer run --dry-run credits.csv               same as validate""",
    ),
    "validate": (
        "check files; send nothing (run --dry-run)",
        "Read and validate each FILE and write the report of what would be sent. Nothing is "
        "sent and no row is kept in the journal.",
        """\
  importer validate credits.csv
  importer validate --report-dir /tmp/check nightly/*.csv""",
    ),
    "rerun": (
        "post again what did not go through",
        "Post the rows of an import that are not final (not_sent, unknown after a lookup, "
        "rejected), optionally corrected by --fix; the report is rendered again in place. "
        "--fix takes an edited report.csv or report.xlsx, or the original format holding "
        "the corrected rows; they are matched by the 'row' column, else by credit note, else "
        "by the file's reference, never by position.",
        """\
  importer rerun 20261124-204500-3fa2c1d9          after an outage
  importer rerun 20261124-204500-3fa2c1d9 --fix reports/20261124-204500-3fa2c1d9/report.csv
  importer rerun 20261124-204500-3fa2c1d9 --fix fixed.xlsx --dry-run   see what it would send
  importer rerun reports/20261124-204500-3fa2c1d9/report.json""",
    ),
    "imports": (
        "list imports with counts per outcome",
        "Every import the journal knows, oldest first, with its file, time, state, counts "
        "per outcome, creditor, amounts read, credited and settled, and the rows still "
        "needing a person by kind (--attention: only imports with such rows).",
        """\
  importer imports
  importer imports --attention
  importer imports --since 2026-11-24 --status open
  importer imports --creditor 5f1a2b3c4d5e6f7a8b9c0d1e --json""",
    ),
    "show": (
        "one import's summary and its rows needing attention",
        "Print one import's summary, the next step and every row needing attention with the "
        "reason in words, from the journal.",
        """\
  importer show 20261124-204500-3fa2c1d9
  importer show reports/20261124-204500-3fa2c1d9/report.json""",
    ),
    "report": (
        "render an import's report again",
        "Write an import's report files again from the journal (not for dry runs), e.g. after "
        "changing report.language or when a disk was full.",
        """\
  importer report 20261124-204500-3fa2c1d9""",
    ),
    "drop": (
        "import the finished files of an inbox, archive them, summarise",
        "Take each finished file of INBOX (a <name>.done/.ok marker beside it, or unchanged "
        "for drop.settle_seconds and open for writing by nobody), claim it into "
        "INBOX/processing/, import it exactly as `run` does, archive it to "
        "INBOX/done/YYYY-MM-DD/ or INBOX/failed/YYYY-MM-DD/ (with <name>.reason.txt), and "
        "add to the night's summary under report.dir/drops/<night>/ (written, printed and "
        "notified only when a pass has news; -v prints it every pass). A subfolder holding a "
        "config.yaml is a creditor's inbox whose settings overlay the main ones. A file that "
        "could not finish stays in processing/ and is resumed first next time. One drop per "
        "inbox: a second one exits 0 at once. SIGTERM: the file in flight finishes first.",
        """\
  importer drop /srv/inbox                         one pass (cron, a systemd timer)
  importer drop --watch --interval 30 /srv/inbox   keep polling until SIGTERM
  importer drop --creditor 5f1a2b3c4d5e6f7a8b9c0d1e /srv/inbox""",
    ),
    "resolve": (
        "mark rows needing attention as handled (nothing is sent)",
        "Mark ROWs of an import as handled by a person: they leave 'needs attention', the "
        "reports are written again showing who, when and why, and rerun leaves them alone. "
        "The OS user and host are recorded always (--by adds a name). An unknown row must be "
        "looked up (importer rerun) first. --reopen puts the rows back.",
        """\
  importer resolve 20261124-204500-3fa2c1d9 4 6 --note "credited by hand in Amili"
  importer resolve 20261124-204500-3fa2c1d9 5 --note "creditor agrees" --by "Anna L"
  importer resolve 20261124-204500-3fa2c1d9 4 --reopen --note 'was the wrong row'""",
    ),
    "backup": (
        "write a consistent copy of the journal, while importers run",
        "Copy the journal to PATH with SQLite's online backup: one consistent snapshot, "
        "taken while importers keep posting (a cp of a journal in WAL mode is no backup). "
        "PATH is one self-contained file; an existing PATH is refused unless --overwrite.",
        """\
  importer backup /srv/backup/journal-$(date +%F).sqlite
  importer backup --overwrite /srv/backup/journal-latest.sqlite""",
    ),
    "journal copy": (
        "copy the SQLite journal into an empty journal on a PostgreSQL server",
        "Copy every import, row, attempt, claim, correction, resolution and note of the "
        "SQLite journal (journal.path, or --journal) into the empty journal of the "
        "PostgreSQL server URL names, in one transaction, and check the counts table by "
        "table. It copies a consistent snapshot: importers may keep writing the file, and "
        "what they write after the snapshot is not copied (stop them, then switch to "
        "journal.url). A journal that already holds imports is refused: nothing is doubled. "
        "The URL never holds the password: journal.password_env names the variable that does, "
        "or libpq's PGPASSWORD or ~/.pgpass give it.",
        """\
  importer journal copy --to postgresql://importer@db.example.se/importer_journal
  importer journal copy --journal old/journal.sqlite --to 'postgresql://importer@db/j?sslmode=verify-full'""",
    ),
    "prune": (
        "remove old report folders, drop summaries and (with --archives) archived files",
        "Remove report folders and drop summaries older than DAYS (by their newest file), "
        "never those of an import with rows still needing a person or not finished; the "
        "archived originals of INBOX's done/ and failed/ only with --archives INBOX; never "
        "anything in processing/. The journal's rows are kept (importer report ID writes a "
        "report again).",
        """\
  importer prune --older-than 90 --dry-run         see what would go
  importer prune --older-than 90
  importer prune --older-than 3650 --archives /srv/inbox""",
    ),
    "config": (
        "print the effective settings and where each came from",
        "Print every setting as the importer would use it, and whether it came from the "
        "command line, the configuration file or the built-in default. The API key is never "
        "shown.",
        """\
  importer config
  importer config --config /etc/importer/config.yaml
  IMPORTER_CONFIG=nightly.yaml importer config""",
    ),
    "notify-failure": (
        "tell by mail or webhook that a scheduled job failed",
        "Send, over the channels of the notify section (whatever notify.when says), that the "
        "scheduled job UNIT failed, with the night's summary so far. For systemd's "
        "OnFailure= (samples/systemd/importer-failure@.service). Exit 3 when nothing could "
        "be sent.",
        """\
  importer notify-failure importer-drop.service""",
    ),
    "schema": (
        "print the JSON Schema of report.json",
        "Print the JSON Schema that every report.json follows (generated from the models that "
        "write it; `schema_version` in a report names its version).",
        """\
  importer schema > report.schema.json""",
    ),
}
