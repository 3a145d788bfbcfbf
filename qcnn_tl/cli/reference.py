"""The documentation's command-line reference page, generated from the commands' ``--help``.

``python -m qcnn_tl.cli.reference`` rewrites the part of ``docs/cli.md`` between the reference markers;
a test fails when the page is out of date.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from qcnn_tl.cli.main import build_parser

START = "<!-- cli-reference:start -->"
END = "<!-- cli-reference:end -->"
PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _help(parser: argparse.ArgumentParser) -> str:
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        return parser.format_help().rstrip()
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


def cli_reference() -> str:
    """Markdown: the top-level help, then each command's help, in fenced blocks."""
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    parts = ["```text", _help(parser), "```"]
    for name, sub in subparsers.choices.items():
        parts += ["", f"## `qcnn-tl {name}`", "", "```text", _help(sub), "```"]
    return "\n".join(parts)


def updated_page(text: str) -> str:
    """``text`` with the reference between the markers replaced by the current one."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{cli_reference()}\n{END}{tail}"


def main() -> None:
    """Rewrites the reference section of the page."""
    PAGE.write_text(updated_page(PAGE.read_text()))


if __name__ == "__main__":
    main()
