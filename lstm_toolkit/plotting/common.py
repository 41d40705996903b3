"""What every figure shares: its axes, and the checks of what it is given (a DataFrame of the toolkit's, an
array of a shape, one value per step), each naming what to pass instead."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lstm_toolkit.errors import DataError, check_integer


def axes_of(ax, figsize):
    """`(figure, ax)`: `ax` and its figure, or a new headless Figure of `figsize` with one Axes."""
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=figsize, layout="constrained")
    return figure, figure.add_subplot()


def frame_of(value, name, what, columns=()):
    """`value` if it is a DataFrame holding `columns`; else a DataError saying it must be `what`."""
    if isinstance(value, pd.DataFrame) and set(columns) <= set(value.columns):
        return value
    got = (f"a DataFrame with columns {list(value.columns)}" if isinstance(value, pd.DataFrame)
           else f"a {type(value).__name__}")
    needs = f" (columns {list(columns)})" if columns else ""
    raise DataError(f"`{name}` must be {what}{needs}; received {got}.")


def array_of(value, name, ndim, what):
    """`value` as a float array of `ndim` axes (an int, or a tuple of those allowed); else a DataError saying it must
    be `what`.

    >>> array_of([[1, 2]], "weights", 2, "(horizon, lookback)").shape
    (1, 2)
    >>> array_of(["a", "b"], "values", (1, 2), "a signal")
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.DataError: `values` must be numbers, a signal; received a list holding 'a'.
    """
    array = numbers_of(value, name, what)
    if array.ndim not in np.atleast_1d(ndim):
        raise DataError(f"`{name}` must be {what}; received shape {array.shape}.")
    return array


def numbers_of(value, name, what="one value per step"):
    """`value` as a float array; else a DataError naming the first value that is not a number."""
    try:
        return np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        pass
    try:
        first = next(item for item in np.asarray(value, dtype=object).ravel() if not _is_number(item))
    except (StopIteration, ValueError):  # ragged, or every item a number yet no array of them
        raise DataError(f"`{name}` must be a numeric array, {what}; received a {type(value).__name__}.") from None
    raise DataError(f"`{name}` must be numbers, {what}; received a {type(value).__name__} holding {first!r}.")


def _is_number(item):
    try:
        float(item)
    except (TypeError, ValueError):
        return False
    return not isinstance(item, str)


def one_per_step(value, name, n_steps, dtype="float64"):
    """`value` as a flat array (of `dtype`; None: as it comes) of one value per step of the `n_steps` drawn; else a
    DataError naming both lengths."""
    array = (numbers_of(value, name) if dtype == "float64" else np.asarray(value, dtype=dtype)).ravel()
    if len(array) != n_steps:
        raise DataError(f"`{name}` has {len(array)} value(s) for {n_steps} step(s): give one per step of the signal.")
    return array


def sample_of(sample, n_samples):
    """`sample`, checked to index one of `n_samples` windows."""
    check_integer(sample, "sample", 0)
    if sample >= n_samples:
        raise DataError(f"`sample={sample}` asks for a window the batch does not hold: it has {n_samples}. "
                        f"Pass a sample from 0 to {n_samples - 1}.")
    return sample


def rows_shown(last, horizon):
    """The history rows a forecast plot shows: `last`, a positive integer, or 3 x the horizon, at least 48."""
    last = check_integer(last, "last", allowed=(None,), also=" or None (3 x the horizon, at least 48)")
    return max(48, 3 * horizon) if last is None else last


def drawable(frame):
    """`frame` with periods (as `predict` and `backtest` give back for periods) as their start timestamps: matplotlib
    draws timestamps, not periods."""
    if frame is None:
        return None
    if isinstance(frame.index, pd.PeriodIndex):
        frame = frame.to_timestamp()
    periods = {column: frame[column].dt.to_timestamp() for column in frame.columns
               if isinstance(frame[column].dtype, pd.PeriodDtype)}
    return frame.assign(**periods) if periods else frame
