"""What a window forecaster adds to its reference forecast, and the two ways to change it after training.

A window model built by `build_model` with a window normalisation forecasts

    reference + scale * (output layer(network) + highway(window features))

where the reference is a simple forecast made from the window (naive, seasonal
naive, ...; zero for `window_norm="none"`) and the highway is a linear map of
the normalised window (`ModelConfig(highway=...)`). Everything after the last
hidden layer is linear, so two changes need only new weights, and a model
changed this way saves, loads and exports like any other:

- `forecast_reference_only` zeroes the output layer and the highway: the model
  forecasts its reference alone;
- `blend_correction` makes the forecast a weighted mean of the model's and of a
  linear model's (the reference plus given highway coefficients), a forecast
  combination; `correction_inputs` gives what such a linear model is fit on.
"""

from __future__ import annotations

import numpy as np

from lstm_toolkit.backend import keras, ops
from lstm_toolkit.models.forecast_networks import DENORMALIZATION_LAYER, HIGHWAY_LAYER, MEMBER_WINDOW
from lstm_toolkit.models.recurrent import OUTPUT_LAYER


def forecast_reference_only(model):
    """Makes a window forecaster built by `build_model` forecast its window normalisation's reference alone.

    With a reference normalisation ("last", "drift", "seasonal",
    "seasonal_drift") the model's forecast is the reference forecast plus what
    the output layer and the linear highway add; this zeroes both (in every
    member of an ensemble), in place. Undo it with `model.set_weights` of
    weights taken before.

    Returns:
        The number of layers zeroed: 0 when there is nothing to zero, or when an
        output activation is not 0 at 0 (e.g. "sigmoid"), which no weights can make
        add nothing (then nothing is changed).
    """
    layers = list(_correction_layers(model))
    for layer in layers:
        if layer.name == OUTPUT_LAYER and float(ops.max(ops.abs(layer.activation(ops.zeros((1,)))))) != 0.0:
            return 0
    for layer in layers:
        layer.set_weights([np.zeros_like(weight) for weight in layer.get_weights()])
    return len(layers)


def correction_parts(model):
    """The parts of `model` that each get their own linear model (`correction_inputs`, `blend_correction`).

    `[model]` when every member reads the same normalised window (one network,
    or a seed ensemble, whose members share their normalisation); the members
    of an ensemble across lookbacks (`ModelConfig.member_lookbacks`), which
    read windows of different lengths, one part each.

    Example:
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> model = build_model(ModelConfig(units=(4,), highway=True, member_lookbacks=(2, 3)), lookback=3, n_features=1)
    >>> [part.name for part in correction_parts(model)]
    ['member_1', 'member_2']
    """
    members = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    windows = {tuple(_window_steps(member)) for member in members}
    return members if len(windows) > 1 else [model]


def _window_steps(member):
    try:
        crop = member.get_layer(MEMBER_WINDOW)
    except ValueError:
        return ()
    return crop.cropping


def correction_inputs(model):
    """A Keras model from `model`'s inputs to `(features, reference, scale)`; None when `model` has no highway.

    `features` (batch, n_features) is what the highway reads (the flattened
    normalised window); `reference` (batch, horizon or 1, n_targets) and
    `scale` (batch, 1, n_targets) are what the model's output is denormalised
    with, so that a target `y` is `reference + scale * t` for the linear
    model's target `t` (0 and 1 without a window normalisation). A seed
    ensemble's members share their normalisation: the first member's is used.
    The members of an ensemble across lookbacks do not: take each of
    `correction_parts(model)`.

    Example:
    >>> import numpy as np
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> model = build_model(ModelConfig(units=(4,), window_norm="last", highway=True), lookback=3, n_features=1)
    >>> features, reference, scale = correction_inputs(model)(np.array([[[1.0], [2.0], [4.0]]], "float32"))
    >>> np.asarray(features).tolist(), np.asarray(reference).tolist(), np.asarray(scale).tolist()
    ([[-3.0, -2.0, 0.0]], [[[4.0]]], [[[1.0]]])
    """
    member = next((layer for layer in model.layers if isinstance(layer, keras.Model)), model)
    try:
        highway = member.get_layer(HIGHWAY_LAYER)
    except ValueError:
        return None
    features = highway.input
    inputs = member.inputs if len(member.inputs) > 1 else member.inputs[0]
    try:
        denormalization = member.get_layer(DENORMALIZATION_LAYER)
    except ValueError:  # window_norm="none": the model's output is the forecast
        zeros = keras.layers.Lambda(lambda f: ops.zeros_like(f[:, :1, None]))(features)
        sub = keras.Model(inputs, [features, zeros, keras.layers.Lambda(lambda z: z + 1.0)(zeros)])
    else:
        _, shift, scale = denormalization.input
        channels = denormalization.target_channels
        sub = keras.Model(inputs, [features, ops.take(shift, channels, axis=-1), ops.take(scale, channels, axis=-1)])
    return sub


def blend_correction(model, coefficients, share):
    """Makes `model`'s forecast `(1 - share) * its own + share * (reference + scale * features @ coefficients)`.

    In place, in every member of an ensemble: the output layer's weights are
    multiplied by `1 - share`, and the highway's kernel becomes
    `(1 - share) * kernel + share * coefficients`.

    Args:
        model: a window forecaster with a highway and a linear output layer.
        coefficients: (n_features, horizon * n_targets), on `correction_inputs`' features and targets
            (`t` flattened step by step, the targets of a step together).
        share: the linear model's share, in [0, 1].

    Returns:
        True, or False when nothing was changed: no highway, or an output activation that is not linear.
    """
    layers = list(_correction_layers(model))
    if not any(layer.name == HIGHWAY_LAYER for layer in layers) or any(
            layer.name == OUTPUT_LAYER and layer.activation is not keras.activations.linear for layer in layers):
        return False
    for layer in layers:
        weights = [(1.0 - share) * weight for weight in layer.get_weights()]
        if layer.name == HIGHWAY_LAYER:
            weights = [weights[0] + share * np.asarray(coefficients, dtype=weights[0].dtype)]
        layer.set_weights(weights)
    return True


def _correction_layers(model):
    """The output layers and highways of `model` and of the models inside it (an ensemble's members)."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _correction_layers(layer)
        elif layer.name in (OUTPUT_LAYER, HIGHWAY_LAYER):
            yield layer
