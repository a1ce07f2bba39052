"""importer — credit Amili cases from the CSV and Excel files creditors' systems export.

The CLI (`importer.cli`) is a thin shell over this library: a Python caller can use
`importer.pipeline.run_import` directly.
"""

__version__ = "0.1.0"
