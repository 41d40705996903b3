"""Chronological train / validation / test boundaries."""

from __future__ import annotations

import numbers

import pandas as pd

from lstm_toolkit.data.clock import naive_timestamp
from lstm_toolkit.errors import DataError


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _part_rows(n_rows, part, name):
    """Number of rows of a part given as a fraction or a row count."""
    if isinstance(part, numbers.Integral):
        if not 0 <= part <= n_rows:
            raise DataError(f"`{name}` as a row count must lie in [0, {n_rows}]. Received: {name}={part}")
        return int(part)
    if not 0.0 <= part < 1.0:
        raise DataError(f"`{name}` as a fraction must lie in [0, 1). Received: {name}={part}")
    return int(round(n_rows * part))


def _part_start(index, part, name):
    """Row of the first timestamp at or after `part`."""
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(
            f"`{name}` given as a timestamp ({part!r}) but the series has no DatetimeIndex. "
            "Use a fraction or a row count."
        )
    try:
        when = naive_timestamp(part, index)  # a zoned timestamp on the index's clock (see `clock`)
    except (ValueError, TypeError):
        raise DataError(
            f"`{name}` must be a fraction, a row count or a timestamp. Received: {name}={part!r}"
        ) from None
    return int(index.searchsorted(when, side="left"))


def split_points(index, validation=None, test=None):
    """Returns `(train_end, validation_end)`: the rows where validation and test begin.

    Parts are consecutive in time: train is `[0, train_end)`, validation
    `[train_end, validation_end)`, test `[validation_end, len(index))`. Each of
    `validation` and `test` is a fraction of all rows, a row count (both laid
    out from the end of the series), or the timestamp of the part's first row;
    None or 0 means the part is empty.

    Example:
    >>> split_points(pd.RangeIndex(100), validation=0.1, test=0.2)
    (70, 80)
    >>> index = pd.date_range("2024-01-01", periods=10, freq="D")
    >>> split_points(index, validation="2024-01-07", test="2024-01-09")
    (6, 8)
    """
    n_rows = len(index)
    if test is None or _is_number(test):
        test_start = n_rows - _part_rows(n_rows, test or 0, "test")
    else:
        test_start = _part_start(index, test, "test")
    if validation is None or _is_number(validation):
        validation_start = test_start - _part_rows(n_rows, validation or 0, "validation")
    else:
        validation_start = _part_start(index, validation, "validation")
    if not 0 <= validation_start <= test_start:
        raise DataError(
            f"The validation part must start before the test part and inside the series: "
            f"validation starts at row {validation_start}, test at row {test_start} of {n_rows}. "
            "Check `validation` and `test`."
        )
    return validation_start, test_start
