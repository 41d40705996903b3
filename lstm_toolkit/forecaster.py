"""The Forecaster: a scikit-learn style estimator from DataFrame to forecasts in original units."""

from __future__ import annotations

import contextlib
import dataclasses
import numbers

import numpy as np
import pandas as pd

from lstm_toolkit import probabilistic, streaming, tbptt
from lstm_toolkit.backend import keras, tf
from lstm_toolkit.base import Estimator
from lstm_toolkit.base import load as load_any
from lstm_toolkit.data import (
    Scaler,
    SeriesCollection,
    WindowedSeries,
    WindowSpec,
    as_frame,
    calendar_features,
    future_index,
    infer_frequency,
    season_length_for,
)
from lstm_toolkit.errors import ConfigError, DataError
from lstm_toolkit.forecasting import backtest
from lstm_toolkit.forecasting.backtest import OutputForm
from lstm_toolkit.kernels import NumpyStepper
from lstm_toolkit.many_series import ManySeriesMixin
from lstm_toolkit.models import (
    ModelConfig,
    build_model,
    build_sequence_model,
    check_streamable,
    state_sizes,
    window_norm_scales,
)
from lstm_toolkit.training import compile_model, default_callbacks, fit

STRATEGIES = ("direct", "recursive")
ENGINES = ("auto", "numpy", "tf")
DEFAULT_MODEL = ModelConfig(units=(64, 64))
# Origins forecast per model call in backtests: bounds memory to chunk x lookback x features.
BACKTEST_CHUNK = 4096
# Sample paths a recursive probabilistic model draws per origin to estimate its forecast quantiles.
SAMPLE_PATHS = 200


class Forecaster(ManySeriesMixin, Estimator):
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
            DeepAR); its quantiles are those of `SAMPLE_PATHS` seeded paths.
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
        quantiles=probabilistic.DEFAULT_QUANTILES,
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

    def _make_spec(self, frame):
        target = self.target
        if target is None:
            numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
            if len(numeric) != 1:
                raise ConfigError(
                    f"`target` is None but the data has {len(numeric)} numeric columns {numeric}; "
                    "name the column(s) to forecast with `target=`."
                )
            target = numeric[0]
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"`strategy` must be one of {STRATEGIES}. Received: strategy={self.strategy!r}")
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, numbers.Integral) or self.horizon < 1:
            raise ConfigError(f"`horizon` must be a positive integer. Received: horizon={self.horizon!r}")
        features = self.features
        future_covariates = self._future_covariate_names()
        if future_covariates:
            targets = [target] if isinstance(target, str) else list(target)
            clash = [c for c in future_covariates if c in targets]
            if clash:
                raise ConfigError(f"{clash} cannot be both a target and a future covariate: a target is not known ahead.")
            if self.strategy != "direct" or self.stateful:
                raise ConfigError("future_covariates need a direct, window model (strategy='direct', stateful=False).")
            base = targets if features is None else ([features] if isinstance(features, str) else list(features))
            features = base + [c for c in future_covariates if c not in base]
        spec = WindowSpec(
            lookback=self.lookback,
            targets=target,
            horizon=self.horizon if self.strategy == "direct" else 1,
            features=features,
            calendar=self.calendar,
        )
        if self.stateful and self.strategy != "direct":
            raise ConfigError(
                "stateful=True forecasts all `horizon` steps from each step's state (direct); it "
                "cannot be combined with strategy='recursive'."
            )
        if self.strategy == "recursive" and set(spec.input_columns) != set(spec.targets):
            raise ConfigError(
                "strategy='recursive' feeds each forecast back as the next input, so the inputs "
                f"must be exactly the targets {list(spec.targets)} (plus calendar features); "
                f"received features={list(spec.input_columns)}. Use strategy='direct' for past covariates."
            )
        return spec

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
            model, history = self._fit_stateful(series, config)
        else:
            with self._distribution_scope():
                model = self.compile_network(self.build_network(), config)
            has_validation = series.n_windows("validation") > 0
            future = self.future_channels()
            history = fit(
                model,
                series.dataset("train", batch_size=config.batch_size, seed=self.seed, future_channels=future),
                series.dataset("validation", batch_size=config.batch_size, future_channels=future) if has_validation else None,
                config=config,
                callbacks=self.callbacks,
                checkpoint_dir=self.checkpoint_dir,
            )
        self.model_ = model
        self.history_ = {key: [float(v) for v in values] for key, values in history.history.items()}
        return self

    # --- the prepared problem: the seams the tuner (and any custom training loop) use ----------

    def prepare(self, data, validation=None):
        """Everything `fit` learns except the weights; returns the windowed training data.

        Checks, splits and scales `data` (one series, or many with
        `series_id`), and sets the fitted state a model is built from: the
        window spec, the scaler(s), frequency and season, the resolved model
        config (`model_config_`) and the window normalisation's scales. Then
        `build_network`, `compile_network` and the returned series' `dataset`
        train a model as `fit` does, and `use_trained_model` adopts it.

        Args:
            data, validation: as for `fit`.

        Returns:
            A `data.WindowedSeries` (one series) or `data.SeriesCollection`.
        """
        self._check_loss()
        return self._prepare_many(data, validation) if self._is_global(data) else self._prepare(data, validation)

    def build_network(self, model_config=None):
        """A new, uncompiled Keras model for the prepared problem (`prepare`), with `model_config` (default `model_config_`)."""
        return self._build_model(self.model_config_ if model_config is None else model_config)

    def compile_network(self, model, training_config):
        """Compiles `model` with Adam, gradient clipping and this Forecaster's loss (pinball, likelihood or MSE)."""
        return compile_model(model, training_config, n_samples=self.n_train_windows_, **self._compile_args())

    def future_channels(self, model_config=None):
        """Input channels a model with `model_config` (default `model_config_`) also reads over the forecast steps.

        The `future_channels` to give the prepared series' `dataset`.
        """
        return self._future_channels(self.model_config_ if model_config is None else model_config)

    def use_trained_model(self, model, history, model_config=None):
        """Adopts a model trained on the prepared problem (e.g. a tuner's best trial); returns self.

        Args:
            model: the trained `keras.Model`, built by `build_network`.
            history: its per-epoch logs (a dict of lists).
            model_config: the `ModelConfig` it was built with, when it is not
                `model_config_`; it becomes the `model` parameter too.
        """
        if model_config is not None:
            self.model = self.model_config_ = model_config
        return self._adopt(model, history)

    def _fit_stateful(self, series, config):
        """Truncated BPTT: a stateful copy of the model trains on ordered chunks (see `tbptt`)."""
        if self.distribution is not None:
            raise ConfigError(
                "stateful=True trains on one ordered stream of chunks and cannot be split by a "
                "distribution strategy; drop `distribution=` or use stateful=False."
            )
        spec = self.spec_
        train_stop, validation_stop = series.bounds["train"][1], series.bounds["validation"][1]
        dataset, batch = tbptt.chunk_dataset(
            series.inputs, series.targets, train_stop, spec.horizon, spec.lookback, config.batch_size
        )
        trainer = compile_model(self._build_model(self.model_config_, training_batch=batch), config, n_samples=train_stop)
        model = self._build_model(self.model_config_)
        runner = tbptt.SequenceRunner(model, self.model_config_)
        callbacks = [tbptt.ResetStates()]
        monitor = "loss"
        if validation_stop - train_stop >= spec.horizon:
            rows = slice(0, validation_stop)
            callbacks.append(
                tbptt.SequenceValidation(runner, series.inputs[rows], series.targets[rows], train_stop - 1, spec.horizon)
            )
            monitor = "val_loss"
        callbacks += default_callbacks(config, checkpoint_dir=self.checkpoint_dir, monitor=monitor)
        history = fit(trainer, dataset, config=config, callbacks=callbacks + list(self.callbacks or []), replace_callbacks=True)
        tbptt.copy_weights(trainer, model)
        self._compiled = (model, runner)  # predict and backtest reuse the validation's compiled runner
        return model, history

    def _check_loss(self):
        levels = probabilistic.check_loss(self.loss, self.quantiles)
        if self.loss != "mse" and self.stateful:
            raise ConfigError(
                f"loss={self.loss!r} is not built for stateful=True yet (its sequence model has a point "
                "head); use a window model (stateful=False) for probabilistic forecasts."
            )
        return levels

    def _output_form(self):
        """The `OutputForm` of the forecast arrays `_forecast_at` returns (None for a point model).

        A direct model returns its distribution parameters (its own loss). A
        recursive model's distribution over several steps has no closed form:
        it returns the quantiles of `SAMPLE_PATHS` ancestral sample paths per
        origin, on the CRPS grid plus the requested levels, read as a
        "quantile" forecast.
        """
        if not self.probabilistic:
            return None
        levels = self._check_loss()
        if self.strategy == "recursive":
            return OutputForm(self.loss, levels, "quantile", tuple(sorted(set(probabilistic.CRPS_LEVELS) | set(levels) | {0.5})))
        return OutputForm(self.loss, levels, self.loss, levels)

    def _compile_args(self):
        """The loss (and metrics) `compile_model` gets for this Forecaster's `loss`."""
        if self.loss == "mse":
            return {}
        return {"loss": probabilistic.keras_loss(self.loss, self._check_loss()), "metrics": ()}

    @property
    def probabilistic(self):
        """True when the model forecasts distributions (a `loss` other than "mse")."""
        return self.loss != "mse"

    def _prepare(self, data, validation=None):
        """Checks, splits and scales `data`; sets the data-dependent fitted state; returns the series.

        Everything `fit` learns except the network's weights: the window spec,
        the scaler, the frequency and season, the resolved model config and
        the scales of the window normalisation. The tuner shares it.
        """
        frame = as_frame(data, time_col=self.time_col)
        self.scalers_ = self.fit_ends_ = self.series_codes_ = self.static_ = None  # one series
        if self.series_embedding or self._static_feature_names():
            raise ConfigError("series_embedding and static_features tell many series apart; fit with `series_id=` or a dict of frames.")
        validation = self.validation if validation is None else validation
        if isinstance(validation, (pd.DataFrame, pd.Series, np.ndarray)):
            extra = as_frame(validation, time_col=self.time_col)
            frame = as_frame(pd.concat([frame, extra]))
            validation = len(extra)
        self.spec_ = self._make_spec(frame)
        series = WindowedSeries.from_frame(frame, self.spec_, validation=validation, scaler=self.scaler, fill=self.fill)
        self.scaler_ = series.scaler
        self.freq_ = infer_frequency(frame.index)
        self.season_length_ = self.season_length or season_length_for(self.freq_)
        self.model_config_ = self._resolve_model_config(series)
        self.norm_scales_ = self._norm_scales(series)
        self.fit_end_ = frame.index[-1]
        self.n_train_windows_ = series.n_windows("train")
        return series

    def _build_model(self, model_config, training_batch=None):
        """A new, uncompiled model for the prepared data, with the given architecture.

        For a stateful Forecaster: the explicit-state sequence model, or with
        `training_batch` its Keras-stateful training form.
        """
        spec = self.spec_
        if self.stateful:
            return build_sequence_model(
                model_config,
                n_features=spec.n_features,
                horizon=spec.horizon,
                n_targets=spec.n_targets,
                target_channels=spec.target_channels,
                delta_scale=self.norm_scales_[1],
                stateful=training_batch is not None,
                batch_size=training_batch,
            )
        return build_model(
            model_config,
            lookback=spec.lookback,
            n_features=spec.n_features,
            horizon=spec.horizon,
            n_targets=spec.n_targets,
            target_channels=spec.target_channels,
            normalized_channels=range(len(spec.input_columns)),
            norm_scales=self.norm_scales_,
            n_future=self._n_future(model_config),
            n_series=len(self.series_codes_) if self.series_codes_ else 0,
            series_embedding=self.series_embedding,
            n_static=len(self.static_["mean"]) if self.static_ else 0,
            loss=self.loss,
            quantiles=probabilistic.check_loss(self.loss, self.quantiles),
        )

    def _future_covariate_names(self):
        names = self.future_covariates
        return [] if not names else ([names] if isinstance(names, str) else list(names))

    def _future_channels(self, model_config):
        """Input channels the model also reads over the forecast horizon (known ahead).

        The future covariates, then the calendar channels. Without future
        covariates only a seq2seq decoder reads ahead (the calendar).
        """
        spec = self.spec_
        n_inputs = len(spec.input_columns)
        calendar = list(range(n_inputs, spec.n_features))
        covariates = [spec.input_columns.index(c) for c in self._future_covariate_names()]
        if covariates:
            return covariates + calendar
        return calendar if model_config.architecture == "seq2seq" else []

    def _n_future(self, model_config):
        """How many channels the model reads over the forecast horizon."""
        return len(self._future_channels(model_config))

    def _future_array(self, series, origins, future_times, covariates=None):
        """The model's "future" input `(n, horizon, n_future)`, or None when it reads nothing ahead.

        Future covariates come from `covariates` (scaled, `(n, horizon, k)`)
        or else from the rows after each origin; calendar channels from the
        forecast timestamps.
        """
        channels = self._future_channels(self.model_config_)
        if not channels:
            return None
        n_inputs = len(self.spec_.input_columns)
        known = [c for c in channels if c < n_inputs]
        parts = []
        if known:
            parts.append(series.future_inputs(origins, known) if covariates is None else covariates)
        if len(channels) > len(known):
            times = pd.DatetimeIndex(np.asarray(future_times).ravel())
            parts.append(calendar_features(times, self.spec_.calendar).reshape(len(origins), self.horizon, -1))
        return np.concatenate(parts, axis=-1).astype("float32")

    def _distribution_scope(self):
        return self.distribution.scope() if self.distribution is not None else contextlib.nullcontext()

    def _resolve_model_config(self, series):
        """Fills in the model config's data-dependent choices: season length and "auto" normalisation."""
        config = self._model_config()
        season = config.season_length or self.season_length_
        window_norm = config.window_norm
        if self.stateful:
            check_streamable(config)
            if window_norm == "auto":
                window_norm = "none" if None in self.spec_.target_channels else "last"
        elif window_norm == "auto":
            window_norm = "last"
            if 1 < season <= self.lookback:
                members = series.members.values() if isinstance(series, SeriesCollection) else [series]
                errors = np.array([backtest.training_baseline_errors(m, self.horizon, season) for m in members])
                naive, seasonal = errors.mean(axis=0)
                window_norm = "seasonal" if seasonal < naive else "last"
        return dataclasses.replace(config, window_norm=window_norm, season_length=season)

    def _norm_scales(self, series, max_windows=4000):
        """Scales of the window normalisation, from (a sample of) the training windows.

        A stateful model's "window" at each origin is its own row.
        """
        spec = series.spec
        if self.stateful:
            ends = np.arange(0, series.bounds["train"][1] - spec.horizon)
        else:
            ends = series.starts("train") + spec.lookback - 1
        ends = ends[:: max(1, len(ends) // max_windows)]
        windows = series.windows_ending_at(ends) if not self.stateful else series.inputs[ends][:, None, :]
        targets = series.targets[ends[:, None] + 1 + np.arange(spec.horizon)[None, :]]
        return window_norm_scales(
            windows,
            targets,
            self.model_config_.window_norm,
            spec.target_channels,
            channels=range(len(spec.input_columns)),
            season_length=self.model_config_.season_length,
        )

    # --- forecasting ------------------------------------------------------------

    def _series(self, data, last_rows=None):
        frame = as_frame(data, time_col=self.time_col)
        if len(frame) == 0:
            raise DataError(f"The data has no rows; give the history to forecast from (at least lookback={self.lookback} rows).")
        if last_rows is not None:
            frame = frame.iloc[-last_rows:]
        return WindowedSeries.from_frame(frame, self.spec_, scaler=self.scaler_, fill=self.fill, min_parts=())

    def _compiled_model(self):
        """The trained model behind one compiled `tf.function`, made once per model.

        Window models: scaled windows `(n, lookback, n_features)` to scaled
        forecasts. Stateful models: a `tbptt.SequenceRunner`. Unlike
        `model.predict`, a call costs one graph execution and never retraces.
        """
        cached = getattr(self, "_compiled", None)
        if cached is None or cached[0] is not self.model_:
            model = self.model_
            if self.stateful:
                function = tbptt.SequenceRunner(model, self.model_config_)
            else:
                signature = [tf.TensorSpec((None, self.spec_.lookback, self.spec_.n_features), tf.float32)]
                n_future = self._n_future(self.model_config_)
                if n_future:  # the model also reads inputs known ahead over the forecast steps
                    signature.append(tf.TensorSpec((None, self.spec_.horizon, n_future), tf.float32))
                signature += [tf.TensorSpec((None, *shape), dtype) for shape, dtype in self.context_shapes()]

                def forecast(*inputs):
                    return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

                function = tf.function(forecast, input_signature=signature)
            self._compiled = (model, function)
        return self._compiled[1]

    def _forecast_windows(self, windows, future_times=None, future=None):
        """Scaled forecasts (n, horizon, n_targets) from scaled windows (n, lookback, features) of a window model.

        `future`: the model's known-ahead input, when it has one; without it
        the calendar of `future_times` (enough unless there are future covariates).
        """
        function = self._compiled_model()
        windows = np.asarray(windows, dtype="float32")
        if self._n_future(self.model_config_):
            if future is None:
                future = calendar_features(pd.DatetimeIndex(np.asarray(future_times).ravel()), self.spec_.calendar)
                future = future.reshape(len(windows), self.horizon, -1)
            return function(windows, np.asarray(future, dtype="float32"), *self._context_inputs(len(windows))).numpy()
        if self.strategy == "direct":
            return function(windows, *self._context_inputs(len(windows))).numpy()
        if not self.probabilistic:
            return self._roll_forward(windows, future_times, lambda output: output)
        levels = self._output_form().array_levels
        rng = np.random.default_rng(self.seed if self.seed is not None else 0)  # the same quantiles on every call
        paths = self._sample_paths(windows, future_times, SAMPLE_PATHS, 1.0, rng)
        return np.moveaxis(np.quantile(paths, levels, axis=1), 0, -1)

    def _roll_forward(self, windows, future_times, draw):
        """Runs a recursive model `horizon` times; `draw(output)` gives each step's values, fed back as the next row.

        Returns the scaled values `(n, horizon, n_targets)` of every step.
        """
        function = self._compiled_model()
        spec = self.spec_
        n_data = len(spec.input_columns)
        target_positions = [spec.input_columns.index(t) for t in spec.targets]
        context = self._context_inputs(len(windows))
        steps = []
        for step in range(self.horizon):
            next_values = draw(function(windows, *context).numpy()[:, 0])
            steps.append(next_values)
            row = np.zeros((len(windows), 1, spec.n_features), dtype="float32")
            row[:, 0, target_positions] = next_values
            if spec.calendar:
                row[:, 0, n_data:] = calendar_features(pd.DatetimeIndex(future_times[:, step]), spec.calendar)
            windows = np.concatenate([windows[:, 1:], row], axis=1)
        return np.stack(steps, axis=1)

    def _sample_paths(self, windows, future_times, num_paths, temperature, rng):
        """Ancestral sampling through a recursive probabilistic model: scaled paths `(n, num_paths, horizon, n_targets)`.

        Each step's value is drawn from the one-step distribution and fed back
        as the next input (as DeepAR does); temperature 0 feeds back the median.
        """
        n = len(windows)
        windows = np.repeat(np.asarray(windows, dtype="float32"), num_paths, axis=0)
        future_times = np.repeat(np.asarray(future_times), num_paths, axis=0)
        levels = self._check_loss()

        def draw(params):
            return probabilistic.sample(params, self.loss, 1, temperature, levels, rng)[0]

        paths = self._roll_forward(windows, future_times, draw)
        return paths.reshape(n, num_paths, self.horizon, -1)

    def _forecast_at(self, series, origins, future_times, covariates=None):
        """Scaled forecasts (len(origins), horizon, n_targets) made at each origin row of `series`.

        A window model reads the `lookback` rows ending at each origin (in
        chunks, to bound memory); a stateful model runs once over the series
        from its first row and reads its forecast at each origin.
        """
        if self.stateful:
            forecasts, _ = self._compiled_model()(series.inputs[None, : int(origins.max()) + 1])
            return forecasts[0, origins]
        future = self._future_array(series, origins, future_times, covariates)
        chunk = BACKTEST_CHUNK
        if self.probabilistic and self.strategy == "recursive":
            chunk = max(1, BACKTEST_CHUNK // SAMPLE_PATHS)  # every origin runs SAMPLE_PATHS paths
        chunks = [
            self._forecast_windows(
                series.windows_ending_at(origins[i : i + chunk]),
                future_times[i : i + chunk],
                None if future is None else future[i : i + chunk],
            )
            for i in range(0, len(origins), chunk)
        ]
        return np.concatenate(chunks)

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
        if self._is_global_fit():
            futures = {} if future is None else self._split_series(future)
            results = {
                key: self.for_series(key).predict(frame, futures.get(key), num_samples, temperature, seed)
                for key, frame in self._split_series(history).items()
            }
            return results if num_samples is not None else self._with_id(results)
        lookback = self.spec_.lookback
        series = self._series(history, last_rows=None if self.stateful else lookback)
        if len(series.index) < lookback:
            raise DataError(f"predict needs at least lookback={lookback} rows of history; received {len(series.index)}.")
        index = future_index(series.index, self.freq_, self.horizon)
        origins = np.array([len(series.index) - 1])
        covariates = self._scaled_future_covariates(future, index)
        future_times = np.asarray(index)[None, :]
        if num_samples is not None:
            self._check_sampling(num_samples, temperature)
            if self.strategy == "recursive":  # ancestral sampling, step by step
                rng = np.random.default_rng(seed)
                paths = self._sample_paths(series.windows_ending_at(origins), future_times, num_samples, temperature, rng)
                return series.inverse_targets(paths[0])
        forecast = self._to_original(series, self._forecast_at(series, origins, future_times, covariates))[0]
        targets = list(self.spec_.targets)
        if num_samples is not None:
            return probabilistic.sample(forecast, self.loss, int(num_samples), temperature, self._check_loss(), seed)
        if not self.probabilistic:
            return pd.DataFrame(forecast, index=index, columns=targets)
        form = self._output_form()
        frame = pd.DataFrame(form.point(forecast), index=index, columns=targets)
        quantiles = form.quantiles(forecast)
        for position, target in enumerate(targets):
            for k, level in enumerate(form.levels):
                frame[f"{target}_q{level:g}"] = quantiles[:, position, k]
        return frame

    def _scaled_future_covariates(self, future, index):
        """The future covariates' values over the forecast rows `index`, scaled: `(1, horizon, k)`, or None."""
        names = self._future_covariate_names()
        if not names:
            if future is not None:
                raise ConfigError("`future=` gives values of future covariates, but this Forecaster has none.")
            return None
        if future is None:
            raise DataError(
                f"This Forecaster reads the future covariates {names} over the forecast horizon: pass their "
                f"values for {list(index)} as predict(history, future=frame)."
            )
        frame = as_frame(future, time_col=self.time_col)
        missing = [c for c in names if c not in frame.columns]
        if missing:
            raise DataError(f"`future` lacks the future covariate column(s) {missing}. Columns: {list(frame.columns)}.")
        absent = [label for label in index if label not in frame.index]
        if absent:
            raise DataError(
                f"`future` has no row for {len(absent)} forecast step(s): {[str(a) for a in absent[:5]]}. "
                "Give the covariates' values for every forecast step."
            )
        values = frame.loc[list(index), names].to_numpy(dtype="float64")
        if not np.isfinite(values).all():
            raise DataError(f"`future` has NaN or inf in the future covariates {names}; fill them first.")
        multiplier, offset = self.scaler_.coefficients(names)
        return (values * multiplier + offset)[None].astype("float32")

    def _check_sampling(self, num_samples, temperature):
        if not self.probabilistic:
            raise ConfigError("Sample paths need a probabilistic model: fit with loss='gaussian', 'student_t' or 'quantile'.")
        if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) or num_samples < 1:
            raise ConfigError(f"`num_samples` must be a positive integer. Received: num_samples={num_samples!r}")
        if not temperature >= 0:
            raise ConfigError(f"`temperature` must be >= 0. Received: temperature={temperature!r}")

    def _to_original(self, series, scaled):
        """Scaled forecasts (or distribution parameters, or sampled quantiles) in original units."""
        if not self.probabilistic:
            return series.inverse_targets(scaled)
        multiplier, offset = self.scaler_.coefficients(self.spec_.targets)
        return probabilistic.to_original(scaled, self._output_form().array_loss, multiplier, offset)

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

    def predict_windows(self, windows, future=None):
        """Scaled forecasts `(n, horizon, n_targets)` for scaled windows `(n, lookback, n_features)`.

        The windows as `windows()` returns them; `future`: the model's input
        over the forecast steps `(n, horizon, n_future)`, when it reads one
        (a seq2seq decoder's calendar, future covariates).
        """
        self._check_fitted()
        return self._forecast_windows(windows, future=future)

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
        if self._is_global_fit():
            raise ConfigError("A model of many series streams one series at a time: fc.for_series(id).streamer().")
        if self._future_covariate_names():
            raise ConfigError(
                "This Forecaster reads future covariates over the horizon, which a stream of past rows does "
                "not carry; call predict(history, future=...) for each forecast instead."
            )
        if self.probabilistic:
            raise ConfigError(
                f"A loss={self.loss!r} model forecasts distributions; the streamers carry point forecasts. "
                "Call predict(history) for its median and quantiles, or fit with loss='mse' to stream."
            )
        info = self.stream_spec()
        if self.stateful:
            check_streamable(self.model_config_)
            if engine == "tf":
                step, dtype = self._compiled_model().step, "float32"
            else:
                step, dtype = NumpyStepper(self.model_, self.model_config_).step, "float32"
            sizes = state_sizes(self.model_config_)
            return streaming.StateStreamer(
                step, sizes, info, self.scaling(), n_streams=n_streams, freq=self.freq_, dtype=dtype, warmup=self.spec_.lookback
            )
        if engine == "numpy":
            raise ConfigError("engine='numpy' steps a stateful model; a window model streams with engine='tf' ('auto').")
        return streaming.WindowStreamer(
            self._forecast_windows,
            info,
            self.scaling(),
            n_streams=n_streams,
            freq=self.freq_,
            future_times=bool(self.spec_.calendar) and (self.strategy == "recursive" or self._n_future(self.model_config_) > 0),
        )

    def stream_spec(self):
        """What a streamer or an exported model needs of the window spec, JSON-safe."""
        spec = self.spec_
        return {
            "lookback": spec.lookback,
            "horizon": self.horizon,
            "input_columns": list(spec.input_columns),
            "targets": list(spec.targets),
            "calendar": list(spec.calendar),
        }

    def scaling(self):
        """The fitted scaling of the input and target columns as JSON-safe vectors.

        `scaled = value * multiplier + offset`, per input column
        (`input_multiplier`, `input_offset`) and per target (`target_*`):
        what a model exported for serving applies around the network.
        """
        in_mul, in_add = self.scaler_.coefficients(self.spec_.input_columns)
        out_mul, out_add = self.scaler_.coefficients(self.spec_.targets)
        return {
            "input_multiplier": in_mul.tolist(),
            "input_offset": in_add.tolist(),
            "target_multiplier": out_mul.tolist(),
            "target_offset": out_add.tolist(),
        }

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

        if self._is_global_fit():
            raise ConfigError("Export one series' view of a model of many series: fc.for_series(id).export(path).")

        return export.export(self, path, format=format)

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
        if self._is_global_fit():
            return self._with_id(self._per_series(data, "backtest", start, stride)).reset_index(drop=True)
        series = self._series(data)
        return backtest.backtest_frame(series, self._backtest_arrays(series, start, stride), horizon=self.horizon,
                                       targets=self.spec_.targets, output_form=self._output_form())

    def _backtest_arrays(self, series, start, stride):
        return backtest.backtest_arrays(
            series, start, stride, horizon=self.horizon, lookback=self.spec_.lookback, fit_end=self.fit_end_,
            season_length=self.season_length_, targets=self.spec_.targets,
            forecast=lambda s, origins, times: self._to_original(s, self._forecast_at(s, origins, times)),
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
        if self._is_global_fit():
            tables = self._per_series(data, "evaluate", start, stride, by_target)
            table = pd.concat(tables, names=[self.series_id or "series"])
            if by_series:
                return table
            return table.groupby(level=list(range(1, table.index.nlevels)), sort=False).mean()
        series = self._series(data)
        return backtest.evaluate_table(series, self._backtest_arrays(series, start, stride), horizon=self.horizon,
                                       targets=self.spec_.targets, season_length=self.season_length_,
                                       output_form=self._output_form(), by_target=by_target)

    # --- persistence ------------------------------------------------------------

    def _state(self):
        """The fitted attributes, JSON-safe (the bundle's state)."""
        state = {
            "spec": self.spec_.to_dict(),
            "model_config": self.model_config_.to_dict(),
            "scaler": self.scaler_.to_dict(),
            "freq": self.freq_,
            "season_length": self.season_length_,
            "history": self.history_,
            "fit_end": _encode_label(self.fit_end_),
            "n_train_windows": self.n_train_windows_,
            "norm_scales": list(self.norm_scales_),
        }
        if self._is_global_fit():  # lists of pairs keep the ids' types (JSON keys would turn them to strings)
            state.update(self._many_series_state())
            state["fit_ends"] = [[key, _encode_label(end)] for key, end in self.fit_ends_.items()]
        return state

    def _set_state(self, state):
        self.spec_ = WindowSpec.from_dict(state["spec"])
        self.model_config_ = ModelConfig.from_dict(state["model_config"])
        self.scaler_ = Scaler.from_dict(state["scaler"])
        self.freq_ = state["freq"]
        self.season_length_ = state["season_length"]
        self.history_ = state["history"]
        self.fit_end_ = _decode_label(state["fit_end"])
        self.n_train_windows_ = state["n_train_windows"]
        self.norm_scales_ = tuple(state.get("norm_scales", (None, None)))
        self.scalers_ = self.fit_ends_ = self.series_codes_ = self.static_ = None
        if "scalers" in state:
            self._set_many_series_state(state, Scaler.from_dict)
            self.fit_ends_ = {key: _decode_label(value) for key, value in state["fit_ends"]}


def _encode_label(label):
    if isinstance(label, pd.Timestamp):
        return {"timestamp": label.isoformat()}
    return {"row": int(label)}


def _decode_label(encoded):
    if "timestamp" in encoded:
        return pd.Timestamp(encoded["timestamp"])
    return int(encoded["row"])


def load(path):
    """Loads any estimator's bundle (kept here for old imports; see `lstm_toolkit.base.load`)."""
    return load_any(path)
