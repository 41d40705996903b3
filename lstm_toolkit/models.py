"""Model factory: functional-API stacked recurrent models built from a small config."""

from __future__ import annotations

import dataclasses
import warnings

import keras

from lstm_toolkit.data.normalization import WindowDenormalization, WindowNormalization, _check_mode
from lstm_toolkit.errors import ConfigError

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The architecture of a recurrent forecaster.

    Args:
        units: units of each stacked recurrent layer, first to last. The
            practitioner's start is 1-2 layers of 64-128 units.
        cell: "lstm" or "gru".
        bidirectional: wrap each recurrent layer in `Bidirectional` (fine over
            a lookback window, which is all past; not for step-by-step streaming).
        dropout: rate of the `Dropout` between recurrent layers and before the head.
        recurrent_dropout: dropout on the recurrent state (disables cuDNN on GPU).
        dense_units: hidden Dense layers of the head.
        dense_activation: activation of those hidden Dense layers.
        output_activation: activation of the output layer ("linear" for regression).
        window_norm: "none", "last", "seasonal" or "mean": window-relative
            normalisation done inside the model (see `data.WindowNormalization`).
            "auto" (the default) lets the Forecaster pick "last" or "seasonal",
            whichever naive forecast is better on the training data;
            `build_model` alone treats it as "last".
        season_length: the season of window_norm="seasonal", in steps (the
            Forecaster fills it in from the data's frequency).

    Example:
    >>> config = ModelConfig(units=(128, 64), dropout=0.2, dense_units=(32,))
    >>> ModelConfig.from_dict(config.to_dict()) == config
    True
    """

    units: tuple = (64,)
    cell: str = "lstm"
    bidirectional: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    dense_units: tuple = ()
    dense_activation: str = "relu"
    output_activation: str = "linear"
    window_norm: str = "auto"
    season_length: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "units", tuple(int(u) for u in _as_sequence(self.units)))
        object.__setattr__(self, "dense_units", tuple(int(u) for u in _as_sequence(self.dense_units)))
        if not self.units or any(u < 1 for u in self.units):
            raise ConfigError(f"`units` must be one or more positive integers. Received: units={self.units}")
        if any(u < 1 for u in self.dense_units):
            raise ConfigError(f"`dense_units` must be positive integers. Received: dense_units={self.dense_units}")
        if self.cell not in CELLS:
            raise ConfigError(f"`cell` must be one of {list(CELLS)}. Received: cell={self.cell!r}")
        for name in ("dropout", "recurrent_dropout"):
            rate = getattr(self, name)
            if not 0.0 <= rate < 1.0:
                raise ConfigError(f"`{name}` must lie in [0, 1). Received: {name}={rate}")
        if self.window_norm != "auto":
            _check_mode(self.window_norm)
        if self.season_length is not None and (isinstance(self.season_length, bool) or self.season_length < 1):
            raise ConfigError(f"`season_length` must be a positive integer or None. Received: season_length={self.season_length!r}")

    def to_dict(self):
        config = dataclasses.asdict(self)
        config["units"] = list(self.units)
        config["dense_units"] = list(self.dense_units)
        return config

    @classmethod
    def from_dict(cls, config):
        return cls(**config)


def _as_sequence(value):
    return (value,) if isinstance(value, int) else tuple(value)


def build_model(
    config,
    lookback,
    n_features,
    horizon=1,
    n_targets=1,
    target_channels=None,
    normalized_channels=None,
    norm_scales=(None, None),
    name="forecaster",
):
    """Builds an uncompiled functional `keras.Model` mapping windows to forecasts.

    Every recurrent layer but the last returns sequences; the last returns its
    final state, which a Dense head maps to `(horizon, n_targets)`.

    Args:
        config: a `ModelConfig`.
        lookback: time steps per input window.
        n_features: input channels.
        horizon: forecast steps (direct multi-step output).
        n_targets: target series.
        target_channels: input channel of each target; needed by a window
            normalisation that maps outputs back to levels (default: the first
            `n_targets` channels).
        normalized_channels: input channels the window normalisation applies to
            (default: all).
        norm_scales: `(input_scale, delta_scale)` of the window normalisation,
            fit on training windows with `data.window_norm_scales`.
        name: the model's name.

    Returns:
        A `keras.Model` from `(batch, lookback, n_features)` to
        `(batch, horizon, n_targets)`. Compile it with `training.compile_model`.

    Example:
    >>> model = build_model(ModelConfig(units=(128, 64), dropout=0.2, dense_units=(32,)),
    ...                     lookback=60, n_features=1)
    >>> model.count_params()
    118081
    """
    if config.recurrent_dropout > 0:
        warnings.warn(
            "recurrent_dropout > 0 disables the fast cuDNN kernel on GPU; use `dropout` instead "
            "unless you need it.",
            stacklevel=2,
        )
    window_norm = "last" if config.window_norm == "auto" else config.window_norm
    if window_norm == "seasonal" and config.season_length is None:
        raise ConfigError("window_norm='seasonal' needs `season_length` (steps per season) in the ModelConfig.")
    inputs = keras.Input(shape=(lookback, n_features), name="window")
    x = inputs
    if window_norm != "none":
        if target_channels is None:
            target_channels = list(range(n_targets))
        if any(c is None for c in target_channels):
            raise ConfigError(
                f"window_norm={window_norm!r} expresses forecasts relative to each target's "
                "own recent values, so every target must also be an input feature. Add the "
                "targets to `features`, or use window_norm='none'."
            )
        x, shift, scale = WindowNormalization(
            window_norm,
            channels=normalized_channels,
            horizon=horizon,
            season_length=config.season_length or 1,
            input_scale=norm_scales[0],
            delta_scale=norm_scales[1],
            name="window_norm",
        )(x)
    recurrent = CELLS[config.cell]
    for depth, units in enumerate(config.units, start=1):
        last = depth == len(config.units)
        layer = recurrent(
            units,
            return_sequences=not last,
            recurrent_dropout=config.recurrent_dropout,
            name=f"{config.cell}_{depth}",
        )
        if config.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{depth}")
        x = layer(x)
        if config.dropout > 0:
            x = keras.layers.Dropout(config.dropout, name=f"dropout_{depth}")(x)
    for depth, units in enumerate(config.dense_units, start=1):
        x = keras.layers.Dense(units, activation=config.dense_activation, name=f"dense_{depth}")(x)
    x = keras.layers.Dense(horizon * n_targets, activation=config.output_activation, name="output")(x)
    outputs = keras.layers.Reshape((horizon, n_targets), name="forecast")(x)
    if window_norm != "none":
        outputs = WindowDenormalization(target_channels, name="window_denorm")([outputs, shift, scale])
    return keras.Model(inputs, outputs, name=name)
