"""The `spyglass` program: the window when started without a command, the CLI otherwise."""

from __future__ import annotations

import sys
from collections.abc import Sequence

CLI_COMMANDS = {"index", "search", "status", "remove", "retry", "eval", "bench", "doctor"}


def wants_cli(argv: Sequence[str]) -> bool:
    return any(a in CLI_COMMANDS or a in ("-h", "--help", "--version") for a in argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if wants_cli(args):
        from core.cli import main as cli_main
        return cli_main(args)
    from app.main import run_app
    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
