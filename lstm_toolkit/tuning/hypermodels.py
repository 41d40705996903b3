"""Keras Tuner HyperModels: build and train one trial's model for a prepared estimator."""

from __future__ import annotations

import dataclasses

import numpy as np

from lstm_toolkit.backend import count_traces_apart, keras_tuner
from lstm_toolkit.forecasting.choices import resolve_batch_size
from lstm_toolkit.models import FCNConfig, SegmentConfig
from lstm_toolkit.sequences.classifier import LSTM_FCN_CLASSIFIER
from lstm_toolkit.training import TrainingConfig, build_training_state, compile_model, seed_weights


class ForecastHyperModel(keras_tuner.HyperModel):
    """Builds and trains one trial's model for a prepared `Forecaster`.

    The search space is declared where the model is built; the data is windowed
    once (by `Forecaster.prepare`) and each trial gets fresh datasets and the
    same seed, so a trial's result does not depend on which process ran it.
    """

    def __init__(self, forecaster, series, space, epochs, seed=None):
        super().__init__(name="lstm_toolkit_forecaster")
        self.forecaster = forecaster
        self.series = series
        self.space = space
        self.epochs = epochs
        self.seed = seed

    def model_config(self, values):
        """The `ModelConfig` of a trial's declared values."""
        return dataclasses.replace(
            self.forecaster.model_config_,
            units=values["units"],
            dropout=values["dropout"],
            cell=values["cell"],
            bidirectional=values["bidirectional"],
            architecture=values["architecture"],
            segment=SegmentConfig(length=values.get("segment_length", "auto")),
            attention=values["attention"],
            members=1,  # a trial is one network; fit the best configuration with `ensemble=k` afterwards
            member_lookbacks=(),  # reading the whole window
        )

    def build(self, hp):
        values = self.space.declare(hp)
        seed_weights(self.seed)
        model = self.forecaster.build_network(self.model_config(values))
        config = TrainingConfig(
            learning_rate=values["learning_rate"], clipnorm=self.forecaster.clipnorm, epochs=self.forecaster.epochs
        )
        # A probabilistic Forecaster (loss="quantile", "gaussian", ...) trains every trial with its
        # pinball loss or likelihood, so the objective "val_loss" is then a probabilistic score.
        return self.forecaster.compile_network(model, config)

    def fit(self, hp, model, *args, epochs=None, callbacks=None, verbose=0, **kwargs):
        forecaster = self.forecaster
        batch_size = resolve_batch_size(forecaster.batch_size, forecaster.problem_.n_train_windows, forecaster.stateful)
        future = forecaster.future_channels(self.model_config(self.space.declare(hp)))  # known ahead
        train = self.series.dataset("train", batch_size=batch_size, seed=self.seed, future_channels=future)
        build_training_state(model, train)
        count_traces_apart(model)  # trials one after another are no retracing
        history = model.fit(
            train,
            validation_data=self.series.dataset("validation", batch_size=batch_size, future_channels=future),
            epochs=epochs or self.epochs,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,
            **kwargs,
        )
        return failed_unless_finite(history)


def failed_unless_finite(history):
    """`history`, or Keras Tuner's `FailedTrialError` when the trial's training loss is missing or not finite (it diverged)."""
    losses = history.history.get("loss", [])
    if not losses or not np.all(np.isfinite(losses)):
        raise keras_tuner.errors.FailedTrialError(
            f"Training diverged (loss {losses[-1] if losses else 'missing'}); trial recorded as failed."
        )
    return history


class PreparedHyperModel(keras_tuner.HyperModel):
    """One trial's model for an estimator whose training and validation data were prepared once.

    The space is declared where the model is built, and every trial starts
    from the same seed, so a trial's result does not depend on which process ran it.
    """

    def __init__(self, name, estimator, train, val, space, epochs, seed=None):
        super().__init__(name=name)
        self.estimator, self.train, self.val = estimator, train, val
        self.space, self.epochs, self.seed = space, epochs, seed

    def declare(self, hp):
        """The trial's values of the space (and the seed set for its weights)."""
        values = self.space.declare(hp)
        seed_weights(self.seed)
        return values


class FrameHyperModel(PreparedHyperModel):
    """Builds and trains one trial's ConvLSTM for a prepared `FrameForecaster`."""

    def __init__(self, forecaster, train, val, space, epochs, seed=None):
        super().__init__("lstm_toolkit_frames", forecaster, train, val, space, epochs, seed)

    def build(self, hp):
        values = self.declare(hp)
        model = self.estimator.build_network(values["filters"], values["kernel_size"])
        config = TrainingConfig(learning_rate=values["learning_rate"], clipnorm=self.estimator.clipnorm, loss=self.estimator.loss_)
        return compile_model(model, config, metrics=("mse",))

    def fit(self, hp, model, *args, epochs=None, callbacks=None, verbose=0, **kwargs):
        train = self.estimator.windows(self.train, shuffle=True)
        build_training_state(model, train)
        count_traces_apart(model)  # trials one after another are no retracing
        history = model.fit(train, validation_data=self.estimator.windows(self.val), epochs=epochs or self.epochs,
                            callbacks=callbacks, verbose=verbose, shuffle=False, **kwargs)
        return failed_unless_finite(history)


class ClassifierHyperModel(PreparedHyperModel):
    """Builds and trains one trial's LSTM-FCN for a prepared `SequenceClassifier`."""

    def __init__(self, classifier, train, val, space, epochs, seed=None):
        super().__init__("lstm_toolkit_classifier", classifier, train, val, space, epochs, seed)

    def model_config(self, values):
        """The `ModelConfig` of a trial's declared values."""
        return dataclasses.replace(
            LSTM_FCN_CLASSIFIER,
            architecture=values["architecture"],
            fcn=FCNConfig(filters=values["filters"], kernel_sizes=values["kernel_sizes"],
                          squeeze_excite=values["squeeze_excite"]),
            units=(values["units"],),
            dropout=values["dropout"],
        )

    def build(self, hp):
        values = self.declare(hp)
        model = self.estimator.build_network(self.model_config(values))
        config = TrainingConfig(learning_rate=values["learning_rate"], clipnorm=self.estimator.clipnorm, loss=self.estimator.loss_)
        return compile_model(model, config, metrics=(self.estimator.metric_,))

    def fit(self, hp, model, *args, epochs=None, callbacks=None, verbose=0, **kwargs):
        x, y, weights = self.train
        build_training_state(model, (x, y))
        history = model.fit(x, y, sample_weight=weights, batch_size=self.estimator.batch_size, validation_data=self.val,
                            epochs=epochs or self.epochs, callbacks=callbacks, verbose=verbose, **kwargs)
        return failed_unless_finite(history)
