"""The prepared problem: everything a Forecaster learns from the data except the weights.

A frozen `ForecastProblem` holds the window spec, the scaler, frequency and
season, the resolved model config, the window normalisation's scales and where
training ended; with many series also each series' scaler and end, its code
for a series embedding and its static features. `forecasting.preparing.prepare`
makes it (with `make_spec` and `problem_of` from here), for one series and many
on one path. The problem is the Forecaster's
saved state (`to_state` / `from_state`, JSON-safe) and what the tuner and any
custom training loop start from (`Forecaster.prepare`).

`settings` is the estimator's data settings (`forecasting.settings.ForecastSettings`);
nothing here holds a Keras model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from lstm_toolkit.data import (
    Scaler,
    TimeForm,
    WindowSpec,
    as_frame,
    calendar_features,
    season_length_for,
)
from lstm_toolkit.errors import ConfigError, DataError, check_integer
from lstm_toolkit.forecasting.choices import norm_scales, resolve_model_config
from lstm_toolkit.forecasting.settings import names
from lstm_toolkit.models import ModelConfig

STRATEGIES = ("direct", "recursive")


@dataclasses.dataclass(frozen=True)
class ForecastProblem:
    """The fitted state of a Forecaster apart from its network (see the module docstring).

    Attributes:
        spec: the `WindowSpec` of the training windows.
        scaler: the fitted `data.Scaler` (of the series viewed, with many series).
        freq: the frequency string of the index (None for a row index).
        season_length: the season of the seasonal-naive baseline and MASE.
        model_config: the `ModelConfig` built ("auto" resolved, season filled in).
        norm_scales: the input and delta scales of the window normalisation.
        fit_end: the last timestamp (or row) of the training data.
        n_train_windows: how many training windows there were.
        future_covariates: the input columns known over the forecast horizon.
        scalers, fit_ends, skipped_series: with many series, each series'
            scaler, last training timestamp and the series left out (and why).
        series_codes, static: with many series, each series' code for the
            embedding, and the static features with their standardisation.
        series_key: the series a one-series view (`for_series`) forecasts.
        pad_short: left-pad a history shorter than the lookback with its
            first row (`WindowedSeries.from_frame(pad=True)`): set for many
            series (bundles saved before it have False and forecast as then).
        nonnegative: the Forecaster's `nonnegative`: whether forecasts are floored at 0 (`target_floor`).
            Bundles saved before it have False and forecast as then.
        labels: how the data given to `fit` labelled its times (`data.TimeForm`: a time zone, periods); the
            fields above hold the toolkit's naive timestamps, `labelled_fit_end` gives them back in this form.
    """

    spec: WindowSpec
    scaler: Scaler
    freq: str | None
    season_length: int
    model_config: ModelConfig
    norm_scales: tuple
    fit_end: object
    n_train_windows: int
    future_covariates: tuple = ()
    scalers: dict | None = None
    fit_ends: dict | None = None
    skipped_series: dict | None = None
    series_codes: dict | None = None
    static: dict | None = None
    series_key: object = None
    pad_short: bool = False
    nonnegative: object = False
    labels: TimeForm = TimeForm()

    @property
    def labelled_fit_end(self):
        """`fit_end` as the data given to `fit` labelled it: in its time zone, or a period."""
        return self.labels.label(self.fit_end)

    @property
    def labelled_fit_ends(self):
        """`fit_ends` (many series) as the data given to `fit` labelled them; None for one series."""
        return None if self.fit_ends is None else {key: self.labels.label(end) for key, end in self.fit_ends.items()}

    @property
    def is_global(self):
        """True for a problem of many series (not a one-series view of one)."""
        return self.scalers is not None

    # --- what the model reads besides the window ---------------------------------------------

    def future_channels(self, model_config=None):
        """Input channels the model also reads over the forecast horizon (known ahead).

        The future covariates, then the calendar channels. Without future
        covariates only a seq2seq decoder reads ahead (the calendar).
        """
        config = self.model_config if model_config is None else model_config
        spec = self.spec
        calendar = list(range(len(spec.input_columns), spec.n_features))
        covariates = [spec.input_columns.index(c) for c in self.future_covariates]
        if covariates:
            return covariates + calendar
        return calendar if config.architecture == "seq2seq" else []

    def future_array(self, series, origins, future_times, horizon, covariates=None):
        """The model's "future" input `(n, horizon, n_future)`, or None when it reads nothing ahead.

        Future covariates come from `covariates` (scaled, `(n, horizon, k)`)
        or else from the rows after each origin; calendar channels from the
        forecast timestamps.
        """
        channels = self.future_channels()
        if not channels:
            return None
        known = [c for c in channels if c < len(self.spec.input_columns)]
        parts = []
        if known:
            parts.append(series.future_inputs(origins, known) if covariates is None else covariates)
        if len(channels) > len(known):
            parts.append(self.calendar_ahead(future_times, len(origins), horizon))
        return np.concatenate(parts, axis=-1).astype("float32")

    def calendar_ahead(self, future_times, n, horizon):
        """Calendar channels `(n, horizon, k)` of the forecast timestamps `future_times (n, horizon)`."""
        times = pd.DatetimeIndex(np.asarray(future_times).ravel())
        return calendar_features(times, self.spec.calendar).reshape(n, horizon, -1)

    def scaled_future_covariates(self, future, index, time_col=None, key=None):
        """The future covariates' values over the forecast rows `index`, scaled: `(1, horizon, k)`, or None. `key`: the
        series of many they are for, named in an error."""
        columns = list(self.future_covariates)
        if not columns:
            if future is not None:
                raise ConfigError("`future=` gives values of future covariates, but this Forecaster has none.")
            return None
        of = "" if key is None else f" of series {key!r}"
        if future is None:
            steps = str(index[0]) if len(index) == 1 else f"{index[0]} to {index[-1]}"
            raise DataError(
                f"This Forecaster reads the future covariates {columns} over the forecast horizon: pass their "
                f"values{of} for the forecast steps {steps} as predict(history, future=frame)."
            )
        frame = as_frame(future, time_col=time_col)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(f"`future`{of} lacks the future covariate column(s) {missing}. Columns: {list(frame.columns)}.")
        absent = [label for label in index if label not in frame.index]
        if absent:
            raise DataError(
                f"`future`{of} has no row for {len(absent)} forecast step(s): {[str(a) for a in absent[:5]]}. "
                "Give the covariates' values for every forecast step."
            )
        values = frame.loc[list(index), columns].to_numpy(dtype="float64")
        if not np.isfinite(values).all():
            raise DataError(f"`future`{of} has NaN or inf in the future covariates {columns}; fill them first.")
        multiplier, offset = self.scaler.coefficients(columns)
        return (values * multiplier + offset)[None].astype("float32")

    def context_shapes(self):
        """`[(shape, dtype), ...]` of the model's context inputs: the series code, the static features."""
        shapes = []
        if self.series_codes:
            shapes.append(((1,), "int32"))
        if self.static:
            shapes.append(((len(self.static["mean"]),), "float32"))
        return shapes

    def context_of(self, key):
        """The context input rows of series `key`: `[code (1,) int32, static (k,) float32]` (those in use)."""
        return context_rows(key, self.series_codes, self.static)

    def context_inputs(self, n):
        """The context inputs for `n` windows of a one-series view, or [] when the model has none."""
        if not self.context_shapes():
            return []
        if self.series_key is None:
            raise ConfigError("This model reads which series it forecasts: forecast through fc.for_series(id).")
        return [np.repeat(row[None], n, axis=0) for row in self.context_of(self.series_key)]

    def for_series(self, key, scaler=None, fit_end=None):
        """The one-series view of a problem of many series: that series' scaler, end and context.

        `scaler`, `fit_end`: those of a series the model was not trained on, fit on its own rows
        (`preparing.new_series_view`); None for a trained series, whose own are kept here.
        """
        if not self.is_global:
            raise ConfigError("for_series needs a Forecaster fit on many series (series_id= or a dict of frames).")
        if scaler is None:
            if key not in self.scalers:
                new = (" `predict` and `backtest` forecast a new series from its own rows, scaled on them; a view (to "
                       "stream or export) needs a series trained on." if self.takes_new_series else "")
                raise DataError(f"Series {key!r} was not trained on (no scaler for it). Known series: "
                                f"{list(self.scalers)[:20]}.{new}")
            scaler, fit_end = self.scalers[key], self.fit_ends[key]
        return dataclasses.replace(self, scaler=scaler, fit_end=fit_end, scalers=None, fit_ends=None,
                                   skipped_series=None, series_key=key)

    @property
    def takes_new_series(self):
        """True for a model of many series that can forecast a series it was not trained on: one that reads nothing
        naming the series (no series embedding, no static features), so that a scaler is all a new series needs."""
        return self.is_global and not self.series_codes and not self.static

    def parts(self, data, split):
        """`{key: frame}` of the series in `data`: `{None: data}` for a one-series problem, else `split(data)` (by id)."""
        return split(data) if self.is_global else {None: data}

    def require_one_series(self, message):
        """Raises `ConfigError(message)` for a problem of many series: what only one series' view can do."""
        if self.is_global:
            raise ConfigError(message)

    # --- serving -------------------------------------------------------------------------------

    def target_floor(self):
        """Per target, the lower bound of its forecasts (and quantiles, samples) in original units: 0, or -inf for none.

        0 where `nonnegative` is True, or "auto" and the target's smallest
        training value was 0: never negative, and down to 0 (counts,
        intermittent demand, rainfall). A forecast below 0 is never right
        there, and flooring it never moves a forecast away from an actual of 0
        or more. A series that stayed above 0 (a summer of temperatures in
        degrees Celsius) is not floored. With many series, each series' own.
        """
        minimum = self.scaler.minimum(self.spec.targets)
        if self.nonnegative == "auto" and minimum is not None:
            floored = minimum == 0
        else:  # True or False (or "auto" with a scaler saved before it kept its minimum: no floor, as then)
            floored = np.full(len(self.spec.targets), self.nonnegative is True)
        return np.where(floored, 0.0, -np.inf)

    def floored(self, values):
        """`values` (..., n_targets) in original units, each target raised to its `target_floor`."""
        return np.maximum(values, self.target_floor())

    def stream_spec(self, horizon):
        """What a streamer or an exported model needs of the window spec, JSON-safe."""
        spec = self.spec
        return {
            "lookback": spec.lookback,
            "horizon": horizon,
            "input_columns": list(spec.input_columns),
            "targets": list(spec.targets),
            "calendar": list(spec.calendar),
        }

    def scaling(self):
        """The fitted scaling as JSON-safe vectors: `scaled = value * multiplier + offset` per input and target."""
        in_mul, in_add = self.scaler.coefficients(self.spec.input_columns)
        out_mul, out_add = self.scaler.coefficients(self.spec.targets)
        return {
            "input_multiplier": in_mul.tolist(),
            "input_offset": in_add.tolist(),
            "target_multiplier": out_mul.tolist(),
            "target_offset": out_add.tolist(),
            "target_floor": [None if np.isinf(floor) else float(floor) for floor in self.target_floor()],
        }

    # --- the saved state -------------------------------------------------------------------------

    def to_state(self):
        """The problem as JSON-safe data (the bundle's state; lists of pairs keep the ids' types)."""
        state = {
            "spec": self.spec.to_dict(),
            "model_config": self.model_config.to_dict(),
            "scaler": self.scaler.to_dict(),
            "freq": self.freq,
            "season_length": self.season_length,
            "fit_end": encode_label(self.fit_end),
            "n_train_windows": self.n_train_windows,
            "norm_scales": list(self.norm_scales),
        }
        if self.is_global:
            state["scalers"] = [[key, scaler.to_dict()] for key, scaler in self.scalers.items()]
            state["skipped_series"] = [[key, reason] for key, reason in self.skipped_series.items()]
            state["fit_ends"] = [[key, encode_label(end)] for key, end in self.fit_ends.items()]
            if self.series_codes:
                state["series_codes"] = [[key, code] for key, code in self.series_codes.items()]
            if self.static:
                state["static"] = {**self.static, "values": [[key, v] for key, v in self.static["values"].items()]}
        if self.pad_short:
            state["pad_short"] = True
        state["nonnegative"] = self.nonnegative
        if self.labels != TimeForm():
            state["labels"] = self.labels.to_dict()
        return state

    @classmethod
    def from_state(cls, state, future_covariates=()):
        """The problem saved by `to_state` (`future_covariates`: the Forecaster's parameter)."""
        many = {}
        if "scalers" in state:
            many = {
                "scalers": {key: Scaler.from_dict(value) for key, value in state["scalers"]},
                "skipped_series": dict(state.get("skipped_series", [])),
                "fit_ends": {key: decode_label(value) for key, value in state["fit_ends"]},
                "series_codes": dict(state["series_codes"]) if "series_codes" in state else None,
                "static": {**state["static"], "values": dict(state["static"]["values"])} if "static" in state else None,
            }
        return cls(
            spec=WindowSpec.from_dict(state["spec"]),
            scaler=Scaler.from_dict(state["scaler"]),
            freq=state["freq"],
            season_length=state["season_length"],
            model_config=ModelConfig.from_dict(state["model_config"]),
            norm_scales=tuple(state.get("norm_scales", (None, None))),
            fit_end=decode_label(state["fit_end"]),
            n_train_windows=state["n_train_windows"],
            future_covariates=tuple(names(future_covariates)),
            pad_short=state.get("pad_short", False),
            nonnegative=state.get("nonnegative", False),
            labels=TimeForm.from_dict(state.get("labels", {})),  # bundles saved before it: naive, as then
            **many,
        )


def context_rows(key, series_codes, static):
    """The context input rows of series `key`: its code in `series_codes`, its standardised `static` features."""
    context = []
    if series_codes:
        context.append(np.array([series_codes[key]], dtype="int32"))
    if static:
        raw = np.asarray(static["values"][key])
        context.append(((raw - static["mean"]) / np.asarray(static["std"])).astype("float32"))
    return context


def encode_label(label):
    """A timestamp or row number as JSON."""
    if isinstance(label, pd.Timestamp):
        return {"timestamp": label.isoformat()}
    return {"row": int(label)}


def decode_label(encoded):
    if "timestamp" in encoded:
        return pd.Timestamp(encoded["timestamp"])
    return int(encoded["row"])


# --- preparing the problem ---------------------------------------------------------------------------


def make_spec(settings, frame):
    """The `WindowSpec` of a Forecaster's `ForecastSettings` on `frame`, with the settings' consistency checked."""
    target = settings.target
    if target is None:
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        if len(numeric) != 1:
            raise ConfigError(
                f"`target` is None but the data has {len(numeric)} numeric columns {numeric}; "
                "name the column(s) to forecast with `target=`."
            )
        target = numeric[0]
    if settings.strategy not in STRATEGIES:
        raise ConfigError(f"`strategy` must be one of {STRATEGIES}. Received: strategy={settings.strategy!r}")
    check_integer(settings.horizon, "horizon")
    features = settings.features
    future_covariates = names(settings.future_covariates)
    if future_covariates:
        targets = names(target)
        clash = [c for c in future_covariates if c in targets]
        if clash:
            raise ConfigError(f"{clash} cannot be both a target and a future covariate: a target is not known ahead.")
        if settings.strategy != "direct" or settings.stateful:
            raise ConfigError("future_covariates need a direct, window model (strategy='direct', stateful=False).")
        base = targets if features is None else names(features)
        features = base + [c for c in future_covariates if c not in base]
    spec = WindowSpec(
        lookback=settings.lookback,
        targets=target,
        horizon=settings.horizon if settings.strategy == "direct" else 1,
        features=features,
        calendar=settings.calendar,
    )
    if settings.stateful and settings.strategy != "direct":
        raise ConfigError(
            "stateful=True forecasts all `horizon` steps from each step's state (direct); it "
            "cannot be combined with strategy='recursive'."
        )
    if settings.strategy == "recursive" and set(spec.input_columns) != set(spec.targets):
        raise ConfigError(
            "strategy='recursive' feeds each forecast back as the next input, so the inputs "
            f"must be exactly the targets {list(spec.targets)} (plus calendar features); "
            f"received features={list(spec.input_columns)}. Use strategy='direct' for past covariates."
        )
    return spec


def season_of(settings, freq):
    """The season of data of frequency `freq` (`infer_frequency`): `season_length` when given, else the frequency's."""
    return settings.season_length or season_length_for(freq)


def problem_of(settings, model_config, series, index, scaler, freq, **many):
    """The `ForecastProblem` of prepared training data (`series`: one series or a `SeriesCollection`) of frequency
    `freq` (`infer_frequency`; a panel's is its longest series')."""
    season = season_of(settings, freq)
    config = resolve_model_config(settings, model_config, series, season)
    return ForecastProblem(
        spec=series.spec,
        scaler=scaler,
        freq=freq,
        season_length=season,
        model_config=config,
        norm_scales=norm_scales(series, config, settings.stateful),
        fit_end=index[-1],
        n_train_windows=series.n_windows("train"),
        future_covariates=tuple(names(settings.future_covariates)),
        nonnegative=settings.nonnegative,
        **many,
    )
