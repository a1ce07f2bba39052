"""The local Amili crediting-API sandbox (DESIGN.md §5): real HTTP, SQLite, Eve wire format,
the crediting rules, and fault injection.

    from importer.sandbox import Sandbox
    with Sandbox() as sb:
        requests.get(f"{sb.url}/cases", headers={"x-api-key": sb.api_key})
"""

from importer.sandbox.app import API_KEY_ENV, DEFAULT_API_KEY, Sandbox

__all__ = ["API_KEY_ENV", "DEFAULT_API_KEY", "Sandbox"]
