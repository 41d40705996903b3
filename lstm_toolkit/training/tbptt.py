"""Truncated back-propagation through time for models that carry their state.

A stateful model is trained on the series cut into `batch` parallel, contiguous
segments; each batch holds the next chunk of `chunk_length` rows of every
segment, so the LSTM state at the end of one batch is the right starting state
for the next (Keras' `stateful=True` carries it over). Gradients stop at chunk
boundaries (the state is read from a variable), the state is zeroed at the
start of every epoch and before unrelated data, and the validation loss comes
from one pass of the explicit-state model over the training and validation
rows, so the validation forecasts start from a state warmed by the history.
"""

from __future__ import annotations

import numpy as np

from lstm_toolkit.backend import compiled, keras, tf
from lstm_toolkit.errors import DataError
from lstm_toolkit.models import STATE_PARTS, state_sizes

# Segments get at least this many chunks, so the carried state matters.
MIN_CHUNKS_PER_SEGMENT = 16


def sequence_targets(targets, horizon):
    """The targets of every origin: `out[t] = targets[t + 1 : t + 1 + horizon]`.

    Returns a read-only view of shape `(rows - horizon, horizon, n_targets)`.

    Example:
    >>> sequence_targets(np.arange(5.0)[:, None], 2)[:, :, 0].tolist()
    [[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]]
    """
    windows = np.lib.stride_tricks.sliding_window_view(targets[1:], horizon, axis=0)
    return np.moveaxis(windows, -1, 1)


def chunk_layout(n_origins, chunk_length, max_batch):
    """How many parallel segments (the batch) and chunks per segment fit `n_origins` rows.

    Example:
    >>> chunk_layout(4000, 50, 64)  # 5 segments of 16 chunks
    (5, 16)
    """
    batch = int(np.clip(n_origins // (MIN_CHUNKS_PER_SEGMENT * chunk_length), 1, max_batch))
    return batch, (n_origins // batch) // chunk_length


def chunk_dataset(inputs, targets, stop, horizon, chunk_length, max_batch):
    """The ordered `tf.data` batches of chunks of the rows before `stop`.

    Args:
        inputs: scaled input rows (rows, n_features).
        targets: scaled target rows (rows, n_targets).
        stop: first row not to train on (the end of the training part).
        horizon: forecast steps of each origin.
        chunk_length: rows per chunk (the truncation length of back-propagation).
        max_batch: most parallel segments.

    Returns:
        `(dataset, batch)`: batches `(x (batch, chunk, features), y (batch,
        chunk, horizon, n_targets))` in time order, and the batch size.
    """
    y = sequence_targets(targets[:stop], horizon)
    batch, n_chunks = chunk_layout(len(y), chunk_length, max_batch)
    if n_chunks == 0:
        raise DataError(
            f"The training part has {stop} rows, too few for one chunk of {chunk_length} rows plus "
            f"horizon {horizon}. Give more data, or a shorter lookback (the chunk length)."
        )
    segment = len(y) // batch
    used = n_chunks * chunk_length

    def cut(values):
        values = np.asarray(values[: batch * segment], dtype="float32")
        values = values.reshape(batch, segment, *values.shape[1:])[:, :used]
        values = values.reshape(batch, n_chunks, chunk_length, *values.shape[2:])
        return np.ascontiguousarray(np.swapaxes(values, 0, 1))

    dataset = tf.data.Dataset.from_tensor_slices((cut(inputs), cut(y)))
    return dataset.prefetch(tf.data.AUTOTUNE), batch


def copy_weights(source, target):
    """Copies the layer weights of one form of a sequence model into the other, by layer name."""
    for layer in target.layers:
        if layer.weights:
            source_layer = source.get_layer(layer.name)
            layer.set_weights([w.numpy() for w in source_layer.weights[: len(layer.weights)]])


class SequenceRunner:
    """Runs an explicit-state sequence model through one compiled `tf.function`.

    Any batch and sequence length, one step included, with the states passed in
    and out; no retracing between calls.

    Args:
        model: a model from `build_sequence_model(..., stateful=False)`.
        config: its `ModelConfig`.
    """

    def __init__(self, model, config):
        self.model = model
        self.state_sizes = state_sizes(config)
        n_features = model.inputs[0].shape[-1]
        states = [tf.TensorSpec((None, size), tf.float32) for size in self.state_sizes]
        self._function = compiled(
            lambda x, *states: model([x, *states], training=False),
            [tf.TensorSpec((None, None, n_features), tf.float32), *states],
        )
        self.step_function = compiled(step_function(model, config), [tf.TensorSpec((None, n_features), tf.float32), *states])

    def zero_states(self, batch):
        return [np.zeros((batch, size), dtype="float32") for size in self.state_sizes]

    def __call__(self, inputs, states=None):
        """Forecasts `(batch, time, horizon, n_targets)` and final states for `inputs` (batch, time, features)."""
        inputs = np.asarray(inputs, dtype="float32")
        states = self.zero_states(len(inputs)) if states is None else [np.asarray(s, "float32") for s in states]
        forecasts, *states = self._function(inputs, *states)
        return forecasts.numpy(), [state.numpy() for state in states]

    def step(self, rows, states):
        """One step for every row of `rows` (batch, features): `(forecast (batch, horizon, n_targets), states)`.

        Runs the cells directly (no loop over time), like the exported step model.
        """
        forecast, *states = self.step_function(np.asarray(rows, dtype="float32"), *[np.asarray(s, "float32") for s in states])
        return forecast.numpy(), [state.numpy() for state in states]


def step_function(model, config):
    """`(rows (batch, features), *states) -> (forecast (batch, horizon, n_targets), *states)` from the model's layers.

    Calls each recurrent layer's cell once instead of the layer's loop over
    time: the graph has no while loop, so it is cheap to call and converts to
    LiteRT built-in ops. Dropout is skipped (inference).
    """
    per_layer = len(STATE_PARTS[config.cell])
    cells = [model.get_layer(f"{config.cell}_{d}").cell for d in range(1, len(config.units) + 1)]
    head = [model.get_layer(f"dense_{d}") for d in range(1, len(config.dense_units) + 1)] + [model.get_layer("output")]
    horizon, n_targets = model.outputs[0].shape[-2:]
    residual = next((layer for layer in model.layers if layer.name == "last_value"), None)

    def step(rows, *states):
        out, new_states = rows, []
        for depth, cell in enumerate(cells):
            out, layer_states = cell(out, list(states[depth * per_layer : (depth + 1) * per_layer]), training=False)
            new_states.extend(layer_states)
        for layer in head:
            out = layer(out)
        forecast = tf.reshape(out, (-1, 1, horizon, n_targets))
        if residual is not None:
            forecast = residual([forecast, rows[:, None, :]])
        return (forecast[:, 0], *new_states)

    return step


class ResetStates(keras.callbacks.Callback):
    """Zeroes the carried state of every stateful layer at the start of each epoch."""

    def on_epoch_begin(self, epoch, logs=None):
        for layer in self.model.layers:
            if getattr(layer, "stateful", False):
                layer.reset_state()


class SequenceValidation(keras.callbacks.Callback):
    """Adds `val_loss` (MSE) and `val_mae` of the validation origins to each epoch's logs.

    Runs the explicit-state model, with the training model's current weights,
    from a zero state over every row up to the end of the validation part, and
    scores the forecasts of the origins whose targets lie in the validation
    part. Put it before the callbacks that monitor `val_loss`.

    Args:
        runner: a `SequenceRunner` of the inference form of the model.
        inputs: scaled input rows up to the end of the validation part.
        targets: scaled target rows, likewise.
        first_origin: first origin whose targets are all validation rows.
        horizon: forecast steps.
    """

    def __init__(self, runner, inputs, targets, first_origin, horizon):
        super().__init__()
        self.runner = runner
        self.inputs = np.asarray(inputs, dtype="float32")[None]
        self.targets = np.asarray(sequence_targets(targets, horizon)[first_origin:])
        self.first_origin = first_origin

    def on_epoch_end(self, epoch, logs=None):
        copy_weights(self.model, self.runner.model)
        forecasts, _ = self.runner(self.inputs[:, : self.first_origin + len(self.targets)])
        errors = forecasts[0, self.first_origin :] - self.targets
        if logs is not None:
            logs["val_loss"] = float(np.mean(np.square(errors)))
            logs["val_mae"] = float(np.mean(np.abs(errors)))
