"""Command line: ``python -m spyder_tblogs {scan,runs,export,tensorboard} ...``.

Each floor owns its sub-commands (``logs/cli.py``, ``logs/compare_cli.py``,
``tensorboard/cli.py``);
this module only dispatches, so the CLI needs neither Qt nor Spyder.
"""

import argparse
import sys


class OneLineErrorParser(argparse.ArgumentParser):
    """Report usage mistakes in one line (``--help`` shows the usage)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser():
    """Return the top-level argument parser with every sub-command."""
    from spyder_tblogs import __version__
    from spyder_tblogs.logs import cli as logs_cli
    from spyder_tblogs.logs import compare_cli
    from spyder_tblogs.tensorboard import cli as tensorboard_cli

    parser = OneLineErrorParser(
        prog="python -m spyder_tblogs",
        description="Inspect TensorBoard log directories and manage "
                    "TensorBoard servers.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    logs_cli.add_parsers(commands)
    compare_cli.add_parsers(commands)
    tensorboard_cli.add_parsers(commands)
    return parser


def main(argv=None):
    """Run the CLI and return its exit code."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    # Everything after a bare "--" goes to TensorBoard untouched.
    extra = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    args = parser.parse_args(argv)
    args.extra = extra
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
