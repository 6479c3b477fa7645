"""``python -m docsgen [--check]``: write docs/reference/, or fail when it is out of date."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from docsgen import api, cli, helm_values, templates

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "docs" / "reference"
REGENERATE = "./dev docs"
PAGES: dict[str, Callable[[], str]] = {
    "api.md": api.render,
    "templates.md": templates.render,
    "helm-values.md": helm_values.render,
    "cli.md": cli.render,
}


def stale_pages(out: Path | None = None) -> list[Path]:
    """The pages under ``out`` (docs/reference/) that differ from what the sources render
    now (or are missing), and any page there that no generator writes."""
    out = out or REFERENCE_DIR
    stale = [out / name for name, render in PAGES.items()
             if not (out / name).is_file() or (out / name).read_text() != render()]
    stale += sorted(path for path in out.glob("*.md") if path.name not in PAGES)
    return stale


def write_pages(out: Path | None = None) -> list[Path]:
    out = out or REFERENCE_DIR
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in PAGES.items():
        (out / name).write_text(render())
        written.append(out / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docsgen", description=__doc__)
    parser.add_argument("--check", action="store_true",
                        help="fail when docs/reference/ is out of date; write nothing")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_pages()
        if stale:
            names = ", ".join(path.name for path in stale)
            print(f"out of date in {REFERENCE_DIR}: {names}; regenerate with `{REGENERATE}` "
                  "(python -m docsgen); a page no generator writes must be removed")
            return 1
        return 0
    for path in write_pages():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
