"""``python -m forecast.sample``: print the ground truth, or refresh docs/sample.md.

    python -m forecast.sample --truth          derived truths (markdown)
    python -m forecast.sample --params         every generating parameter
    python -m forecast.sample --calibration    the default sample against the real figures
    python -m forecast.sample --doc docs/sample.md   rewrite the generated tables of the doc
"""

from __future__ import annotations

import argparse

from .markdown import SECTIONS, update_doc


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m forecast.sample``."""
    parser = argparse.ArgumentParser(prog="python -m forecast.sample", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in SECTIONS:
        parser.add_argument(f"--{name}", action="store_true", help=f"print the {name} table")
    parser.add_argument("--doc", metavar="PATH", help="rewrite the generated blocks of this markdown file")
    args = parser.parse_args(argv)
    if args.doc:
        print(f"{args.doc}: {'updated' if update_doc(args.doc) else 'up to date'}")
    for name, render in SECTIONS.items():
        if getattr(args, name):
            print(render())
    if not args.doc and not any(getattr(args, n) for n in SECTIONS):
        parser.print_help()


if __name__ == "__main__":
    main()
