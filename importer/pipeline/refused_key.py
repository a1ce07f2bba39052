"""A file refused as a whole is said without the API key: its refusal quotes the file's own
texts (a header cell, a sheet's name, the name in its sentence), and a file can hold anything,
the key too. The key removed is the one the importer sends and the one `api.api_key_env`
holds, in every form the answers' redaction removes (`api.redaction.key_remover`), before the
refusal is journaled, reported or said. A file whose own name is the key keeps that name where
the file is named as a file (the journal's file name, the log, the night's summary, the
archive in failed/)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from importer.api.redaction import key_remover
from importer.api.target import Target
from importer.config import Config
from importer.errors import FileRejected


def without_key(config: Config, target: Target, rejected: FileRejected) -> FileRejected:
    """`rejected` with the key `target` sends and the one `config`'s variable holds removed."""
    key = os.environ.get(config.api.api_key_env, "").strip()
    return rejected.redacted(key_remover(target.api_key, key))


@contextmanager
def refusals_without_key(config: Config, target: Target) -> Iterator[None]:
    """A refusal raised inside raised again `without_key` (a `--fix` file's: it is said, never
    journaled)."""
    try:
        yield
    except FileRejected as refused:
        raise without_key(config, target, refused) from None
