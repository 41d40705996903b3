"""The gate inspector: the four LSTM gate equations, evaluated on your trained model's own weights.

    f = sigmoid(W_f [h, x] + b_f)      i = sigmoid(W_i [h, x] + b_i)
    c~ = tanh(W_c [h, x] + b_c)        o = sigmoid(W_o [h, x] + b_o)
    c(t) = f * c(t-1) + i * c~         h(t) = o * tanh(c(t))

(peephole cells add p * c to the gates, see `models.PeepholeLSTMCell`).
`lstm_gates` recomputes them step by step in NumPy for one LSTM layer of a
built Keras model, on the inputs the model feeds that layer, so you can see
what each unit remembers and forgets; `gate_summary` turns them into numbers
to act on.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from lstm_toolkit.backend import keras
from lstm_toolkit.errors import ConfigError, DataError
from lstm_toolkit.models import PeepholeLSTM
from lstm_toolkit.serving.kernels import lstm_gates as _lstm_step_gates

GATES = ("forget", "input", "candidate", "output", "cell", "hidden")
SATURATION_TOLERANCE = 0.01


class GateSaturationWarning(UserWarning):
    """Many gate values sit at their limits: the layer's inputs are probably not scaled."""


def lstm_layers(model):
    """The LSTM layers (Keras' and peephole) of a model that start from a zero state, in order.

    A seq2seq decoder starts from the encoder's state, not from zero, so it is not listed.
    """
    return [
        layer
        for layer in model.layers
        if isinstance(layer, (keras.layers.LSTM, PeepholeLSTM)) and not layer.name.startswith("decoder_")
    ]


def _model_and_batch(model, x):
    """`(model, x)`: the Keras model (a fitted estimator's `model_`), and `x` checked against the window input of a
    model of one input: the shape it takes, numbers and no NaN. A model of several inputs checks `x` itself."""
    model = getattr(model, "model_", model)
    if not isinstance(model, keras.Model):
        unfitted = " that is not fitted: call fit first" if hasattr(model, "get_params") else ""
        raise ConfigError(f"`model` must be a Keras model or a fitted estimator (its `model_`); received a "
                          f"{type(model).__name__}{unfitted}.")
    if len(model.inputs) > 1:
        return model, x
    expected = tuple(model.inputs[0].shape[1:])
    try:
        x = np.asarray(x, dtype="float32")
    except (TypeError, ValueError):
        x = None
    if x is None or x.ndim != len(expected) + 1 or any(e not in (None, g) for e, g in zip(expected, x.shape[1:])):
        takes = ", ".join("any" if e is None else str(e) for e in expected)
        got = "not a numeric array" if x is None else f"shape {x.shape}"
        raise DataError(f"`x` must be a batch of the windows the model takes, (batch, {takes}); received {got}. "
                        "A Forecaster's are `fc.windows(data)`.")
    if not np.isfinite(x).all():
        raise DataError("`x` holds NaN or inf values: the gates of such a window are NaN. Fill the data first.")
    return model, x


def _find_layer(model, layer):
    candidates = lstm_layers(model)
    if not candidates:
        wrapped = [l.name for l in model.layers if isinstance(l, keras.layers.Bidirectional)]
        hint = f" (the bidirectional layers {wrapped} run two LSTMs each way; inspect a unidirectional model)" if wrapped else ""
        raise ConfigError(f"Model {model.name!r} has no LSTM layer to inspect{hint}.")
    if layer is None:
        return candidates[0]
    if isinstance(layer, str):
        for candidate in candidates:
            if candidate.name == layer:
                return candidate
        raise ConfigError(f"No LSTM layer named {layer!r}; the LSTM layers are {[c.name for c in candidates]}.")
    if isinstance(layer, int) and -len(candidates) <= layer < len(candidates):
        return candidates[layer]
    raise ConfigError(
        f"`layer` must be an LSTM layer's name or its index among the {len(candidates)} LSTM layers "
        f"{[c.name for c in candidates]}. Received: {layer!r}"
    )


def lstm_gates(model, x, layer=None):
    """Recomputes every gate of one LSTM layer of `model` for the input batch `x`.

    Args:
        model: a built functional Keras model (e.g. `Forecaster.model_`).
        x: an input batch as the model takes it (for a Forecaster: scaled
            windows, e.g. from `Forecaster.windows`).
        layer: the LSTM layer's name, or its index among the model's LSTM
            layers; default the first.

    Returns:
        A dict of float64 arrays `(batch, time, units)`: "forget", "input",
        "candidate", "output", "cell", "hidden"; plus "layer" (its name) and
        "inputs" (what the model fed the layer, `(batch, time, features)`).
        Warns (`GateSaturationWarning`) when over 30% of the gate values are saturated
        and the layer's inputs are large: scale them (practitioner rule 3).

    Example:
    >>> import numpy as np
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> model = build_model(ModelConfig(units=(8, 4), window_norm="none"), lookback=10, n_features=1)
    >>> gates = lstm_gates(model, np.random.default_rng(0).normal(size=(2, 10, 1)), layer=1)
    >>> gates["layer"], gates["forget"].shape
    ('lstm_2', (2, 10, 4))
    """
    model, x = _model_and_batch(model, x)
    target = _find_layer(model, layer)
    feeder = keras.Model(model.inputs[0] if len(model.inputs) == 1 else model.inputs, target.input)
    inputs = np.asarray(feeder(x, training=False), dtype="float64")
    weights = [np.asarray(w, dtype="float64") for w in target.get_weights()]
    kernel, recurrent_kernel, bias = weights[:3]
    peepholes = tuple(weights[3:6]) if isinstance(target, PeepholeLSTM) else None
    batch, steps = inputs.shape[:2]
    order = range(steps - 1, -1, -1) if target.go_backwards else range(steps)
    h = np.zeros((batch, target.units))
    c = np.zeros((batch, target.units))
    collected = {name: np.zeros((batch, steps, target.units)) for name in GATES}
    for t in order:
        step = _lstm_step_gates(inputs[:, t], h, c, kernel, recurrent_kernel, bias, peepholes)
        h, c = step["hidden"], step["cell"]
        for name in GATES:
            collected[name][:, t] = step[name]
    _warn_if_saturated(collected, inputs, target.name)
    return {**collected, "layer": target.name, "inputs": inputs}


def _saturated(values, low=0.0, high=1.0, tolerance=SATURATION_TOLERANCE):
    return float(np.mean((values <= low + tolerance) | (values >= high - tolerance)))


def _warn_if_saturated(gates, inputs, name):
    fraction = np.mean([_saturated(gates[g]) for g in ("forget", "input", "output")])
    spread = float(np.max(np.abs(inputs))) if inputs.size else 0.0
    if fraction > 0.3 and spread > 3.0:
        warnings.warn(
            f"{fraction:.0%} of the gate values of {name!r} are saturated (within "
            f"{SATURATION_TOLERANCE} of 0 or 1) and its inputs reach {spread:.3g}: saturated gates "
            "pass no gradient. Scale the inputs (a Scaler fit on the training part; the Forecaster "
            "does this by default).",
            GateSaturationWarning,
            stacklevel=3,
        )


def gate_summary(gates):
    """Numbers a practitioner can act on, per gate and per unit.

    Args:
        gates: the result of `lstm_gates`.

    Returns:
        `(per_gate, per_unit)`: a DataFrame with the mean and the saturated
        fraction of each gate (sigmoid gates within 0.01 of 0 or 1, the
        candidate within 0.01 of -1 or 1), and one with each unit's mean
        forget gate (close to 1: it remembers for long; its rough memory in
        steps is 1 / (1 - f)), mean input and output gates and the spread of
        its cell state.

    Example:
    >>> import numpy as np
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> model = build_model(ModelConfig(units=(3,), window_norm="none"), lookback=5, n_features=1)
    >>> per_gate, per_unit = gate_summary(lstm_gates(model, np.zeros((1, 5, 1))))
    >>> list(per_gate.index), len(per_unit)
    (['forget', 'input', 'candidate', 'output'], 3)
    """
    missing = [g for g in GATES if not isinstance(gates, dict) or g not in gates]
    if missing:
        raise DataError(f"`gates` must be the dict `lstm_gates(model, x)` returns; it lacks {missing}.")
    per_gate = pd.DataFrame(
        {
            "mean": [float(np.mean(gates[g])) for g in ("forget", "input", "candidate", "output")],
            "saturated": [
                _saturated(gates["forget"]),
                _saturated(gates["input"]),
                _saturated(gates["candidate"], low=-1.0),
                _saturated(gates["output"]),
            ],
        },
        index=["forget", "input", "candidate", "output"],
    )
    forget = gates["forget"].mean(axis=(0, 1))
    per_unit = pd.DataFrame(
        {
            "mean_forget": forget,
            "memory_steps": 1.0 / np.maximum(1.0 - forget, 1e-6),
            "mean_input": gates["input"].mean(axis=(0, 1)),
            "mean_output": gates["output"].mean(axis=(0, 1)),
            "cell_std": gates["cell"].std(axis=(0, 1)),
        }
    )
    per_unit.index.name = "unit"
    return per_gate, per_unit


def attention_weights(model, x):
    """The attention weights of a seq2seq model (`ModelConfig(architecture="seq2seq")`) for `x`.

    Returns:
        An array `(batch, horizon, lookback)`: for each forecast step, how much
        the decoder drew on each step of the input window (rows sum to 1).

    Example:
    >>> import numpy as np
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> model = build_model(ModelConfig(units=(8,), architecture="seq2seq"), lookback=12, n_features=1, horizon=3)
    >>> weights = attention_weights(model, np.random.default_rng(0).normal(size=(2, 12, 1)))
    >>> weights.shape, bool(np.allclose(weights.sum(axis=-1), 1.0))
    ((2, 3, 12), True)
    """
    model, x = _model_and_batch(model, x)
    try:
        layer = model.get_layer("attention")
    except ValueError:
        raise ConfigError(
            f"Model {model.name!r} has no attention layer: attention weights exist for "
            "ModelConfig(architecture='seq2seq', attention='dot' or 'additive')."
        ) from None
    feeder = keras.Model(model.inputs[0] if len(model.inputs) == 1 else model.inputs, layer.input)
    query, value = feeder(x, training=False)
    _, scores = layer([query, value], return_attention_scores=True)
    return np.asarray(scores, dtype="float64")
