"""What the CLI's commands share: reading CSV files, printing tables, parsing arguments."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def read_csv(path, time_col=None):
    """Reads a CSV; without `time_col`, a non-numeric first column is taken as the timestamps."""
    import pandas as pd

    from lstm_toolkit.errors import DataError

    path = Path(path)
    if not path.is_file():
        raise DataError(f"CSV file not found: {path}. Check the path.")
    try:
        frame = pd.read_csv(path, sep=separator(path))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(f"Could not read {path} as CSV: {error}") from None
    if time_col is None and len(frame.columns) and not pd.api.types.is_numeric_dtype(frame[frame.columns[0]]):
        time_col = frame.columns[0]
    return frame, time_col


def check_out(path):
    """Refuses a bundle `--out` that `save` would refuse, before any training (`bundle.check_writable`)."""
    from lstm_toolkit.bundle import check_writable

    if path:
        check_writable(path)


def separator(path):
    """The field separator of the CSV at `path`: of ",", ";", tab and "|", the one that splits its header line
    (quotes respected) into the most fields; "," on a tie (one column).

    Files written where the decimal mark is a comma use ";" (Excel's European CSV).
    """
    import csv

    with open(path, encoding="utf-8", errors="replace") as handle:
        header = handle.readline()
    return max((",", ";", "\t", "|"), key=lambda sep: len(next(csv.reader([header], delimiter=sep), [])))


def print_table(table):
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))


def write_or_print(frame, out, what):
    if out:
        frame.to_csv(out, index=False)
        print(f"Wrote {len(frame)} {what} to {out}")
    else:
        frame.to_csv(sys.stdout, index=False)


def case_ids(frame, case_col):
    from lstm_toolkit.errors import DataError

    if case_col not in frame.columns:
        raise DataError(f"Case column {case_col!r} not found. Columns: {list(frame.columns)}.")
    return frame[case_col].drop_duplicates().tolist()


def parse_start(text):
    """`--start` as the Forecaster takes it: a row number, a fraction, or a timestamp string.

    Example:
    >>> parse_start("120"), parse_start("0.8"), parse_start("2024-01-01"), parse_start(None)
    (120, 0.8, '2024-01-01', None)
    """
    if text is None:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def lookback_arg(text):
    """A `--lookback`: "auto" or a positive integer."""
    return "auto" if text == "auto" else positive_int(text)


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value

