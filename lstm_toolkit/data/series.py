"""A validated, time-split and scaled series that makes windowed datasets on demand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_toolkit.data.frame import as_frame, fill_missing
from lstm_toolkit.data.frequency import infer_frequency, integer_step
from lstm_toolkit.data.scaling import Scaler
from lstm_toolkit.data.split import split_points
from lstm_toolkit.data.time_features import calendar_features
from lstm_toolkit.data.windows import input_windows, make_window_dataset, window_starts
from lstm_toolkit.errors import ConfigError, DataError, SeriesTooShortError

PARTS = ("train", "validation", "test")


class WindowedSeries:
    """A series ready for an LSTM: checked, split by time, scaled on its training part.

    Build it with `WindowedSeries.from_frame`. The train / validation / test
    parts are consecutive stretches of time. The windows of a part have their
    targets wholly inside it; their inputs may reach back into the part before
    (context, not leakage). The scaler is fit on the training rows only.

    Attributes:
        spec: the `WindowSpec`.
        index: the time index (DatetimeIndex or RangeIndex).
        raw: float64 array (rows, data columns) in original units.
        inputs: float32 array (rows, n_features): scaled inputs and calendar channels.
        targets: float32 array (rows, n_targets): scaled targets.
        scaler: the fitted `Scaler` over `spec.data_columns`.
        bounds: dict part -> (first row, stop row).
        lead: rows of start padding before the first real row (`from_frame(pad=True)`).

    Example:
    >>> import pandas as pd
    >>> from lstm_toolkit.data import WindowSpec
    >>> df = pd.DataFrame({"y": np.sin(np.arange(200) / 5.0)},
    ...                   index=pd.date_range("2024-01-01", periods=200, freq="h"))
    >>> series = WindowedSeries.from_frame(df, WindowSpec(lookback=24, targets="y", horizon=6),
    ...                                    validation=0.2, test=0.2)
    >>> series.bounds["validation"], series.n_windows("train")
    ((120, 160), 91)
    >>> x, y = next(iter(series.dataset("train", batch_size=8)))
    >>> tuple(x.shape), tuple(y.shape)
    ((8, 24, 1), (8, 6, 1))
    """

    def __init__(self, spec, index, raw, scaled, calendar, scaler, bounds, lead=0):
        self.spec = spec
        self.lead = lead
        self.index = index
        self.raw = raw
        self.scaler = scaler
        self.bounds = bounds
        n_inputs = len(spec.input_columns)
        self.inputs = np.concatenate([scaled[:, :n_inputs], calendar], axis=1).astype("float32")
        target_positions = [spec.data_columns.index(t) for t in spec.targets]
        self.targets = scaled[:, target_positions].astype("float32")

    @classmethod
    def from_frame(
        cls,
        data,
        spec,
        time_col=None,
        validation=None,
        test=None,
        scaler="standard",
        fill=None,
        min_parts=("train",),
        pad=False,
    ):
        """Checks, splits and scales `data` for `spec`.

        Args:
            data: DataFrame, Series or numpy array (see `as_frame`).
            spec: a `WindowSpec`.
            time_col: the timestamp column, when not the index.
            validation: validation part as a fraction, row count or first timestamp.
                A fraction too small for one window takes `horizon` rows.
            test: test part, likewise (after validation).
            scaler: "standard", "minmax", "naive" or "none" (`Scaler`) to fit on the training rows,
                or an already fitted `Scaler` to apply as it is (for new data).
            fill: None to refuse NaN/inf, or "ffill" / "interpolate" / "zero".
            min_parts: parts that must hold at least one window.
            pad: left-pad a series too short for `min_parts`' windows (or, with
                no `min_parts`, for one input window) with copies of its first
                row, as NeuralForecast's start padding does. The padded rows
                come after the scaler's fit (they never count in it), only ever
                reach a window's inputs (every target row is a real one), and
                leave at least one real row in every window; `lead` counts them.

        Returns:
            A `WindowedSeries`.
        """
        frame = as_frame(data, time_col=time_col)
        spec.check_columns(frame)
        raw = fill_missing(frame, list(spec.data_columns), fill=fill)
        train_end, validation_end = split_points(frame.index, validation, test)
        if _is_fraction(validation) and validation_end - train_end < spec.horizon:
            # A fraction too small for one window would hold rows that neither train nor validate: one window instead.
            train_end = max(0, validation_end - spec.horizon)
        bounds = {
            "train": (0, train_end),
            "validation": (train_end, validation_end),
            "test": (validation_end, len(frame)),
        }
        lead = padding_rows(spec, len(frame), train_end, min_parts) if pad else 0
        if lead:
            bounds = {part: (start + lead, stop + lead) for part, (start, stop) in bounds.items()}
            bounds["train"] = (0, bounds["train"][1])
        for part in min_parts:
            cls._check_part_length(spec, part, *bounds[part], n_rows=len(frame) + lead, padded=pad)
        if not isinstance(scaler, Scaler):
            scaler = Scaler(scaler, columns=spec.data_columns).fit(raw[:train_end])
        elif scaler.columns != tuple(spec.data_columns):
            raise DataError(
                f"The fitted scaler covers columns {list(scaler.columns)}, but the data needs "
                f"{list(spec.data_columns)}."
            )
        scaled = scaler.transform(raw)
        index = frame.index
        if lead:
            index = padded_index(index, lead)
            raw, scaled = (np.concatenate([np.repeat(a[:1], lead, axis=0), a]) for a in (raw, scaled))
        calendar = calendar_features(index, spec.calendar)
        return cls(spec, index, raw, scaled, calendar, scaler, bounds, lead)

    @staticmethod
    def _check_part_length(spec, part, start, stop, n_rows, padded=False):
        # Targets must fit inside the part; inputs may use rows before it as context.
        needed = spec.horizon + max(0, spec.lookback - start)
        rows = stop - start
        if rows < needed:
            reach = "" if part == "train" else f" (with {start} rows of context before it)"
            window = (f"horizon {spec.horizon} + one row of input, the rest padded" if padded
                      else f"lookback {spec.lookback} + horizon {spec.horizon}")
            raise SeriesTooShortError(
                f"The {part} part has {rows} rows{reach} but needs at least {needed} "
                f"({window} for one window). "
                f"The series has {n_rows} rows: give more data, or a shorter lookback or horizon."
            )

    def starts(self, part, stride=None):
        """Start rows of the windows whose targets lie in `part`."""
        if part not in PARTS:
            raise DataError(f"`part` must be one of {PARTS}. Received: part={part!r}")
        start, stop = self.bounds[part]
        stride = self.spec.stride if stride is None else stride
        return window_starts(self.spec.lookback, self.spec.horizon, start, stop, stride)

    def n_windows(self, part):
        return len(self.starts(part))

    def dataset(self, part, batch_size=32, shuffle=None, seed=None, cache=False, prefetch=True, future_channels=None,
                shard=None):
        """Returns the `tf.data.Dataset` of `(x, y)` windows of one part.

        Args:
            part: "train", "validation" or "test".
            batch_size: windows per batch.
            shuffle: None shuffles training windows among themselves (all of
                them, each epoch) and keeps time order elsewhere; True / False /
                a buffer size override that. Windows never cross parts.
            seed: shuffle seed.
            cache: keep gathered batches in memory after the first epoch.
            prefetch: prefetch in the background.
            future_channels: input channels known ahead (future covariates,
                calendar); each window then also gets their values over its
                forecast steps, and `x` becomes `(window, future)`.
            shard: `(index, count)`: only shard `index` of `count` equal shards
                of the windows (every `count`-th window from the `index`-th, the
                few left over dropped so that every shard has as many batches),
                for one worker of a multi-worker training.
        """
        return _part_dataset(self, part, batch_size, shuffle, seed, cache, prefetch, future_channels, shard)

    def future_inputs(self, origins, channels):
        """Values of the input `channels` over the `horizon` rows after each origin: `(n, horizon, len(channels))`."""
        rows = np.asarray(origins)[:, None] + np.arange(1, self.spec.horizon + 1)[None, :]
        return self.inputs[rows][:, :, list(channels)]

    def windows_ending_at(self, ends):
        """Scaled input windows (len(ends), lookback, n_features) whose last row is each of `ends`."""
        return input_windows(self.inputs, ends, self.spec.lookback)

    def inverse_targets(self, values):
        """Maps scaled target values (..., n_targets) back to original units."""
        return self.scaler.inverse_transform(values, columns=self.spec.targets)


class SeriesCollection:
    """Several `WindowedSeries` with one spec, trained as one model (a global model).

    Each member was split by time and scaled on its own training part. Their
    rows are laid end to end; window start rows are offset accordingly, so a
    window never spans two series and never crosses a member's time split.

    `context` (optional) maps each member to a list of arrays that describe
    it as a whole (its code for a series embedding, its static features);
    every window of the member gets them as extra inputs (see
    `make_window_dataset(context=...)`).

    Example:
    >>> import pandas as pd
    >>> from lstm_toolkit.data import WindowSpec
    >>> spec = WindowSpec(lookback=4, targets="y", horizon=2)
    >>> members = {k: WindowedSeries.from_frame(pd.DataFrame({"y": np.arange(30.0) * k}), spec, validation=0.2)
    ...            for k in (1, 2)}
    >>> both = SeriesCollection(members)
    >>> both.n_windows("train") == sum(m.n_windows("train") for m in members.values())
    True
    """

    def __init__(self, members, context=None):
        if not members:
            raise DataError("A series collection needs at least one series.")
        self.members = dict(members)
        first = next(iter(self.members.values()))
        self.spec = first.spec
        lengths = [len(member.inputs) for member in self.members.values()]
        self.offsets = dict(zip(self.members, np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype("int64")))
        self.inputs = np.concatenate([member.inputs for member in self.members.values()])
        self.targets = np.concatenate([member.targets for member in self.members.values()])
        # Per-row copies of each member's context arrays (e.g. its code, its static features): a window reads
        # the row it starts at. Memory grows with the rows, never with rows x lookback.
        self.context = None
        if context and any(len(rows) for rows in context.values()):
            per_member = [context[key] for key in self.members]
            self.context = [
                np.concatenate([np.repeat(np.asarray(parts[k])[None], n, axis=0) for parts, n in zip(per_member, lengths)])
                for k in range(len(per_member[0]))
            ]

    def starts(self, part, stride=None):
        """Start rows (in the joined rows) of every member's windows whose targets lie in `part`."""
        return np.concatenate([member.starts(part, stride) + self.offsets[key] for key, member in self.members.items()])

    def n_windows(self, part):
        return len(self.starts(part))

    def dataset(self, part, batch_size=32, shuffle=None, seed=None, cache=False, prefetch=True, future_channels=None,
                shard=None):
        """The `tf.data.Dataset` of every member's windows of `part`, mixed when training (see `WindowedSeries.dataset`)."""
        return _part_dataset(self, part, batch_size, shuffle, seed, cache, prefetch, future_channels, shard)

    def windows_ending_at(self, ends):
        return input_windows(self.inputs, ends, self.spec.lookback)


def padding_rows(spec, n_rows, train_end, min_parts):
    """Rows of start padding a series of `n_rows` needs for one window of each part in `min_parts`.

    Never more than `lookback - 1`: every window keeps at least one real row.

    >>> from lstm_toolkit.data import WindowSpec
    >>> spec = WindowSpec(lookback=8, targets="y", horizon=6)
    >>> padding_rows(spec, n_rows=20, train_end=10, min_parts=("train",))  # 10 + 4 = lookback + horizon
    4
    >>> padding_rows(spec, n_rows=5, train_end=5, min_parts=())  # one input window
    3
    """
    needed = spec.lookback + spec.horizon - train_end if "train" in min_parts else spec.lookback - n_rows
    return int(min(max(0, needed), spec.lookback - 1))


def padded_index(index, lead):
    """`index` extended `lead` steps back: by its frequency, else its first step (an index of integers: by its step).

    >>> padded_index(pd.date_range("2024-01-01", periods=3, freq="MS"), 2).strftime("%Y-%m").tolist()
    ['2023-11', '2023-12', '2024-01', '2024-02', '2024-03']
    >>> padded_index(pd.Index([1990, 1995]), 2).tolist()
    [1980, 1985, 1990, 1995]
    """
    if isinstance(index, pd.DatetimeIndex):
        freq = infer_frequency(index)
        if freq is not None:
            before = pd.date_range(end=index[0], periods=lead + 1, freq=freq)[:-1]
        else:
            step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(1, "D")
            before = pd.DatetimeIndex([index[0] - k * step for k in range(lead, 0, -1)])
        return before.append(index)
    if isinstance(index, pd.RangeIndex):
        return pd.RangeIndex(index.start - lead * index.step, index.stop, index.step)
    return pd.Index(np.arange(-lead, 0) * integer_step(index) + index[0]).append(index)


def shard_of(starts, shard):
    """Shard `index` of `count` equal shards of `starts` (every `count`-th from `index`; the remainder dropped).

    >>> shard_of(np.arange(7), (1, 3)).tolist()
    [1, 4]
    """
    if shard is None:
        return starts
    index, count = shard
    if not 0 <= index < count:
        raise ConfigError(f"`shard` must be (index, count) with 0 <= index < count. Received: shard={shard!r}")
    return starts[index::count][: len(starts) // count]


def _part_dataset(series, part, batch_size, shuffle, seed, cache, prefetch, future_channels, shard=None):
    """The windows dataset of one part of a `WindowedSeries` or `SeriesCollection` (see `WindowedSeries.dataset`)."""
    if shuffle is None:
        shuffle = part == "train"
    return make_window_dataset(
        series.inputs,
        series.targets,
        shard_of(series.starts(part), shard),
        series.spec.lookback,
        series.spec.horizon,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        cache=cache,
        prefetch=prefetch,
        future=None if not future_channels else series.inputs[:, list(future_channels)],
        context=getattr(series, "context", None),
    )


def _is_fraction(value):
    return isinstance(value, float) and 0.0 < value < 1.0
