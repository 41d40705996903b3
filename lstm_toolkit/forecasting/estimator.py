"""The base of the window forecasters: what a fitted one does whatever its network and strategy.

As Darts implements backtesting once on its base model, `BaseForecaster`
holds everything that works from the fitted state alone, the prepared
problem (`problem_`, a `forecasting.problem.ForecastProblem`), the trained
network (`model_`) and the strategy (`_strategy()`, see
`forecasting.strategies`): the fitted attributes, one-series views of a
model of many series, the model's view of data (`windows`, `predict_windows`),
serving (`streamer`, `export`, `stream_spec`, `scaling`), and rolling-origin backtests
and their scores (`backtest`, `evaluate`, written in `forecasting.backtest`).

A subclass (`Forecaster`) fits: it sets `problem_` and `model_`, defines
`_strategy()` and `future_channels()`, and takes the constructor parameters
the class declares (`lookback`, `horizon`, `loss`, ...).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import warnings

import numpy as np
import pandas as pd

from lstm_toolkit.base import Estimator
from lstm_toolkit.data import TimeForm, WindowedSeries, as_frame, check_frequency
from lstm_toolkit.errors import DataError, check_bool, user_stacklevel
from lstm_toolkit.forecasting import backtest, batched, many_series, streams
from lstm_toolkit.forecasting.preparing import series_views, warn_time_steps


def _fitted(name):
    """A read-only fitted attribute that reads the prepared problem's field `name`."""
    return property(lambda self: getattr(self.problem_, name), doc=f"The prepared problem's `{name}` (see `ForecastProblem`).")


class BaseForecaster(Estimator):
    """Base of the window forecasters (see the module docstring).

    Its contract with a subclass: the constructor parameters declared below
    (stored under their own names, as scikit-learn does), `_strategy()` and
    `future_channels()`. Everything else it reads comes from the prepared
    problem (`problem_`) or the trained network (`model_`).
    """

    # The subclass's constructor parameters that this base reads.
    horizon: int
    loss: str
    strategy: str
    stateful: bool
    time_col: str | None
    series_id: str | None
    static_features: object
    future_covariates: object
    fill: object
    # The prepared problem (`problem.ForecastProblem`), set by the subclass's `prepare` or by loading a bundle.
    problem_: object

    def _strategy(self):
        """The forecasting strategy (`strategies.DirectStrategy`, ...) of the subclass's parameters."""
        raise NotImplementedError

    def future_channels(self, model_config=None):
        """Input channels a model also reads over the forecast steps (see `Forecaster.future_channels`)."""
        raise NotImplementedError

    @property
    def probabilistic(self):
        """True when the model forecasts distributions (its likelihood's: a `loss` other than "mse", "mae" or "auto")."""
        return self._strategy().likelihood.probabilistic

    # --- the fitted state: the prepared problem (`problem_`) and the trained network (`model_`) -----

    spec_ = _fitted("spec")
    scaler_ = _fitted("scaler")
    freq_ = _fitted("freq")
    season_length_ = _fitted("season_length")
    model_config_ = _fitted("model_config")
    norm_scales_ = _fitted("norm_scales")
    fit_end_ = _fitted("labelled_fit_end")
    n_train_windows_ = _fitted("n_train_windows")
    scalers_ = _fitted("scalers")
    fit_ends_ = _fitted("labelled_fit_ends")
    skipped_series_ = _fitted("skipped_series")
    series_codes_ = _fitted("series_codes")
    static_ = _fitted("static")

    def context_shapes(self):
        """`[(shape, dtype), ...]` of the model's context inputs (series code, static features); [] for none."""
        return self.problem_.context_shapes() if hasattr(self, "problem_") else []

    def _runner(self):
        """The trained model compiled once (a `tf.function`, or a stateful model's `tbptt.SequenceRunner`)."""
        cached = getattr(self, "_compiled", None)
        if cached is None or cached[0] is not self.model_:
            self._compiled = (self.model_, self._strategy().compile(self.model_, self.problem_))
        return self._compiled[1]

    def _series(self, data, last_rows=None, problem=None, key=None, sorted_by=None):
        """`data` scaled for the model: one series, with `problem`'s scaler (default the fitted problem's). Series
        `key` of many is named in an error about its rows; `sorted_by`: `many_series.long_frame_order` of its data."""
        problem = self.problem_ if problem is None else problem
        with many_series.about_series(key):
            frame = as_frame(data, time_col=self.time_col, sorted_by=sorted_by)
            if len(frame) == 0:
                raise DataError(f"The data has no rows; give the history to forecast from (at least lookback={problem.spec.lookback} rows).")
            check_frequency(frame.index, problem.freq)
            return WindowedSeries.from_frame(frame if last_rows is None else frame.iloc[-last_rows:], problem.spec,
                                             scaler=problem.scaler, fill=self.fill, min_parts=(), pad=problem.pad_short)

    def _told_steps(self, requests):
        """`requests` (`batched.ForecastRequest`s), after a warning when the rows they read skip steps of the model's
        frequency or lie on no grid (`preparing.warn_time_steps`): a window reads its rows as consecutive steps."""
        warn_time_steps({request.key: request.series.index for request in requests}, self.freq_)
        return requests

    def _parts(self, data):
        """`{key: frame}` of the series in `data`: `{None: data}` for a model of one series, else `_split(data)`.

        Everything after this treats one series as a collection of one; `_collect` gives back the user's form.
        """
        return self.problem_.parts(data, self._split)

    def _output_form(self, problem, form=None):
        """How to read a probabilistic model's forecasts of `problem`'s series (`backtest.OutputForm`, with its
        `target_floor`), or None for point forecasts (floored in `strategies.DirectStrategy.to_original`).
        `form`: the strategy's `output_form()`, when the caller has it already."""
        form = self._strategy().output_form() if form is None else form
        return None if form is None else dataclasses.replace(form, floor=tuple(problem.target_floor()))

    def _labels(self, data):
        """How the times of `data`, as the user gives it, are labelled (`data.TimeForm`): what results go back in."""
        return TimeForm.of(data, self.time_col)

    def _collect(self, results, kind="frame", by_series=False, by_target=False, labels=TimeForm()):
        """The `{key: result}` of `_parts`' series in the form the user gets.

        "table": `backtest.evaluate_rows` of each series made into one table
        (`backtest.metrics_table`: by series when `by_series`, else the mean
        over series). Else one series: its result; many, by `kind`: "frame",
        the frames in one long frame with the id column first; "dict", the
        dict itself (sample paths by series). A frame's timestamps are given back
        as `labels` says (`_labels` of the data the user gave).
        """
        one = not self.problem_.is_global
        if kind == "table":
            return backtest.metrics_table(results, backtest.metric_columns(self._strategy().output_form()),
                                          by_target=by_target, by_series=by_series,
                                          series_name=None if one else self.series_id or "series")
        if kind != "frame":
            return results[None] if one else results
        frame = results[None] if one else many_series.with_id(results, self.series_id)
        return labels.restore(frame)

    def _split(self, data, forecast=False):
        """`{id: frame}` of many series; with `forecast`, each indexed by its time (parsed once for all series)."""
        if forecast and isinstance(data, pd.DataFrame) and self.time_col in data.columns:
            data = many_series.indexed_by_time(data, self.time_col)
        return many_series.split_series(data, self.series_id, self.static_features)

    def _views(self, data, what, new_rows):
        """`({key: (frame, problem)}, {key: frame})`: the series of `data` that the network forecasts, each with the
        problem it is forecast with, and those that get `what` instead, named in one warning (`preparing.series_views`;
        `new_rows(key, frame)`: the rows that scale a series the model was not trained on). One series: its own.
        """
        if not self.problem_.is_global:
            return {None: (data, self.problem_)}, {}
        views, left_out = series_views(self.problem_, self._split(data, forecast=True), new_rows, self.fill,
                                       self.time_col)
        if left_out:
            first, reason = next(iter(left_out.items()))
            warnings.warn(
                f"{len(left_out)} series were left out of training and get {what} ({list(left_out)[:10]}): "
                f"{reason[1]} See `skipped_series_` for the reason of each series left out when fitting.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        return views, {key: frame for key, (frame, _) in left_out.items()}

    def _naive_forecasts(self, left_out, num_samples=None, columns=None):
        """The naive forecasts of the series of `left_out` (`_views`' second part): `many_series.naive_forecasts`."""
        return many_series.naive_forecasts(left_out, self.spec_.targets, self.freq_, self.horizon, self.time_col,
                                           num_samples, columns)

    def for_series(self, key):
        """A one-series view of a global Forecaster: the shared model with that series' scaler.

        It predicts, backtests, streams and exports like a Forecaster fit on that series alone
        (a model with a series embedding or static features does not export yet).
        """
        self._check_fitted()
        view_problem = self.problem_.for_series(key)
        self._runner()  # compiled once here, so every view shares it
        view = copy.copy(self)
        view.series_id, view.problem_ = None, view_problem
        return view

    def windowed(self, data):
        """`data` as the trained model sees it: a `WindowedSeries` scaled with the fitted scaler.

        Its `inputs` are the scaled input rows (calendar channels added),
        `windows_ending_at(ends)` the model's windows, `inverse_targets` maps
        scaled forecasts back to original units.

        Args:
            data: data like the training data (one series).
        """
        self._check_fitted()
        return self._series(data)

    def predict_windows(self, windows, future=None, future_times=None):
        """Scaled forecasts `(n, horizon, n_targets)` for scaled windows `(n, lookback, n_features)`.

        The windows as `windows()` returns them; `future`: the model's input
        over the forecast steps `(n, horizon, n_future)`, when it reads one
        (a seq2seq decoder's calendar, future covariates); or instead the
        forecast timestamps `future_times (n, horizon)` for its calendar.
        """
        self._check_fitted()
        windows, (lookback, channels) = np.asarray(windows, dtype="float32"), (self.spec_.lookback, self.spec_.n_features)
        if windows.ndim != 3 or windows.shape[2] != channels or (not self.stateful and windows.shape[1] != lookback):
            raise DataError(f"`windows` must be scaled windows of shape (n, {lookback}, {channels}): lookback rows of "
                            f"the input channels, as `windows()` returns them. Received shape {windows.shape}.")
        if not np.isfinite(windows).all():  # the forecasts were NaN, with no word
            raise DataError("`windows` hold NaN or inf; fill the data the windows come from first.")
        return self._strategy().forecast_windows(self._runner(), self.problem_, windows, future_times, future)

    def windows(self, data, ends=None):
        """The model's inputs for `data`: scaled windows `(len(ends), lookback, n_features)`.

        What the trained model sees (scaled with the training scaler, calendar
        channels added), e.g. for `gates.lstm_gates(fc.model_, fc.windows(df))`.

        Args:
            data: data like the training data.
            ends: rows (positions) where windows end; default every `lookback`-th row.
        """
        series, lookback = self.windowed(data), self.spec_.lookback
        rows = len(series.index)
        if rows < lookback:
            raise DataError(f"The data has {rows} rows; a window needs lookback={lookback} of them. Give more history.")
        ends = np.arange(lookback - 1, rows, lookback) if ends is None else np.atleast_1d(np.asarray(ends))
        if ends.dtype.kind not in "iu" or len(ends) == 0 or ends.min() < lookback - 1 or ends.max() >= rows:
            raise DataError(f"`ends` must be row positions from {lookback - 1} (the end of the first full window) to "
                            f"{rows - 1} for these {rows} rows. Received: {ends.tolist()[:5]}")
        return series.windows_ending_at(ends)

    def streamer(self, n_streams=None, engine="auto"):
        """A streaming forecaster: `update(row)` with each new observation returns the next forecasts.

        For a window model (the default), a ring buffer of the last `lookback`
        rows: its forecasts equal `predict` on the same history, and `update`
        returns None until `lookback` rows have arrived. For a stateful model
        (`stateful=True`), the LSTM state advances one step per row, so an
        update costs the same whatever the history length; it forecasts from
        the first row (the first `lookback` or so from a cold state). Either
        way rows are scaled with the scaler fit on the training part and
        forecasts come back in original units; `reset()` starts an unrelated
        sequence.

        Args:
            n_streams: None for one stream; an integer for that many
                independent streams updated together (one row each per update).
            engine: for a stateful model, "numpy" (the default, "auto") runs the
                step in NumPy from the model's weights (tens of microseconds)
                and "tf" in a compiled `tf.function`. Window models run in TF.

        Returns:
            A `streaming.WindowStreamer` or `streaming.StateStreamer`.

        Example:
        >>> import lstm_toolkit
        >>> df = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:600]
        >>> fc = lstm_toolkit.Forecaster(lookback=24, horizon=3, model={"units": [8]},
        ...                              epochs=1, verbose=0, seed=0).fit(df.iloc[:500])
        >>> s = fc.streamer()
        >>> forecasts = [s.update(value) for value in df["temp"].iloc[500:524]]
        >>> forecasts[22] is None, forecasts[23].shape
        (True, (3, 1))
        """
        self._check_fitted()
        compiled = self._runner()
        return streams.streamer(self, compiled, functools.partial(self._strategy().forecast_windows, compiled, self.problem_),
                                n_streams=n_streams, engine=engine)

    def export(self, path, format="litert"):
        """Exports the trained model for serving or for devices.

        - "litert": a `.tflite` file for the LiteRT interpreter plus a JSON
          sidecar (window spec, scaling) next to it; run it with
          `streaming.load_litert(path)`. A stateful model exports its single
          step with the LSTM states as explicit inputs and outputs; a window
          model its full window. Batch 1, built-in ops only.
        - "saved_model": a TensorFlow SavedModel folder whose serving signature
          takes raw (unscaled) input windows and returns forecasts in original
          units (TF Serving can load it).

        Returns:
            The path written.
        """
        self._check_fitted()
        from lstm_toolkit.serving import export

        self.problem_.require_one_series("Export one series' view of a model of many series: fc.for_series(id).export(path).")
        return export.export(self, path, format=format)

    def stream_spec(self):
        """What a streamer or an exported model needs of the window spec, JSON-safe."""
        return self.problem_.stream_spec(self.horizon)

    def scaling(self):
        """The fitted scaling as JSON-safe vectors: `scaled = value * multiplier + offset`.

        Per input column (`input_multiplier`, `input_offset`) and per target
        (`target_*`): what a model exported for serving applies around the network;
        `target_floor` is each target's lower bound in original units (0, or None
        for none: `ForecastProblem.target_floor`).
        """
        return self.problem_.scaling()

    def backtest(self, data, start=None, stride=1):
        """Rolling-origin forecasts from every `stride`-th origin, in batched passes.

        Each origin is the last observed row before a forecast; forecasts are
        made only where all `horizon` actual values are known. The naive and
        seasonal-naive forecasts of the same origins come alongside. A start
        inside the training data gives a `LeakageWarning`.

        Args:
            data: the series, including the history before `start`.
            start: first forecast row: None for the first row after the
                training data, a fraction of the rows, a row number (a negative
                one counts from the end, as `iloc` does) or a timestamp.
                A series a model of many was not trained on needs one: its rows before it scale it.
            stride: rows between consecutive origins.

        Returns:
            A tidy DataFrame with columns origin, timestamp (both labelled as `data`'s times are), step, target,
            forecast, actual, naive, seasonal_naive; a probabilistic model adds
            the forecast's quantiles as `forecast_q{level}` (as `predict` names
            a target's `{target}_q{level}`).
        """
        self._check_fitted()
        labels = self._labels(data)
        results = {key: backtest.backtest_frame(series, arrays, horizon=self.horizon, targets=self.spec_.targets,
                                                output_form=form)
                   for key, (series, arrays, form) in self._backtests(data, start, stride, labels).items()}
        return self._collect(results, labels=labels).reset_index(drop=True)

    def _backtests(self, data, start, stride, labels):
        """`{key: (series, backtest arrays, output form)}` of every series in `data` (`_parts`), all forecast in one
        pass over the model; the output form (`_output_form`) is None for point forecasts. `labels`: `_labels(data)`,
        for the messages."""
        prepared, requests = {}, []
        form = self._strategy().output_form()

        def before_start(key, frame):  # a new series' scaler: its rows before the first forecast
            if start is None:
                raise DataError(f"Series {key!r} was not trained on, so no training data ends where its backtest "
                                "would start: give `start=` (a timestamp, row or fraction); its rows before it scale it.")
            return frame.iloc[: backtest.first_forecast_row(frame.index, start, None, labels)]

        order = many_series.long_frame_order(self.series_id, self.time_col, data)
        for key, (frame, problem) in self._views(data, "no backtest", before_start)[0].items():
            series = self._series(frame, problem=problem, key=key, sorted_by=order)

            def defer(series, origins, future_times, key=key, problem=problem):  # forecast later, with the others
                requests.append(batched.ForecastRequest(key, problem, series, origins, future_times))

            prepared[key] = (series, backtest.backtest_arrays(
                series, start, stride, horizon=self.horizon, lookback=problem.spec.lookback, fit_end=problem.fit_end,
                season_length=problem.season_length, targets=problem.spec.targets, forecast=defer, labels=labels),
                None if form is None else self._output_form(problem, form))
        forecasts = self._strategy().forecast_requests(self._runner(), self._told_steps(requests))
        for key, (_, arrays, _) in prepared.items():
            arrays["forecast"] = forecasts[key]
        return prepared

    def score(self, data, start=None, stride=1):
        """The negative MASE of the model's out-of-sample backtest (`evaluate`): one number, higher is better.

        Negated as scikit-learn's error scorers are (`neg_mean_absolute_error`),
        so that whatever maximises `score` picks the better model: 0 is a perfect
        forecast, -1 errs as much as the seasonal-naive forecast did in sample.
        The mean over targets and, for a model of many series, over series.
        `data`, `start`, `stride`: as for `backtest`.
        """
        return -float(self.evaluate(data, start=start, stride=stride).loc["model", "MASE"])

    def evaluate(self, data, start=None, stride=1, by_target=False, by_series=False):
        """Backtest metrics in original units for the model and the naive baselines.

        MAE, RMSE, MAPE, sMAPE and MASE over every forecast of `backtest`, for
        the model ("model"), the last value ("naive") and the last season
        ("seasonal_naive"), all on the same windows. MASE divides by the
        in-sample seasonal-naive MAE of the rows before the first forecast.
        A probabilistic model adds CRPS, the coverage and mean width of the
        80% and 95% intervals and the pinball loss of each of its `quantiles`
        (`pinball_q0.1`, ...), for itself and for the baselines (whose
        intervals come from their own in-sample residual quantiles by step).

        Args:
            data, start, stride: as for `backtest`.
            by_target: one block of rows per target instead of the mean over targets.
            by_series: for a model of many series, one block of rows per series
                (index: id, method) instead of the mean over series.

        Returns:
            A DataFrame with one row per method and one column per metric (a
            (target, method) MultiIndex when `by_target`).
        """
        self._check_fitted()
        by_target, by_series = check_bool(by_target, "by_target"), check_bool(by_series, "by_series")
        rows = {key: backtest.evaluate_rows(series, arrays, horizon=self.horizon, targets=self.spec_.targets,
                                            season_length=self.season_length_, output_form=form)
                for key, (series, arrays, form) in self._backtests(data, start, stride, self._labels(data)).items()}
        return self._collect(rows, kind="table", by_series=by_series, by_target=by_target)
