"""The recurrent stack every architecture is built on, the dense head, and the cuDNN check."""

from __future__ import annotations

import warnings

from lstm_toolkit.backend import keras, ops
from lstm_toolkit.errors import CuDNNWarning
from lstm_toolkit.models.config import CELLS, require_units


def recurrent_stack(config, x, return_sequences=False, prefix="", return_state=False, initial_states=None, stateful=False):
    """The config's recurrent layers with `Dropout` between them: the one builder every architecture uses.

    Every layer but the last returns sequences (the practitioner's rule); the
    last returns its final output, or every step with `return_sequences`.
    Each layer is wrapped in `Bidirectional` when the config says so.

    Args:
        config: a `ModelConfig` (units, cell, bidirectional, dropout, recurrent_dropout).
        x: the input tensor `(batch, time, channels)`.
        return_sequences: the last layer returns every step too.
        prefix: prefix of the layer names ("encoder_", ...).
        return_state: also return each layer's final states.
        initial_states: per layer, the list of states it starts from (models
            whose states are explicit inputs).
        stateful: Keras stateful layers (truncated back-propagation through time).

    Returns:
        The last layer's output, or `(output, states)` with `return_state`:
        `states[k]` the final states of layer k+1.

    Example:
    >>> import numpy as np
    >>> from lstm_toolkit.models import ModelConfig
    >>> inputs = keras.Input((10, 3))
    >>> outputs, states = recurrent_stack(ModelConfig(units=(8, 4)), inputs, return_state=True)
    >>> tuple(outputs.shape), [len(s) for s in states]
    ((None, 4), [2, 2])
    """
    recurrent = CELLS[config.cell]
    final_states = []
    stack = require_units(config)
    for depth, units in enumerate(stack, start=1):
        last = depth == len(stack)
        layer = recurrent(
            units,
            return_sequences=return_sequences or not last,
            return_state=return_state,
            stateful=stateful,
            recurrent_dropout=config.recurrent_dropout,
            name=f"{prefix}{config.cell}_{depth}",
        )
        if config.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"{prefix}bidirectional_{depth}")
        initial = None if initial_states is None else initial_states[depth - 1]
        outputs = layer(x) if initial is None else layer(x, initial_state=initial)
        if return_state:
            x, *states = outputs
            final_states.append(states)
        else:
            x = outputs
        if config.dropout > 0:
            x = keras.layers.Dropout(config.dropout, name=f"{prefix}dropout_{depth}")(x)
    return (x, final_states) if return_state else x


# The name of every model's last Dense layer (`dense_head`): `forecasting.forecast_reference_only` finds it by it.
OUTPUT_LAYER = "output"


def dense_head(config, x, n_outputs, activation=None):
    """The config's hidden Dense layers, then the output layer (`OUTPUT_LAYER`) of `n_outputs` units."""
    for depth, units in enumerate(config.dense_units, start=1):
        x = keras.layers.Dense(units, activation=config.dense_activation, name=f"dense_{depth}")(x)
    return keras.layers.Dense(n_outputs, activation=activation or config.output_activation, name=OUTPUT_LAYER)(x)


def warn_if_not_cudnn(config):
    """Warns (once per call site, Python's default) when `config` rules out the cuDNN kernel."""
    if config.recurrent_dropout > 0:
        reason = "recurrent_dropout > 0 disables"
        advice = "use `dropout` between layers instead unless you need it"
    elif config.cell == "peephole":
        reason = "cell='peephole' cannot use"
        advice = "use cell='lstm' where speed matters more than the peepholes"
    else:
        return
    warnings.warn(
        f"{reason} the fast cuDNN kernel on GPU (training runs several times slower there); {advice}.",
        CuDNNWarning,
        stacklevel=3,
    )


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class LearnedQueries(keras.layers.Layer):
    """One learned vector per forecast step (or output segment), repeated over the batch: a decoder's inputs.

    Args:
        horizon: forecast steps.
        dim: width of each vector.

    Example:
    >>> import numpy as np
    >>> tuple(LearnedQueries(3, 4)(np.zeros((2, 7, 5), "float32")).shape)
    (2, 3, 4)
    """

    def __init__(self, horizon, dim, **kwargs):
        super().__init__(**kwargs)
        self.horizon = int(horizon)
        self.dim = int(dim)

    def build(self, input_shape):
        self.queries = self.add_weight(shape=(self.horizon, self.dim), initializer="random_normal", name="queries")

    def call(self, inputs):
        batch = ops.shape(inputs)[0]
        return ops.broadcast_to(ops.expand_dims(self.queries, 0), (batch, self.horizon, self.dim))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.horizon, self.dim)

    def get_config(self):
        return {**super().get_config(), "horizon": self.horizon, "dim": self.dim}
