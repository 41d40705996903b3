"""Keras Tuner searches over the model factory: search space, HyperModel, tuners and `tune`."""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_toolkit.backend import keras, keras_tuner
from lstm_toolkit import atomic
from lstm_toolkit.errors import ConfigError
from lstm_toolkit.forecaster import Forecaster
from lstm_toolkit.models import ARCHITECTURES, ATTENTIONS, CELLS
from lstm_toolkit.training import TrainingConfig, compile_model, default_callbacks

RECORD_FILE = "lstm_toolkit_trial.json"


def is_search_worker():
    """Whether this process is a worker of a distributed search (Keras Tuner's chief/worker mode).

    Keras Tuner documents the mode by its environment: `KERASTUNER_ORACLE_IP` and
    `KERASTUNER_ORACLE_PORT` name the chief's oracle, and `KERASTUNER_TUNER_ID` is
    "chief" on the chief and any other name on a worker.

    Example:

    >>> is_search_worker()
    False
    """
    return "KERASTUNER_ORACLE_IP" in os.environ and "chief" not in os.environ.get("KERASTUNER_TUNER_ID", "chief")


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """What a search may vary. A `(low, high)` pair is searched; a single value is fixed.

    Args:
        units: units per recurrent layer, searched per layer (inactive deeper
            layers do not enter the search).
        units_step: step of the units grid.
        depth: number of stacked recurrent layers.
        dropout: dropout between layers.
        dropout_step: step of the dropout grid.
        learning_rate: Adam's learning rate, searched on a log scale.
        cell: the cells to choose from ("lstm", "gru", "peephole").
        bidirectional: the choices for `bidirectional` (stacked architecture
            only: a seq2seq trial is unidirectional).
        architecture: the choices of `ModelConfig.architecture` ("stacked", "seq2seq").
        attention: the seq2seq attentions to choose from ("dot", "additive", "none").

    Example:
    >>> space = SearchSpace(depth=2, units=(64, 128))  # fix the depth, narrow the units
    >>> hp = keras_tuner.HyperParameters()
    >>> space.declare(hp)["units"]
    (64, 64)
    >>> sorted(hp.values)
    ['architecture', 'attention', 'bidirectional', 'cell', 'depth', 'dropout', 'learning_rate', 'units_1', 'units_2']
    >>> SearchSpace.from_dict(space.to_dict()) == space
    True
    """

    units: tuple | int = (32, 256)
    units_step: int = 32
    depth: tuple | int = (1, 4)
    dropout: tuple | float = (0.0, 0.5)
    dropout_step: float = 0.1
    learning_rate: tuple | float = (1e-4, 1e-2)
    cell: tuple = ("lstm",)
    bidirectional: tuple = (False,)
    architecture: tuple = ("stacked",)
    attention: tuple = ("dot",)

    def __post_init__(self):
        _normalise(self, pairs=("units", "depth", "dropout", "learning_rate"),
                   choices=("cell", "bidirectional", "architecture", "attention"))
        for name, known in (("cell", CELLS), ("architecture", ARCHITECTURES), ("attention", ATTENTIONS)):
            unknown = [c for c in getattr(self, name) if c not in known]
            if unknown:
                raise ConfigError(f"Unknown {name}(s) {unknown}; choose from {list(known)}.")
        if self.units[0] < 1 or self.depth[0] < 1:
            raise ConfigError(f"`units` and `depth` must be positive. Received: units={self.units}, depth={self.depth}")
        if not 0 < self.learning_rate[0]:
            raise ConfigError(f"`learning_rate` must be positive. Received: learning_rate={self.learning_rate}")

    def declare(self, hp):
        """Declares the hyperparameters on `hp` and returns their values for this trial."""
        depth = _int(hp, "depth", self.depth)
        units = []
        for layer in range(1, self.depth[1] + 1):
            if layer == 1:
                units.append(_int(hp, "units_1", self.units, self.units_step))
                continue
            # Deeper layers exist only for the depths that use them.
            with hp.conditional_scope("depth", list(range(layer, self.depth[1] + 1))):
                value = _int(hp, f"units_{layer}", self.units, self.units_step)
            if layer <= depth:
                units.append(value)
        dropout = _float(hp, "dropout", self.dropout, self.dropout_step)
        learning_rate = _float(hp, "learning_rate", self.learning_rate, None, sampling="log")
        cell = _choice(hp, "cell", self.cell)
        bidirectional = _choice(hp, "bidirectional", self.bidirectional)
        architecture = _choice(hp, "architecture", self.architecture)
        attention = _choice(hp, "attention", self.attention)
        return {
            "units": tuple(units),
            "dropout": dropout,
            "learning_rate": learning_rate,
            "cell": cell,
            "bidirectional": bidirectional and architecture == "stacked",
            "architecture": architecture,
            "attention": attention,
        }

    def to_dict(self):
        return {name: list(value) for name, value in dataclasses.asdict(self).items() if isinstance(value, tuple)} | {
            "units_step": self.units_step,
            "dropout_step": self.dropout_step,
        }

    @classmethod
    def from_dict(cls, config):
        return cls(**config)


def _normalise(space, pairs, choices):
    """Turns each of `pairs` into a (low, high) tuple and each of `choices` into a tuple, in place."""
    for name in pairs:
        value = getattr(space, name)
        pair = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
        if len(pair) != 2 or pair[0] > pair[1]:
            raise ConfigError(f"`{name}` must be a value or a (low, high) pair. Received: {name}={value!r}")
        object.__setattr__(space, name, pair)
    for name in choices:
        value = getattr(space, name)
        object.__setattr__(space, name, tuple(value) if isinstance(value, (list, tuple)) else (value,))


def _int(hp, name, bounds, step=1):
    low, high = bounds
    if low == high:
        return hp.Fixed(name, int(low))
    return hp.Int(name, int(low), int(high), step=step)


def _float(hp, name, bounds, step, sampling="linear"):
    low, high = bounds
    if low == high:
        return hp.Fixed(name, float(low))
    return hp.Float(name, float(low), float(high), step=step, sampling=sampling)


def _choice(hp, name, choices):
    if len(choices) == 1:
        return hp.Fixed(name, choices[0])
    return hp.Choice(name, list(choices))


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
            attention=values["attention"],
        )

    def build(self, hp):
        values = self.space.declare(hp)
        if self.seed is not None:
            keras.utils.set_random_seed(self.seed)
        model = self.forecaster.build_network(self.model_config(values))
        config = TrainingConfig(
            learning_rate=values["learning_rate"], clipnorm=self.forecaster.clipnorm, epochs=self.forecaster.epochs
        )
        # A probabilistic Forecaster (loss="quantile", "gaussian", ...) trains every trial with its
        # pinball loss or likelihood, so the objective "val_loss" is then a probabilistic score.
        return self.forecaster.compile_network(model, config)

    def fit(self, hp, model, *args, epochs=None, callbacks=None, verbose=0, **kwargs):
        batch_size = self.forecaster.batch_size
        future = self.forecaster.future_channels(self.model_config(self.space.declare(hp)))  # known ahead
        history = model.fit(
            self.series.dataset("train", batch_size=batch_size, seed=self.seed, future_channels=future),
            validation_data=self.series.dataset("validation", batch_size=batch_size, future_channels=future),
            epochs=epochs or self.epochs,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,
            **kwargs,
        )
        losses = history.history.get("loss", [])
        if not losses or not np.all(np.isfinite(losses)):
            raise keras_tuner.errors.FailedTrialError(
                f"Training diverged (loss {losses[-1] if losses else 'missing'}); trial recorded as failed."
            )
        return history


class _RecordingTuner:
    """Adds the toolkit's per-trial checkpoint and a record (epochs, wall time) to a tuner."""

    def run_trial(self, trial, *args, **kwargs):
        trial_dir = Path(self.get_trial_dir(trial.trial_id))
        trial_dir.mkdir(parents=True, exist_ok=True)
        checkpoint = keras.callbacks.ModelCheckpoint(
            str(trial_dir / "best.keras"), monitor=self.oracle.objective.name, save_best_only=True
        )
        kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [checkpoint]
        record = {"started_at": time.time(), "tuner_id": self.tuner_id}
        _write_record(trial_dir, {**record, "status": "RUNNING"})
        try:
            histories = super().run_trial(trial, *args, **kwargs)
        except BaseException as error:
            _write_record(trial_dir, {**record, "wall_time": time.time() - record["started_at"], "error": str(error)})
            raise
        history = histories[-1].history
        _write_record(trial_dir, {**record, "wall_time": time.time() - record["started_at"],
                                  "epochs": len(history["loss"]), "history": _plain(history)})
        return histories


def _plain(history):
    return {key: [float(v) for v in values] for key, values in history.items()}


def _write_record(trial_dir, record):
    atomic.write_text(trial_dir / RECORD_FILE, json.dumps(record))


class RandomSearch(_RecordingTuner, keras_tuner.RandomSearch):
    pass


class BayesianOptimization(_RecordingTuner, keras_tuner.BayesianOptimization):
    pass


class Hyperband(_RecordingTuner, keras_tuner.Hyperband):
    pass


TUNERS = {"random": RandomSearch, "bayesian": BayesianOptimization, "hyperband": Hyperband}


@dataclasses.dataclass
class TuneResult:
    """What `tune` found.

    Attributes:
        trials: one row per trial: trial_id, status, score, the hyperparameters,
            epochs run, best epoch and wall time.
        best_hyperparameters: the best trial's values (None on a worker).
        best_model_config: the best trial's `ModelConfig`.
        forecaster: a fitted `Forecaster` holding the best trial's model; save
            it with `forecaster.save(path)`.
        tuner: the Keras Tuner instance.
    """

    trials: pd.DataFrame | None
    best_hyperparameters: dict | None
    best_model_config: object
    forecaster: Forecaster | None
    tuner: object


def tune(
    data,
    target=None,
    lookback=48,
    horizon=1,
    tuner="bayesian",
    max_trials=20,
    epochs=30,
    space=None,
    objective="val_loss",
    directory="saved_models/tuning",
    project_name="lstm_toolkit",
    seed=0,
    patience=5,
    distribution=None,
    verbose=0,
    **forecaster_kwargs,
):
    """Searches architectures for a forecasting problem with Keras Tuner.

    Every trial trains with EarlyStopping, ReduceLROnPlateau, TerminateOnNaN and
    a ModelCheckpoint of its best epoch; a trial whose loss diverges is recorded
    as failed and the search goes on. The search lives under
    `directory/project_name`: calling `tune` again with a larger `max_trials`
    continues it. With Keras Tuner's `KERASTUNER_TUNER_ID`,
    `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT` set, the same call runs
    as the chief (which serves the oracle and returns the results) or as a worker.

    Args:
        data: the training data (its end is the validation part).
        target, lookback, horizon: as for `Forecaster`.
        tuner: "random", "bayesian" or "hyperband".
        max_trials: trials in all (for Hyperband, the budget comes from `epochs`).
        epochs: maximum epochs per trial.
        space: a `SearchSpace` (default: units 32-256, depth 1-4, dropout 0-0.5,
            learning rate 1e-4 to 1e-2).
        objective: the logged metric to minimise ("val_loss", "val_mae", ...).
        directory, project_name: where the search is kept.
        seed: seeds the oracle and every trial's training.
        patience: early-stopping patience of each trial.
        distribution: a `tf.distribute.Strategy` each trial trains under.
        verbose: Keras verbosity of each trial.
        **forecaster_kwargs: further `Forecaster` arguments (features,
            calendar, scaler, batch_size, validation, ...). With
            `loss="quantile"` (or "gaussian", "student_t") every trial trains
            on that loss, and `objective="val_loss"` optimises the validation
            pinball loss (or negative log-likelihood).

    Returns:
        A `TuneResult`.
    """
    _check_search(tuner, max_trials)
    space = space or SearchSpace()
    forecaster = Forecaster(lookback=lookback, horizon=horizon, target=target, epochs=epochs, seed=seed,
                            patience=patience, verbose=verbose, distribution=distribution, **forecaster_kwargs)
    series = forecaster.prepare(data)
    if series.n_windows("validation") == 0:
        raise ConfigError("tune needs a validation part for its objective: set `validation` (default 0.1).")
    hypermodel = ForecastHyperModel(forecaster, series, space, epochs=epochs, seed=seed)
    search, table, best = _search(hypermodel, tuner, max_trials, epochs, objective, directory, project_name, seed,
                                  patience, distribution, verbose)
    if best is None:
        return TuneResult(table, None, None, None, search)
    values = space.declare(best.hyperparameters.copy())
    best_config = hypermodel.model_config(values)
    forecaster.set_params(learning_rate=values["learning_rate"])
    forecaster.use_trained_model(*_best_trial_model(search, best), model_config=best_config)
    return TuneResult(table, dict(best.hyperparameters.values), best_config, forecaster, search)


def _check_search(tuner, max_trials):
    if tuner not in TUNERS:
        raise ConfigError(f"`tuner` must be one of {list(TUNERS)}. Received: tuner={tuner!r}")
    if isinstance(max_trials, bool) or not isinstance(max_trials, numbers.Integral) or max_trials < 1:
        raise ConfigError(f"`max_trials` must be a positive integer. Received: max_trials={max_trials!r}")


def _search(hypermodel, tuner, max_trials, epochs, objective, directory, project_name, seed, patience,
            distribution, verbose):
    """Runs (or resumes) a search; returns `(tuner, trials table or None on a worker, best trial or None)`."""
    direction = keras_tuner.Objective(objective, direction="min")
    common = dict(
        objective=direction,
        directory=str(directory),
        project_name=project_name,
        # keras-tuner reads a seed of 0 as "no seed": shift it so every seed is honoured.
        seed=None if seed is None else seed + 1,
        overwrite=False,
        distribution_strategy=distribution,
        max_consecutive_failed_trials=max(3, max_trials),
    )
    tuner_class = TUNERS[tuner]
    if tuner == "hyperband":
        search = tuner_class(hypermodel, max_epochs=epochs, **common)
    else:
        search = tuner_class(hypermodel, max_trials=max_trials, **common)
    callbacks = default_callbacks(TrainingConfig(patience=patience, reduce_lr_patience=max(1, patience // 2)),
                                  monitor=objective)
    search.search(epochs=epochs, callbacks=callbacks, verbose=verbose)
    if is_search_worker():
        return search, None, None  # a worker: the chief holds the results
    table = trials_table(search)
    if table[table["status"] == "COMPLETED"].empty:
        return search, table, None
    return search, table, search.oracle.get_best_trials(1)[0]


def _best_trial_model(search, best):
    """The best trial's checkpointed model (loaded with `safe_mode=True`) and its history."""
    model = keras.models.load_model(Path(search.get_trial_dir(best.trial_id)) / "best.keras", safe_mode=True)
    return model, _read_record(search, best.trial_id).get("history", {})


def _read_record(search, trial_id):
    path = Path(search.get_trial_dir(trial_id)) / RECORD_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def trials_table(search):
    """One row per trial of a Keras Tuner search (active hyperparameters only)."""
    rows = []
    for trial_id, trial in sorted(search.oracle.trials.items()):
        record = _read_record(search, trial_id)
        hp = trial.hyperparameters
        values = {name: value for name, value in hp.values.items() if hp.is_active(name) and not name.startswith("tuner/")}
        rows.append({
            "trial_id": trial_id,
            "status": trial.status,
            "score": trial.score if trial.score is not None else math.nan,
            **values,
            "epochs": record.get("epochs", math.nan),
            "best_epoch": trial.best_step + 1 if trial.best_step is not None and trial.score is not None else math.nan,
            "wall_time": record.get("wall_time", math.nan),
        })
    return pd.DataFrame(rows)


# --- ConvLSTM frame forecasters ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FrameSearchSpace:
    """What a search over ConvLSTM frame forecasters may vary (a pair is searched, one value fixed).

    Args:
        filters: filters per ConvLSTM layer, searched per layer.
        filters_step: step of the filters grid.
        depth: number of stacked ConvLSTM layers.
        kernel_size: the square kernel sizes to choose from.
        learning_rate: Adam's learning rate, searched on a log scale.

    Example:
    >>> hp = keras_tuner.HyperParameters()
    >>> FrameSearchSpace(depth=2).declare(hp)["filters"]
    (8, 8)
    >>> FrameSearchSpace.from_dict(FrameSearchSpace().to_dict()) == FrameSearchSpace()
    True
    """

    filters: tuple | int = (8, 32)
    filters_step: int = 8
    depth: tuple | int = (1, 2)
    kernel_size: tuple = (3, 5)
    learning_rate: tuple | float = (1e-3, 1e-2)

    def __post_init__(self):
        _normalise(self, pairs=("filters", "depth", "learning_rate"), choices=("kernel_size",))
        if self.filters[0] < 1 or self.depth[0] < 1 or not self.learning_rate[0] > 0:
            raise ConfigError(f"`filters`, `depth` and `learning_rate` must be positive. Received: {self}")

    def declare(self, hp):
        depth = _int(hp, "depth", self.depth)
        filters = tuple(_int(hp, f"filters_{k}", self.filters, self.filters_step) for k in range(1, depth + 1))
        return {
            "filters": filters,
            "kernel_size": _choice(hp, "kernel_size", self.kernel_size),
            "learning_rate": _float(hp, "learning_rate", self.learning_rate, None, sampling="log"),
        }

    def to_dict(self):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, config):
        return cls(**config)


class FrameHyperModel(keras_tuner.HyperModel):
    """Builds and trains one trial's ConvLSTM for a prepared `FrameForecaster`."""

    def __init__(self, forecaster, train, val, space, epochs, seed=None):
        super().__init__(name="lstm_toolkit_frames")
        self.forecaster, self.train, self.val = forecaster, train, val
        self.space, self.epochs, self.seed = space, epochs, seed

    def build(self, hp):
        values = self.space.declare(hp)
        if self.seed is not None:
            keras.utils.set_random_seed(self.seed)
        model = self.forecaster.build_network(values["filters"], values["kernel_size"])
        config = TrainingConfig(learning_rate=values["learning_rate"], clipnorm=self.forecaster.clipnorm,
                                loss=self.forecaster.loss_)
        return compile_model(model, config, metrics=("mse",))

    def fit(self, hp, model, *args, epochs=None, callbacks=None, verbose=0, **kwargs):
        history = model.fit(self.forecaster.windows(self.train, shuffle=True),
                            validation_data=self.forecaster.windows(self.val), epochs=epochs or self.epochs,
                            callbacks=callbacks, verbose=verbose, shuffle=False, **kwargs)
        losses = history.history.get("loss", [])
        if not losses or not np.all(np.isfinite(losses)):
            raise keras_tuner.errors.FailedTrialError("Training diverged; trial recorded as failed.")
        return history


def tune_frames(
    frames,
    lookback=6,
    horizon=1,
    tuner="bayesian",
    max_trials=10,
    epochs=10,
    space=None,
    objective="val_loss",
    directory="saved_models/tuning",
    project_name="lstm_toolkit_frames",
    seed=0,
    patience=3,
    verbose=0,
    **forecaster_kwargs,
):
    """Searches ConvLSTM architectures for next-frame forecasts, as `tune` does for series.

    Trials train on the first sequences and are scored on the last ones
    (`validation`, default 0.1 of the sequences); every trial gets the default
    callbacks and a checkpoint of its best epoch, and the search resumes and
    distributes as `tune`'s does.

    Returns:
        A `TuneResult` whose `forecaster` is a fitted `frames.FrameForecaster`
        holding the best trial's model, and `best_model_config` its
        `{"filters", "kernel_size"}`.
    """
    from lstm_toolkit.frames import FrameForecaster

    _check_search(tuner, max_trials)
    space = space or FrameSearchSpace()
    forecaster = FrameForecaster(lookback=lookback, horizon=horizon, epochs=epochs, patience=patience, seed=seed,
                                 verbose=verbose, **forecaster_kwargs)
    train, val = forecaster.prepare(frames)
    if len(val) == 0:
        raise ConfigError("tune_frames needs validation sequences for its objective: set `validation` (default 0.1).")
    hypermodel = FrameHyperModel(forecaster, train, val, space, epochs=epochs, seed=seed)
    search, table, best = _search(hypermodel, tuner, max_trials, epochs, objective, directory, project_name, seed,
                                  patience, None, verbose)
    if best is None:
        return TuneResult(table, None, None, None, search)
    values = space.declare(best.hyperparameters.copy())
    forecaster.set_params(learning_rate=values["learning_rate"])
    forecaster.use_trained_model(*_best_trial_model(search, best), filters=values["filters"],
                                 kernel_size=values["kernel_size"])
    best_config = {"filters": values["filters"], "kernel_size": values["kernel_size"]}
    return TuneResult(table, dict(best.hyperparameters.values), best_config, forecaster, search)
