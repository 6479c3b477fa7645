"""Generators of the reference pages in docs/reference/: ``python -m docsgen [--check]``.

Each page is rendered from the thing it documents (the CRDs, the template registry, the
chart's values and schema, the click command line), never written by hand, so it cannot
disagree with the code; ``--check`` fails when a page on disk differs from what the code
renders now. Output is deterministic: no dates, no terminal widths, sorted where the
source has no order of its own.
"""
