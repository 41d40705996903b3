"""`FrameForecaster`: next-frame forecasts of grids over time (video, radar, heat maps) with ConvLSTM."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_toolkit.data.windows import frame_windows
from lstm_toolkit.errors import DataError, check_fraction, check_integer
from lstm_toolkit.models import build_convlstm_model
from lstm_toolkit.sequences.estimator import SequenceEstimator
from lstm_toolkit.training import seed_weights


def _as_frames(frames, name="frames"):
    """A float32 `(sequences, time, height, width, channels)` array; one sequence may drop the first axis."""
    try:
        frames = np.asarray(frames, dtype="float32")
    except (TypeError, ValueError):
        raise DataError(f"The {name} must be a numeric array.") from None
    if frames.ndim == 4:
        frames = frames[None]
    if frames.ndim != 5:
        raise DataError(
            f"The {name} must be (time, height, width, channels) or (sequences, time, height, width, channels); "
            f"got shape {frames.shape}. Add a channel axis with frames[..., None] for grey frames."
        )
    if not np.isfinite(frames).all():
        raise DataError(f"The {name} hold NaN or inf values. Fill them first.")
    return frames


class FrameForecaster(SequenceEstimator):
    """Forecasts the next `horizon` frames of a grid sequence from its last `lookback` frames.

    A ConvLSTM encoder and a convolutional head (`models.build_convlstm_model`)
    train on lazy frame windows that never span two sequences. Frames whose
    values all lie in [0, 1] (intensities) train with a sigmoid head and
    binary cross-entropy (with mostly blank pixels, MSE settles on blank
    frames); other values are standardised with the training frames' mean and
    spread and use a linear head with MSE. `evaluate` compares with
    persistence (repeat the last frame) and linear extrapolation.

    Args:
        lookback: input frames per forecast.
        horizon: frames forecast at once.
        filters: filters of each ConvLSTM layer.
        kernel_size: their square kernel size.
        epochs, batch_size, learning_rate, clipnorm, patience, seed, verbose,
        callbacks: training settings (see `TrainingConfig`).
        validation: the fraction of the sequences (the last ones) held out for early stopping.

    Example:
    >>> import lstm_toolkit
    >>> frames = lstm_toolkit.datasets.moving_digits(n_sequences=8, n_frames=8, size=16, seed=0)
    >>> fc = FrameForecaster(lookback=4, filters=(4,), epochs=1, verbose=0, seed=0).fit(frames)
    >>> fc.predict(frames[0, :4]).shape
    (1, 16, 16, 1)
    """


    def __init__(
        self,
        lookback=6,
        horizon=1,
        filters=(16,),
        kernel_size=3,
        epochs=20,
        batch_size=32,
        learning_rate=3e-3,
        clipnorm=1.0,
        patience=5,
        validation=0.1,
        seed=None,
        verbose="auto",
        callbacks=None,
    ):
        self._store_params(locals())

    def _check_params(self):
        """The parameters checked; returns the validation fraction (0.0 for None: no validation part)."""
        for name in ("lookback", "horizon", "kernel_size"):
            check_integer(getattr(self, name), name)
        return check_fraction(self.validation, "validation")

    def fit(self, frames):
        """Trains on `(sequences, time, height, width, channels)` frames (or one sequence without the first axis).

        Returns:
            self.
        """
        train, val = self.prepare(frames)
        config = self._training_config(loss=self.loss_)
        seed_weights(config.seed)  # before the weights are drawn
        model = self.build_network(self.filters, self.kernel_size)
        validation = self.windows(val) if len(val) else None
        self.history_ = self._train(model, config, self.windows(train, shuffle=True), validation, metrics=("mse",))
        self.model_ = model
        return self

    def use_trained_model(self, model, history, filters=None, kernel_size=None):
        """Adopts a ConvLSTM trained on the prepared frames (a tuner's best trial); returns self."""
        if filters is not None:
            self.filters = filters
        if kernel_size is not None:
            self.kernel_size = kernel_size
        return self._adopt(model, history)

    def prepare(self, frames):
        """Everything `fit` learns but the weights: checks the frames, splits off the validation
        sequences and fixes the scaling (`frame_shape_`, `loss_`, `shift_`, `spread_`); returns
        `(train, val)` sequences. The tuner's entry point (`tuning.tune_frames`)."""
        validation = self._check_params()
        frames = _as_frames(frames)
        if frames.shape[1] < self.lookback + self.horizon:
            raise DataError(
                f"Each sequence has {frames.shape[1]} frames; a window needs lookback {self.lookback} + "
                f"horizon {self.horizon}. Use longer sequences or a shorter lookback."
            )
        n_val = int(round(len(frames) * validation))
        train, val = frames[: len(frames) - n_val], frames[len(frames) - n_val :]
        if len(train) == 0:
            raise DataError("No training sequences are left after the validation part; lower `validation`.")
        self.frame_shape_ = tuple(int(d) for d in frames.shape[2:])
        intensities = float(train.min()) >= 0.0 and float(train.max()) <= 1.0
        self.loss_ = "binary_crossentropy" if intensities else "mse"
        self.shift_, self.spread_ = (0.0, 1.0) if intensities else (float(train.mean()), float(train.std()) or 1.0)
        return train, val

    def build_network(self, filters, kernel_size):
        """A new, uncompiled ConvLSTM for the prepared frames (`prepare`) with these filters and kernel size."""
        activation = "sigmoid" if self.loss_ == "binary_crossentropy" else "linear"
        return build_convlstm_model(self.lookback, self.frame_shape_, self.horizon, filters, kernel_size,
                                    output_activation=activation)

    def windows(self, frames, shuffle=False):
        """A `tf.data` pipeline of scaled `(lookback frames, horizon frames)` windows of prepared sequences."""
        return frame_windows(self._scale(frames), self.lookback, self.horizon, batch_size=self.batch_size,
                             shuffle=shuffle, seed=self.seed)

    def _scale(self, frames):
        return (frames - self.shift_) / self.spread_

    def predict(self, frames):
        """The next `horizon` frames after the last `lookback` of `frames`.

        Args:
            frames: `(time, h, w, c)` for one forecast or `(n, time, h, w, c)` for n, with time >= lookback.

        Returns:
            `(horizon, h, w, c)`, or `(n, horizon, h, w, c)`, in the units of the data.
        """
        self._check_fitted()
        single = np.ndim(frames) == 4
        frames = _as_frames(frames)
        if frames.shape[2:] != self.frame_shape_:
            raise DataError(f"Frames of shape {frames.shape[2:]}; the model was fit on {self.frame_shape_}.")
        if frames.shape[1] < self.lookback:
            raise DataError(f"{frames.shape[1]} frames given; a forecast needs the last lookback={self.lookback}.")
        scaled = self._scale(frames[:, -self.lookback :])
        forecast = self._predict(scaled, batch_size=64) * self.spread_ + self.shift_
        return forecast[0] if single else forecast

    def evaluate(self, frames):
        """Mean squared error per pixel over every window of `frames`, next to persistence and linear extrapolation.

        Returns:
            A DataFrame indexed by model, persistence, linear_extrapolation with an `mse` column.
        """
        self._check_fitted()
        frames = _as_frames(frames)
        steps = frames.shape[1]
        if steps < self.lookback + self.horizon:
            raise DataError(f"Each sequence has {steps} frames; evaluation needs lookback + horizon = "
                            f"{self.lookback + self.horizon}.")
        ends = range(self.lookback, steps - self.horizon + 1)
        inputs = np.concatenate([frames[:, end - self.lookback : end] for end in ends])
        actual = np.concatenate([frames[:, end : end + self.horizon] for end in ends])
        last, before = inputs[:, -1:], inputs[:, -2:-1] if self.lookback > 1 else inputs[:, -1:]
        ahead = np.arange(1, self.horizon + 1).reshape(1, -1, 1, 1, 1)
        linear = last + ahead * (last - before)
        if self.loss_ == "binary_crossentropy":
            linear = np.clip(linear, 0.0, 1.0)
        forecasts = {"model": self.predict(inputs), "persistence": np.repeat(last, self.horizon, axis=1),
                     "linear_extrapolation": linear}
        return pd.DataFrame({"mse": {name: float(np.mean((values - actual) ** 2)) for name, values in forecasts.items()}})

    def score(self, frames):
        """The negative mean squared error per pixel of the model on `frames` (`evaluate`): one number, higher is better."""
        return -float(self.evaluate(frames).loc["model", "mse"])

    def _state(self):
        return {"frame_shape": list(self.frame_shape_), "loss": self.loss_, "shift": self.shift_, "spread": self.spread_,
                "history": self.history_}

    def _set_state(self, state):
        self.frame_shape_ = tuple(state["frame_shape"])
        self.loss_ = state["loss"]
        self.shift_, self.spread_ = float(state["shift"]), float(state["spread"])
        self.history_ = state["history"]
