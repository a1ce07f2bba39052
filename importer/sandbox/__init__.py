"""The local Amili crediting-API sandbox (docs/sandbox.md): real HTTP, SQLite, Eve wire format,
the crediting rules, and fault injection.

    from importer.sandbox import Sandbox
    with Sandbox() as sb:
        requests.get(f"{sb.url}/cases", headers={"x-api-key": sb.api_key})

The server is loaded on first use of `Sandbox` (PEP 562), so the command line's `--help`,
which names the sandbox's key, starts without it.
"""

from typing import TYPE_CHECKING, Any

from importer.sandbox.key import API_KEY_ENV, DEFAULT_API_KEY

if TYPE_CHECKING:
    from importer.sandbox.app import Sandbox

__all__ = ["API_KEY_ENV", "DEFAULT_API_KEY", "Sandbox"]


def __getattr__(name: str) -> Any:
    if name == "Sandbox":
        from importer.sandbox.app import Sandbox

        return Sandbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
