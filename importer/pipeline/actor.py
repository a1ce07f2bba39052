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
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor in the password file
        user = f"uid {os.getuid()}"
    return Actor(user, socket.gethostname(), (by or "").strip() or None)
