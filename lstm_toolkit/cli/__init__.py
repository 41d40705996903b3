"""The `lstm-toolkit` command line: demo, fit, predict, evaluate, export, tune, classify, label, detect.

One module per group of commands (`forecasting`, `sequences`), each adding its
own sub-parsers; `common` holds what they share.
"""

from __future__ import annotations

import argparse
import os
import sys

from lstm_toolkit.cli import forecasting, sequences


def build_parser():
    parser = argparse.ArgumentParser(prog="lstm-toolkit", description="Forecast time series with Keras LSTMs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    forecasting.add_commands(commands)
    sequences.add_commands(commands)
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    from lstm_toolkit.errors import LstmToolkitError

    try:
        return args.handler(args)
    except (LstmToolkitError, OSError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"lstm-toolkit {args.command}: error: {message}", file=sys.stderr)
        return 2
