"""`AnomalyDetector`: per-step anomaly scores from an LSTM's forecast or reconstruction errors.

Two methods, both trained on data assumed mostly normal:

- "forecast" (the default): a one-step `Forecaster`; a step's error is
  `|actual - forecast|` divided by the typical (median) error on the fit data.
- "autoencoder": an LSTM autoencoder over sliding windows; a step's error is its
  squared reconstruction error, averaged over every window that covers it,
  divided by its typical value.

Either error is then averaged over `smooth` steps around each point (by default
one cycle of the series, found from its autocorrelation), so an abnormal
stretch (a malformed heartbeat) stands out, not only abnormal points. Flags come
from a threshold at the `1 - contamination` quantile of the fit data's scores.

The baselines `rolling_zscore_scores` and `isolation_forest_scores` (in
`sequences.signals`, importable from here too) and the metrics of
`anomaly_metrics` let every detector be compared on the same points.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from lstm_toolkit.backend import keras, tf
from lstm_toolkit.data.scaling import Scaler
from lstm_toolkit.errors import ConfigError, DataError, LeakageWarning, check_fraction, check_integer
from lstm_toolkit.metrics import anomaly_metrics
from lstm_toolkit.models import ModelConfig, build_autoencoder
from lstm_toolkit.sequences.estimator import SequenceEstimator
from lstm_toolkit.sequences.signals import (  # noqa: F401 (the baselines and helpers are public here too)
    aligned_labels,
    array_columns,
    as_signal,
    dominant_period,
    isolation_forest_scores,
    rolling_zscore_scores,
    smooth_scores,
    windows_to_points,
)
from lstm_toolkit.training import seed_weights

METHODS = ("forecast", "autoencoder")
DEFAULT_DETECTOR = ModelConfig(units=(32,))


class AnomalyDetector(SequenceEstimator):
    """Scores every time step of a signal for how abnormal it is, from an LSTM trained on mostly normal data.

    Args:
        method: "forecast" (a one-step `Forecaster`'s scaled error; the
            default) or "autoencoder" (LSTM encoder -> repeat -> LSTM decoder
            -> per-step Dense, reconstruction MSE spread back to steps).
        lookback: the forecaster's lookback, or the autoencoder's window, in
            steps (`window=`, its old name, still works for one release, with
            a DeprecationWarning).
        smooth: steps each point's score is averaged over: "auto" (one cycle
            of the fit data, `dominant_period`; 1 if it has none), an int, or
            1 for raw per-step scores.
        contamination: the expected fraction of anomalies: the threshold of
            `predict` is the `1 - contamination` quantile of the fit data's scores.
        model: a `ModelConfig`; default one LSTM layer of 32 units.
        scaler: "standard", "minmax" or "none", fit on the training part.
        epochs, batch_size, learning_rate, clipnorm, patience, seed, verbose,
        callbacks: training settings (see `TrainingConfig`).
        validation: the fraction at the end of the fit data used for early stopping.

    Attributes (after `fit`): `model_`, `columns_`, `lookback_` (the lookback in use), `smooth_` (the resolved
    width), `channel_scale_` (typical error per channel), `threshold_`, `history_`, and `forecaster_` for
    the forecast method.

    Example:
    >>> import lstm_toolkit
    >>> ecg = lstm_toolkit.datasets.load("ecg_mitdb_labeled").iloc[:1500]
    >>> detector = AnomalyDetector(lookback=32, epochs=1, verbose=0, seed=0).fit(ecg[["data"]])
    >>> scores = detector.score_samples(ecg[["data"]])
    >>> scores.shape, int(np.isnan(scores).sum()) <= 32
    ((1500,), True)
    """

    DEFAULT_MODEL = DEFAULT_DETECTOR

    def __init__(
        self,
        method="forecast",
        lookback=64,
        smooth="auto",
        contamination=0.01,
        model=None,
        scaler="standard",
        epochs=30,
        batch_size=64,
        learning_rate=1e-3,
        clipnorm=1.0,
        patience=5,
        validation=0.1,
        seed=None,
        verbose="auto",
        callbacks=None,
        window=None,
    ):
        self._store_params(locals())

    def _resolved_lookback(self):
        """`lookback`, or the deprecated `window` when it is given."""
        if self.window is None:
            return self.lookback
        warnings.warn(
            "AnomalyDetector(window=...) is now `lookback=` (the name every estimator uses); "
            "`window` goes in the next release.",
            DeprecationWarning,
            stacklevel=3,
        )
        return self.window

    def _check_params(self):
        if self.method not in METHODS:
            raise ConfigError(f"`method` must be one of {METHODS}. Received: method={self.method!r}")
        lookback = check_integer(self._resolved_lookback(), "lookback", 2)
        check_integer(self.smooth, "smooth", allowed=("auto",), also=" or 'auto'")
        check_fraction(self.contamination, "contamination", 0.5, open_low=True, allowed=())
        return lookback, check_fraction(self.validation, "validation")

    def fit(self, data):
        """Trains on `data` (DataFrame of numeric columns, Series or array), assumed mostly normal.

        Returns:
            self.
        """
        self.lookback_, validation = self._check_params()
        values, columns = as_signal(data)
        minimum = 4 * self.lookback_
        if len(values) < minimum:
            raise DataError(
                f"The signal has {len(values)} rows; lookback={self.lookback_} needs at least {minimum}. "
                "Give more data or a smaller lookback."
            )
        self.columns_ = tuple(columns)
        self.smooth_ = dominant_period(values) if self.smooth == "auto" else int(self.smooth)
        if self.method == "forecast":
            self._fit_forecaster(values, validation)
        else:
            self._fit_autoencoder(values, validation)
        errors = self._errors(values)
        scale = np.nanmedian(errors, axis=0)
        self.channel_scale_ = np.where(scale > 0, scale, 1.0)
        self.threshold_ = float(np.nanquantile(self._scores(errors), 1 - self.contamination))
        return self

    def _scores(self, errors):
        """Per-step errors / their typical size on the fit data, averaged over channels, then smoothed."""
        return smooth_scores(np.mean(errors / self.channel_scale_, axis=1), self.smooth_)

    def _fit_forecaster(self, values, validation):
        from lstm_toolkit.forecasting.forecaster import Forecaster

        self.forecaster_ = Forecaster(
            lookback=self.lookback_,
            horizon=1,
            target=list(self.columns_),
            scaler=self.scaler,
            model=self._model_config(),
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            clipnorm=self.clipnorm,
            patience=self.patience,
            validation=validation,
            season_length=1,
            seed=self.seed,
            verbose=self.verbose,
            callbacks=self.callbacks,
        ).fit(pd.DataFrame(values, columns=list(self.columns_)))
        self.model_, self.history_ = self.forecaster_.model_, self.forecaster_.history_
        self.scaler_ = self.forecaster_.scaler_

    def _fit_autoencoder(self, values, validation):
        config = self._training_config(loss="mse")
        seed_weights(config.seed)  # before the weights are drawn
        n_train = len(values) - int(round(len(values) * validation))
        self.scaler_ = Scaler(self.scaler, columns=self.columns_).fit(values[:n_train])
        scaled = self.scaler_.transform(values).astype("float32")
        model = build_autoencoder(self._model_config(), self.lookback_, len(self.columns_))
        train = self._window_dataset(scaled[:n_train], shuffle=True)
        validation = self._window_dataset(scaled[n_train:]) if len(values) - n_train >= self.lookback_ else None
        self.history_ = self._train(model, config, train, validation)
        self.model_ = model

    def _window_dataset(self, scaled, shuffle=False):
        """Lazy sliding windows (Keras' `timeseries_dataset_from_array`) paired with themselves as targets."""
        dataset = keras.utils.timeseries_dataset_from_array(
            scaled, None, sequence_length=self.lookback_, batch_size=self.batch_size, shuffle=shuffle, seed=self.seed
        )
        shape = (None, self.lookback_, scaled.shape[1])  # known window length: the training step is traced once

        def pair(windows):
            windows = tf.ensure_shape(windows, shape)
            return windows, windows

        return dataset.map(pair)

    def _errors(self, values):
        """Per-step errors, `(time, channels)` for the forecast method and `(time, 1)` for the autoencoder."""
        if self.method == "forecast":
            frame = pd.DataFrame(values, columns=list(self.columns_))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LeakageWarning)  # scoring the fit data is the point here
                results = self.forecaster_.backtest(frame, start=self.lookback_)
            errors = np.full((len(values), len(self.columns_)), np.nan)  # the first `window` steps have no forecast
            rows = results["timestamp"].to_numpy(dtype="int64")
            targets = results["target"].map({c: k for k, c in enumerate(self.columns_)}).to_numpy()
            errors[rows, targets] = np.abs(results["actual"].to_numpy() - results["forecast"].to_numpy())
            return errors
        scaled = self.scaler_.transform(values).astype("float32")
        windows = np.lib.stride_tricks.sliding_window_view(scaled, self.lookback_, axis=0).transpose(0, 2, 1)
        per_window = np.concatenate([  # the view is lazy: only one chunk of windows is copied at a time
            ((self._predict(windows[i : i + 1024]) - windows[i : i + 1024]) ** 2).mean(axis=2)
            for i in range(0, len(windows), 1024)
        ])
        return windows_to_points(per_window, len(values), self.lookback_)[:, None]

    def score_samples(self, data):
        """Per-step anomaly scores (1 is a typical step of the fit data; NaN where a step has no forecast).

        With the forecast method the first `window` steps have no forecast.
        """
        self._check_fitted()
        return self._scores(self._errors(self._read(data)))

    def score(self, data, labels=None):
        """The ROC-AUC of the per-step scores against 0/1 `labels`: one number, as scikit-learn's `score`.

        Steps without a score are left out. Called without `labels` it returns
        `score_samples(data)` with a DeprecationWarning, as it did before; that
        form goes in the next release.
        """
        if labels is None:
            warnings.warn(
                "AnomalyDetector.score(data) returns per-step scores for one more release only: call "
                "score_samples(data) for them; score(data, labels) is the ROC-AUC.",
                DeprecationWarning,
                stacklevel=2,
            )
            return self.score_samples(data)
        scores = self.score_samples(data)
        return anomaly_metrics(aligned_labels(data, labels), scores)["roc_auc"]

    def predict(self, data):
        """0/1 flags: 1 where the score exceeds `threshold_` (unscored steps are 0)."""
        scores = self.score_samples(data)
        return np.where(np.isfinite(scores) & (scores > self.threshold_), 1, 0)

    def evaluate(self, data, labels, window=None, seed=0):
        """Point-level ROC-AUC, PR-AUC and best F1 of the detector and of the baselines, on the same steps.

        The baselines are a rolling z-score of the first differences and an
        IsolationForest on sliding windows of `window` steps (default: the
        detector's window), both computed on `data` itself. Steps the detector
        cannot score (the forecast method's first `window`) are left out for all.

        Returns:
            A DataFrame, one row per method (detector, rolling_zscore,
            isolation_forest) and columns roc_auc, pr_auc, best_f1, n_scored.
        """
        values = self._read(data)
        labels = aligned_labels(data, labels)
        if len(labels) != len(values):
            raise DataError(f"{len(labels)} labels for {len(values)} rows; give one label per row.")
        scores = self._scores(self._errors(values))
        window = self.lookback_ if window is None else check_integer(window, "window", also=" or None (the detector's)")
        unscored = ~np.isfinite(scores)
        table = {}
        for name, method_scores in (
            ("detector", scores),
            ("rolling_zscore", rolling_zscore_scores(values, window)),
            ("isolation_forest", isolation_forest_scores(values, window, seed=seed)),
        ):
            table[name] = anomaly_metrics(labels, np.where(unscored, np.nan, method_scores))
        return pd.DataFrame.from_dict(table, orient="index")

    def _read(self, data):
        values, columns = as_signal(data)
        named = list(self.columns_) != array_columns(len(self.columns_))  # fit on a frame, not an array
        if isinstance(data, pd.DataFrame) and named and columns != list(self.columns_):
            if sorted(columns) != sorted(self.columns_):
                raise DataError(f"The signal's columns {columns} are not those the detector was fit on "
                                f"{list(self.columns_)}. Pass those columns, e.g. df[{list(self.columns_)!r}].")
            values = values[:, [columns.index(c) for c in self.columns_]]  # the fit's order
            columns = list(self.columns_)
        if len(columns) != len(self.columns_):
            raise DataError(f"The signal has {len(columns)} column(s); the detector was fit on {len(self.columns_)} {list(self.columns_)}.")
        if self.method == "forecast" and len(values) <= self.lookback_:
            raise DataError(f"The signal has {len(values)} rows; scoring needs more than lookback={self.lookback_}.")
        if self.method == "autoencoder" and len(values) < self.lookback_:
            raise DataError(f"The signal has {len(values)} rows; scoring needs at least lookback={self.lookback_}.")
        return values

    # --- persistence --------------------------------------------------------------

    def _state(self):
        state = {
            "columns": list(self.columns_),
            "lookback": self.lookback_,
            "smooth": self.smooth_,
            "channel_scale": self.channel_scale_.tolist(),
            "threshold": self.threshold_,
            "history": self.history_,
            "scaler": self.scaler_.to_dict(),
        }
        if self.method == "forecast":
            params, forecaster_state = self.forecaster_.to_bundle()
            state["forecaster"] = {"params": params, "state": forecaster_state}
        return state

    def _set_state(self, state):
        self.columns_ = tuple(state["columns"])
        # bundles written before `lookback` had only the `window` parameter
        self.lookback_ = int(state.get("lookback", self.lookback if self.window is None else self.window))
        self.smooth_ = int(state["smooth"])
        self.channel_scale_ = np.asarray(state["channel_scale"], dtype="float64")
        self.threshold_ = float(state["threshold"])
        self.history_ = state["history"]
        self.scaler_ = Scaler.from_dict(state["scaler"])
        if self.method == "forecast":
            from lstm_toolkit.forecasting.forecaster import Forecaster

            payload = state["forecaster"]
            self.forecaster_ = Forecaster.from_bundle(self.model_, payload["params"], payload["state"])
