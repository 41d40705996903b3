"""Likelihoods as objects: what a forecaster's `loss` means, from the Keras loss to original units.

One object per kind of forecast, as Darts and NeuralForecast hold them:

- `PointLikelihood` ("mse") and `AbsoluteLikelihood` ("mae"): one value per
  forecast step, trained by the squared or the absolute error;
- `QuantileLikelihood` ("quantile"): one output per quantile level, trained by
  the pinball loss;
- `GaussianLikelihood` ("gaussian") and `StudentTLikelihood` ("student_t"):
  the distribution's parameters, trained by negative log-likelihood.

Each knows its parameter count, its Keras loss, how to map its parameters to
original units, its quantiles and point forecast, and how to sample from it.
`likelihood_for(loss, quantiles)` gives the object for a `Forecaster(loss=...)`.
A probabilistic `evaluate` scores CRPS and the coverage and width of the 80%
and 95% intervals, next to baselines with intervals from their own in-sample
residuals. A recursive model samples its paths ancestrally (each drawn value
fed back as the next input, as in DeepAR); its quantiles are those of
`strategies.SAMPLE_PATHS` seeded paths. Stateful models, streamers and
exports take point ("mse", "mae") models.

Example:
>>> import numpy as np
>>> gaussian = likelihood_for("gaussian", (0.1, 0.5, 0.9))
>>> gaussian.n_params, gaussian.probabilistic
(2, True)
>>> np.round(gaussian.quantiles(np.array([[0.0, 1.0]])), 3).tolist()
[[-1.282, 0.0, 1.282]]
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np

from lstm_toolkit.backend import keras, ops, tf
from lstm_toolkit.forecasting import probabilistic
from lstm_toolkit.forecasting.backtest import OutputForm
from lstm_toolkit.models.distribution import DEFAULT_QUANTILES, POINT_LOSSES


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class PinballLoss(keras.losses.Loss):
    """Mean pinball (quantile) loss of `(batch, horizon, targets, n_quantiles)` forecasts.

    Example:
    >>> loss = PinballLoss([0.1, 0.9])
    >>> round(float(loss(np.zeros((1, 1, 1)), np.array([[[[-1.0, 1.0]]]]))), 6)
    0.1
    """

    def __init__(self, quantiles, name="pinball", **kwargs):
        super().__init__(name=name, **kwargs)
        self.quantiles = [float(q) for q in quantiles]

    def call(self, y_true, y_pred):
        levels = ops.convert_to_tensor(np.array(self.quantiles, "float32"))
        error = ops.expand_dims(ops.cast(y_true, y_pred.dtype), -1) - y_pred
        return ops.mean(ops.maximum(levels * error, (levels - 1.0) * error), axis=-1)

    def get_config(self):
        return {**super().get_config(), "quantiles": self.quantiles}


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class GaussianNLL(keras.losses.Loss):
    """Negative log-likelihood of a normal distribution with parameters `(..., [mean, std])`."""

    def __init__(self, name="gaussian_nll", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        mean, std = y_pred[..., 0], y_pred[..., 1]
        z = (ops.cast(y_true, y_pred.dtype) - mean) / std
        return 0.5 * ops.square(z) + ops.log(std) + 0.5 * math.log(2 * math.pi)


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class StudentTNLL(keras.losses.Loss):
    """Negative log-likelihood of a Student's t distribution with parameters `(..., [loc, scale, df])`.

    (Keras ops have no log-gamma: this loss uses TensorFlow's, the toolkit's backend.)
    """

    def __init__(self, name="student_t_nll", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        loc, scale, df = y_pred[..., 0], y_pred[..., 1], y_pred[..., 2]
        z = (ops.cast(y_true, y_pred.dtype) - loc) / scale
        log_norm = (tf.math.lgamma((df + 1.0) / 2.0) - tf.math.lgamma(df / 2.0) - 0.5 * ops.log(df * math.pi)
                    - ops.log(scale))
        return -(log_norm - (df + 1.0) / 2.0 * ops.log1p(ops.square(z) / df))


# --- the likelihood objects -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PointLikelihood:
    """Point forecasts trained by mean squared error (`loss="mse"`).

    Args:
        levels: the quantile levels a probabilistic forecast reports (sorted);
            kept here too so every likelihood has the same fields.
    """

    levels: tuple = DEFAULT_QUANTILES
    name: ClassVar[str] = "mse"

    @property
    def probabilistic(self):
        """True when the model forecasts distributions."""
        return self.name not in POINT_LOSSES

    @property
    def point_loss(self):
        """The `TrainingConfig.loss` of a point model (its error, judged by the same); "mse" for a probabilistic
        one, whose own loss `compile_args` gives."""
        return "mse" if self.probabilistic else self.name

    @property
    def n_params(self):
        """Parameters per forecast value (0 for a point forecast)."""
        return probabilistic.n_params(self.name, self.levels)

    def keras_loss(self):
        """The Keras loss (object or name) that trains a model with this likelihood."""
        return self.name

    def compile_args(self):
        """The `loss` (and `metrics`) `training.compile_model` gets: a point model keeps its MAE metric."""
        return {"loss": self.keras_loss(), **({"metrics": ()} if self.probabilistic else {})}

    def output_form(self, sampled=False):
        """How to read forecast arrays (`backtest.OutputForm`); None for point forecasts.

        `sampled`: the arrays are quantiles of sample paths (a recursive
        model's multi-step distribution has no closed form), on the CRPS grid
        plus the reported levels and the median, read as a "quantile" forecast.
        """
        if not self.probabilistic:
            return None
        if sampled:
            grid = tuple(sorted(set(probabilistic.CRPS_LEVELS) | set(self.levels) | {0.5}))
            return OutputForm(self.name, self.levels, "quantile", grid)
        return OutputForm(self.name, self.levels, self.name, self.levels)

    def to_original(self, params, multiplier, offset):
        """Scaled parameters `(..., n_targets, n_params)` in original units (`probabilistic.to_original`)."""
        return probabilistic.to_original(params, self.name, multiplier, offset)

    def quantiles(self, params, levels=None):
        """Quantiles `(..., len(levels))` of distributions with parameters `params` (default: `self.levels`)."""
        return probabilistic.quantiles_of(params, self.name, self.levels if levels is None else levels, self.levels)

    def point(self, params):
        """The point forecast of each distribution: its median."""
        return probabilistic.point_of(params, self.name, self.levels)

    def sample(self, params, num_samples, temperature=1.0, seed=None):
        """`(num_samples, ...)` draws from each distribution (`seed`: an int, None or a NumPy Generator)."""
        return probabilistic.sample(params, self.name, num_samples, temperature, self.levels, seed)


@dataclasses.dataclass(frozen=True)
class AbsoluteLikelihood(PointLikelihood):
    """Point forecasts trained, and judged, by mean absolute error (`loss="mae"`): the error MASE scores."""

    name: ClassVar[str] = "mae"


@dataclasses.dataclass(frozen=True)
class QuantileLikelihood(PointLikelihood):
    """One output per level of `levels`, kept in order, trained by the pinball loss (`loss="quantile"`)."""

    name: ClassVar[str] = "quantile"

    def keras_loss(self):
        return PinballLoss(self.levels)


@dataclasses.dataclass(frozen=True)
class GaussianLikelihood(PointLikelihood):
    """A normal distribution per forecast value, `[mean, std]`, trained by its negative log-likelihood."""

    name: ClassVar[str] = "gaussian"

    def keras_loss(self):
        return GaussianNLL()


@dataclasses.dataclass(frozen=True)
class StudentTLikelihood(PointLikelihood):
    """A Student's t distribution per forecast value, `[loc, scale, df]`, trained by its negative log-likelihood."""

    name: ClassVar[str] = "student_t"

    def keras_loss(self):
        return StudentTNLL()


LIKELIHOODS = {cls.name: cls for cls in (PointLikelihood, AbsoluteLikelihood, QuantileLikelihood, GaussianLikelihood,
                                         StudentTLikelihood)}


def likelihood_for(loss, quantiles=DEFAULT_QUANTILES):
    """The likelihood object of a `loss` name, with its (checked, sorted) quantile levels."""
    levels = probabilistic.check_loss(loss, quantiles)  # first: an unknown `loss` is named, with the known ones
    return LIKELIHOODS[loss](levels)


def keras_loss(loss, quantiles):
    """The Keras loss object (or name) that trains a model with this `loss` (see `likelihood_for`)."""
    return likelihood_for(loss, quantiles).keras_loss()
