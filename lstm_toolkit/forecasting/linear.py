"""The forecast combined with a ridge regression on the same windows (the Forecaster's `linear_share`).

After training (and after `judging` kept the network or its reference), a
ridge regression is fit in closed form on the training windows, from what the
model's highway reads (the normalised window) to what the model's output
layer and highway predict (the target relative to the reference, in the
window normalisation's scale), with scikit-learn's `RidgeCV`: its penalty is
chosen by the efficient leave-one-out error. The forecast becomes the weighted
mean of the model's and that linear model's (`models.blend_correction`): the
same layers with new weights, so it saves, loads and exports as before. The
combination is dropped only where the validation part shows it clearly worse
(`ridge_holds`).

Why: forecast combination is the steadiest gain in the forecasting
competitions, and here the two members err differently. On the forecast suite
a linear model of the same windows matched the LSTM on most series and lost
on lynx; their mean beat both on average, on series and periods the share was
not chosen on too (`benchmarks/README.md`, "The Forecaster's defaults, chosen on the
forecast suite").
"""

from __future__ import annotations

import numbers

import numpy as np

from lstm_toolkit.backend import in_inference_mode
from lstm_toolkit.errors import ConfigError
from lstm_toolkit.forecasting.judging import validation_losses, validation_margin
from lstm_toolkit.models import blend_correction, correction_inputs, correction_parts
from lstm_toolkit.training import distributed

# The linear model's share of the forecast (the Forecaster's `linear_share` default).
DEFAULT_LINEAR_SHARE = 0.5
# The penalties `RidgeCV` chooses from (on features and targets at unit scale).
RIDGE_ALPHAS = tuple(np.logspace(-3, 5, 33))
# At most about this many training windows, drawn at random, are read to fit the ridge (`training_sample`).
LINEAR_SAMPLE = 20_000
# The combination with a ridge regression (`with_ridge`) is dropped only when it does worse on the validation
# part by more than this many standard errors (`ridge_holds`). At one, as the network's rule, it was dropped on
# US income and savings, whose test years it helped (1.65 and 1.73 errors); M1's panel, which it hurt, showed 3.0.
RIDGE_DROP_ERRORS = 1.96


def check_linear_share(share):
    """Raises a ConfigError unless `share` is a number in [0, 1].

    >>> check_linear_share(0.5)
    >>> check_linear_share(2)
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.ConfigError: `linear_share` must be a number from 0 (the network alone) to 1 (the linear model alone). Received: linear_share=2
    """
    if isinstance(share, bool) or not isinstance(share, numbers.Real) or not 0.0 <= float(share) <= 1.0:
        raise ConfigError(f"`linear_share` must be a number from 0 (the network alone) to 1 (the linear model "
                          f"alone). Received: linear_share={share!r}")


def training_sample(series, batch_size, future_channels=None, seed=None):
    """The training windows of `series` the ridge is fit on: all of them, or a seeded random `LINEAR_SAMPLE` of them.

    The windows are shuffled (all of them, lazily: only the batches taken are gathered) and the first
    `LINEAR_SAMPLE` taken, in batches of `batch_size`.
    """
    dataset = series.dataset("train", batch_size=batch_size, shuffle=True, seed=0 if seed is None else seed,
                             prefetch=False, future_channels=future_channels)
    return dataset.take(-(-LINEAR_SAMPLE // batch_size))


def fit_ridge(features_model, dataset):
    """Fits the ridge regression on `dataset`'s `(x, y)` batches; returns `(coefficients, alpha)`.

    Args:
        features_model: `models.correction_inputs(model)`.
        dataset: batches of `(x, y)` (more elements after them are ignored), y (batch, horizon, n_targets);
            `training_sample` makes them.

    Returns:
        `(coefficients (n_features, horizon * n_targets), alpha)`.
    """
    from sklearn.linear_model import RidgeCV

    features, targets = [], []
    for outputs, (_, y, *_) in in_inference_mode(features_model, dataset):
        window_features, reference, scale = (np.asarray(part, dtype="float64") for part in outputs)
        features.append(window_features)
        relative = (np.asarray(y, dtype="float64") - reference) / scale
        targets.append(relative.reshape(len(relative), -1))
    targets = np.concatenate(targets)
    ridge = RidgeCV(alphas=RIDGE_ALPHAS, fit_intercept=False).fit(np.concatenate(features), targets)
    return np.reshape(ridge.coef_, (targets.shape[1], -1)).T, float(ridge.alpha_)  # one target: coef_ is 1-D


def combine_with_ridge(model, dataset, share):
    """Blends `model`'s forecast with a ridge regression fit on `dataset` (`linear_share` of it), in place.

    An ensemble across lookbacks gets one ridge regression per member, on the window it reads (`correction_parts`).

    Returns:
        `{"share", "alpha"}` (the ridge's penalty; a list of them, one per member, for an ensemble across
        lookbacks), or None when nothing was combined: a share of 0, or a model with no highway or with an
        output activation that is not linear.
    """
    check_linear_share(share)
    parts = correction_parts(model) if share else []
    features_models = [correction_inputs(part) for part in parts]
    if not parts or any(features is None for features in features_models):
        return None
    weights, alphas = model.get_weights(), []
    for part, features_model in zip(parts, features_models):
        coefficients, alpha = fit_ridge(features_model, dataset)
        if not blend_correction(part, coefficients, float(share)):
            model.set_weights(weights)  # every part is blended, or none
            return None
        alphas.append(alpha)
    return {"share": float(share), "alpha": alphas[0] if len(alphas) == 1 else alphas}


def with_ridge(training, model, problem, series, combine=True):
    """Combines a point forecaster's `model` with a ridge regression on `series`' training windows, in place.

    `training.linear_share` of the forecast is the linear model's
    (`combine_with_ridge`). Not for a probabilistic forecast (a ridge has
    no spread to mix in), nor across workers (each holds a shard of the windows),
    nor where `combine` is False (`ridge_holds`).

    Returns:
        `combine_with_ridge`'s record, or None.
    """
    if not combine or not _combines(training, series):
        return None
    windows = training_sample(series, training.config.batch_size, problem.future_channels(), training.seed)
    return combine_with_ridge(model, windows, training.linear_share)


def ridge_holds(training, model, problem, series, alone=None):
    """Whether the combination with a ridge regression (`with_ridge`) stands on the validation part.

    The combination is the default, so it gives way only to clear evidence: it
    is dropped when, combined on the training part's windows, it does worse than
    `model` (the network, or the reference `judge` kept) on the validation
    windows by more than `RIDGE_DROP_ERRORS` standard errors of the difference
    (`judging.validation_margin`): a Diebold-Mariano test at the 5% level. Too
    few validation windows to tell keep it. `model`'s weights are left as they were.
    `alone`: `model`'s validation window losses where they are known (`judge`'s evidence).

    Returns:
        `(holds, measured)`: `measured` is `(combined weights, combine_with_ridge's record)` when the combination
        was fit here and holds, for `kept_combination` to put back on this model and these windows; else None.
    """
    if not series.n_windows("validation") or not _combines(training, series):
        return True, None
    weights = model.get_weights()
    alone = validation_losses(training, model, problem, series) if alone is None else alone
    record = with_ridge(training, model, problem, series)
    if record is None:
        return True, None  # nothing to combine: `with_ridge` says so again at the end
    combined = validation_losses(training, model, problem, series)
    measured = (model.get_weights(), record)
    model.set_weights(weights)
    difference, standard_error = validation_margin(combined, alone, series.starts("validation"), series.spec.horizon)
    holds = not difference > RIDGE_DROP_ERRORS * standard_error
    return holds, measured if holds else None


def kept_combination(training, model, problem, series, combine, measured):
    """The combination the fit keeps, in place: `with_ridge`, or where `ridge_holds` already fit the combination on
    this model and these windows (`measured`), that combination put back (the ridge is not fit twice). Returns
    `combine_with_ridge`'s record, or None."""
    if measured is None:
        return with_ridge(training, model, problem, series, combine)
    weights, record = measured
    model.set_weights(weights)
    return record


def _combines(training, series):
    return bool(training.linear_share and not training.likelihood.probabilistic and series.n_windows("train")
                and not distributed.is_multi_worker(training.distribution))
