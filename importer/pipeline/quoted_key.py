"""The API key is never quoted back from a file. A file can hold anything, the key too, and
the program quotes the file's texts in its own words: a refused file's refusal (a header cell,
a sheet's name, the name in its sentence) and a row's errors (`Amount '…' is not a number.`).
Those words reach the command line, `importer show`, the night's summary, notifications, the
reports and the journal, so the key is removed from them where they are made: the key the
importer sends and the one `api.api_key_env` holds, in every form the answers' redaction
removes (`api.redaction.key_remover`), a quote cut short inside it included.

What is not removed: the file's own cells, kept as they are in its report and journal (a
`--fix` reads them back), and a file whose own name is the key keeps that name where the file
is named as a file (the journal's file name, the log, the night's summary, the archive in
failed/)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from importer.api.redaction import KeyRemover, key_remover
from importer.api.target import Target
from importer.config import Config
from importer.errors import FileRejected


def remover(config: Config, target: Target) -> KeyRemover:
    """What removes the key `target` sends and the one `config`'s variable holds."""
    return key_remover(target.api_key, os.environ.get(config.api.api_key_env, "").strip())


def without_key(config: Config, target: Target, rejected: FileRejected) -> FileRejected:
    """`rejected` with the key removed (`remover`)."""
    return rejected.redacted(remover(config, target))


@contextmanager
def refusals_without_key(config: Config, target: Target) -> Iterator[None]:
    """A refusal raised inside raised again `without_key` (a `--fix` file's: it is said, never
    journaled)."""
    try:
        yield
    except FileRejected as refused:
        raise without_key(config, target, refused) from None
