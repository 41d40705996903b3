"""Calendar features derived from timestamps, encoded as sine/cosine pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_toolkit.errors import DataError

# name -> (how to read it from a DatetimeIndex, length of its cycle)
CALENDAR_FEATURES = {
    "minute": (lambda index: index.minute, 60),
    "hour": (lambda index: index.hour + index.minute / 60.0, 24),
    "dayofweek": (lambda index: index.day_of_week, 7),
    "dayofmonth": (lambda index: index.day - 1, 31),
    "dayofyear": (lambda index: index.day_of_year - 1, 366),
    "weekofyear": (lambda index: index.isocalendar().week.to_numpy() - 1, 53),
    "month": (lambda index: index.month - 1, 12),
}


def calendar_columns(names):
    """Returns the channel names that `calendar_features(index, names)` produces.

    Example:
    >>> calendar_columns(["hour"])
    ['hour_sin', 'hour_cos']
    """
    return [f"{name}_{part}" for name in names for part in ("sin", "cos")]


def calendar_features(index, names):
    """Returns sine/cosine encodings of calendar fields, shape (len(index), 2 * len(names)).

    Cyclic encoding keeps 23:00 next to 00:00 and December next to January; the
    values lie in [-1, 1], so they need no scaling.

    Args:
        index: a DatetimeIndex.
        names: fields out of "minute", "hour", "dayofweek", "dayofmonth",
            "dayofyear", "weekofyear", "month".

    Example:
    >>> index = pd.date_range("2024-01-01", periods=24, freq="h")
    >>> calendar_features(index, ["hour"]).shape
    (24, 2)
    """
    names = list(names)
    if not names:
        return np.zeros((len(index), 0), dtype="float32")
    unknown = [name for name in names if name not in CALENDAR_FEATURES]
    if unknown:
        raise DataError(
            f"Unknown calendar feature(s) {unknown}. Choose from {sorted(CALENDAR_FEATURES)}."
        )
    if not isinstance(index, pd.DatetimeIndex):
        years = (f" (years as integers: pd.to_datetime(df[{index.name!r}].astype(str), format='%Y'))"
                 if index.name is not None and pd.api.types.is_integer_dtype(index.dtype) else "")
        raise DataError(
            f"Calendar features {names} need timestamps, but the series is indexed by {index.dtype} labels, not "
            f"dates. Give a DatetimeIndex or a `time_col` of dates{years}, or drop `calendar`."
        )
    channels = []
    for name in names:
        read, period = CALENDAR_FEATURES[name]
        angle = 2.0 * np.pi * np.asarray(read(index), dtype="float64") / period
        channels += [np.sin(angle), np.cos(angle)]
    return np.stack(channels, axis=1).astype("float32")
