"""The Forecaster: a scikit-learn style estimator from DataFrame to forecasts in original units.

The estimator is thin: the prepared problem (spec, scalers, resolved config)
lives in `forecasting.problem`, the way it forecasts (direct, recursive,
stateful) in `forecasting.strategies`, what its `loss` means in
`forecasting.likelihoods`, backtests and scores in `forecasting.backtest`,
many series in `many_series`, and the networks in `models`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from lstm_toolkit.bundle import load as load_any
from lstm_toolkit.data import future_index
from lstm_toolkit.errors import DataError
from lstm_toolkit.forecasting import backtest, batched, choices, fitting, level, many_series, preparing
from lstm_toolkit.forecasting.estimator import BaseForecaster
from lstm_toolkit.forecasting.likelihoods import likelihood_for
from lstm_toolkit.forecasting.problem import ForecastProblem
from lstm_toolkit.forecasting.settings import ForecastSettings
from lstm_toolkit.forecasting.strategies import check_sampling, strategy_for
from lstm_toolkit.models import ModelConfig
from lstm_toolkit.models.distribution import DEFAULT_QUANTILES
from lstm_toolkit.training import seed_weights

DEFAULT_FORECASTER = ModelConfig(units="auto", architecture="auto", highway="auto")


class Forecaster(BaseForecaster):
    """Forecasts the next `horizon` steps of one or more columns with a recurrent network.

    The defaults follow the practitioner rules: windows split by time, a scaler
    fit on the training part only, each window expressed relative to its last
    value (so a series that leaves its training range does not saturate the
    model), two LSTM layers of 64 units (one of 32 for a short series; run over segments
    of the window from a lookback of 168 rows, `architecture="auto"`) beside a linear map of
    the window (LSTNet's highway, `highway="auto"`), Adam with gradient clipping,
    early stopping on a validation part at the end of the training data, for small trainings a refit on all
    the data for the epochs chosen there, a forecast that is the mean of the network's and a ridge regression's
    on the same windows, and for a short series a second network on the window's levels where it clearly helps.

    Args:
        lookback: past rows the model sees per forecast; "auto": 48, or one season when longer (weekly: 52).
        horizon: future rows forecast at once.
        target: the column (or list of columns) to forecast; None takes the only numeric column.
        features: input columns (default: the targets). Extra columns are past covariates, seen over the window only.
        future_covariates: columns known in advance (planned promotions, holidays, a weather forecast). They are
            inputs over the window and also over the forecast horizon: the seq2seq decoder reads them step by step,
            a stacked model joins them to its last state. The calendar features then count as known ahead too.
            `predict` needs their future values (`future=`); backtests read them from the data.
        calendar: calendar fields derived from the timestamps and used as inputs, e.g. ("hour", "dayofweek").
        time_col: column holding the timestamps, when they are not the index.
        series_id: the id column of a long DataFrame holding many series (a
            dict of DataFrames works without it): one global model of all, each
            split by time and scaled on its own training part, short ones
            left-padded (`preparing`). `predict`, `backtest`, `evaluate(by_series=True)`
            carry the id; `for_series(id)` is a one-series view (`streamer`, `export`).
        series_embedding: with many series, the size of a learned embedding of each series' identity, joined
            to every step of its windows (as in DeepAR); 0 (the default) for none. Only trained series can then be forecast.
        static_features: with many series, numeric columns holding one value per series (its size, region
            code, ...), standardised across the training series and joined to every step of its windows.
        scaler: "standard", "minmax", "naive" or "none" (`data.Scaler`), fit on the training part;
            "auto": "naive" for many series of targets alone (`choices.resolve_scaler`), else "standard".
        model: a `ModelConfig` (or its dict); default two LSTM layers of 64 units (one of 32 below 500 training
            windows, `units="auto"`), window-relative normalisation (none where `features` leave a target out),
            `architecture="auto"` (the segment model for lookbacks of 168 rows or more) and `highway="auto"` (a
            linear map of the window added to the network's forecast; not for stateful models).
        strategy: "direct" (one output per future step) or "recursive" (a one-step model fed its own forecasts;
            inputs must be the targets and calendar features only).
        stateful: True trains one model that carries its LSTM state through
            the whole series (truncated back-propagation through time over
            chunks of `lookback` rows): its `streamer()` costs O(1) per row and
            `predict` uses all the history given (see `forecasting.strategies`).
        loss: "mse" or "mae" (point forecasts trained, and judged against their reference, by the squared or the
            absolute error); "auto" (the default): "mae" for many series each scaled by its naive error, where
            the absolute error is MASE, else "mse" (`choices.resolve_loss`; `loss_`). "quantile" (pinball loss,
            one output per level of `quantiles`), "gaussian" or "student_t"
            (the distribution's parameters, trained by negative log-likelihood;
            see `forecasting.likelihoods`). A probabilistic model's `predict`
            adds a column per quantile (`Close_q0.1`) and draws sample paths
            (`num_samples=`); `evaluate` adds CRPS and interval scores.
        quantiles: the levels of a "quantile" model, and the quantile columns of every probabilistic model's forecasts.
        ensemble: train this many members (different initialisations, one Keras model, one training loop) and
            forecast their median (a probabilistic model: the mean of their distribution parameters, i.e. averaged
            quantiles); see `models.ensemble`. Sets the model config's `members`. A tuple of lookbacks, e.g.
            `(6, 8, 12)` with `lookback=12`, is an ensemble across lookbacks (N-BEATS's): one member per lookback,
            each reading the last that many rows of the window (`ModelConfig.member_lookbacks`).
        epochs, batch_size, learning_rate, clipnorm, patience: training settings (see
            `TrainingConfig`); batch_size "auto" is 64, or 128 from 4,096 training windows
            (`choices.resolve_batch_size`). Stateful: the most parallel segments per batch.
        validation: the validation part for early stopping, as a fraction or
            row count of the end of the data given to `fit`, or a timestamp.
            A fraction too small for one window takes `horizon` rows (one
            window per series).
        refit: after early stopping on the validation part, train a fresh
            model on all the data given to `fit` for the epochs that were
            best (`forecasting.refit`). "auto" (the default) does so for small
            trainings (under 2,000 training windows), where the held-out end is
            a large share of the data and a second run is cheap; True always,
            False never.
        reference_fallback: for point forecasts with a reference window normalisation
            (naive, naive + drift, seasonal naive (+ change): the "auto" choices), forecast
            the reference alone unless the trained network beats it on the validation part by
            more than one standard error (a validation part under two horizons cannot show it),
            and warn (`ReferenceFallbackWarning`, `reference_fallback_`). False keeps the network.
        linear_share: a point forecast's share given to a ridge regression on the same windows, fit in closed
            form after training (`forecasting.linear`; `linear_`): 0.5 averages the two unless the validation part
            shows the mean clearly worse; 0 keeps the network alone; "auto" (the default): 0.5 with loss "mse", 0
            with "mae" (a least-squares fit; `choices.resolve_linear_share`). Needs the model's highway (the default).
        level_member: train a second network on the windows as they are (it sees where the series stands against its
            training mean) and average the two forecasts where its validation loss is lower by more than one standard
            error (`forecasting.level`; `level_member_`). "auto": one series under 500 training windows, a validation
            part of two horizons or more and a level its mean forecasts (`level.level_informs`); True: any one series.
        nonnegative: floor forecasts (and quantiles, samples) at 0: True, False, or "auto" for each target (and
            series) whose smallest training value was 0 (counts, intermittent demand, rainfall); `target_floor`.
        season_length: the seasonal period of the seasonal-naive baseline and of MASE (None: from the frequency).
        fill: None refuses NaN/inf; "ffill", "interpolate" or "zero" fill them.
        seed: seed for reproducible runs.
        verbose: Keras' verbosity during training ("auto" shows progress, 0 is quiet).
        callbacks: extra Keras callbacks for training (not saved in bundles).
        checkpoint_dir: folder for the best-model checkpoint during training.
        distribution: a `tf.distribute.Strategy` to build and train the model under (not saved in bundles). With a
            `tf.distribute.MultiWorkerMirroredStrategy` (configured by `TF_CONFIG`) one script trains one model on
            several machines: each worker reads its own shard of the windows, the weights stay identical on every
            worker, and only the chief writes checkpoints, backups and the bundle (`lstm_toolkit.training.distributed`).
        backup_dir: back up the training state there after each epoch (Keras' `BackupAndRestore`; across workers
            `distributed.WorkerBackup`): a training killed midway and started again with the same arguments resumes
            from the last backed-up epoch. Removed when training ends.

    Attributes (after `fit`):
        model_: the trained `keras.Model`.
        problem_: the prepared problem (`forecasting.problem.ForecastProblem`):
            everything learnt but the weights. The attributes below read it.
        spec_: the `WindowSpec` of the training windows.
        scaler_: the fitted `data.Scaler`.
        freq_: the frequency string of the index (None for a row index).
        season_length_: the season used by baselines and MASE.
        history_: dict of per-epoch training logs (loss, val_loss, learning_rate, ...).
        reference_fallback_: None when the trained network forecasts; when a reference replaced it, the one it was
            compared with, both validation losses and the standard error (`model_config_` names the one forecast with).
        linear_: `{"share", "alpha"}` of the ridge regression combined with the forecast (`linear_share`), or None.
        level_member_: None (not trained), or whether the level network `joined`, both validation losses, epochs.
        fit_end_: the last timestamp (or row) of the training data, labelled as it was (time zone, period).
        model_config_: the `ModelConfig` actually built ("auto" resolved, season filled in); `loss_` the loss trained on.
        norm_scales_: the input and delta scales of the window normalisation.
        n_train_windows_: how many training windows there were.
        scalers_, fit_ends_, skipped_series_: with many series, each series' scaler and last training timestamp,
            and the series left out (None for one series).
        series_codes_, static_: with many series, each series' embedding code, and the static features' standardisation.

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

    DEFAULT_MODEL = DEFAULT_FORECASTER

    def __init__(
        self,
        lookback="auto",
        horizon=1,
        target=None,
        features=None,
        future_covariates=None,
        calendar=(),
        time_col=None,
        series_id=None,
        series_embedding=0,
        static_features=None,
        scaler="auto",
        model=None,
        strategy="direct",
        stateful=False,
        loss="auto",
        quantiles=DEFAULT_QUANTILES,
        ensemble=1,
        epochs=50,
        batch_size="auto",
        learning_rate=1e-3,
        clipnorm=1.0,
        patience=8,
        validation=0.1,
        refit="auto",
        reference_fallback=True,
        linear_share="auto",
        level_member="auto",
        nonnegative="auto",
        season_length=None,
        fill=None,
        seed=None,
        verbose="auto",
        callbacks=None,
        checkpoint_dir=None,
        distribution=None,
        backup_dir=None,
    ):
        self._store_params(locals())

    def _likelihood(self):
        """The likelihood of the loss trained on: `loss_` once prepared (`choices.resolve_loss`)."""
        return likelihood_for(getattr(self, "loss_", None) or choices.resolve_loss(self.loss, None), self.quantiles)

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
        config = self._training_config(batch_size=choices.resolve_batch_size(self.batch_size, self.problem_.n_train_windows, self.stateful),
                                       loss=self._likelihood().point_loss)
        share = choices.resolve_linear_share(self.linear_share, config.loss)
        seed_weights(config.seed)  # the config's: checked, and an int however it was given
        if self.stateful:
            fitting.check_stateful_training(self.refit, self.distribution, self.backup_dir)
            model, history, runner = self._strategy().train(self.problem_, series, config, self.callbacks, self.checkpoint_dir)
            self._compiled = (model, runner)  # predict and backtest reuse the validation's compiled runner
            return self._adopt(model, history.history)
        training = fitting.WindowTraining(
            strategy=self._strategy(), likelihood=self._likelihood(), config=config, series_embedding=self.series_embedding,
            seed=config.seed, refit=self.refit, reference_fallback=self.reference_fallback, linear_share=share,
            distribution=self.distribution, callbacks=tuple(self.callbacks or ()), checkpoint_dir=self.checkpoint_dir,
            backup_dir=self.backup_dir)
        params, given = self.get_params(), self._model_config()
        fitted, self.level_member_ = level.fit(
            training, self.problem_, series, preparing.preparers(params, given, data), self.level_member,
            preparing.preparers(params, level.level_config(given), data),
            self.strategy, separate_validation=isinstance(validation, (pd.DataFrame, pd.Series, np.ndarray, dict)))
        self.problem_ = fitted.problem
        return self._adopt(fitted.model, fitted.history, fitted.fallback, fitted.linear)

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
        self._strategy()  # checks `loss`, `quantiles` and a probabilistic stateful model
        self.problem_, series = self._prepared(data, validation)
        self.loss_ = choices.resolve_loss(self.loss, self.problem_)
        self.model_ = self.level_member_ = None  # a new problem: an earlier model no longer fits it
        return series

    def _prepared(self, data, validation=None):
        """`(problem, series)` of `data`, as `prepare` makes them, without adopting the problem."""
        return preparing.prepare(ForecastSettings.from_params(self.get_params()), self._model_config(), data, validation)

    def build_network(self, model_config=None, training_batch=None):
        """A new, uncompiled Keras model for the prepared problem (`prepare`), with `model_config` (default `model_config_`).

        `training_batch`: for a stateful model, its Keras-stateful training form with this batch size.
        """
        config = self.model_config_ if model_config is None else model_config
        return self._strategy().build(self.problem_, config, self.series_embedding, training_batch)

    def compile_network(self, model, training_config):
        """Compiles `model` with Adam, gradient clipping and this Forecaster's loss (pinball, likelihood or MSE).

        An ensemble's members' form (`models.ensemble.members_model`, one output per member) gets the loss on each output.
        """
        return fitting.compile_network(model, self._likelihood(), training_config, self.n_train_windows_)

    def future_channels(self, model_config=None):
        """Input channels a model with `model_config` (default `model_config_`) also reads over the forecast steps:
        the `future_channels` to give the prepared series' `dataset`."""
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

    # --- forecasting ------------------------------------------------------------

    def predict(self, history, future=None, num_samples=None, temperature=1.0, seed=None):
        """Forecasts the `horizon` steps after the last row of `history`.

        Args:
            history: data like the training data, at least `lookback` rows. A window model uses its last
                `lookback` rows; a stateful model builds its state over all of it (give as much as you have).
                For a model of many series, a long frame (or dict) of them; one it was not trained on is scaled on
                its own rows here (`preparing.new_series_view`), unless the model reads which series it forecasts.
            future: the future covariates' values over the forecast steps
                (rows indexed by the forecast timestamps), when the Forecaster
                has `future_covariates`.
            num_samples: draw this many sample paths from a probabilistic
                model instead (an array `(num_samples, horizon, n_targets)`;
                a dict of them by series for a model of many series).
            temperature: the spread of the samples around the median (0: the median path); with `num_samples` only.
            seed: the random seed of the samples.

        Returns:
            A DataFrame indexed by the future timestamps (labelled as `history`'s are) or row numbers, one
            column per target in original units (the median for a
            probabilistic model, followed by one column per quantile,
            `{target}_q{level}`); for many series, a long frame whose first
            column is the series id.
        """
        self._check_fitted()
        strategy = self._strategy()
        check_sampling(strategy.likelihood, num_samples, temperature)
        futures = {} if future is None else self._parts(future)
        views, left_out = self._views(history, "the naive forecast, their last value", lambda key, frame: frame)
        order = many_series.long_frame_order(self.series_id, self.time_col, history)
        requests = self._told_steps([self._predict_request(frame, problem, futures.get(key), key, order)
                                     for key, (frame, problem) in views.items()])
        if num_samples is not None:
            return self._collect({**{request.key: strategy.sample(self._runner(), request.problem, request.series,
                                                                  request.origins, request.future_times, request.covariates,
                                                                  num_samples, temperature, seed)
                                     for request in requests}, **self._naive_forecasts(left_out, num_samples)}, kind="dict")
        forecasts = strategy.forecast_requests(self._runner(), requests)  # one pass for every series
        frames = {request.key: self._forecast_frame(forecasts[request.key][0], request) for request in requests}
        columns = [column for frame in list(frames.values())[:1] for column in frame.columns] or None
        return self._collect({**frames, **self._naive_forecasts(left_out, columns=columns)}, labels=self._labels(history))

    def _predict_request(self, history, problem, future=None, key=None, order=None):
        """One series' `predict` (`key` of many, its view `problem`, its data's order): the origin after `history`."""
        lookback = self.spec_.lookback
        series = self._series(history, None if self.stateful else lookback, problem, key, order)
        if len(series.index) < lookback:
            named = "" if key is None else f" (series {key!r})"
            raise DataError(f"predict needs at least lookback={lookback} rows of history{named}; received {len(series.index)}.")
        index = future_index(series.index, self.freq_, self.horizon)
        covariates = problem.scaled_future_covariates(future, index, self.time_col, key)
        return batched.ForecastRequest(key, problem, series, np.array([len(series.index) - 1]), np.asarray(index)[None, :],
                                       covariates, index)

    def _forecast_frame(self, forecast, request):
        return backtest.forecast_frame(forecast, request.index, self.spec_.targets, self._output_form(request.problem))

    # --- persistence ------------------------------------------------------------

    def _adopt(self, model, history, fallback=None, combined=None):
        self.reference_fallback_, self.linear_ = fallback, combined
        return super()._adopt(model, history)

    def _state(self):
        return {**self.problem_.to_state(), "history": self.history_, "reference_fallback": self.reference_fallback_,
                "linear": self.linear_, "level_member": self.level_member_, "loss": self.loss_}

    def _set_state(self, state):
        self.problem_ = ForecastProblem.from_state(state, self.future_covariates)
        self.history_ = state["history"]
        self.reference_fallback_ = state.get("reference_fallback")  # bundles before it: the network forecasts
        self.linear_ = state.get("linear")  # bundles before it: no linear model
        self.level_member_ = state.get("level_member")  # bundles before it: no level network
        self.loss_ = state.get("loss", self.loss)  # bundles before "auto": their loss was given


def load(path):
    """Loads any estimator's bundle (kept here for old imports; see `lstm_toolkit.bundle.load`)."""
    return load_any(path)
