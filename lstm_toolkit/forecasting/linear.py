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
(`fitting.ridge_holds`).

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
from lstm_toolkit.models import blend_correction, correction_inputs

# The linear model's share of the forecast (the Forecaster's `linear_share` default).
DEFAULT_LINEAR_SHARE = 0.5
# The penalties `RidgeCV` chooses from (on features and targets at unit scale).
RIDGE_ALPHAS = tuple(np.logspace(-3, 5, 33))
# At most about this many training windows, drawn at random, are read to fit the ridge (`training_sample`).
LINEAR_SAMPLE = 20_000


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

    Returns:
        `{"share", "alpha"}`, or None when nothing was combined: a share of 0, or a model with no highway or with
        an output activation that is not linear.
    """
    check_linear_share(share)
    features_model = correction_inputs(model) if share else None
    if features_model is None:
        return None
    coefficients, alpha = fit_ridge(features_model, dataset)
    if not blend_correction(model, coefficients, float(share)):
        return None
    return {"share": float(share), "alpha": alpha}
