"""Time zones: inside the toolkit timestamps are naive; what a user gets back is in the time zone they gave.

`as_frame` takes a time zone's timestamps off the clock it counts steps on:
steps of a day or more on the wall clock (midnight stays midnight when the
clocks change), shorter steps on UTC (no hour repeated or skipped). The
functions here say which (`wall_clock`), read the zone of the data a user
gives (`time_zone`), put the toolkit's naive timestamps back in it
(`localize`) and take a user's zoned timestamp the other way (`naive_timestamp`).

Example:
>>> hours = pd.date_range("2024-03-31 00:00", periods=4, freq="h", tz="Europe/Paris")  # clocks go forward at 2:00
>>> inside = hours.tz_convert("UTC").tz_localize(None)  # as `as_frame` keeps them
>>> list(localize(pd.DataFrame(index=inside), time_zone(pd.DataFrame(index=hours))).index) == list(hours)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY_NS = 86_400 * 10**9


def wall_clock(index):
    """True when the steps of the time-zoned `index` are a day or more: `as_frame` keeps it on the wall clock."""
    wall = index.tz_localize(None) if getattr(index, "tz", None) is not None else index
    return len(wall) > 1 and np.diff(wall.as_unit("ns").asi8).min() >= DAY_NS


def time_zone(data, time_col=None):
    """`(tz, wall)` of the timestamps of `data` as a user gives it (a frame, a Series, a dict of frames), or None.

    `tz` is the time zone of the index or of `time_col`; `wall` is `wall_clock` of those timestamps.
    """
    if isinstance(data, dict):
        data = next(iter(data.values()), None)
    if isinstance(data, pd.DataFrame) and time_col is not None and time_col in data.columns:
        times = data[time_col]
        times = pd.DatetimeIndex(times) if isinstance(times.dtype, pd.DatetimeTZDtype) else None
    else:
        times = getattr(data, "index", None)
    tz = getattr(times, "tz", None)
    if tz is None:
        return None
    return tz, wall_clock(times.unique().sort_values())


def localize(frame, zone):
    """`frame` with its naive DatetimeIndex and datetime columns put back in `zone` (from `time_zone`)."""
    if zone is None:
        return frame
    frame = frame.copy()
    if isinstance(frame.index, pd.DatetimeIndex) and frame.index.tz is None:
        frame.index = _zoned(frame.index, zone)
    for column in frame.columns:
        if pd.api.types.is_datetime64_dtype(frame[column]) and not isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = _zoned(pd.DatetimeIndex(frame[column]), zone)
    return frame


def naive_timestamp(timestamp, index):
    """A user's `timestamp` on the clock of the toolkit's naive `index`: as is when naive, else as `as_frame` did."""
    timestamp = pd.Timestamp(timestamp)
    if timestamp.tz is None:
        return timestamp
    return timestamp.tz_localize(None) if wall_clock(index) else timestamp.tz_convert("UTC").tz_localize(None)


def _zoned(index, zone):
    tz, wall = zone
    if not wall:
        return index.tz_localize("UTC").tz_convert(tz)
    # a wall-clock time the clocks skip moves on to the first one they show; one they show twice is its first
    return index.tz_localize(tz, ambiguous=np.ones(len(index), dtype=bool), nonexistent="shift_forward")
