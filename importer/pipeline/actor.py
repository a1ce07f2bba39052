"""Who changes an import by hand: the OS user and host, always, and a name when one is given.

A `--by` name is typed by whoever runs the command, so it is recorded beside the account the
command ran under, never instead of it: the trail says who really did it even when the name
is wrong or shared."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    os_user: str
    host: str
    by: str | None = None


def current_actor(by: str | None = None) -> Actor:
    """The account and host this process runs under, with `by` (blank is no name)."""
    return Actor(_account(), socket.gethostname(), (by or "").strip() or None)


def _account() -> str:
    """The login name of the process's user id — not $USER or $LOGNAME, which whoever runs
    the command sets as freely as `--by` (getpass reads them first). Where there are no
    user ids (Windows), getpass's answer; with none of the variables getpass reads set, it
    needs `pwd` itself (ImportError before Python 3.13, OSError since): "unknown"."""
    try:
        import pwd
    except ImportError:  # Windows
        try:
            return getpass.getuser()
        except (OSError, KeyError, ImportError):
            return "unknown"
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid without a name (a container's): the number says who
        return f"uid {uid}"
