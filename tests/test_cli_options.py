"""The options of `run`, `validate` and `rerun` are the ones the README's table lists, command
by command — the table is walked against each command's parser both ways — and switching
`run` for `validate` is a one-word change: an option that means nothing when nothing is sent
is accepted, ignored and said to be ignored in one line on stderr."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_support import CREDITOR, SAMPLE, Main

from importer.cli_parser import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
COMMANDS = ("run", "validate", "rerun")
_ROW = re.compile(r"^\| (`-[^|]+) \| (\w+) \| (\w+) \| (\w+) \|", re.MULTILINE)
_VALUES = {"ID": CREDITOR, "N": "2"}
_POSITIONAL = {"run": ["f.csv"], "validate": ["f.csv"], "rerun": ["20261124-204500-3fa2c1d9"]}


def readme_table() -> dict[str, tuple[list[str], dict[str, str]]]:
    """Option -> (its spellings with a value if it takes one, {command: yes/ignored/no})."""
    table = {}
    for names, *marks in _ROW.findall(README.read_text(encoding="utf-8")):
        spellings = [name.strip("`").split() for name in names.split(", ")]
        key = spellings[-1][0]
        table[key] = ([" ".join(s) for s in spellings], dict(zip(COMMANDS, marks, strict=True)))
    return table


def _argv(command: str, spelling: str) -> list[str]:
    option, *metavar = spelling.split()
    value = [_VALUES.get(metavar[0], "x")] if metavar else []
    return [command, *_POSITIONAL[command], option, *value]


def parser_options(command: str, capsys: pytest.CaptureFixture[str]) -> set[str]:
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    options = capsys.readouterr().out.split("options:", 1)[1]
    return set(re.findall(r"(?m)^\s+(?:-\w, )?(--[a-z-]+)", options)) - {"--help"}


def test_the_readme_lists_the_options_people_switch_between() -> None:
    table = readme_table()
    assert {"--lanes", "--allow-repeats", "--force", "--all-or-nothing", "--fix"} <= set(table)
    assert table["--lanes"][1] == {"run": "yes", "validate": "ignored", "rerun": "yes"}


@pytest.mark.parametrize("command", COMMANDS)
def test_each_listed_option_is_accepted_or_refused_as_the_readme_says(command: str) -> None:
    for option, (spellings, marks) in readme_table().items():
        for spelling in spellings:
            argv = _argv(command, spelling)
            if marks[command] in ("yes", "ignored"):
                build_parser().parse_args(argv)  # accepted
            else:
                assert marks[command] == "no", (option, marks)
                with pytest.raises(SystemExit):
                    build_parser().parse_args(argv)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_of_the_parser_is_in_the_readme(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = {key for key, (_, marks) in readme_table().items() if marks[command] != "no"}
    assert parser_options(command, capsys) == listed


def test_validate_takes_runs_options_and_says_which_it_ignores(main: Main) -> None:
    code, out, err = main(
        "validate", "--lanes", "4", "--force", "--all-or-nothing", "--allow-repeats", str(SAMPLE)
    )
    assert code == 1, err  # the sample's invalid row
    assert err.splitlines() == [
        "importer: --lanes, --all-or-nothing: ignored in a dry run (nothing is sent)"
    ]
    assert "dry run, nothing sent" in out


def test_run_dry_run_says_the_same_and_run_itself_ignores_nothing(main: Main) -> None:
    code, _, err = main("run", "--dry-run", "--lanes", "4", str(SAMPLE))
    assert code == 1
    assert err.strip() == "importer: --lanes: ignored in a dry run (nothing is sent)"
    _, _, err = main("validate", str(SAMPLE))
    assert "ignored" not in err
