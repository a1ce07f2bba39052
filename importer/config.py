"""Configuration (DESIGN.md §4): one pydantic model, loaded from YAML or built-in defaults.

Secrets never live here: `api.api_key_env` names the environment variable that holds the key."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from importer.api.request import FIELDS, SERVER_FIELDS
from importer.errors import ConfigError
from importer.local_time import check_zone

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


class _Section(BaseModel):
    # `.inf` and `.nan` are valid YAML floats; no timeout or wait of ours means either.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_switch_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        """YAML reads `true`, `yes` and `on` as booleans, which pydantic takes for 1 (and
        `false` for 0): `lanes: true` would run one lane without a word. A switch where the
        setting is no switch is a typo."""
        if value.__class__ is bool and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            # a number or a free text only: a section, a mapping or a list of choices is
            # refused by pydantic, whose message says what it wants ('marker', 'stable'…)
            union = get_origin(annotation) in (Union, UnionType)
            kinds = get_args(annotation) if union else (annotation,)
            if any(kind in (int, float, str, Path) for kind in kinds):
                raise ValueError("expected a number or a text, not true/false (yes/no, on/off)")
        return value


HOUR = 3600.0
"""The ceiling of every timeout and wait: a setting beyond it is a typo, not a wish, and a
nightly run that sleeps for a day is the failure the ceiling prevents."""


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
    formats: list[Literal["json", "csv", "xlsx", "html"]] = ["json", "csv", "xlsx", "html"]
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


class ReferenceConfig(_Section):
    generate: bool = True


class DedupeConfig(_Section):
    credit_invoice: bool = True
    repeats: Literal["duplicate", "allow"] = "duplicate"
    """A row identical to one credited by an earlier import: `duplicate` (not sent), or
    `allow` (sent again: the creditor's files repeat rows on purpose)."""


class DropConfig(_Section):
    """`importer drop` (DESIGN.md §7): when a file in an inbox counts as finished."""

    ready: Literal["marker", "stable", "either"] = "either"
    """`marker`: a `<name>.done`/`.ok` beside it; `stable`: unchanged for `settle_seconds`
    and open for writing by nobody; `either` (default): whichever comes first."""
    settle_seconds: float = Field(default=60.0, ge=0)


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

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(columns) - set(BUILTIN_ALIASES))
        if unknown:
            raise ValueError(
                f"unknown API field(s) {', '.join(unknown)}; known: {', '.join(BUILTIN_ALIASES)}"
            )
        return columns

    def aliases(self) -> dict[str, list[str]]:
        """Built-in aliases extended (never replaced) by the configured ones."""
        merged = {field: list(names) for field, names in BUILTIN_ALIASES.items()}
        for field, names in self.columns.items():
            merged.setdefault(field, [field])
            merged[field].extend(names)
        return merged


def config_path(path: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """The configuration file to read and whether it was asked for (`--config` or
    `$IMPORTER_CONFIG`: then it must exist) or is only the default `./config.yaml`."""
    from_env = os.environ.get("IMPORTER_CONFIG")
    if path is None and from_env is not None and not from_env.strip():
        raise ConfigError("IMPORTER_CONFIG is set but empty; name a configuration file or unset it")
    explicit = path is not None or from_env is not None
    return Path(path or from_env or "config.yaml"), explicit


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """`--config PATH`, else `$IMPORTER_CONFIG`, else `./config.yaml`, else built-in defaults.
    Relative paths inside the file are resolved against the file's folder, so a scheduler can
    run the importer from any working directory."""
    chosen, explicit = config_path(path)
    if not chosen.exists():
        if explicit:
            raise ConfigError(f"configuration file {chosen} does not exist")
        return Config()
    if chosen.is_dir():
        raise ConfigError(f"configuration file {chosen} is a folder; name the config.yaml in it")
    return _validated(chosen, _read_mapping(chosen), {})


def overlay_config(
    base: Config, path: Path, *, creditor_said: bool = False, creditor: str | None = None
) -> Config:
    """`base` with the settings of the YAML file at `path` laid over it, section by section
    (a creditor's inbox: typically `defaults.creditor`, `columns`, `input`). Relative paths the
    overlay sets are resolved against its own folder; the ones it leaves keep base's.

    `creditor_said` (a creditor's inbox): when `base` has a default creditor, the overlay must
    say its own (`defaults.creditor`, null for rows that name theirs) — inherited, it would
    credit this inbox's files to `base`'s creditor, wherever its invoice numbers match.
    `creditor` (the drop's `--creditor`) says it instead; an overlay naming another creditor
    is refused: two statements of whose files these are that disagree."""
    data = _read_mapping(path)
    defaults = data.get("defaults")
    says = isinstance(defaults, dict) and "creditor" in defaults
    inherited = base.defaults.creditor
    if creditor is None and creditor_said and inherited and not says:
        raise ConfigError(
            f"{path}: names no creditor (defaults.creditor), so its files would be credited "
            f"to the main configuration's creditor {inherited}; name this inbox's creditor "
            "(its files wait)"
        )
    config = _validated(path, data, base.model_dump(mode="python"))
    own = config.defaults.creditor
    if creditor is not None and says and own is not None and own != creditor:
        raise ConfigError(
            f"{path}: names creditor {own}, but --creditor is {creditor}; make them agree "
            "(its files wait)"
        )
    return config


def _read_mapping(chosen: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{chosen}: not UTF-8 text (save it as UTF-8): {exc.reason}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{chosen}: not valid YAML ({exc.__class__.__name__})") from exc
    except OSError as exc:
        raise ConfigError(f"configuration file {chosen}: cannot be read ({exc.strerror})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{chosen}: expected a mapping of sections at the top level")
    return data


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (a list of header names, a number) replaces."""
    out = dict(base)
    for key, value in over.items():
        below = out.get(key)
        out[key] = (
            _merged(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
        )
    return out


def _validated(chosen: Path, data: dict[str, Any], base: dict[str, Any]) -> Config:
    try:
        config = Config.model_validate(_merged(base, data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        # from None: pydantic's error repeats the input values, and a key pasted into the
        # configuration by mistake must not reach a traceback (--debug) either.
        message = first["msg"].removeprefix("Value error, ")  # our own words need no label
        raise ConfigError(f"{chosen}: setting {where}: {message}") from None
    folder = chosen.resolve().parent
    overlay = bool(base)  # an overlay resolves only the paths it sets itself
    if not config.report.dir.is_absolute() and (not overlay or "dir" in data.get("report", {})):
        config.report.dir = folder / config.report.dir
    if not config.journal.path.is_absolute() and (not overlay or "path" in data.get("journal", {})):
        config.journal.path = folder / config.journal.path
    bundle = config.api.ca_bundle
    if bundle is not None and not bundle.is_absolute():
        config.api.ca_bundle = folder / bundle
    check_paths(config)
    return config


def check_paths(config: Config) -> None:
    """Paths that name the wrong kind of thing are refused at load, before anything is read:
    a report folder that is a file would otherwise fail only after every row was posted."""
    if config.report.dir.exists() and not config.report.dir.is_dir():
        raise ConfigError(f"report.dir: {config.report.dir} is a file, not a folder")
    if config.journal.path.is_dir():
        raise ConfigError(f"journal.path: {config.journal.path} is a folder, not a file")
    bundle = config.api.ca_bundle
    if bundle is not None and not bundle.is_file():
        raise ConfigError(f"api.ca_bundle: {bundle} is not a file")
