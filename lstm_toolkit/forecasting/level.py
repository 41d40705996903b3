"""A second network that reads where the series stands, averaged with the first where validation does not speak against it.

The default network reads each window relative to its own last value and
corrects a reference forecast made from it (naive, seasonal naive, ...). It
looks the same at any level, so a series that leaves its training range does
not saturate it; but it cannot see where the series stands against its usual
level. On a noisy series that reverts to its mean (quarterly growth rates, a
savings ratio) that is most of what there is to forecast: the statistical
methods that win there forecast close to the training mean (AutoETS fits a
level smoothing weight near 0), and a correction to the last value, shrunk
towards it, loses to them.

The level network (`LEVEL_NORM`: no window normalisation) reads the scaled
window as it is. With the standard scaler zero is the training part's mean,
where its weights and its ridge (`linear_share`) shrink to. It trains on the
same windows as the first network (`fitting.fit_window_model`: early
stopping, with the first fit's validation loss as its baseline, and refit and
ridge alike), and the forecast becomes the mean of the
two (one Keras model, `models.ensemble`, which saves, loads, streams and
exports as any other) where the level network's validation loss is lower
than that of what the first fit kept (its network, or the reference that
replaced it) by more than one standard error, the rule a network must pass
against its reference (`joins`). Elsewhere (a series whose level wanders:
prices, trending sales, a cycle, counts falling to zero) it is dropped.

`Forecaster(level_member="auto")` trains it for one series with fewer than
`LEVEL_MEMBER_WINDOWS` training windows, where a second fit costs seconds, a
validation part of two horizons or more, where a standard error can be
estimated, and a level that informs the forecast: on the training windows,
the training mean forecasts better than the first network's reference
(`level_informs`; a price or a strong season does not). True trains it for
any one series; False never.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from lstm_toolkit.errors import ConfigError, check_bool
from lstm_toolkit.forecasting import refit
from lstm_toolkit.forecasting.choices import NORM_SAMPLE, SMALL_NETWORK_WINDOWS
from lstm_toolkit.forecasting.fitting import fit_window_model, refitted, settled, warn_fallback
from lstm_toolkit.forecasting.judging import disjoint_windows, validation_margin
from lstm_toolkit.models import REFERENCE_NORMS, reference_forecast
from lstm_toolkit.models.ensemble import ensemble_model
from lstm_toolkit.training import seed_weights

# The window normalisation of the level network: none, the scaled window as it is.
LEVEL_NORM = "none"
# "auto" trains the level network for one series with fewer training windows than this (the short series of
# `choices.SMALL_NETWORK_WINDOWS`, where the network is small and a second fit costs seconds).
LEVEL_MEMBER_WINDOWS = SMALL_NETWORK_WINDOWS
# The level network's name inside the combined model.
LEVEL_NETWORK = "level_network"


def wanted(level_member, problem, training, strategy_name, separate_windows, informs=lambda: True):
    """Whether to train the level network beside the first: see the module docstring.

    It is for point forecasts of one series by the direct strategy, on one
    machine, from a first network with a window normalisation; `level_member=True`
    where it cannot be trained is a ConfigError naming why. "auto" also needs
    `separate_windows`, the validation windows with separate forecast rows
    (`judging.disjoint_windows`), to be two or more (with fewer there is no
    standard error for `joins` to clear, so the level network could not join),
    and the series' level to inform a forecast (`informs()`, asked last: `level_informs`).

    >>> from types import SimpleNamespace as S
    >>> from lstm_toolkit.models import ModelConfig
    >>> training = S(likelihood=S(probabilistic=False), distribution=None)
    >>> short, long = (S(is_global=False, n_train_windows=n, model_config=ModelConfig(window_norm="last"))
    ...                for n in (150, 5000))
    >>> [wanted(choice, series, training, "direct", 3) for choice, series in [("auto", short), ("auto", long), (True, long)]]
    [True, False, True]
    >>> wanted("auto", short, training, "direct", separate_windows=1), wanted("auto", short, training, "direct", 3,
    ...                                                                       informs=lambda: False)
    (False, False)
    """
    level_member = check_bool(level_member, "level_member", allowed=("auto",))  # a Python bool, for `is`
    if level_member is False:
        return False
    reasons = [
        (problem.is_global, "it is trained for one series (a model of many series scales each on its own)"),
        (training.likelihood.probabilistic, "it is averaged into point forecasts (loss='mse')"),
        (strategy_name != "direct", "it is trained for the direct strategy"),
        (training.distribution is not None, "it is trained on one machine (no distribution strategy)"),
        (problem.model_config.window_norm == LEVEL_NORM, "the network already reads the window's levels "
                                                         "(window_norm='none')"),
    ]
    why = next((reason for cannot, reason in reasons if cannot), None)
    if level_member is True and why is not None:
        raise ConfigError(f"level_member=True cannot be trained here: {why}. Use level_member='auto' or False.")
    return why is None and (level_member is True or (problem.n_train_windows < LEVEL_MEMBER_WINDOWS
                                                     and separate_windows >= 2 and informs()))


def level_informs(problem, series, max_windows=NORM_SAMPLE):
    """Whether a series' level informs its forecast: on (a sample of) the training windows, the training part's mean
    forecasts the horizon with a lower mean absolute error than the first network's reference does (naive, seasonal
    naive, ...: what "auto" chose as erring least there; naive for a normalisation without a reference).

    Mean reversion, where the level network has something to add. A price, a trending series or a strong season is
    forecast far better from its last values than from its mean, and a network on its levels would pull towards a
    level the series has left (MSFT's monthly close, held out: 1.54 to 2.45 MASE with the level network averaged in).
    """
    spec = series.spec
    if any(channel is None for channel in spec.target_channels):  # a target the windows do not read
        return False
    ends = series.starts("train") + spec.lookback - 1
    ends = ends[:: max(1, len(ends) // max_windows)]
    windows = series.windows_ending_at(ends)
    targets = series.targets[ends[:, None] + 1 + np.arange(spec.horizon)[None, :]]
    config = problem.model_config
    mode = config.window_norm if config.window_norm in REFERENCE_NORMS else "last"
    reference = np.asarray(reference_forecast(windows, mode, spec.horizon, config.season_length or 1, config.smoothing))
    reference = reference[:, :, list(spec.target_channels)]
    mean = series.targets[: series.bounds["train"][1]].mean(axis=0)
    return bool(np.abs(targets - mean).mean() < np.abs(targets - reference).mean())


def level_config(model_config):
    """The level network's `ModelConfig`: `model_config` reading the window as it is (the one given, "auto" choices
    open, for the refit's preparers; or a resolved one)."""
    return dataclasses.replace(model_config, window_norm=LEVEL_NORM, smoothing=None)


def level_problem(problem):
    """The level network's problem: the first network's (the same windows, scaler and resolved choices) with
    `level_config`, which has no window normalisation and so no normalisation scales."""
    return dataclasses.replace(problem, model_config=level_config(problem.model_config), norm_scales=(None, None))


def joins(first, level, starts, horizon):
    """Whether the level network joins the forecast, and its validation margin over what the first fit kept.

    The judge's rule for a network against its reference (`judging.judge`):
    the level network, an addition, joins only when its validation loss is
    lower than that of `first` (the first fit's network, or the reference
    that replaced it) by more than one standard error of the difference
    (`judging.validation_margin`, which counts the overlap of neighbouring
    windows). A level that merely ties on the validation part is the risk of
    a series leaving its training range, with nothing shown in return.

    Args:
        first, level: `(windows, horizon)` validation losses on the same windows (None: not measured).
        starts, horizon: the windows' start rows and the horizon.

    Returns:
        `(joins, difference, standard_error)`: the mean loss difference `level - first` and its standard error
        (None where not measured; the error infinite with too few windows to estimate it, which never joins).

    >>> first = np.array([[2.0, 2.0], [2.0, 2.0], [3.0, 3.0]])
    >>> joins(first, first - np.array([[1.0], [0.9], [1.1]]), starts=[0, 2, 4], horizon=2)[0]  # clearly lower
    True
    >>> joins(first, first - np.array([[1.0], [-0.9], [0.1]]), starts=[0, 2, 4], horizon=2)[0]  # lower, not clearly
    False
    """
    if first is None or level is None or not np.isfinite(level).all():
        return False, None, None
    difference, standard_error = validation_margin(level, first, starts, horizon)
    return bool(difference < -standard_error), difference, standard_error


def combine(first, level):
    """One model whose forecast is the mean of `first`'s and `level`'s (the same inputs); `level` is renamed `LEVEL_NETWORK`.

    Combined as a seed ensemble's point forecasts are (`MemberMedian`): the median of two is their mean, and unlike
    Keras' `Average` layer over these two networks, it converts to LiteRT.
    """
    level.name = LEVEL_NETWORK
    return ensemble_model([first, level], combine="median", name=first.name)


def fit(training, problem, series, prepare, level_member, prepare_level, strategy_name, separate_validation=False):
    """Trains the window model (`fitting.fit_window_model`) and, where `wanted`, the level network beside it.

    Args:
        training, problem, series, prepare, separate_validation: as for `fit_window_model`.
        level_member: the Forecaster's `level_member`.
        prepare_level: the level network's `fitting.Preparers` (of the data given to `fit`, with `level_config`),
            for its refit; it trains on `series` with `level_problem(problem)`.
        strategy_name: the Forecaster's `strategy`.

    Returns:
        `(fit, level)`: the `WindowFit` whose model forecasts (the combined one where the level network joined),
        and the level network's record (None where it was not trained): whether it `joined`, both validation
        losses and its epochs. A reference that replaced the first network is told (`ReferenceFallbackWarning`)
        where it forecasts alone.
    """
    starts, horizon = series.starts("validation"), series.spec.horizon
    # Decided before any training: a `level_member` that cannot be trained is refused at once, not a fit later.
    trains = wanted(level_member, problem, training, strategy_name, disjoint_windows(sorted(starts), horizon),
                    informs=lambda: level_informs(problem, series))
    first = fit_window_model(training, problem, series, prepare, separate_validation)
    record = None
    if trains:
        seed_weights(training.seed)
        # Its own backup and checkpoint folders; refit only once it has joined. It is to beat the first fit's
        # validation loss, so that is early stopping's baseline: one that stays above it stops after `patience` epochs.
        level_training = dataclasses.replace(training, refit=False, backup_dir=_inside(training.backup_dir),
                                             checkpoint_dir=_inside(training.checkpoint_dir),
                                             baseline=_mean(first.validation_losses))
        second = fit_window_model(level_training, level_problem(problem), series, prepare_level, separate_validation)
        joined, _, error = joins(first.validation_losses, second.validation_losses, starts, horizon)
        if joined and refit.wanted(training.refit, series.n_windows("train"), series.n_windows("validation"),
                                   separate_validation=separate_validation):
            level_training = settled(level_training, second.model)
            training.compiled.release(second.model)  # its refit trains a new one
            second = refitted(level_training, second.history, second.problem.model_config.units, prepare_level,
                              combine=second.linear is not None, validation_losses=second.validation_losses)
        _remove_if_empty(training.backup_dir)  # each training removed its backup once done; so goes the folder
        record = {"joined": joined, "epochs": len(second.history.get("loss", ())), "linear": second.linear,
                  "validation_loss": _mean(second.validation_losses), "first_validation_loss": _mean(first.validation_losses),
                  "standard_error": None if error is None or not np.isfinite(error) else float(error)}
        if joined:
            return dataclasses.replace(first, model=combine(first.model, second.model)), record
    if first.fallback is not None:
        warn_fallback(first.fallback, first.problem.model_config.window_norm)
    return first, record


def _inside(folder):
    """The level network's folder inside a backup or checkpoint folder (None stays None)."""
    return None if folder is None else os.path.join(folder, LEVEL_NETWORK)


def _remove_if_empty(folder):
    if folder is not None and os.path.isdir(folder) and not os.listdir(folder):
        os.rmdir(folder)


def _mean(losses):
    return None if losses is None else float(np.mean(losses))
