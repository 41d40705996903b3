"""Validation of input series: the time index and its order, columns, missing values (frequencies: `frequency`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_toolkit.data.clock import parse_timestamps, unzoned, wall_clock
from lstm_toolkit.errors import DataError

FILL_POLICIES = ("ffill", "interpolate", "zero")


def as_frame(data, time_col=None, sorted_by=None):
    """Returns `data` as a DataFrame indexed by time (or by row number), checked for order.

    Args:
        data: a DataFrame (with a DatetimeIndex, or a time column named by
            `time_col`, or a plain row index), a Series, or a 1-D / 2-D numpy array.
        time_col: name of the column holding the timestamps, if any (or of
            the index, when it holds them already).
        sorted_by: the columns of the user's data that order it, which an error about unsorted or duplicate
            timestamps tells them to sort or aggregate by (default: `time_col` where it is a column, else the index).
            None among them stands for the index: `[series_id, None]` is a long panel whose time is its index.

    Returns:
        A new DataFrame whose index is a sorted, duplicate-free DatetimeIndex, or
        a RangeIndex when the data has no timestamps. Numpy columns are named
        0, 1, ...

    Example:
    >>> frame = as_frame(pd.DataFrame({"t": ["2024-01-01", "2024-01-02"], "y": [1.0, 2.0]}), time_col="t")
    >>> list(frame.columns), str(frame.index.dtype)
    (['y'], 'datetime64[ns]')
    """
    if isinstance(data, pd.Series):
        data = data.to_frame(name=data.name if data.name is not None else 0)
    elif isinstance(data, np.ndarray):
        if data.ndim not in (1, 2):
            raise DataError(
                f"A numpy series must be 1-D (steps,) or 2-D (steps, columns). "
                f"Received an array of shape {data.shape}; reshape it first."
            )
        data = pd.DataFrame(data.reshape(len(data), -1))
    elif not isinstance(data, pd.DataFrame):
        raise DataError(
            f"Expected a pandas DataFrame, Series or numpy array. Received {type(data).__name__}."
        )
    frame = data.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        raise DataError(
            f"The columns have {frame.columns.nlevels} levels (a MultiIndex), and lstm_toolkit names each column "
            "by one label. Flatten them first, e.g. df.columns = ['_'.join(map(str, c)) for c in df.columns]."
        )
    repeated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if repeated:
        raise DataError(
            f"The column name(s) {repeated} appear more than once, so a column cannot be told by its name. Rename "
            "or drop the copies first, e.g. df = df.loc[:, ~df.columns.duplicated()]."
        )
    if isinstance(frame.index, pd.PeriodIndex):  # monthly or quarterly periods: each period's start
        frame.index = frame.index.to_timestamp()
    if time_col is not None and time_col not in frame.columns and frame.index.name == time_col:
        time_col = None  # the time column is the index already (a frame that went through here once)
    if time_col is not None and sorted_by is None:
        sorted_by = [time_col]
    if time_col is not None:
        if time_col not in frame.columns:
            raise DataError(
                f"Time column {time_col!r} not found. Available columns: {list(frame.columns)}. "
                "Pass the right `time_col`, or None when the index already holds the timestamps."
            )
        times = parse_times(frame, time_col)
        frame = frame.drop(columns=[time_col])
        frame.index = times
    if isinstance(frame.index, pd.DatetimeIndex):
        if frame.index.tz is not None:  # a day or more on the wall clock, shorter steps on UTC (see `clock`)
            frame.index = unzoned(frame.index, wall_clock(frame.index))
        frame.index = frame.index.as_unit("ns")
        check_time_order(frame.index, sorted_by)
    elif not pd.api.types.is_integer_dtype(frame.index):
        raise DataError(
            f"The index has dtype {frame.index.dtype}, not timestamps. Give the time column "
            "with `time_col=...`, set a DatetimeIndex, or reset the index to row numbers."
        )
    else:
        check_time_order(frame.index, sorted_by)
    return frame


def parse_times(frame, time_col):
    """The column `time_col` of `frame` as an index named `time_col`: a DatetimeIndex, or integers for a column of
    integers (a clear error when it does not parse).

    A column of integers (years, step numbers, as `pd.read_csv` reads a
    `year` column) stays an index of integers, a grid at its own step
    (`frequency.integer_step`): `pd.to_datetime` would read 1821 as 1821
    nanoseconds after 1970. Numbers with a fraction are refused. Epoch
    times (seconds since 1970) are steps too, then; for timestamps, with a
    frequency and calendar features, convert them first:
    `pd.to_datetime(df[col], unit="s")`.

    >>> times = parse_times(pd.DataFrame({"t": ["2024-01-01"]}), "t")
    >>> times[0], times.name
    (Timestamp('2024-01-01 00:00:00'), 't')
    >>> parse_times(pd.DataFrame({"year": [1821, 1822]}), "year").tolist()
    [1821, 1822]
    """
    column = frame[time_col]
    if isinstance(column.dtype, pd.PeriodDtype):  # periods: each period's start
        return pd.DatetimeIndex(column.dt.to_timestamp(), name=time_col)
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        return integer_times(column, time_col)
    try:
        times = parse_timestamps(column)
    except (ValueError, TypeError) as error:
        raise DataError(
            f"Time column {time_col!r} could not be parsed as timestamps ({error}). "
            "Convert it with pd.to_datetime(..., format=...) first."
        ) from None
    if isinstance(times, pd.PeriodIndex):  # labels of quarters: each quarter's start
        return pd.DatetimeIndex(times.to_timestamp(), name=time_col)
    return pd.DatetimeIndex(times, name=time_col)


def integer_times(column, time_col):
    """A numeric time column as an index of integers: refused with the fix where it is missing or has fractions."""
    if pd.api.types.is_integer_dtype(column.dtype) and not column.isna().any():
        return pd.Index(column.to_numpy(dtype="int64"), name=time_col)  # exactly: not through float64's 53 bits
    values = column.to_numpy(dtype="float64", na_value=np.nan)
    if not np.isfinite(values).all():
        raise DataError(f"Time column {time_col!r} is missing (or infinite) in {int((~np.isfinite(values)).sum())} "
                        f"row(s). Drop those rows first: df.dropna(subset=[{time_col!r}]).")
    if not np.array_equal(values, np.round(values)):
        raise DataError(
            f"Time column {time_col!r} holds numbers with fractions ({column.dtype}), neither timestamps nor integer "
            f"steps. Give years or step numbers as integers (df[{time_col!r}].astype(int)), or convert timestamps in "
            f"seconds since 1970 with pd.to_datetime(df[{time_col!r}], unit='s')."
        )
    return pd.Index(values.astype("int64"), name=time_col)


def check_time_order(index, sorted_by=None):
    """Raises a DataError for a duplicate or out-of-order timestamp, whose fixes name the columns `sorted_by`
    (None: the index).

    >>> check_time_order(pd.DatetimeIndex(["2024-01-02", "2024-01-01"]))
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.DataError: Timestamps are not sorted: row 1 (2024-01-01 00:00:00) comes before row 0 (2024-01-02 00:00:00). Sort the data by time first (df.sort_index()).
    """
    if sorted_by is None:
        aggregate, drop, sort = ("df.groupby(level=0).mean()", "df[~df.index.duplicated(keep='last')]",
                                 "df.sort_index()")
    elif None in sorted_by:  # a long panel indexed by time: its rows of one time belong to different series
        time = index.name if index.name is not None else "index"  # what reset_index names the column
        keys = [time if column is None else column for column in sorted_by]
        ids = [column for column in keys if column != time]
        aggregate = f"df.reset_index().groupby({keys!r}).mean().reset_index({ids!r})"
        order = "sort_index(kind='stable')"  # each series' rows in time order, the series interleaved
        drop = f"df.reset_index().drop_duplicates({keys!r}, keep='last').set_index({time!r}).{order}"
        sort = f"df.{order}"
    else:
        by = list(sorted_by)
        aggregate, drop, sort = (f"df.groupby({by!r}).mean()", f"df.drop_duplicates({by!r}, keep='last')",
                                 f"df.sort_values({by!r})")
    # An index of integers counts steps; one made by joining frames (pd.concat without ignore_index) repeats them.
    counted = ("" if sorted_by is not None or not pd.api.types.is_integer_dtype(index) else
               " If the index only numbers rows that are already in time order, renumber them "
               "(df.reset_index(drop=True)).")
    duplicated = index.duplicated()
    if duplicated.any():
        row = int(np.argmax(duplicated))
        raise DataError(
            f"Duplicate timestamp {index[row]} at row {row} ({int(duplicated.sum())} duplicates in all). "
            f"Each time step must appear once: aggregate them ({aggregate}) or drop them ({drop}).{counted}"
        )
    if not index.is_monotonic_increasing:
        values = np.asarray(index)
        row = int(np.argmax(values[1:] < values[:-1])) + 1
        raise DataError(
            f"Timestamps are not sorted: row {row} ({index[row]}) comes before row {row - 1} "
            f"({index[row - 1]}). Sort the data by time first ({sort}).{counted}"
        )


def check_columns(frame, columns, role=None):
    """Checks that `columns` exist in `frame` and are numeric.

    Args:
        frame: the DataFrame to check.
        columns: the column names needed.
        role: what the columns are for, used in the error message ("target", ...); None for none.

    Example:
    >>> check_columns(pd.DataFrame({"y": [1.0]}), ["y"], role="target")
    >>> check_columns(pd.DataFrame({"y": [1.0]}), ["w"])
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.DataError: Column 'w' not found. Available columns: ['y'].
    """
    named = f"{role.capitalize()} column" if role else "Column"
    for column in columns:
        if column not in frame.columns:
            numbered = isinstance(frame.columns, pd.RangeIndex) and isinstance(column, str)  # a NumPy array's columns
            hint = (" The data's columns are numbered, as a NumPy array's are: pass a DataFrame whose columns carry "
                    "the names, e.g. pd.DataFrame(array, columns=[...]).") if numbered else ""
            raise DataError(f"{named} {column!r} not found. Available columns: {list(frame.columns)}.{hint}")
        if not pd.api.types.is_numeric_dtype(frame[column]):  # bool columns count, as 0 and 1
            raise DataError(
                f"{named} {column!r} is not numeric (dtype {frame[column].dtype}){_first_text(frame[column])}. "
                "Convert it (pd.to_numeric(df[col], errors='coerce')) or leave it out."
            )


def _first_text(column):
    """", the first value that is not a number is 'abc' at 2020-01-02" for a column of numbers with a stray text (a
    CSV's "n/a", a thousands separator); "" when no value reads as a number (a column of names)."""
    numbers = pd.to_numeric(column, errors="coerce")
    stray = numbers.isna() & column.notna()
    if not stray.any() or numbers.notna().sum() == 0:
        return ""
    at = int(np.argmax(stray.to_numpy()))
    return f", the first value that is not a number is {column.iloc[at]!r} at {column.index[at]}"


def first_non_finite(values):
    """`(count, position)` of the NaN/inf entries of an array: how many, and the index of the first; None if none.

    Example:
    >>> first_non_finite(np.array([[1.0, np.nan], [np.inf, 2.0]]))
    (2, (0, 1))
    """
    bad = ~np.isfinite(values)
    if not bad.any():
        return None
    return int(bad.sum()), tuple(int(i) for i in np.argwhere(bad)[0])


def fill_missing(frame, columns, fill=None):
    """Returns the float64 values of `columns`, with NaN/inf refused or filled.

    Args:
        frame: a frame from `as_frame`.
        columns: the columns to take.
        fill: None to refuse missing values; "ffill" (carry the last value
            forward), "interpolate" (linear in time) or "zero".

    Returns:
        A float64 numpy array of shape (rows, len(columns)).

    Example:
    >>> frame = pd.DataFrame({"y": [1.0, np.nan, 3.0]})
    >>> fill_missing(frame, ["y"], fill="interpolate").ravel().tolist()
    [1.0, 2.0, 3.0]
    """
    if fill is not None and fill not in FILL_POLICIES:
        raise DataError(f"`fill` must be None or one of {FILL_POLICIES}. Received: fill={fill!r}")
    if fill is None:  # nothing to fill: check the values as they are (the common case, and the fast one)
        values = np.stack([frame[column].to_numpy(dtype="float64") for column in columns], axis=1)
        _refuse_non_finite(frame, columns, values, fill)
        return values
    block = frame[list(columns)].astype("float64").replace([np.inf, -np.inf], np.nan)
    if fill == "ffill":
        block = block.ffill()
    elif fill == "interpolate":
        method = "time" if isinstance(block.index, pd.DatetimeIndex) else "linear"
        block = block.interpolate(method=method, limit_direction="both")
    elif fill == "zero":
        block = block.fillna(0.0)
    values = block.to_numpy()
    _refuse_non_finite(frame, columns, values, fill)
    return values


def _refuse_non_finite(frame, columns, values, fill):
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        where = frame.index[row]  # its label, not its position: `predict` checks only the last rows of the frame given
        hint = (
            "pass fill='ffill', 'interpolate' or 'zero' to fill them, or clean the data first"
            if fill is None
            else f"fill={fill!r} cannot fill leading gaps; use fill='interpolate' or drop those rows"
        )
        raise DataError(
            f"Column {columns[col]!r} has {int(bad[:, col].sum())} missing or infinite values, "
            f"the first at index {where}; {hint}."
        )
