"""Many series, one model: the Forecaster's global-model half (see `Forecaster(series_id=...)`).

A global model trains one network on windows of many related series. Each
series is split by time and scaled on its own training part; windows of all
series are mixed for training but never cross a series or its split
(`data.SeriesCollection`). Optionally the network also knows which series a
window comes from, as DeepAR and Darts do:

- a learned series embedding (`series_embedding=k`): each series' integer
  code maps to a trained vector of `k` numbers;
- static features (`static_features=[...]`): numeric columns constant within
  each series (a region's size, a product's price band), standardised across
  the training series.

Both reach the model as extra inputs ("series", "static") that are joined to
every step of the window. This module is the bookkeeping of series ids:
splitting the data by id (`split_series`), each series' static features
(`static_values`), the naive forecasts of series the network does not forecast
(`naive_forecasts`), and the long frames with the id that
`predict`/`backtest`/`evaluate` return (`with_id`). `forecasting.preparing`
prepares one series and many on one path. Those forecast every
series in one pass over the model (`forecasting.batched`).
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd

from lstm_toolkit.data import as_frame, future_index
from lstm_toolkit.data.frame import parse_times
from lstm_toolkit.errors import DataError
from lstm_toolkit.forecasting.settings import names


def split_series(data, series_id, static_features=None):
    """`{id: frame}` (as given, timestamps not parsed) from a dict of frames or a long DataFrame with `series_id`.

    The `static_features` columns are dropped.
    """
    static = names(static_features)
    if static:
        return {key: frame.drop(columns=static, errors="ignore") for key, frame in split_series(data, series_id).items()}
    if isinstance(data, dict):
        if not data:
            raise DataError("The dict of series is empty.")
        return dict(data)
    if series_id is None:
        raise DataError("This Forecaster was fit on many series: pass a dict of frames, or set `series_id`.")
    if not isinstance(data, pd.DataFrame) or series_id not in data.columns:
        held = (f"its columns are {list(data.columns)}" if isinstance(data, pd.DataFrame)
                else f"it is of type {type(data).__name__}")
        raise DataError(f"series_id={series_id!r} is not a column of the data ({held}). Pass a DataFrame with the "
                        "column naming each row's series, or a dict {name: frame} of the series.")
    if data[series_id].isna().any():
        raise DataError(f"{int(data[series_id].isna().sum())} row(s) have no {series_id!r}. Fill or drop them.")
    return dict(iter(data.drop(columns=[series_id]).groupby(data[series_id], sort=False)))


@contextlib.contextmanager
def about_series(key):
    """Names series `key` of many in a DataError raised inside ("Series 'a': ..."); for key None (one series) lets
    it pass as it is.

    >>> with about_series("a"):
    ...     raise DataError("Column 'y' has 1 missing value.")
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.DataError: Series 'a': Column 'y' has 1 missing value.
    """
    try:
        yield
    except DataError as error:
        if key is None:
            raise
        raise DataError(f"Series {key!r}: {error}") from None


def long_frame_order(series_id, time_col, data):
    """The columns that order `data`, a long frame of many series, as `as_frame`'s `sorted_by` takes them (None for
    its index): what an error about one series' timestamps tells the user to sort or aggregate by. None for a dict,
    or one series (`series_id` None).

    >>> long_frame_order("shop", "day", pd.DataFrame(columns=["shop", "day", "sales"]))
    ['shop', 'day']
    >>> long_frame_order("shop", "day", pd.DataFrame(columns=["shop", "sales"]))  # indexed by its days
    ['shop', None]
    """
    if series_id is None or not isinstance(data, pd.DataFrame):
        return None
    return [series_id, time_col if time_col is not None and time_col in data.columns else None]


def indexed_by_time(data, time_col):
    """A long DataFrame with its column `time_col` parsed once and made the index (as `as_frame` would per series)."""
    indexed = data.drop(columns=[time_col])
    indexed.index = parse_times(data, time_col)
    return indexed


def static_values(key, frame, static_features):
    """The static features of one series (a float vector), checked to be numeric, finite and constant."""
    columns = names(static_features)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"Series {key!r} lacks the static feature column(s) {missing}. Columns: {list(frame.columns)}.")
    values = []
    for name in columns:
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column) or not np.isfinite(column.to_numpy(dtype="float64")).all():
            raise DataError(f"Static feature {name!r} of series {key!r} must be numeric and finite (no NaN).")
        if column.nunique() != 1:
            raise DataError(
                f"Static feature {name!r} takes {column.nunique()} values within series {key!r}; a static "
                "feature is one value per series. Use `features=` for inputs that change over time."
            )
        values.append(float(column.iloc[0]))
    return np.array(values)


# --- per-series results -------------------------------------------------------------------------------


def with_id(results, series_id):
    """Per-series frames joined into one long frame whose first column is the series id (`series_id` or "series")."""
    return pd.concat(results, names=[series_id or "series"]).reset_index(level=0)


def naive_forecasts(frames, targets, freq, horizon, time_col=None, num_samples=None, columns=None):
    """`{id: forecast}`: the naive forecast (the last value over the `horizon`) of each series of `frames`.

    Frames indexed by the steps after each series' last row (of frequency `freq`), one column per target, or with
    `columns` (a quantile column `{target}_q{level}` takes its target's value); with `num_samples`, sample paths
    `(num_samples, horizon, n_targets)`, all alike.

    Example:
    >>> frame = pd.DataFrame({"y": [1.0, 2.0, 4.0]}, index=pd.date_range("2024-01-01", periods=3, freq="D"))
    >>> naive_forecasts({"a": frame}, ["y"], "D", 2, columns=["y", "y_q0.9"])["a"]
                  y  y_q0.9
    2024-01-04  4.0     4.0
    2024-01-05  4.0     4.0
    """
    forecasts = {}
    for key, frame in frames.items():
        frame = as_frame(frame, time_col=time_col)
        last = frame[list(targets)].iloc[-1].to_numpy(dtype="float64")
        paths = np.broadcast_to(last, (horizon, len(last)))
        if num_samples is not None:
            forecasts[key] = np.broadcast_to(paths, (num_samples, *paths.shape)).copy()
            continue
        naive = pd.DataFrame(paths, index=future_index(frame.index, freq, horizon), columns=list(targets))
        forecasts[key] = naive if columns is None else naive[[column.rsplit("_q", 1)[0] if column not in naive
                                                              else column for column in columns]].set_axis(columns, axis=1)
    return forecasts
