"""Strategy objects: how a Forecaster's network is built, run and trained to forecast `horizon` steps.

As Darts keeps direct and recursive models apart, each way of forecasting is
one class here, chosen once by `strategy_for`:

- `DirectStrategy` (`strategy="direct"`): one window in, all `horizon` steps
  out in one pass (or their distribution's parameters).
- `RecursiveStrategy` (`strategy="recursive"`): a one-step model fed its own
  forecasts `horizon` times; a probabilistic one samples its paths
  ancestrally (as DeepAR does) and reports their quantiles.
- `StatefulStrategy` (`stateful=True`): one model carries its LSTM state
  through the whole series (truncated back-propagation through time over
  chunks of `lookback` rows) and forecasts all steps from each row's state,
  so its streamer costs O(1) per row and `predict` reads all the history it
  is given. It needs a direct, unidirectional model with window_norm
  "last"/"auto" or "none" (any global scaler) and a point loss.

Every method takes the `ForecastProblem` it works on and, for forecasting,
the compiled runner `compile(model, problem)` made (a `tf.function`, or a
`tbptt.SequenceRunner`); forecasts come back scaled, and `to_original` maps
them (or their distribution parameters) to original units.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from lstm_toolkit.backend import compiled, tf
from lstm_toolkit.data import calendar_features
from lstm_toolkit.errors import ConfigError, check_integer
from lstm_toolkit.forecasting import batched, probabilistic
from lstm_toolkit.forecasting.batched import BACKTEST_CHUNK
from lstm_toolkit.models import build_model, build_sequence_model
from lstm_toolkit.training import compile_model, default_callbacks, fit, tbptt

# Sample paths a recursive probabilistic model draws per origin to estimate its forecast quantiles.
SAMPLE_PATHS = 200


class DirectStrategy:
    """All `horizon` steps from one pass over the window.

    Args:
        horizon: the forecast steps.
        likelihood: the forecasts' likelihood object (`likelihoods.likelihood_for`).
        seed: the Forecaster's seed (a recursive model's sampled quantiles use it).
    """

    name = "direct"

    def __init__(self, horizon, likelihood, seed=None):
        self.horizon = horizon
        self.likelihood = likelihood
        self.seed = seed

    def output_form(self):
        """How to read the forecast arrays (`backtest.OutputForm`), None for point forecasts."""
        return self.likelihood.output_form()

    def build(self, problem, model_config, series_embedding=0, training_batch=None):
        """A new, uncompiled Keras model for `problem` with the architecture `model_config`."""
        spec = problem.spec
        return build_model(
            model_config,
            lookback=spec.lookback,
            **output_shape(spec),
            normalized_channels=range(len(spec.input_columns)),
            norm_scales=problem.norm_scales,
            n_future=len(problem.future_channels(model_config)),
            n_series=len(problem.series_codes) if problem.series_codes else 0,
            series_embedding=series_embedding,
            n_static=len(problem.static["mean"]) if problem.static else 0,
            loss=self.likelihood.name,
            quantiles=self.likelihood.levels,
        )

    def compile(self, model, problem):
        """The trained model behind one compiled `tf.function`: a call is one graph execution, never a retrace."""
        spec = problem.spec
        signature = [tf.TensorSpec((None, spec.lookback, spec.n_features), tf.float32)]
        n_future = len(problem.future_channels())
        if n_future:  # the model also reads inputs known ahead over the forecast steps
            signature.append(tf.TensorSpec((None, spec.horizon, n_future), tf.float32))
        signature += [tf.TensorSpec((None, *shape), dtype) for shape, dtype in problem.context_shapes()]

        def forecast(*inputs):
            return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

        return compiled(forecast, signature)

    def forecast_windows(self, function, problem, windows, future_times=None, future=None, context=None):
        """Scaled forecasts `(n, horizon, n_targets)` of scaled windows `(n, lookback, n_features)`.

        `future`: the model's known-ahead input, when it has one; without it
        the calendar of `future_times` (enough unless there are future covariates).
        `context`: each window's context inputs (windows of several series);
        default the one series' of `problem`.
        """
        windows = np.asarray(windows, dtype="float32")
        context = problem.context_inputs(len(windows)) if context is None else context
        if problem.future_channels():
            if future is None:
                future = problem.calendar_ahead(future_times, len(windows), self.horizon)
            return function(windows, np.asarray(future, dtype="float32"), *context).numpy()
        return function(windows, *context).numpy()

    def chunk_size(self):
        """Origins per model call in `forecast_at`."""
        return BACKTEST_CHUNK

    def forecast_at(self, function, problem, series, origins, future_times, covariates=None):
        """Scaled forecasts `(len(origins), horizon, n_targets)` from the window ending at each origin row of `series`."""
        future = problem.future_array(series, origins, future_times, self.horizon, covariates)
        chunk = self.chunk_size()
        return np.concatenate([
            self.forecast_windows(
                function, problem, series.windows_ending_at(origins[i : i + chunk]), future_times[i : i + chunk],
                None if future is None else future[i : i + chunk],
            )
            for i in range(0, len(origins), chunk)
        ])

    def forecast_requests(self, function, requests):
        """Forecasts in original units for every `batched.ForecastRequest` (one per series): `{key: array}`.

        Window models run the windows of every request through the model together (`batched.forecast_requests`).
        """
        return batched.forecast_requests(self, function, requests)

    def to_original(self, problem, series, scaled):
        """Scaled forecasts (or distribution parameters, or sampled quantiles) in original units."""
        form = self.output_form()
        if form is None:  # a point forecast, floored where the problem says (`ForecastProblem.target_floor`)
            return problem.floored(series.inverse_targets(scaled))
        multiplier, offset = problem.scaler.coefficients(problem.spec.targets)
        return probabilistic.to_original(scaled, form.array_loss, multiplier, offset)

    def sample(self, function, problem, series, origins, future_times, covariates, num_samples, temperature, seed):
        """`num_samples` paths `(num_samples, horizon, n_targets)` in original units from the last origin, floored
        where the problem says (`ForecastProblem.target_floor`)."""
        forecast = self.to_original(problem, series, self.forecast_at(function, problem, series, origins, future_times, covariates))
        return problem.floored(self.likelihood.sample(forecast[0], int(num_samples), temperature, seed))


class RecursiveStrategy(DirectStrategy):
    """A one-step model run `horizon` times, each forecast fed back as the next input row."""

    name = "recursive"

    def output_form(self):
        return self.likelihood.output_form(sampled=True)

    def chunk_size(self):
        if self.likelihood.probabilistic:
            return max(1, BACKTEST_CHUNK // SAMPLE_PATHS)  # every origin runs SAMPLE_PATHS paths
        return BACKTEST_CHUNK

    def forecast_windows(self, function, problem, windows, future_times=None, future=None, context=None):
        if problem.future_channels():
            return super().forecast_windows(function, problem, windows, future_times, future, context)
        windows = np.asarray(windows, dtype="float32")
        if not self.likelihood.probabilistic:
            return self.roll_forward(function, problem, windows, future_times, lambda output: output, context)
        levels = self.output_form().array_levels
        rng = np.random.default_rng(self.seed if self.seed is not None else 0)  # the same quantiles on every call
        paths = self.sample_paths(function, problem, windows, future_times, SAMPLE_PATHS, 1.0, rng, context)
        return np.moveaxis(np.quantile(paths, levels, axis=1), 0, -1)

    def roll_forward(self, function, problem, windows, future_times, draw, context=None):
        """Runs the model `horizon` times; `draw(output)` gives each step's values, fed back as the next row.

        Returns the scaled values `(n, horizon, n_targets)` of every step.
        """
        spec = problem.spec
        n_data = len(spec.input_columns)
        target_positions = [spec.input_columns.index(t) for t in spec.targets]
        context = problem.context_inputs(len(windows)) if context is None else context
        steps = []
        for step in range(self.horizon):
            next_values = draw(function(windows, *context).numpy()[:, 0])
            steps.append(next_values)
            row = np.zeros((len(windows), 1, spec.n_features), dtype="float32")
            row[:, 0, target_positions] = next_values
            if spec.calendar:
                row[:, 0, n_data:] = calendar_features(pd.DatetimeIndex(future_times[:, step]), spec.calendar)
            windows = np.concatenate([windows[:, 1:], row], axis=1)
        return np.stack(steps, axis=1)

    def sample_paths(self, function, problem, windows, future_times, num_paths, temperature, rng, context=None):
        """Ancestral sampling: scaled paths `(n, num_paths, horizon, n_targets)`.

        Each step's value is drawn from the one-step distribution and fed back
        as the next input (as DeepAR does); temperature 0 feeds back the median.
        """
        n = len(windows)
        windows = np.repeat(np.asarray(windows, dtype="float32"), num_paths, axis=0)
        future_times = np.repeat(np.asarray(future_times), num_paths, axis=0)
        context = None if context is None else [np.repeat(part, num_paths, axis=0) for part in context]

        def draw(params):
            return self.likelihood.sample(params, 1, temperature, rng)[0]

        paths = self.roll_forward(function, problem, windows, future_times, draw, context)
        return paths.reshape(n, num_paths, self.horizon, -1)

    def sample(self, function, problem, series, origins, future_times, covariates, num_samples, temperature, seed):
        paths = self.sample_paths(function, problem, series.windows_ending_at(origins), future_times, num_samples,
                                  temperature, np.random.default_rng(seed))
        return problem.floored(series.inverse_targets(paths[0]))


class StatefulStrategy(DirectStrategy):
    """One model carries its state through the series and forecasts `horizon` steps at every row."""

    name = "stateful"

    def build(self, problem, model_config, series_embedding=0, training_batch=None):
        """The explicit-state sequence model, or with `training_batch` its Keras-stateful training form."""
        return build_sequence_model(
            model_config,
            **output_shape(problem.spec),
            delta_scale=problem.norm_scales[1],
            stateful=training_batch is not None,
            batch_size=training_batch,
        )

    def compile(self, model, problem):
        return tbptt.SequenceRunner(model, problem.model_config)

    def forecast_requests(self, function, requests):
        """Each request's series on its own: a stateful model runs over a whole series (one, as it is fit on one)."""
        return {request.key: self.to_original(request.problem, request.series,
                                              self.forecast_at(function, request.problem, request.series, request.origins,
                                                               request.future_times, request.covariates))
                for request in requests}

    def forecast_at(self, function, problem, series, origins, future_times, covariates=None):
        """Runs once over the series from its first row and reads the forecast at each origin."""
        forecasts, _ = function(series.inputs[None, : int(origins.max()) + 1])
        return forecasts[0, origins]

    def train(self, problem, series, config, callbacks=None, checkpoint_dir=None):
        """Truncated BPTT: a stateful copy of the model trains on ordered chunks (see `tbptt`).

        Returns:
            `(model, history, runner)`: the explicit-state model with the
            trained weights, the Keras history and the compiled runner the
            validation used (predictions reuse it).
        """
        spec, model_config = problem.spec, problem.model_config
        train_stop, validation_stop = series.bounds["train"][1], series.bounds["validation"][1]
        dataset, batch = tbptt.chunk_dataset(
            series.inputs, series.targets, train_stop, spec.horizon, spec.lookback, config.batch_size
        )
        trainer = compile_model(self.build(problem, model_config, training_batch=batch), config, n_samples=train_stop)
        model = self.build(problem, model_config)
        runner = tbptt.SequenceRunner(model, model_config)
        steps = [tbptt.ResetStates()]
        monitor = "loss"
        if validation_stop - train_stop >= spec.horizon:
            rows = slice(0, validation_stop)
            steps.append(tbptt.SequenceValidation(runner, series.inputs[rows], series.targets[rows], train_stop - 1, spec.horizon))
            monitor = "val_loss"
        steps += default_callbacks(config, checkpoint_dir=checkpoint_dir, monitor=monitor)
        history = fit(trainer, dataset, config=config, callbacks=steps + list(callbacks or []), replace_callbacks=True)
        tbptt.copy_weights(trainer, model)
        return model, history, runner


def output_shape(spec):
    """The model builders' arguments every strategy takes from the window spec: inputs, steps, targets."""
    return dict(n_features=spec.n_features, horizon=spec.horizon, n_targets=spec.n_targets, target_channels=spec.target_channels)


def strategy_for(strategy, stateful, horizon, likelihood, seed=None):
    """The strategy object of a Forecaster's `strategy` and `stateful` parameters (a ConfigError for a probabilistic
    stateful model)."""
    if stateful:
        if likelihood.probabilistic:
            raise ConfigError(
                f"loss={likelihood.name!r} is not built for stateful=True yet (its sequence model has a point "
                "head); use a window model (stateful=False) for probabilistic forecasts."
            )
        return StatefulStrategy(horizon, likelihood, seed)
    window_strategies = {"direct": DirectStrategy, "recursive": RecursiveStrategy}
    if strategy not in window_strategies:
        raise ConfigError(f"`strategy` must be one of {tuple(window_strategies)}. Received: strategy={strategy!r}")
    return window_strategies[strategy](horizon, likelihood, seed)


def check_sampling(likelihood, num_samples, temperature):
    """Refuses sample paths from a point model, a bad `num_samples` / `temperature`, or a `temperature` without them."""
    if num_samples is None:
        if temperature != 1.0:
            raise ConfigError(f"`temperature` spreads sample paths, and this call draws none (temperature={temperature!r}). "
                              "Pass num_samples= too, or leave temperature out for the forecast itself.")
        return
    if not likelihood.probabilistic:
        raise ConfigError("Sample paths need a probabilistic model: fit with loss='gaussian', 'student_t' or 'quantile'.")
    check_integer(num_samples, "num_samples")
    if not temperature >= 0:
        raise ConfigError(f"`temperature` must be >= 0. Received: temperature={temperature!r}")
