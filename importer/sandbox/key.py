"""The key the sandbox accepts: its default and the environment variable that overrides it.

Apart from the server so that `importer --help` and `importer sandbox --help`, which name them,
do not load the server, the store and the seed cases."""

DEFAULT_API_KEY = "importer-sandbox-key"
"""The key the sandbox accepts when neither `api_key` nor $IMPORTER_SANDBOX_KEY is set. Not a
secret: the sandbox holds made-up cases only."""

API_KEY_ENV = "IMPORTER_SANDBOX_KEY"
