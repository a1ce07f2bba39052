"""`python -m importer.sandbox` — the same as `importer sandbox`, usable before the CLI is wired
and by the benchmark, which needs the sandbox in its own process."""

from importer.sandbox.command import main

raise SystemExit(main())
