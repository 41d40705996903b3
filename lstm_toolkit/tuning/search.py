"""Running a search: the recording tuners, `tune`, `tune_classifier` and `tune_frames`, and the trials table."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from pathlib import Path

import pandas as pd

from lstm_toolkit import atomic
from lstm_toolkit.backend import keras, keras_tuner
from lstm_toolkit.errors import ConfigError, check_integer
from lstm_toolkit.forecasting.forecaster import Forecaster
from lstm_toolkit.training import TrainingConfig, default_callbacks
from lstm_toolkit.tuning.hypermodels import ClassifierHyperModel, ForecastHyperModel, FrameHyperModel
from lstm_toolkit.tuning.space import ClassifierSearchSpace, FrameSearchSpace, SearchSpace

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
        forecaster: the fitted estimator holding the best trial's model (a
            `Forecaster`; `tune_frames` a `FrameForecaster`, `tune_classifier`
            a `SequenceClassifier`), also as `estimator`; save it with `save(path)`.
        tuner: the Keras Tuner instance.
    """

    trials: pd.DataFrame | None
    best_hyperparameters: dict | None
    best_model_config: object
    forecaster: Forecaster | None
    tuner: object

    @property
    def estimator(self):
        """The fitted estimator holding the best trial's model (the `forecaster` field, whatever its kind)."""
        return self.forecaster


def tune(
    data,
    target=None,
    lookback="auto",
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
        objective: the logged metric to optimise ("val_loss", "val_mae", ...; `objective_of`).
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
    seed, space = _check_search(tuner, max_trials, seed, space, SearchSpace)
    forecaster = Forecaster(lookback=lookback, horizon=horizon, target=target, epochs=epochs, seed=seed,
                            patience=patience, verbose=verbose, distribution=distribution, **forecaster_kwargs)
    series = forecaster.prepare(data)
    if series.n_windows("validation") == 0:
        raise ConfigError("tune needs a validation part for its objective: set `validation` (default 0.1).")
    hypermodel = ForecastHyperModel(forecaster, series, space, epochs=epochs, seed=seed)
    search, table, best = _search(hypermodel, tuner, max_trials, epochs, objective, directory, project_name, seed,
                                  patience, distribution, verbose)
    return _tune_result(search, table, best, forecaster, space, hypermodel.model_config, lambda config: {"model_config": config})


def _check_search(tuner, max_trials, seed, space, kind):
    """`(seed, space)` once the arguments are checked, before any data is read: `seed` an int (or None), `space`
    the one given or, for None, the default `kind()` (`SearchSpace`, `ClassifierSearchSpace`, `FrameSearchSpace`)."""
    if tuner not in TUNERS:
        raise ConfigError(f"`tuner` must be one of {list(TUNERS)}. Received: tuner={tuner!r}")
    check_integer(max_trials, "max_trials")
    if space is not None and not isinstance(space, kind):
        example = f"{kind.__name__}(**space)" if isinstance(space, dict) else f"{kind.__name__}()"
        raise ConfigError(f"`space` must be a {kind.__name__} (from lstm_toolkit.tuning), e.g. {example}. "
                          f"Received: space={space!r}")
    return check_integer(seed, "seed", 0, allowed=(None,), also=", or None for a random search"), space or kind()


def objective_of(hypermodel, name):
    """`name`, checked to be a metric every trial logs: its loss, or a metric its model is compiled with
    (`hypermodel` builds one to read them), on the training part or with "val_" on the validation part. Keras
    Tuner infers from the name whether to maximise it (an accuracy) or minimise it, as Keras' callbacks do.
    """
    compiled = hypermodel.build(keras_tuner.HyperParameters()).get_compile_config().get("metrics") or ()
    logged = ["loss", *(metric for metric in keras.tree.flatten(compiled) if isinstance(metric, str))]
    base = name.removeprefix("val_") if isinstance(name, str) else None
    if base not in logged:
        known = [f"{part}{metric}" for metric in logged for part in ("val_", "")]
        raise ConfigError(f"`objective` must be a metric the trials log, one of {known}. Received: objective={name!r}")
    return name


def _check_directory(directory, project_name):
    """Refuses a search folder under a file (Keras Tuner would fail on it after building its first model)."""
    folder = Path(directory) / project_name
    blocking = atomic.blocking_file(folder)
    if blocking is not None:
        raise ConfigError(f"The search folder {folder} cannot be made: {blocking} is a file. Choose another "
                          "`directory` or `project_name`.")


def _search(hypermodel, tuner, max_trials, epochs, objective, directory, project_name, seed, patience,
            distribution, verbose):
    """Runs (or resumes) a search; returns `(tuner, trials table or None on a worker, best trial or None)`."""
    _check_directory(directory, project_name)
    common = dict(
        objective=objective_of(hypermodel, objective),
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
    callbacks = default_callbacks(TrainingConfig(patience=patience), monitor=objective)
    search.search(epochs=epochs, callbacks=callbacks, verbose=verbose)
    if is_search_worker():
        return search, None, None  # a worker: the chief holds the results
    table = trials_table(search)
    if table[table["status"] == "COMPLETED"].empty:
        return search, table, None
    return search, table, search.oracle.get_best_trials(1)[0]


def _tune_result(search, table, best, estimator, space, config_of, adopt_arguments):
    """The `TuneResult` of a finished search; the estimator adopts the best trial's model and learning rate.

    `config_of(values)` is the best trial's model config, `adopt_arguments(config)` the
    keywords the estimator's `use_trained_model` takes for it.
    """
    if best is None:
        return TuneResult(table, None, None, None, search)
    values = space.declare(best.hyperparameters.copy())
    best_config = config_of(values)
    estimator.set_params(learning_rate=values["learning_rate"])
    estimator.use_trained_model(*_best_trial_model(search, best), **adopt_arguments(best_config))
    return TuneResult(table, dict(best.hyperparameters.values), best_config, estimator, search)


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


# --- sequence classifiers ------------------------------------------------------------------


def tune_classifier(X, y, tuner="bayesian", max_trials=10, epochs=200, space=None, objective="val_loss",
                    directory="saved_models/tuning", project_name="lstm_toolkit_classifier", seed=0, patience=30,
                    verbose=0, case_col=None, time_col=None, features=None, **classifier_kwargs):
    """Searches LSTM-FCN classifiers (filters, kernel sizes, LSTM units, dropout, ...), as `tune` does for series.

    Trials train on the training cases and are scored on a stratified
    `validation` fraction of them (default 0.2: a search needs held-out cases
    even where a default fit does without); every trial gets the default
    callbacks and a checkpoint of its best epoch, and the search resumes and
    distributes as `tune`'s does.

    Args:
        X, y, case_col, time_col, features: as for `SequenceClassifier.fit`.
        space: a `ClassifierSearchSpace`.
        classifier_kwargs: other `SequenceClassifier` arguments (batch_size, scaler, class_weight, ...).

    Returns:
        A `TuneResult` whose `forecaster` is the fitted `SequenceClassifier`
        holding the best trial's model, and `best_model_config` its `ModelConfig`.
    """
    from lstm_toolkit.sequences.classifier import SequenceClassifier

    seed, space = _check_search(tuner, max_trials, seed, space, ClassifierSearchSpace)
    classifier_kwargs.setdefault("validation", 0.2)
    classifier = SequenceClassifier(epochs=epochs, patience=patience, seed=seed, verbose=verbose, **classifier_kwargs)
    train, val = classifier.prepare(X, y, case_col, time_col, features)
    if val is None:
        raise ConfigError("tune_classifier needs validation cases for its objective: set `validation` (default 0.2).")
    hypermodel = ClassifierHyperModel(classifier, train, val, space, epochs=epochs, seed=seed)
    search, table, best = _search(hypermodel, tuner, max_trials, epochs, objective, directory, project_name, seed,
                                  patience, None, verbose)
    return _tune_result(search, table, best, classifier, space, hypermodel.model_config, lambda config: {"model_config": config})


# --- ConvLSTM frame forecasters ------------------------------------------------------------


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

    seed, space = _check_search(tuner, max_trials, seed, space, FrameSearchSpace)
    forecaster = FrameForecaster(lookback=lookback, horizon=horizon, epochs=epochs, patience=patience, seed=seed,
                                 verbose=verbose, **forecaster_kwargs)
    train, val = forecaster.prepare(frames)
    if len(val) == 0:
        raise ConfigError("tune_frames needs validation sequences for its objective: set `validation` (default 0.1).")
    hypermodel = FrameHyperModel(forecaster, train, val, space, epochs=epochs, seed=seed)
    search, table, best = _search(hypermodel, tuner, max_trials, epochs, objective, directory, project_name, seed,
                                  patience, None, verbose)
    return _tune_result(search, table, best, forecaster, space,
                        lambda values: {"filters": values["filters"], "kernel_size": values["kernel_size"]}, lambda config: config)
