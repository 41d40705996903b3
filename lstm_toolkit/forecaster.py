"""The Forecaster: a scikit-learn style estimator from DataFrame to forecasts in original units.

The estimator is thin: the prepared problem (spec, scalers, resolved config)
lives in `forecasting.problem`, the way it forecasts (direct, recursive,
stateful) in `forecasting.strategies`, what its `loss` means in
`forecasting.likelihoods`, backtests and scores in `forecasting.backtest`,
many series in `many_series`, and the networks in `models`.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools

import numpy as np
import pandas as pd

from lstm_toolkit import many_series, streaming
from lstm_toolkit.backend import keras
from lstm_toolkit.base import Estimator
from lstm_toolkit.base import load as load_any
from lstm_toolkit.data import WindowedSeries, as_frame, future_index
from lstm_toolkit.errors import ConfigError, DataError
from lstm_toolkit.forecasting import backtest, problem
from lstm_toolkit.forecasting.likelihoods import likelihood_for
from lstm_toolkit.forecasting.problem import ForecastProblem
from lstm_toolkit.forecasting.strategies import check_sampling, strategy_for
from lstm_toolkit.kernels import NumpyStepper
from lstm_toolkit.models import ModelConfig, check_streamable, state_sizes
from lstm_toolkit.models.distribution import DEFAULT_QUANTILES
from lstm_toolkit.training import compile_model, fit

ENGINES = ("auto", "numpy", "tf")
DEFAULT_MODEL = ModelConfig(units=(64, 64))


def _fitted(name):
    """A read-only fitted attribute that reads the prepared problem's field `name`."""
    return property(lambda self: getattr(self.problem_, name), doc=f"The prepared problem's `{name}` (see `ForecastProblem`).")


class Forecaster(Estimator):
    """Forecasts the next `horizon` steps of one or more columns with a recurrent network.

    The defaults follow the practitioner rules: windows split by time, a scaler
    fit on the training part only, each window expressed relative to its last
    value (so a series that leaves its training range does not saturate the
    model), two LSTM layers of 64 units, Adam with gradient clipping, early
    stopping on a validation part at the end of the training data.

    Args:
        lookback: past rows the model sees per forecast.
        horizon: future rows forecast at once.
        target: the column (or list of columns) to forecast; None takes the
            only numeric column.
        features: input columns (default: the targets). Extra columns are past
            covariates: seen over the lookback window only.
        future_covariates: columns known in advance (planned promotions,
            holidays, a weather forecast). They are inputs over the window
            and also over the forecast horizon: the seq2seq decoder reads them
            step by step, a stacked model joins them to its last state. The
            calendar features then count as known ahead too. `predict` needs
            their future values (`future=`); backtests read them from the data.
        calendar: calendar fields derived from the timestamps and used as
            inputs, e.g. ("hour", "dayofweek").
        time_col: column holding the timestamps, when they are not the index.
        series_id: the id column of a long DataFrame holding many series: one
            global model is trained on all of them (a dict of DataFrames works
            without it). Each series is split by time and scaled on its own
            training part; training mixes windows of all series, never across
            a series or its split. Series too short for a window are reported
            (`skipped_series_`, and a warning), not silently dropped.
            `predict`, `backtest` and `evaluate(by_series=True)` then work per
            series and carry the id; `for_series(id)` gives a one-series view
            (for `streamer`, `export`).
        series_embedding: with many series, the size of a learned embedding
            of each series' identity, joined to every step of its windows (as
            in DeepAR); 0 (the default) for none. Only trained series can then
            be forecast.
        static_features: with many series, numeric columns holding one value
            per series (its size, region code, ...). They are standardised
            across the training series and joined to every step of its
            windows; they are not forecast and need not change over time.
        scaler: "standard", "minmax" or "none", fit on the training part.
        model: a `ModelConfig` (or its dict); default two LSTM layers of 64
            units with window-relative normalisation.
        strategy: "direct" (one output per future step) or "recursive" (a
            one-step model fed its own forecasts; inputs must be the targets
            and calendar features only).
        stateful: False (the default) trains on windows of `lookback` rows.
            True trains one model that carries its LSTM state through the
            whole series (truncated back-propagation through time over chunks
            of `lookback` rows), forecasting at every step; its `streamer()`
            then costs O(1) per new row and `predict` uses all the history it
            is given. Needs a direct, unidirectional model with
            window_norm "last"/"auto" or "none" (any global scaler).
        loss: "mse" (point forecasts, the default); "quantile" (pinball loss,
            one output per level of `quantiles`, kept in order); "gaussian" or
            "student_t" (the head outputs the distribution's parameters,
            trained by negative log-likelihood in scaled space). A
            probabilistic model's `predict` adds a column per quantile
            (`Close_q0.1`), draws sample paths with `num_samples=`, and
            `evaluate` adds CRPS and the coverage and width of its 80% and 95%
            intervals, next to baselines with intervals from their own
            in-sample residuals. A recursive model samples its paths
            ancestrally (each drawn value fed back as the next input, as in
            DeepAR); its quantiles are those of `strategies.SAMPLE_PATHS` seeded paths.
            Not built for stateful models; streamers and exports take
            point (loss="mse") models.
        quantiles: the levels of a "quantile" model, and the quantile columns
            of every probabilistic model's forecasts.
        epochs, batch_size, learning_rate, clipnorm, patience: training settings
            (see `TrainingConfig`). With `stateful=True`, `batch_size` is the
            most parallel segments of the series per batch.
        validation: the validation part for early stopping, as a fraction or
            row count of the end of the data given to `fit`, or a timestamp.
        season_length: the seasonal period of the seasonal-naive baseline and
            of MASE; None infers it from the frequency (24 for hourly, ...).
        fill: None refuses NaN/inf; "ffill", "interpolate" or "zero" fill them.
        seed: seed for reproducible runs.
        verbose: Keras' verbosity during training ("auto" shows progress, 0 is quiet).
        callbacks: extra Keras callbacks for training (not saved in bundles).
        checkpoint_dir: folder for the best-model checkpoint during training.
        distribution: a `tf.distribute.Strategy` to build and train the model
            under (several GPUs or workers); not saved in bundles.

    Attributes (after `fit`):
        model_: the trained `keras.Model`.
        problem_: the prepared problem (`forecasting.problem.ForecastProblem`):
            everything learnt but the weights. The attributes below read it.
        spec_: the `WindowSpec` of the training windows.
        scaler_: the fitted `data.Scaler`.
        freq_: the frequency string of the index (None for a row index).
        season_length_: the season used by baselines and MASE.
        history_: dict of per-epoch training logs (loss, val_loss, learning_rate, ...).
        fit_end_: the last timestamp (or row) of the training data.
        model_config_: the `ModelConfig` actually built ("auto" resolved, season filled in).
        norm_scales_: the input and delta scales of the window normalisation.
        n_train_windows_: how many training windows there were.
        scalers_, fit_ends_, skipped_series_: with many series, each series'
            scaler and last training timestamp, and the series left out (None
            for one series).
        series_codes_, static_: with many series, each series' code for the
            embedding and the static features with their standardisation.

    Example:
    >>> import lstm_toolkit
    >>> df = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:1500]
    >>> fc = lstm_toolkit.Forecaster(lookback=48, horizon=24, target="temp",
    ...                              model=lstm_toolkit.ModelConfig(units=(16,)),
    ...                              epochs=2, verbose=0, seed=0)
    >>> fc = fc.fit(df.iloc[:1200])
    >>> fc.predict(df.iloc[:1200]).shape
    (24, 1)
    >>> list(fc.evaluate(df).index)
    ['model', 'naive', 'seasonal_naive']
    """

    DEFAULT_MODEL = DEFAULT_MODEL

    def __init__(
        self,
        lookback=48,
        horizon=1,
        target=None,
        features=None,
        future_covariates=None,
        calendar=(),
        time_col=None,
        series_id=None,
        series_embedding=0,
        static_features=None,
        scaler="standard",
        model=None,
        strategy="direct",
        stateful=False,
        loss="mse",
        quantiles=DEFAULT_QUANTILES,
        epochs=50,
        batch_size=64,
        learning_rate=1e-3,
        clipnorm=1.0,
        patience=8,
        validation=0.1,
        season_length=None,
        fill=None,
        seed=None,
        verbose="auto",
        callbacks=None,
        checkpoint_dir=None,
        distribution=None,
    ):
        self.lookback = lookback
        self.horizon = horizon
        self.target = target
        self.features = features
        self.future_covariates = future_covariates
        self.calendar = calendar
        self.time_col = time_col
        self.series_id = series_id
        self.series_embedding = series_embedding
        self.static_features = static_features
        self.scaler = scaler
        self.model = model
        self.strategy = strategy
        self.stateful = stateful
        self.loss = loss
        self.quantiles = quantiles
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.clipnorm = clipnorm
        self.patience = patience
        self.validation = validation
        self.season_length = season_length
        self.fill = fill
        self.seed = seed
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint_dir = checkpoint_dir
        self.distribution = distribution

    # --- the fitted state: the prepared problem (`problem_`) and the trained network (`model_`) -----

    spec_ = _fitted("spec")
    scaler_ = _fitted("scaler")
    freq_ = _fitted("freq")
    season_length_ = _fitted("season_length")
    model_config_ = _fitted("model_config")
    norm_scales_ = _fitted("norm_scales")
    fit_end_ = _fitted("fit_end")
    n_train_windows_ = _fitted("n_train_windows")
    scalers_ = _fitted("scalers")
    fit_ends_ = _fitted("fit_ends")
    skipped_series_ = _fitted("skipped_series")
    series_codes_ = _fitted("series_codes")
    static_ = _fitted("static")

    @property
    def probabilistic(self):
        """True when the model forecasts distributions (a `loss` other than "mse")."""
        return self.loss != "mse"

    def _likelihood(self):
        return likelihood_for(self.loss, self.quantiles)

    def _strategy(self):
        return strategy_for(self.strategy, self.stateful, self.horizon, self._likelihood(), self.seed)

    # --- fitting ----------------------------------------------------------------

    def fit(self, data, validation=None):
        """Trains on `data`; the last part of it (or `validation`) drives early stopping.

        Args:
            data: DataFrame (DatetimeIndex, or `time_col`), Series or numpy array.
            validation: overrides the constructor's `validation`: a fraction or
                row count of the end of `data`, a timestamp where it starts, or a
                DataFrame that follows `data` in time.

        Returns:
            self.
        """
        series = self.prepare(data, validation)
        config = self._training_config()
        if self.seed is not None:
            keras.utils.set_random_seed(self.seed)
        if self.stateful:
            if self.distribution is not None:
                raise ConfigError(
                    "stateful=True trains on one ordered stream of chunks and cannot be split by a "
                    "distribution strategy; drop `distribution=` or use stateful=False."
                )
            model, history, runner = self._strategy().train(self.problem_, series, config, self.callbacks, self.checkpoint_dir)
            self._compiled = (model, runner)  # predict and backtest reuse the validation's compiled runner
            return self._adopt(model, history.history)
        with self.distribution.scope() if self.distribution is not None else contextlib.nullcontext():
            model = self.compile_network(self.build_network(), config)
        future = self.future_channels()
        train = series.dataset("train", batch_size=config.batch_size, seed=self.seed, future_channels=future)
        validation_data = None
        if series.n_windows("validation") > 0:
            validation_data = series.dataset("validation", batch_size=config.batch_size, future_channels=future)
        history = fit(model, train, validation_data, config=config, callbacks=self.callbacks, checkpoint_dir=self.checkpoint_dir)
        return self._adopt(model, history.history)

    # --- the prepared problem: the seams the tuner (and any custom training loop) use ----------

    def prepare(self, data, validation=None):
        """Everything `fit` learns except the weights; returns the windowed training data.

        Checks, splits and scales `data` (one series, or many with
        `series_id`), and sets the prepared problem (`problem_`, a frozen
        `forecasting.problem.ForecastProblem`) a model is built from: the
        window spec, the scaler(s), frequency and season, the resolved model
        config (`model_config_`) and the window normalisation's scales. Then
        `build_network`, `compile_network` and the returned series' `dataset`
        train a model as `fit` does, and `use_trained_model` adopts it.

        Args:
            data, validation: as for `fit`.

        Returns:
            A `data.WindowedSeries` (one series) or `data.SeriesCollection`.
        """
        self._likelihood()  # checks `loss` and `quantiles`
        if self.loss != "mse" and self.stateful:
            raise ConfigError(
                f"loss={self.loss!r} is not built for stateful=True yet (its sequence model has a point "
                "head); use a window model (stateful=False) for probabilistic forecasts."
            )
        params = self.get_params()
        prepare = many_series.prepare if many_series.is_many(params, data) else problem.prepare
        self.problem_, series = prepare(params, self._model_config(), data, validation)
        return series

    def build_network(self, model_config=None, training_batch=None):
        """A new, uncompiled Keras model for the prepared problem (`prepare`), with `model_config` (default `model_config_`).

        `training_batch`: for a stateful model, its Keras-stateful training form with this batch size.
        """
        config = self.model_config_ if model_config is None else model_config
        return self._strategy().build(self.problem_, config, self.series_embedding, training_batch)

    def compile_network(self, model, training_config):
        """Compiles `model` with Adam, gradient clipping and this Forecaster's loss (pinball, likelihood or MSE)."""
        return compile_model(model, training_config, n_samples=self.n_train_windows_, **self._likelihood().compile_args())

    def future_channels(self, model_config=None):
        """Input channels a model with `model_config` (default `model_config_`) also reads over the forecast steps.

        The `future_channels` to give the prepared series' `dataset`.
        """
        return self.problem_.future_channels(model_config)

    def use_trained_model(self, model, history, model_config=None):
        """Adopts a model trained on the prepared problem (e.g. a tuner's best trial); returns self.

        Args:
            model: the trained `keras.Model`, built by `build_network`.
            history: its per-epoch logs (a dict of lists).
            model_config: the `ModelConfig` it was built with, when it is not
                `model_config_`; it becomes the `model` parameter too.
        """
        if model_config is not None:
            self.model = model_config
            self.problem_ = dataclasses.replace(self.problem_, model_config=model_config)
        return self._adopt(model, history)

    def context_shapes(self):
        """`[(shape, dtype), ...]` of the model's context inputs (series code, static features); [] for none."""
        return self.problem_.context_shapes() if hasattr(self, "problem_") else []

    # --- forecasting ------------------------------------------------------------

    def _runner(self):
        """The trained model compiled once (a `tf.function`, or a stateful model's `tbptt.SequenceRunner`)."""
        cached = getattr(self, "_compiled", None)
        if cached is None or cached[0] is not self.model_:
            self._compiled = (self.model_, self._strategy().compile(self.model_, self.problem_))
        return self._compiled[1]

    def _forecast(self, series, origins, future_times, covariates=None):
        """Forecasts in original units (or their distribution's parameters) at each origin row of `series`."""
        strategy = self._strategy()
        scaled = strategy.forecast_at(self._runner(), self.problem_, series, origins, future_times, covariates)
        return strategy.to_original(self.problem_, series, scaled)

    def _series(self, data, last_rows=None):
        frame = as_frame(data, time_col=self.time_col)
        if len(frame) == 0:
            raise DataError(f"The data has no rows; give the history to forecast from (at least lookback={self.lookback} rows).")
        if last_rows is not None:
            frame = frame.iloc[-last_rows:]
        return WindowedSeries.from_frame(frame, self.spec_, scaler=self.scaler_, fill=self.fill, min_parts=())

    def _split(self, data):
        return many_series.split_series(data, self.series_id, self.static_features)

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

    def predict(self, history, future=None, num_samples=None, temperature=1.0, seed=None):
        """Forecasts the `horizon` steps after the last row of `history`.

        Args:
            history: data like the training data, at least `lookback` rows. A
                window model uses its last `lookback` rows; a stateful model
                builds its state over all of it (give as much as you have).
                For a model of many series, a long frame (or dict) of them.
            future: the future covariates' values over the forecast steps
                (rows indexed by the forecast timestamps), when the Forecaster
                has `future_covariates`.
            num_samples: draw this many sample paths from a probabilistic
                model instead (an array `(num_samples, horizon, n_targets)`;
                a dict of them by series for a model of many series).
            temperature: the spread of the samples around the median (0: the median path).
            seed: the random seed of the samples.

        Returns:
            A DataFrame indexed by the future timestamps (or row numbers), one
            column per target in original units (the median for a
            probabilistic model, followed by one column per quantile,
            `{target}_q{level}`); for many series, a long frame whose first
            column is the series id.
        """
        self._check_fitted()
        if self.problem_.is_global:
            futures = {} if future is None else self._split(future)
            results = {key: self.for_series(key).predict(frame, futures.get(key), num_samples, temperature, seed)
                       for key, frame in self._split(history).items()}
            return results if num_samples is not None else many_series.with_id(results, self.series_id)
        lookback = self.spec_.lookback
        series = self._series(history, last_rows=None if self.stateful else lookback)
        if len(series.index) < lookback:
            raise DataError(f"predict needs at least lookback={lookback} rows of history; received {len(series.index)}.")
        index = future_index(series.index, self.freq_, self.horizon)
        origins = np.array([len(series.index) - 1])
        covariates = self.problem_.scaled_future_covariates(future, index, self.time_col)
        future_times = np.asarray(index)[None, :]
        strategy = self._strategy()
        if num_samples is not None:
            check_sampling(strategy.likelihood, num_samples, temperature)
            return strategy.sample(self._runner(), self.problem_, series, origins, future_times, covariates,
                                   num_samples, temperature, seed)
        forecast = self._forecast(series, origins, future_times, covariates)[0]
        return backtest.forecast_frame(forecast, index, self.spec_.targets, strategy.output_form())

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
        return self._strategy().forecast_windows(self._runner(), self.problem_, windows, future_times, future)

    def windows(self, data, ends=None):
        """The model's inputs for `data`: scaled windows `(len(ends), lookback, n_features)`.

        What the trained model sees (scaled with the training scaler, calendar
        channels added), e.g. for `inspect.lstm_gates(fc.model_, fc.windows(df))`.

        Args:
            data: data like the training data.
            ends: rows (positions) where windows end; default every `lookback`-th row.
        """
        series = self.windowed(data)
        lookback = self.spec_.lookback
        ends = np.arange(lookback - 1, len(series.index), lookback) if ends is None else np.asarray(ends)
        if len(ends) == 0 or ends.min() < lookback - 1 or ends.max() >= len(series.index):
            raise DataError(f"Window ends must lie in [{lookback - 1}, {len(series.index) - 1}] for these {len(series.index)} rows.")
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
        if engine not in ENGINES:
            raise ConfigError(f"`engine` must be one of {ENGINES}. Received: engine={engine!r}")
        if self.problem_.is_global:
            raise ConfigError("A model of many series streams one series at a time: fc.for_series(id).streamer().")
        if self.future_covariates:
            raise ConfigError(
                "This Forecaster reads future covariates over the horizon, which a stream of past rows does "
                "not carry; call predict(history, future=...) for each forecast instead."
            )
        if self.probabilistic:
            raise ConfigError(
                f"A loss={self.loss!r} model forecasts distributions; the streamers carry point forecasts. "
                "Call predict(history) for its median and quantiles, or fit with loss='mse' to stream."
            )
        if self.stateful:
            check_streamable(self.model_config_)
            step = self._runner().step if engine == "tf" else NumpyStepper(self.model_, self.model_config_).step
            return streaming.StateStreamer(step, state_sizes(self.model_config_), self.stream_spec(), self.scaling(),
                                           n_streams=n_streams, freq=self.freq_, dtype="float32", warmup=self.spec_.lookback)
        if engine == "numpy":
            raise ConfigError("engine='numpy' steps a stateful model; a window model streams with engine='tf' ('auto').")
        return streaming.WindowStreamer(
            functools.partial(self._strategy().forecast_windows, self._runner(), self.problem_),
            self.stream_spec(),
            self.scaling(),
            n_streams=n_streams,
            freq=self.freq_,
            future_times=bool(self.spec_.calendar) and (self.strategy == "recursive" or bool(self.future_channels())),
        )

    def stream_spec(self):
        """What a streamer or an exported model needs of the window spec, JSON-safe."""
        return self.problem_.stream_spec(self.horizon)

    def scaling(self):
        """The fitted scaling as JSON-safe vectors: `scaled = value * multiplier + offset`.

        Per input column (`input_multiplier`, `input_offset`) and per target
        (`target_*`): what a model exported for serving applies around the network.
        """
        return self.problem_.scaling()

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
        from lstm_toolkit import export

        if self.problem_.is_global:
            raise ConfigError("Export one series' view of a model of many series: fc.for_series(id).export(path).")
        return export.export(self, path, format=format)

    # --- backtests ------------------------------------------------------------------

    def backtest(self, data, start=None, stride=1):
        """Rolling-origin forecasts from every `stride`-th origin, in batched passes.

        Each origin is the last observed row before a forecast; forecasts are
        made only where all `horizon` actual values are known. The naive and
        seasonal-naive forecasts of the same origins come alongside. A start
        inside the training data gives a `LeakageWarning`.

        Args:
            data: the series, including the history before `start`.
            start: first forecast row: None for the first row after the
                training data, a fraction of the rows, a row number or a timestamp.
            stride: rows between consecutive origins.

        Returns:
            A tidy DataFrame with columns origin, timestamp, step, target,
            forecast, actual, naive, seasonal_naive; a probabilistic model adds
            the forecast's quantiles as `forecast_q{level}` (as `predict` names
            a target's `{target}_q{level}`).
        """
        self._check_fitted()
        if self.problem_.is_global:
            results = many_series.per_series(self, data, "backtest", start, stride)
            return many_series.with_id(results, self.series_id).reset_index(drop=True)
        series = self._series(data)
        return backtest.backtest_frame(series, self._backtest_arrays(series, start, stride), horizon=self.horizon,
                                       targets=self.spec_.targets, output_form=self._strategy().output_form())

    def _backtest_arrays(self, series, start, stride):
        return backtest.backtest_arrays(
            series, start, stride, horizon=self.horizon, lookback=self.spec_.lookback, fit_end=self.fit_end_,
            season_length=self.season_length_, targets=self.spec_.targets, forecast=self._forecast,
        )

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
        if self.problem_.is_global:
            tables = many_series.per_series(self, data, "evaluate", start, stride, by_target)
            table = pd.concat(tables, names=[self.series_id or "series"])
            if by_series:
                return table
            return table.groupby(level=list(range(1, table.index.nlevels)), sort=False).mean()
        series = self._series(data)
        return backtest.evaluate_table(series, self._backtest_arrays(series, start, stride), horizon=self.horizon,
                                       targets=self.spec_.targets, season_length=self.season_length_,
                                       output_form=self._strategy().output_form(), by_target=by_target)

    # --- persistence ------------------------------------------------------------

    def _state(self):
        return {**self.problem_.to_state(), "history": self.history_}

    def _set_state(self, state):
        self.problem_ = ForecastProblem.from_state(state, self.future_covariates)
        self.history_ = state["history"]


def load(path):
    """Loads any estimator's bundle (kept here for old imports; see `lstm_toolkit.base.load`)."""
    return load_any(path)
