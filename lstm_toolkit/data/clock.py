"""The clock: inside the toolkit timestamps are naive; what a user gets back has the form of the labels they gave.

`as_frame` takes a time zone's timestamps off the clock it counts steps on:
steps of a day or more on the wall clock (midnight stays midnight when the
clocks change), shorter steps on UTC (no hour repeated or skipped). Periods
become the timestamps of their starts. `wall_clock` says which clock;
`TimeForm.of` reads the form of the labels of the data a user gives (a time
zone, periods) and `TimeForm.restore` gives the toolkit's naive timestamps
back in it; `naive_timestamp` takes a user's timestamp (zoned, or a period)
the other way.

Example:
>>> hours = pd.date_range("2024-03-31 00:00", periods=4, freq="h", tz="Europe/Paris")  # clocks go forward at 2:00
>>> inside = hours.tz_convert("UTC").tz_localize(None)  # as `as_frame` keeps them
>>> list(TimeForm.of(pd.DataFrame(index=hours)).restore(pd.DataFrame(index=inside)).index) == list(hours)
True
>>> months = pd.period_range("2024-01", periods=3, freq="M")
>>> TimeForm.of(pd.DataFrame(index=months)).restore(pd.DataFrame(index=months.to_timestamp())).index.equals(months)
True
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

DAY_NS = 86_400 * 10**9
# A quarter's label as text: year, an optional space, dash or slash, and Q1-Q4.
QUARTER_LABEL = r"^\s*(\d{4})\s*[-/]?\s*[Qq]([1-4])\s*$"


def wall_clock(index):
    """True when the steps of the time-zoned `index` are a day or more: `as_frame` keeps it on the wall clock."""
    wall = index.tz_localize(None) if getattr(index, "tz", None) is not None else index
    return bool(len(wall) > 1 and np.diff(wall.as_unit("ns").asi8).min() >= DAY_NS)


def unzoned(times, wall):
    """Zoned `times` (a Timestamp or a DatetimeIndex) on the toolkit's clock: the wall clock's when `wall`, else
    UTC's (see `wall_clock`). `TimeForm.restore` is the way back."""
    return times.tz_localize(None) if wall else times.tz_convert("UTC").tz_localize(None)


@dataclasses.dataclass(frozen=True)
class TimeForm:
    """The form of a user's time labels: `tz` (with `wall`: counted on the wall clock, else on UTC) or
    `period` (the periods' frequency, e.g. "M"); all unset for naive timestamps or row numbers."""

    tz: Any = None
    wall: bool = False
    period: str | None = None

    @classmethod
    def of(cls, data, time_col=None):
        """The form of the labels of `data` as a user gives it (a frame, a Series, a dict of frames): its index,
        or its column `time_col`."""
        if isinstance(data, dict):
            data = next(iter(data.values()), None)
        if isinstance(data, pd.DataFrame) and time_col is not None and time_col in data.columns:
            labels = pd.Index(data[time_col])
            if labels.dtype == object or pd.api.types.is_string_dtype(labels.dtype):  # text, as `as_frame` reads it
                # each distinct label once: a panel repeats its dates once per series; quarters' labels are periods
                parsed = parse_timestamps(pd.Series(pd.unique(data[time_col])))
                labels = parsed if isinstance(parsed, pd.PeriodIndex) else pd.DatetimeIndex(parsed)
        else:
            labels = getattr(data, "index", None)
        if isinstance(labels, pd.PeriodIndex):
            return cls(period=labels.freqstr)
        if isinstance(labels, pd.DatetimeIndex) and labels.tz is not None:
            return cls(tz=labels.tz, wall=wall_clock(labels.unique().sort_values()))
        return cls()

    def restore(self, frame):
        """`frame` with its naive DatetimeIndex and datetime columns given back in this form."""
        if self == TimeForm():
            return frame
        frame = frame.copy()
        if isinstance(frame.index, pd.DatetimeIndex) and frame.index.tz is None:
            frame.index = self._labels(frame.index)
        for column in frame.columns:
            if pd.api.types.is_datetime64_dtype(frame[column]) and not isinstance(frame[column].dtype, pd.DatetimeTZDtype):
                frame[column] = self._labels(pd.DatetimeIndex(frame[column]))
        return frame

    def to_dict(self):
        """The form as JSON values (a bundle keeps it); {} for naive labels, and for a zone pandas cannot find
        again by a name (a `tzinfo` written by hand), whose times then come back naive, as before forms were kept."""
        if self.period is not None:
            return {"period": self.period}
        name = zone_name(self.tz)
        return {} if name is None else {"tz": name, "wall": self.wall}

    @classmethod
    def from_dict(cls, config):
        """The form `to_dict` wrote.

        >>> form = TimeForm.of(pd.DataFrame(index=pd.date_range("2024-01-01", periods=3, freq="D", tz="Europe/Paris")))
        >>> TimeForm.from_dict(form.to_dict()) == form, form.to_dict()
        (True, {'tz': 'Europe/Paris', 'wall': True})
        """
        form = cls(**config)
        return form if form.tz is None else dataclasses.replace(form, tz=pd.Timestamp(0, tz=form.tz).tz)

    def label(self, value):
        """One of the toolkit's naive timestamps as the user's labels show it (for a message); else `value`."""
        if self == TimeForm() or not isinstance(value, pd.Timestamp) or value.tz is not None:
            return value
        return self._labels(pd.DatetimeIndex([value]))[0]

    def _labels(self, index):
        if self.period is not None:
            return index.to_period(self.period)
        if not self.wall:
            return index.tz_localize("UTC").tz_convert(self.tz)
        # a wall-clock time the clocks skip moves on to the first one they show; one they show twice is its first
        return index.tz_localize(self.tz, ambiguous=np.ones(len(index), dtype=bool), nonexistent="shift_forward")


def zone_name(tz):
    """The name pandas finds the time zone `tz` by again ("Europe/Paris", "UTC+02:00"), or None where it has none."""
    if tz is None:
        return None
    name = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)  # zoneinfo's, pytz's, a fixed offset's
    try:
        same = pd.Timestamp(0, tz=name).tz
    except (ValueError, KeyError, TypeError):
        return None
    instants = pd.date_range("2000-01-01", periods=2, freq="182D", tz="UTC")  # winter and summer
    return name if all(t.tz_convert(same).utcoffset() == t.tz_convert(tz).utcoffset() for t in instants) else None


def quarter_periods(column):
    """Text labels of quarters ("1970 Q1", as R's tsibble and fpp3 write them, "1970-Q1", "1970Q1") as quarterly
    periods, which `pd.to_datetime` cannot read with any format; None unless every label is one.

    >>> quarter_periods(pd.Series(["1970 Q1", "1970 Q2"])).tolist()
    [Period('1970Q1', 'Q-DEC'), Period('1970Q2', 'Q-DEC')]
    """
    if not (column.dtype == object or pd.api.types.is_string_dtype(column.dtype)) or not len(column):
        return None
    if re.match(QUARTER_LABEL, str(column.iloc[0])) is None:  # dates, as most are: no pass over a long column
        return None
    codes, labels = pd.factorize(column.astype(str))  # each label read once: a panel repeats them per series
    found = pd.Series(labels).str.extract(QUARTER_LABEL)
    if found.isna().any().any():
        return None
    return pd.PeriodIndex((found[0] + "Q" + found[1]).tolist(), freq="Q")[codes]


def parse_timestamps(column):
    """`pd.to_datetime(column)`; offsets that change with the clocks (a zoned frame written to CSV) as UTC instants:
    exact, though the file does not name the zone. pandas 3 refuses mixed offsets, pandas 2 keeps them as objects.
    Labels of quarters come back as quarterly periods (`quarter_periods`)."""
    quarters = quarter_periods(column)
    if quarters is not None:
        return quarters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandas 2's warning about mixed time zones
        try:
            times = pd.to_datetime(column)
        except ValueError:
            times = None
    if times is None or times.dtype == object:
        times = pd.to_datetime(column, utc=True)
    return times


def naive_timestamp(timestamp, index):
    """A user's `timestamp` on the clock of the toolkit's naive `index`: as is when naive, a period's start, else
    on the clock `as_frame` chose."""
    timestamp = timestamp.to_timestamp() if isinstance(timestamp, pd.Period) else pd.Timestamp(timestamp)
    if timestamp.tz is None:
        return timestamp
    return unzoned(timestamp, wall_clock(index))
