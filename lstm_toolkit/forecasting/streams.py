"""Which fitted forecasters stream, and the streamer each gets (see `BaseForecaster.streamer`).

A window model streams through a ring buffer of its last `lookback` rows
(`serving.streaming.WindowStreamer`); a stateful model advances its LSTM
state one row at a time (`serving.streaming.StateStreamer`), stepped in NumPy
from the model's weights or in the compiled model.
"""

from __future__ import annotations

from lstm_toolkit.errors import ConfigError
from lstm_toolkit.forecasting.settings import names
from lstm_toolkit.models import check_streamable, state_sizes
from lstm_toolkit.serving import streaming
from lstm_toolkit.serving.kernels import NumpyStepper

ENGINES = ("auto", "numpy", "tf")


def check_streams(forecaster, engine):
    """Refuses, naming why and what to do instead, a fitted `forecaster` or an `engine` that cannot stream."""
    if engine not in ENGINES:
        raise ConfigError(f"`engine` must be one of {ENGINES}. Received: engine={engine!r}")
    forecaster.problem_.require_one_series("A model of many series streams one series at a time: fc.for_series(id).streamer().")
    if names(forecaster.future_covariates):
        raise ConfigError(
            "This Forecaster reads future covariates over the horizon, which a stream of past rows does "
            "not carry; call predict(history, future=...) for each forecast instead."
        )
    if forecaster.probabilistic:
        raise ConfigError(
            f"A loss={forecaster.loss!r} model forecasts distributions; the streamers carry point forecasts. "
            "Call predict(history) for its median and quantiles, or fit with loss='mse' (or 'mae') to stream."
        )
    if forecaster.stateful:
        check_streamable(forecaster.model_config_)
    elif engine == "numpy":
        raise ConfigError("engine='numpy' steps a stateful model; a window model streams with engine='tf' ('auto').")


def streamer(forecaster, compiled, forecast_windows, n_streams=None, engine="auto"):
    """The streamer of a fitted `forecaster`, checked by `check_streams`.

    Args:
        forecaster: a fitted `BaseForecaster` of one series.
        compiled: its compiled model (a stateful model's `tbptt.SequenceRunner`, whose `step` engine="tf" runs).
        forecast_windows: `f(windows, future_times)`, scaled forecasts of scaled windows (a window model's).
        n_streams, engine: as `BaseForecaster.streamer` takes them.
    """
    check_streams(forecaster, engine)
    config, spec = forecaster.model_config_, forecaster.spec_
    if forecaster.stateful:
        step = compiled.step if engine == "tf" else NumpyStepper(forecaster.model_, config).step
        return streaming.StateStreamer(step, state_sizes(config), forecaster.stream_spec(), forecaster.scaling(),
                                       n_streams=n_streams, freq=forecaster.freq_, dtype="float32", warmup=spec.lookback)
    return streaming.WindowStreamer(
        forecast_windows,
        forecaster.stream_spec(),
        forecaster.scaling(),
        n_streams=n_streams,
        freq=forecaster.freq_,
        future_times=bool(spec.calendar) and (forecaster.strategy == "recursive" or bool(forecaster.future_channels())),
    )
