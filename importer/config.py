"""Configuration (docs/reports.md): one pydantic model, loaded from YAML or built-in defaults.

Secrets never live here: `api.api_key_env` names the environment variable that holds the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from importer.api.request import FIELDS, SERVER_FIELDS
from importer.config_drop import DropConfig
from importer.config_section import HOUR
from importer.config_section import Section as _Section
from importer.journal.server import STATEMENT_TIMEOUT, JournalServer, server_of, url_problem
from importer.local_time import check_zone
from importer.notify.settings import ENV_NAME, NotifyConfig

SANDBOX = "sandbox"
LANES_MAX = 64

# API field -> header names accepted besides the field name itself. Matched case- and
# whitespace-insensitively (see importer.mapping).
_ALIASES: dict[str, list[str]] = {
    "creditor": ["borgenär", "borgenar", "borgenärs-id"],
    "case": ["case_id", "ärende", "ärendenummer", "ärende-id"],
    "invoice_number": ["invoice number", "fakturanummer", "fakturanr"],
    "amount": ["belopp"],
    "currency": ["valuta"],
    "credit_invoice": ["credit invoice", "kreditfaktura", "kreditfakturanr"],
    "client_registration_date": ["datum", "krediteringsdatum"],
    "creditor_reference": ["referens"],
    "account": ["konto"],
}
BUILTIN_ALIASES: dict[str, list[str]] = {
    name: [name, *_ALIASES.get(name, [])] for name in (*FIELDS, *SERVER_FIELDS)
}
"""Every field of the request contract (and Amili's own, to recognise and ignore them), each
with its built-in header names: the keys come from `api.request`, never a list of their own."""


class ApiConfig(_Section):
    base_url: str = SANDBOX
    api_key_env: str = Field(default="AMILI_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """The *name* of the environment variable holding the key (never the key)."""
    connect_timeout: float = Field(default=5.0, gt=0, le=HOUR)
    read_timeout: float = Field(default=30.0, gt=0, le=HOUR)
    response_deadline: float = Field(default=120.0, gt=0, le=HOUR)
    """Seconds for a whole answer, headers and body: a body sent a byte a second never
    trips `read_timeout` (each byte resets it), so an answer is also bounded as a whole."""
    max_response_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024**3)
    """An answer larger than this is not read on: the attempt's outcome is unknown."""
    ca_bundle: Path | None = None
    """A PEM file of the CA(s) that signed the API's certificate (a private CA); verification
    itself is never turned off."""
    max_attempts: int = Field(default=6, ge=1, le=50)
    backoff_base: float = Field(default=0.5, ge=0, le=60)
    backoff_cap: float = Field(default=30.0, ge=0, le=300)
    send_account: bool = False
    allow_plain_http: bool = False
    """A plain `http://` base URL to a host other than the loopback is refused (the key would
    cross the network unencrypted) unless this says a gateway on the way encrypts it."""
    settle_seconds: float = Field(default=60.0, ge=0, le=HOUR, allow_inf_nan=False)
    """How long after an attempt whose answer never came before it is looked up: a request
    may be stored later than it timed out. Never below read_timeout (see `settle`)."""

    @property
    def settle(self) -> float:
        """The settle time in force: `settle_seconds`, but never below `read_timeout` — a
        resumed run must wait at least as long as the dead run would have."""
        return max(self.settle_seconds, self.read_timeout)

    @model_validator(mode="after")
    def _deadline_covers_timeouts(self) -> ApiConfig:
        if self.response_deadline < self.read_timeout:
            raise ValueError(
                f"response_deadline ({self.response_deadline:g} s) must not be shorter than "
                f"read_timeout ({self.read_timeout:g} s)"
            )
        return self


class PostingConfig(_Section):
    """How many rows are in flight at once (see importer.lanes)."""

    lanes: int = Field(default=1, ge=1, le=LANES_MAX)
    """1: strict file order. N: rows of different cases in parallel, each case in file order."""
    max_rate: float | None = Field(default=None, ge=1 / HOUR)
    """Requests per second across all lanes (and the read-back); None: as fast as answered."""


class DefaultsConfig(_Section):
    creditor: str | None = None
    currency: str = "SEK"
    origin: str = "creditor_system"


class InputConfig(_Section):
    encoding: str | None = None
    delimiter: str | None = None
    decimal_separator: Literal[".", ","] | None = None
    sheet: str | int | None = None
    timezone: str = "Europe/Stockholm"
    hidden_rows: Literal["import", "skip"] = "skip"
    """Hidden workbook rows: left out (and listed) by default; see `sheet_view`."""
    date_format: str | None = None
    """A `strptime` pattern (`%d/%m/%Y`) for the dates that are not ISO or RFC 1123."""
    negative_amounts: Literal["reject", "absolute"] = "reject"
    require_final_newline: bool = True
    """A CSV whose last line has no line break may have been cut off: its last row is
    `invalid` (`unterminated_row`). false: the sender's files end so, and the row is read."""
    max_amount: str = "100000000.00"

    @field_validator("date_format")
    @classmethod
    def _date_pattern(cls, v: str | None) -> str | None:
        """A pattern must name the year, month and day: a date read back through it must be
        the date written with it (so `%d/%m` or a typo such as `%d/%M/%Y` is refused)."""
        if v is None:
            return v
        sample = dt.datetime(2026, 11, 20)
        try:
            same = dt.datetime.strptime(sample.strftime(v), v).date() == sample.date()
        except ValueError:
            same = False
        if not same:
            raise ValueError(f"{v!r} is not a date pattern with year, month and day (%Y %m %d)")
        return v

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str | None) -> str | None:
        if v is not None and v not in {",", ";", "\t", "|"}:
            raise ValueError("must be one of , ; | or a tab")
        return v


class ReportConfig(_Section):
    dir: Path = Path("reports")
    # a pydantic field (copied per instance), which ruff cannot tell from the imported base
    formats: list[Literal["json", "csv", "xlsx", "html"]] = ["json", "csv", "xlsx", "html"]  # noqa: RUF012
    language: Literal["en", "sv"] = "en"
    """The language of the words in report.xlsx, report.html and report.json's `texts`."""
    xlsx_all_rows: int = Field(default=50_000, ge=0)
    """The workbook's "All rows" sheet is written up to this many rows (report.csv and
    report.json always hold every row)."""
    csv_dialect: Literal["source", "excel", "excel-sv"] = "source"
    """report.csv's delimiter and decimal mark: the source's own (a `;` file with decimal
    commas gets `;` and decimal commas), or pinned: `excel` (`,` and `.`), `excel-sv` (`;`
    and `,`)."""
    timezone: str | None = None
    """The one time zone people read times in — reports, the command line, drop summaries —
    shown with its offset (`importer.local_time`); None: the machine's own. The journal and
    JSON outputs keep UTC."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        return check_zone(v)


class JournalConfig(_Section):
    path: Path = Path("journal.sqlite")
    """The SQLite file, when no `url` names a server."""
    url: str | None = None
    """A journal on a PostgreSQL server, `postgresql://user@host:port/database`, TLS as
    libpq's own parameters (`?sslmode=verify-full&sslrootcert=/etc/importer/db-ca.pem`).
    Never with a password: refused here, as it would be shown wherever the journal is named."""
    password_env: str | None = Field(default=None, pattern=ENV_NAME)
    """The *name* of the environment variable holding the server's password; None leaves it
    to libpq (`PGPASSWORD`, `~/.pgpass`, a client certificate)."""
    statement_timeout: float = Field(default=STATEMENT_TIMEOUT, ge=1, le=HOUR)
    """Seconds a journal server has to answer one round trip (a statement, a transaction's
    commit, a block of a report) before the run stops as for a server gone (exit 3, resumed
    by the same command): a frozen server would otherwise hold the run for ever. Per round
    trip, never per import; below a second a loaded server's ordinary answer could miss it."""

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: object) -> object:
        if isinstance(data, dict) and "password" in data:
            raise ValueError(
                "journal.password is a secret and never goes into the file: put it in an "
                "environment variable and name that variable in journal.password_env"
            )
        return data

    @field_validator("url")
    @classmethod
    def _server_url(cls, url: str | None) -> str | None:
        problem = None if url is None else url_problem(url)
        if problem is not None:
            raise ValueError(problem)
        return url

    def place(self) -> Path | JournalServer:
        """Where the journal is: the server `url` names (with its password from
        `password_env`), else the SQLite file at `path`."""
        if self.url is None:
            return self.path
        return server_of(self.url, self.password_env, self.statement_timeout)


class ReferenceConfig(_Section):
    generate: bool = True


class DedupeConfig(_Section):
    credit_invoice: bool = True
    repeats: Literal["duplicate", "allow"] = "duplicate"
    """A row identical to one credited by an earlier import: `duplicate` (not sent), or
    `allow` (sent again: the creditor's files repeat rows on purpose)."""
    require_api_lookup: bool = True
    """Before a row is sent the API is asked whether it holds it already; an API that
    refuses that look-up's filter stops the run (exit 2) unless this is false — then the
    journal alone decides, and the summary and every report name the weakened guarantee."""


class SandboxConfig(_Section):
    """The embedded sandbox (`api.base_url: sandbox`, the default)."""

    cases: Path | None = None
    """A JSON list of case documents (as `importer sandbox --cases` takes) added to the
    embedded sandbox's database (`sandbox.sqlite` beside the journal); cases it already has
    keep their balances. None: the packaged sample cases."""


class Config(_Section):
    api: ApiConfig = ApiConfig()
    posting: PostingConfig = PostingConfig()
    defaults: DefaultsConfig = DefaultsConfig()
    columns: dict[str, list[str]] = Field(default_factory=dict)
    input: InputConfig = InputConfig()
    report: ReportConfig = ReportConfig()
    journal: JournalConfig = JournalConfig()
    reference: ReferenceConfig = ReferenceConfig()
    dedupe: DedupeConfig = DedupeConfig()
    reconcile: Literal["lookup", "manual"] = "lookup"
    drop: DropConfig = DropConfig()
    notify: NotifyConfig = NotifyConfig()
    sandbox: SandboxConfig = SandboxConfig()

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(columns) - set(BUILTIN_ALIASES))
        if unknown:
            raise ValueError(
                f"unknown API field(s) {', '.join(unknown)}; known: {', '.join(BUILTIN_ALIASES)}"
            )
        return columns

    @model_validator(mode="after")
    def _folders_valid(self) -> Config:
        """Each of `drop.folders` laid over this configuration, as a drop will lay it, so a
        wrong value is refused at load naming it (`drop.folders.acme.input.delimiter`)."""
        if not self.drop.folders:
            return self
        base = self.model_dump(mode="python")
        base["drop"]["folders"] = {}
        for name, settings in self.drop.folders.items():
            try:
                Config.model_validate(merged(base, settings))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                message = first["msg"].removeprefix("Value error, ")
                raise ValueError(f"drop.folders.{name}.{where}: {message}") from None
        return self

    def aliases(self) -> dict[str, list[str]]:
        """Built-in aliases extended (never replaced) by the configured ones."""
        merged = {field: list(names) for field, names in BUILTIN_ALIASES.items()}
        for field, names in self.columns.items():
            merged.setdefault(field, [field])
            merged[field].extend(names)
        return merged


def merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (a list of header names, a number) replaces."""
    out = dict(base)
    for key, value in over.items():
        below = out.get(key)
        out[key] = (
            merged(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
        )
    return out
