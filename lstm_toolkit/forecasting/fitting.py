"""How a window forecaster trains: its members' form for an ensemble, one machine or many, and the refit on all the data.

`fit_window_model` is the training half of `Forecaster.fit` for window
models (a stateful model trains through its strategy, `tbptt`). It takes
explicit values, never the estimator: the prepared problem and series, a
`WindowTraining` (the strategy, the likelihood, the training config and the
training options) and, for the refit, a function that prepares all the data
given to `fit` and returns the new problem. Whether the trained network keeps
its place against its reference is `judging`'s rule, and whether the ridge joins it `linear`'s.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import warnings
from collections.abc import Callable

import numpy as np

from lstm_toolkit.errors import ConfigError, DataError, ReferenceFallbackWarning, check_bool, user_stacklevel
from lstm_toolkit.forecasting import refit
from lstm_toolkit.forecasting.compiled import CompiledModels
from lstm_toolkit.forecasting.judging import (
    disjoint_windows,
    fallback_message,
    judge,
    paired_losses,
    reference_losses,
    validation_losses,
)
from lstm_toolkit.forecasting.linear import (
    DEFAULT_LINEAR_SHARE,
    check_linear_share,
    kept_combination,
    ridge_holds,
    with_ridge,
)
from lstm_toolkit.models import REFERENCE_NORMS, forecast_reference_only
from lstm_toolkit.models.ensemble import member_targets, members_model
from lstm_toolkit.training import TrainingConfig, compile_model, distributed, fit, replay_callbacks, seed_weights

# A validation part with fewer than two windows of separate forecast rows (too few to estimate a standard error)
# is joined by the windows of earlier forecast origins (`origin_evidence`), up to this many such windows in all
# (0 or 1: no origins).
# Triggered whenever the validation part holds fewer than five (issue 34), it also changed series the single split
# could judge, for the worse on a held-out period (`benchmarks/rolling_origins.py`), at 2.7x the fit time.
ROLLING_ORIGINS = 5
# An origin is used only when the rows before it hold at least this many training windows.
MIN_ORIGIN_WINDOWS = 8


@dataclasses.dataclass(frozen=True)
class WindowTraining:
    """What training a window model takes besides the data (a Forecaster's `fit` makes one from its parameters).

    Attributes:
        strategy: the forecasting strategy, which builds the network of a problem (`strategies.strategy_for`).
        likelihood: what the loss means (`likelihoods.likelihood_for`): its Keras loss and whether it is probabilistic.
        config: the `TrainingConfig`.
        series_embedding: the series embedding's size (many series), 0 for none.
        seed: the seed of the weights and of the training windows' shuffling.
        refit, reference_fallback, linear_share: as the Forecaster's parameters of those names.
        baseline: a validation loss the network is to beat, early stopping's baseline (its patience restarts only
            below it); None for none, or the reference's where the fallback judges the network against it.
        distribution, callbacks, checkpoint_dir, backup_dir: likewise.
        compiled: the compiled models of this `fit`, for its later trainings of the same form (`CompiledModels`);
            `dataclasses.replace` keeps it, so the level network's training shares it.
    """

    strategy: object
    likelihood: object
    config: TrainingConfig
    series_embedding: int = 0
    seed: int | None = None
    refit: object = "auto"
    reference_fallback: bool = True
    linear_share: float = DEFAULT_LINEAR_SHARE
    baseline: float | None = None
    distribution: object = None
    callbacks: tuple = ()
    checkpoint_dir: str | None = None
    backup_dir: str | None = None
    compiled: CompiledModels = dataclasses.field(default_factory=CompiledModels, compare=False, repr=False)

    def __post_init__(self):
        distributed.check_strategy(self.distribution)

    def build(self, problem):
        """A new, uncompiled network of `problem` (under the distribution strategy's scope when there is one)."""
        with _scope(self.distribution):
            return self.strategy.build(problem, problem.model_config, self.series_embedding)


def compile_network(model, likelihood, config, n_samples=None):
    """Compiles `model` with Adam, gradient clipping and the likelihood's loss; an ensemble's members' form
    (one output per member) gets the loss on each output and no metric."""
    arguments = likelihood.compile_args()
    if len(model.outputs) > 1:
        arguments["metrics"] = ()
    return compile_model(model, config, n_samples=n_samples, **arguments)


@dataclasses.dataclass(frozen=True)
class WindowFit:
    """What `fit_window_model` returns.

    Attributes:
        model: the trained model (after a refit, the refit one).
        history: its per-epoch logs (after a refit, the first run's logs follow as `selection_...`).
        fallback: when the reference replaced the network, the normalisation it was compared with and `judge`'s
            record; else None. Not yet told: `warn_fallback` tells it where it stands in the final forecast.
        linear: `combine_with_ridge`'s record, or None.
        problem: the problem the model goes with (a new one after a refit).
        validation_losses: `(windows, horizon)` validation losses of what the fit kept (the network, or the
            reference that replaced it) before the ridge, on the validation part the epochs were chosen on;
            None without a validation part.
    """

    model: object
    history: dict
    fallback: dict | None
    linear: dict | None
    problem: object
    validation_losses: np.ndarray | None = None


def warn_fallback(fallback, window_norm):
    """Tells the user (`ReferenceFallbackWarning`, at the caller of `fit`) that the reference replaced the network;
    `window_norm`: the reference the model forecasts with."""
    warnings.warn(fallback_message(fallback, window_norm), ReferenceFallbackWarning, stacklevel=user_stacklevel())


def check_stateful_training(training_refit, distribution, backup_dir):
    """Raises a ConfigError for what a stateful model's training does not take: a distribution strategy, a
    per-epoch backup, `refit=True`."""
    if distribution is not None or backup_dir is not None:
        raise ConfigError(
            "stateful=True trains on one ordered stream of chunks and cannot be split by a "
            "distribution strategy or resumed from a per-epoch backup; drop `distribution=` / `backup_dir=` "
            "or use stateful=False."
        )
    refit.wanted(training_refit, 0, 0, stateful=True)  # refit=True is refused for a stateful model


@dataclasses.dataclass(frozen=True)
class Preparers:
    """How `fit_window_model` prepares the data given to `fit` again (each returns `(problem, series)`).

    Attributes:
        all: `(units) -> ...`: all the data, no validation part (the refit), the "auto" choices made again on it
            but the units: the refit trains the network whose epochs the first run chose.
        origin: `(drop, model_config) -> ...`: the data less its last `drop` rows, the last `horizon` of them as
            validation (`origin_evidence`); None where rolling origins do not apply (many series, whose
            validation windows are many).
    """

    all: Callable
    origin: Callable | None = None


def fit_window_model(training, problem, series, prepare: Preparers, separate_validation=False):
    """Trains a window model on the prepared `series`; then, when `training.refit` says so, refits on all the data.

    With `training.reference_fallback`, a point-forecast network that does
    not beat its window normalisation's reference forecast alone on the
    validation part, by more than one standard error, is replaced by that
    reference (`judge`), and no network is refit; where a refit was
    due, the scaler and the "auto" reference are chosen again on all the data
    (`prepare.all`), as they would have been for the refit network.

    A short series (one series whose validation part holds fewer than two
    windows with separate forecast rows, too few for the rule) is judged at
    rolling origins too: the windows of earlier forecast origins join the
    validation part's (`origin_evidence`), under the same rule.

    Last, a point forecast is combined with a ridge regression on the windows the
    final model trained on (`training.linear_share` of it; `linear.combine_with_ridge`),
    whether the network or its reference was kept, unless the validation part
    shows that combination clearly worse (`linear.ridge_holds`).

    Args:
        training: a `WindowTraining`.
        problem, series: the prepared problem and its training data.
        prepare: the `Preparers` of the data given to `fit`.
        separate_validation: the validation came as separate data (no refit then).

    Returns:
        A `WindowFit`. A fallback is recorded there, not yet told (`warn_fallback`).
    """
    check_bool(training.reference_fallback, "reference_fallback")
    check_linear_share(training.linear_share)
    refits = refit.wanted(training.refit, series.n_windows("train"), series.n_windows("validation"),
                          multi_worker=distributed.is_multi_worker(training.distribution),
                          separate_validation=separate_validation)
    backup_dir = training.backup_dir
    # A point forecast only: a reference has no spread of its own to put in a distribution's place.
    check = (training.reference_fallback and problem.model_config.window_norm in REFERENCE_NORMS
             and not training.likelihood.probabilistic)
    horizon = series.spec.horizon
    model, history, evidence = train(training, problem, series, training.config, check_reference=check,
                                     backup_dir=os.path.join(backup_dir, "selection") if backup_dir and refits else backup_dir)
    training = settled(training, model)  # the origins and the refit train as the selection run settled
    fallback = None
    if evidence is not None:
        origins = 0
        if (prepare.origin is not None and not separate_validation and ROLLING_ORIGINS > 1
                and disjoint_windows(sorted(evidence[2]), horizon) < 2):
            with training.compiled.lent(model):  # the origins train in the selection run's model, then it is back
                more = origin_evidence(training, history, lambda drop: prepare.origin(drop, problem.model_config),
                                       horizon)
            origins = len(more[2])
            evidence = tuple(np.concatenate([a, b]) for a, b in zip(evidence, more))
        fallback = judge(model, *evidence, horizon)
        if fallback is not None and origins:
            fallback["origins"] = origins
    # The validation windows' losses of what `judge` kept (where it measured them: origins follow them), or of the model.
    alone = validation_losses(training, model, problem, series) if evidence is None else (
        evidence[0 if fallback is None else 1][: series.n_windows("validation")])
    combine, measured = ridge_holds(training, model, problem, series, alone)
    if fallback is not None:
        fallback = {"window_norm": problem.model_config.window_norm, **fallback}  # the reference it was compared with
        if refits:  # as a refit would: the reference (it trains nothing) is chosen again on all the data
            training.compiled.release(model)
            problem, series = prepare.all(problem.model_config.units)
            model, measured = reference_model(training, problem), None  # new windows: the ridge is fit again
        return WindowFit(model, history, fallback,
                         kept_combination(training, model, problem, series, combine, measured), problem, alone)
    if not refits:
        return WindowFit(model, history, None, kept_combination(training, model, problem, series, combine, measured),
                         problem, alone)
    training.compiled.release(model)  # the refit trains a new network: this one is no longer read
    return refitted(training, history, problem.model_config.units, prepare, combine, alone)


def settled(training, model):
    """`training` for a fit's later trainings (its rolling origins, its refit): the compile choices the training of
    `model` settled on (`CompiledModels.settled`: XLA or not, after its probe; steps per execution), so that they
    train in its compiled model once it is released, and do not probe XLA again."""
    return dataclasses.replace(training, config=training.compiled.settled(model, training.config))


def refitted(training, history, units, prepare, combine=True, validation_losses=None):
    """The refit: a fresh network of `units` trained on everything given to `fit` (`prepare.all`) for the epochs and
    learning rates the early-stopped run chose (its logs `history`), combined with a ridge regression where `combine`.

    Returns:
        A `WindowFit` whose logs are the refit's, the early-stopped run's following as `selection_...`, and whose
        `validation_losses` are the given ones (the early-stopped run's).
    """
    epochs = refit.best_epochs(history)  # the epochs are chosen; now train on everything given to `fit`
    rates = refit.learning_rates(history, epochs) or [training.config.learning_rate]
    problem, series = prepare.all(units)
    seed_weights(training.seed)
    model, final, _ = train(training, problem, series, dataclasses.replace(training.config, epochs=epochs),
                            replay=replay_callbacks(rates, training.checkpoint_dir), backup_dir=training.backup_dir)
    return WindowFit(model, refit.combined(history, final), None, with_ridge(training, model, problem, series, combine),
                     problem, validation_losses)


def origin_evidence(training, history, prepare_origin, horizon, origins=None):
    """More evidence for `judge` on a short series: the network against its reference at earlier forecast origins.

    A short series' validation part may hold less than two horizons: too
    few windows with separate forecast rows to tell a network's win from luck.
    Here, for each of the `origins` horizons before the validation part's
    last one (the newest first), a network is trained as the refit trains it
    (the epochs and learning rates the early-stopped run chose in `history`,
    no early stopping) on the rows before that horizon, and it and the
    reference forecast that horizon: one window each. Origins stop where the
    rows before them hold fewer than `MIN_ORIGIN_WINDOWS` training windows.

    Args:
        training: the `WindowTraining`.
        history: the early-stopped run's logs.
        prepare_origin: `drop -> (problem, series)`: the data given to `fit` less its last `drop` rows, the last
            `horizon` of them as validation (the network's config fixed to the early-stopped run's).
        horizon: the forecast horizon.
        origins: how many (default `ROLLING_ORIGINS - 1`: with the validation part's last window, that many).

    Returns:
        `(network, reference, starts)`: `(windows, horizon)` losses and the windows' start rows, as
        `paired_losses` and `series.starts` give them; no windows where no origin had rows enough.
    """
    origins = ROLLING_ORIGINS - 1 if origins is None else origins
    epochs = refit.best_epochs(history)
    config = dataclasses.replace(training.config, epochs=epochs)
    rates = refit.learning_rates(history, epochs) or [training.config.learning_rate]
    network, reference, starts = [], [], []
    for origin in range(1, origins + 1):
        try:
            problem, series = prepare_origin(origin * horizon)
        except DataError:  # too few rows before this origin
            break
        if series.n_windows("validation") != 1 or series.n_windows("train") < MIN_ORIGIN_WINDOWS:
            break
        seed_weights(training.seed)
        model, trainable, _, validation_data, _ = _trained(training, problem, series, config,
                                                        replay=replay_callbacks(rates, None))
        losses = paired_losses(model, trainable, validation_data)
        training.compiled.release(model)  # read: the next origin's network may train in it
        network.append(losses[0])
        reference.append(losses[1])
        starts.extend(series.starts("validation"))
    if not network:
        return np.zeros((0, horizon)), np.zeros((0, horizon)), np.zeros(0)
    return np.concatenate(network), np.concatenate(reference), np.asarray(starts, dtype="float64")


def reference_model(training, problem):
    """A fresh window model of `problem` that forecasts its window normalisation's reference alone."""
    model = training.build(problem)
    forecast_reference_only(model)
    return model


def _scope(strategy):
    """The distribution strategy's scope to build (and compile) a model under; none without a strategy."""
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def train(training, problem, series, config, replay=None, backup_dir=None, check_reference=False):
    """Builds, compiles and trains one window model of `problem` on `series`; returns `(model, logs, evidence)`.

    An ensemble (`ensemble=k`) trains its members' form, each member on its
    own loss; `replay` (a refit's callbacks) replaces early stopping. With
    `check_reference` and a validation part, `evidence` is what `judge`
    decides on: `(network, reference, starts)`, the validation windows' losses
    of the trained network and of its reference alone (`paired_losses`) and
    their start rows; else (or for a model with no reference) None.
    """
    model, trainable, history, validation_data, reference = _trained(training, problem, series, config, replay,
                                                                     backup_dir, reference_baseline=check_reference)
    if reference is not None:  # measured before training, as early stopping's baseline
        losses = paired_losses(model, trainable, validation_data, reference)
        return model, history, (*losses, np.asarray(series.starts("validation"), dtype="float64"))
    return model, history, None


def _trained(training, problem, series, config, replay=None, backup_dir=None, reference_baseline=False):
    """`train`'s work: `(model, its compiled training form, logs, the validation dataset or None, the reference's
    validation window losses or None)`.

    `reference_baseline`: the network is to beat its reference (the fallback is on), so early stopping takes
    the reference's validation loss (`judging.reference_losses`) as its baseline: its patience restarts only where the
    network goes below it (Keras' `EarlyStopping(baseline=...)`). A network still above its reference gives way
    to it anyway; before, such fits trained on to the end of their patience (Seattle hourly at lookback 72: 27-33
    s instead of 38-82, the same forecasts; `benchmarks/results/early_stop_reference_baseline_epyc.txt`).
    """
    strategy = training.distribution
    model = training.build(problem)
    # A point forecaster on one machine, without a backup (a model restored from one keeps Keras' resumed epoch).
    reusable = strategy is None and not training.likelihood.probabilistic and training.backup_dir is None
    kept = training.compiled.take(model, config, problem.n_train_windows) if reusable else None
    if kept is not None:  # a model of this form, compiled earlier in this `fit` and no longer read: no new trace
        model, trainable = kept
    else:
        with _scope(strategy):
            trainable = compile_network(members_model(model), training.likelihood, config, problem.n_train_windows)
        if reusable:
            training.compiled.adopt(model, trainable, config)
    k, future = len(trainable.outputs), problem.future_channels()  # one output per ensemble member

    def make_dataset(part, batch_size, shard=None):
        shuffle = {"seed": training.seed} if part == "train" else {}
        return member_targets(series.dataset(part, batch_size=batch_size, future_channels=future, shard=shard, **shuffle), k)

    if distributed.is_multi_worker(strategy):
        has_validation = series.n_windows("validation") >= strategy.num_replicas_in_sync
        history = distributed.fit_across_workers(trainable, strategy, make_dataset, config, training.callbacks,
                                                 training.checkpoint_dir, backup_dir, has_validation)
        return model, trainable, history.history, None, None
    validation_data = make_dataset("validation", config.batch_size) if series.n_windows("validation") else None
    reference = None
    if reference_baseline and validation_data is not None and not replay:
        reference = reference_losses(model, trainable, validation_data)
    baseline = training.baseline if reference is None else float(reference.mean())
    baseline = None if replay or validation_data is None else baseline  # a refit replays the chosen epochs
    history = fit(trainable, make_dataset("train", config.batch_size), None if replay else validation_data,
                  config=config, callbacks=(replay or []) + list(training.callbacks or []),
                  replace_callbacks=replay is not None, checkpoint_dir=training.checkpoint_dir, backup_dir=backup_dir,
                  baseline=baseline)
    return model, trainable, history.history, validation_data, reference
