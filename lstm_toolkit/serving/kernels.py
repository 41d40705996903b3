"""NumPy forward passes of Keras recurrent cells and Dense layers, from a model's own weights.

A stateful model's streaming update is a handful of small matrix products:
run in NumPy they cost tens of microseconds, against about half a millisecond
for a TensorFlow call, and need no TensorFlow at all. The equations follow
Keras 3's `LSTMCell` (gates in the order i, f, c, o; sigmoid recurrent
activation) and `GRUCell` (gates z, r, h; `reset_after=True`).
"""

from __future__ import annotations

import numpy as np

from lstm_toolkit.errors import ConfigError


def sigmoid(x):
    """The logistic function, overflow-safe.

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "silu": lambda x: x * sigmoid(x),
    "swish": lambda x: x * sigmoid(x),
}


def activation(name):
    """The NumPy function of a Keras activation name."""
    if name not in ACTIVATIONS:
        raise ConfigError(
            f"Activation {name!r} has no NumPy kernel; choose one of {sorted(ACTIVATIONS)} or use the "
            "TensorFlow engine (engine='tf')."
        )
    return ACTIVATIONS[name]


def lstm_gates(x, h, c, kernel, recurrent_kernel, bias, peepholes=None):
    """One LSTM step with every gate: f, i, c~, o, the new cell state and hidden state.

    Args:
        x: inputs (batch, features); h, c: previous states (batch, units).
        kernel (features, 4 units), recurrent_kernel (units, 4 units), bias
        (4 units): the Keras `LSTMCell` weights, gates ordered i, f, c, o.
        peepholes: `(p_i, p_f, p_o)` of a peephole cell (`models.PeepholeLSTMCell`):
            the input and forget gates see c(t-1), the output gate c(t).

    Returns:
        A dict with "input", "forget", "candidate", "output", "cell", "hidden".
    """
    z = x @ kernel + h @ recurrent_kernel + bias
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
    p_i, p_f, p_o = (0.0, 0.0, 0.0) if peepholes is None else peepholes
    i, f, g = sigmoid(z_i + p_i * c), sigmoid(z_f + p_f * c), np.tanh(z_c)
    cell = f * c + i * g
    o = sigmoid(z_o + p_o * cell)
    return {"input": i, "forget": f, "candidate": g, "output": o, "cell": cell, "hidden": o * np.tanh(cell)}


def lstm_step(x, states, kernel, recurrent_kernel, bias, *peepholes):
    """One LSTM step (peephole weights, when given, follow the bias): returns `(h, [h, c])`."""
    gates = lstm_gates(x, states[0], states[1], kernel, recurrent_kernel, bias, peepholes or None)
    return gates["hidden"], [gates["hidden"], gates["cell"]]


def gru_step(x, states, kernel, recurrent_kernel, bias):
    """One GRU step (Keras' `reset_after=True` form, bias of shape (2, 3 units)): returns `(h, [h])`."""
    h = states[0]
    input_bias, recurrent_bias = (bias[0], bias[1]) if np.ndim(bias) == 2 else (bias, np.zeros_like(bias))
    x_z, x_r, x_h = np.split(x @ kernel + input_bias, 3, axis=-1)
    h_z, h_r, h_h = np.split(h @ recurrent_kernel + recurrent_bias, 3, axis=-1)
    z = sigmoid(x_z + h_z)
    r = sigmoid(x_r + h_r)
    candidate = np.tanh(x_h + r * h_h)
    h = z * h + (1.0 - z) * candidate
    return h, [h]


class NumpyStepper:
    """The one-step forward pass of a sequence model (see `models.build_sequence_model`) in NumPy.

    Args:
        model: the explicit-state Keras sequence model.
        config: its `ModelConfig`.
        dtype: float dtype of the computation: "float32" (the default) is
            faster and matches the float32 Keras model to about 1e-6;
            "float64" to about 1e-7.

    Example:
    >>> from lstm_toolkit.models import ModelConfig, build_sequence_model, state_sizes
    >>> config = ModelConfig(units=(8,), cell="gru")
    >>> model = build_sequence_model(config, n_features=2, horizon=3)
    >>> stepper = NumpyStepper(model, config)
    >>> x = np.random.default_rng(0).normal(size=(4, 2)).astype("float32")
    >>> states = [np.zeros((4, s)) for s in state_sizes(config)]
    >>> forecast, new_states = stepper.step(x, states)
    >>> keras_forecast, _ = model([x[:, None, :], *[s.astype("float32") for s in states]])
    >>> bool(np.allclose(forecast, np.asarray(keras_forecast)[:, 0], atol=1e-5))
    True
    """

    def __init__(self, model, config, dtype="float32"):
        self.dtype = dtype
        self.cell_step = gru_step if config.cell == "gru" else lstm_step
        self.per_layer = 1 if config.cell == "gru" else 2
        cast = lambda weights: [np.asarray(w, dtype=dtype) for w in weights]  # noqa: E731
        self.recurrent = [cast(model.get_layer(f"{config.cell}_{d}").get_weights()) for d in range(1, len(config.units) + 1)]
        self.dense = [
            (*cast(model.get_layer(f"dense_{d}").get_weights()), activation(config.dense_activation))
            for d in range(1, len(config.dense_units) + 1)
        ]
        self.dense.append((*cast(model.get_layer("output").get_weights()), activation(config.output_activation)))
        self.horizon, self.n_targets = model.outputs[0].shape[-2:]
        residual = next((layer for layer in model.layers if layer.name == "last_value"), None)
        self.residual_channels = None if residual is None else residual.target_channels
        if residual is not None and residual.delta_scale is not None:
            self.residual_scale = np.asarray(residual.delta_scale, dtype=dtype)[residual.target_channels]
        else:
            self.residual_scale = np.ones(len(self.residual_channels or ()), dtype=dtype)

    def step(self, x, states):
        """Advances every row of `x` (batch, features) one step from `states`.

        Returns:
            `(forecast (batch, horizon, n_targets), new_states)`.
        """
        x = np.asarray(x, dtype=self.dtype)
        out, new_states = x, []
        for depth, weights in enumerate(self.recurrent):
            layer_states = states[depth * self.per_layer : (depth + 1) * self.per_layer]
            out, layer_states = self.cell_step(out, layer_states, *weights)
            new_states.extend(layer_states)
        for kernel, bias, function in self.dense:
            out = function(out @ kernel + bias)
        forecast = out.reshape(len(x), self.horizon, self.n_targets)
        if self.residual_channels is not None:
            forecast = forecast * self.residual_scale + x[:, None, self.residual_channels]
        return forecast, new_states
