"""The API key is removed from every answer where answers enter, before anything reads them.

An API or a gateway may echo the request's headers into its answer — a 422's `_issues`, a
400's `_error`, a reason phrase, an HTML error page — and whatever an answer says is kept: in
the journal, report.json/.csv/.xlsx/.html, `importer show`. Redacting each of those would be
a promise every future line must keep; here it is one hook on the session that carries the
key (`api.connection`): it runs when a response's head has arrived and before its body is
read, so every reader of the answer — the POST's classification, the look-ups' JSON, the read-
back — only ever sees `[API key removed]`.

What is replaced: the key as sent, and as JSON may escape it (`\\/` for `/`, `\\"`, `\\\\`, and any
character as `\\uXXXX`, which some encoders write for '+' or '='), in
the body (streamed: an echo split across two pieces of a chunked body is still found, since
the last `len(key) - 1` bytes of each piece are held back until the next arrives), the reason
phrase and the header values. The body is read through `response.raw.stream`, as requests'
own `iter_content` and `api.transport.read_body` do; `read` is redacted too for any other
reader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: a refusal's redaction (`key_remover`) needs no HTTP
    import requests

REMOVED = "[API key removed]"
_REMOVED = REMOVED.encode()


def redacting_hook(api_key: str) -> Callable[..., requests.Response]:
    """A `response` hook for a session (`session.hooks["response"]`) removing `api_key` from
    every answer. Every form of the key is at least four characters (a shorter key would
    redact ordinary words; the key checks at start refuse none of those lengths in practice,
    and no real key is that short)."""
    forms = _forms(api_key)
    pattern = key_pattern(api_key)
    hold = _longest(api_key) - 1

    def hook(response: requests.Response, *_args: Any, **_kwargs: Any) -> requests.Response:
        if not forms:
            return response
        response.raw = RedactedBody(response.raw, forms, pattern, hold)
        if response.reason:
            response.reason = redact_text(response.reason, forms)
        for name, value in list(response.headers.items()):
            if any(form.decode("latin-1") in value for form in forms):
                response.headers[name] = redact_text(value, forms)
        return response

    return hook


def _escapes(char: str) -> list[bytes]:
    """How a JSON text may write one character: as itself, as `\\uXXXX` (hex in either
    case: encoders escape what they like, .NET's default escapes '+'), and the short escapes
    of '/', '"' and '\\'."""
    ways = [re.escape(char.encode("utf-8"))]
    if ord(char) < 0x10000:
        hexits = f"{ord(char):04x}"
        ways.append(rb"\\u" + b"".join(f"[{h}{h.upper()}]".encode() for h in hexits))
    if char in '/"\\':
        ways.append(re.escape(b"\\" + char.encode()))
    return ways


def key_pattern(api_key: str) -> re.Pattern[bytes] | None:
    """The key in any way a JSON text may write it (each character as itself or escaped),
    or None for a key too short to redact (see `redacting_hook`)."""
    if len(api_key) < 4:
        return None
    return re.compile(b"".join(b"(?:" + b"|".join(_escapes(c)) + b")" for c in api_key))


def _longest(api_key: str) -> int:
    """The most bytes the key's pattern can match: six a character (`\\uXXXX`)."""
    return sum(max(len(c.encode("utf-8")), 6) for c in api_key)


def _forms(api_key: str) -> tuple[bytes, ...]:
    if len(api_key) < 4:
        return ()
    escaped = json.dumps(api_key)[1:-1]
    variants = {api_key, escaped, escaped.replace("/", "\\/")}
    # longest first: a form that contains another is replaced whole
    return tuple(sorted((v.encode("utf-8") for v in variants), key=len, reverse=True))


def key_remover(*keys: str | None) -> KeyRemover:
    """Each of `keys` removed from a text, in every form `redacting_hook` removes from
    answers — for the texts of a file the program quotes to people (a refused file's header
    cells and name: `FileRejected.redacted`). None, or a key too short to redact, removes
    nothing."""
    forms = tuple(form for key in keys if key for form in _forms(key))
    return KeyRemover(tuple(sorted(set(forms), key=len, reverse=True)))  # longer forms first


CUT_KEY_SHORTEST = 4
"""The fewest of a key's first characters a quote cut short may end in and be removed: as
few as a key too short to redact, fewer would hide ordinary endings."""


class KeyRemover:
    """A text with the keys' forms replaced by `REMOVED` (called), or a quote cut short
    (`cut`, `quoted`): one cut inside the key ends in the key's beginning, which no whole form
    matches — `'xxx…', 's3cr3t-k… (27 more characters)` gives the key's first characters
    away, so a beginning of a form where the quote was cut is removed too."""

    __slots__ = ("_beginnings", "_forms")

    def __init__(self, forms: tuple[bytes, ...]) -> None:
        self._forms = forms
        texts = [form.decode("utf-8") for form in forms]
        self._beginnings = sorted(
            {text[:length] for text in texts for length in range(CUT_KEY_SHORTEST, len(text))},
            key=len,
            reverse=True,
        )
        """Each form's beginnings of `CUT_KEY_SHORTEST` characters or more, longest first."""

    def __call__(self, text: str) -> str:
        return redact_text(text, self._forms)

    def __bool__(self) -> bool:
        """Whether there is a key to remove (none set, or too short: nothing is changed)."""
        return bool(self._forms)

    def quoted(self, text: str) -> str:
        """`text` with the keys removed, and a quote cut short inside one (`'s3cr3t-k… (27
        more characters)'`, as `errors.excerpt` cuts a cell) removed too: a message's quote of
        a cell may stand anywhere in it."""
        text = self(text)
        if "…" not in text:
            return text
        for beginning in self._beginnings:
            text = text.replace(beginning + "…", REMOVED + "…")
        return text

    def cut(self, text: str) -> str:
        """`text`, a quote cut short at its end, with the keys removed and a beginning of one
        it ends in removed too."""
        text = self(text)
        for beginning in self._beginnings:
            if text.endswith(beginning):
                return text[: len(text) - len(beginning)] + REMOVED
        return text


def redact_text(text: str, forms: tuple[bytes, ...]) -> str:
    for form in forms:
        text = text.replace(form.decode("utf-8"), REMOVED)
    return text


def _redact(data: bytes, forms: tuple[bytes, ...]) -> bytes:
    for form in forms:
        data = data.replace(form, _REMOVED)
    return data


class RedactedBody:
    """`response.raw` with the key removed from what `stream` and `read` give; everything else
    (closing, releasing the connection) is the wrapped urllib3 response's."""

    def __init__(
        self,
        raw: Any,
        forms: tuple[bytes, ...],
        pattern: re.Pattern[bytes] | None = None,
        hold: int = 0,
    ) -> None:
        self._raw = raw
        self._forms = forms
        self._pattern = pattern
        self._hold = max(hold, *(len(form) - 1 for form in forms))

    def _redacted(self, data: bytes) -> bytes:
        data = _redact(data, self._forms)
        return self._pattern.sub(_REMOVED, data) if self._pattern is not None else data

    def stream(
        self, amt: int | None = 2**16, decode_content: bool | None = None
    ) -> Iterator[bytes]:
        """The body in pieces, redacted. A key is as long as `_hold + 1`, so one that starts in
        a piece but ends in a later one starts within the last `_hold` bytes: those wait."""
        held = b""
        for piece in self._raw.stream(amt, decode_content=decode_content):
            held = self._redacted(held + piece)
            if len(held) > self._hold:
                cut = len(held) - self._hold
                yield held[:cut]
                held = held[cut:]
        if held:
            yield self._redacted(held)

    def read(self, amt: int | None = None, decode_content: bool | None = None, **kw: Any) -> bytes:
        """The whole rest of the body, redacted (a part could cut a key in two, so `amt` is
        not honoured: every caller of the importer streams)."""
        return b"".join(self.stream(decode_content=decode_content))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)
