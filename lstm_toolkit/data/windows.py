"""Windowing: tf.data pipelines that cut windows out of the series batch by batch (lazily), or once when they are few."""

from __future__ import annotations

import numpy as np

from lstm_toolkit.backend import tf
from lstm_toolkit.errors import ConfigError, DataError, check_bool

# Windows of at most this many bytes in all are gathered once, when the dataset is made (`in_memory="auto"`).
# Each new iterator of the lazy pipeline instantiates its gather function, about 10 ms on 2 cores, and Keras
# makes one per epoch for training and one for validation; its batches cost 4-5 ms more each. A short series
# trains for dozens of epochs of one or two batches, several times over (rolling origins, the refit), so there
# that was a quarter of the fit. A pipeline of tensors in memory starts in 0.4 ms. The cap keeps memory growing
# with the series, not with series x lookback, where it matters.
IN_MEMORY_BYTES = 4 * 2**20


def window_starts(lookback, horizon, first_target, stop, stride=1):
    """Returns the start rows of every window whose targets lie in `[first_target, stop)`.

    A window starting at row `s` reads inputs from rows `[s, s + lookback)` and
    targets from rows `[s + lookback, s + lookback + horizon)`. Inputs may reach
    back before `first_target` (that is context, not leakage); targets never
    leave `[first_target, stop)`.

    Example:
    >>> window_starts(lookback=3, horizon=2, first_target=5, stop=9).tolist()
    [2, 3, 4]
    """
    first_target = max(first_target, lookback)
    last_target = stop - horizon
    if last_target < first_target:
        return np.zeros(0, dtype="int64")
    return np.arange(first_target, last_target + 1, stride, dtype="int64") - lookback


def make_window_dataset(
    inputs,
    targets,
    starts,
    lookback,
    horizon,
    batch_size=32,
    shuffle=False,
    seed=None,
    cache=False,
    prefetch=True,
    future=None,
    context=None,
    in_memory="auto",
):
    """Returns a `tf.data.Dataset` of `(x, y)` batches cut from two arrays, lazily unless the windows are few.

    Only the series and the start rows live in memory; each batch of windows is
    gathered when it is needed, so memory grows with the series, never with
    series x lookback. Windows of at most `IN_MEMORY_BYTES` (4 MiB) in all are
    gathered once instead, which starts each epoch much sooner (`in_memory`).

    Args:
        inputs: array (rows, n_features) the windows' `x` are read from.
        targets: array (rows, n_targets) the windows' `y` are read from, or
            None for a dataset of `x` alone.
        starts: the window start rows (see `window_starts`).
        lookback: rows per input window.
        horizon: rows per target window.
        batch_size: windows per batch.
        shuffle: False keeps time order; True shuffles all windows, anew each
            epoch; an int shuffles within a buffer of that many windows.
        seed: seed of the shuffle.
        future: optional array (rows, n_future) of inputs known ahead (calendar
            channels): each window then also gets its rows over the forecast
            horizon, and `x` becomes `(window, future)`.
        context: optional list of arrays `(rows, ...)` read at each window's
            start row (a series' code or static features, constant within a
            series); they follow in `x`: `(window, [future], *context)`.
        cache: cache the gathered batches after the first pass (this holds every
            window in memory; use it for small series only).
        prefetch: prefetch batches in the background (lazy batches; batches in memory need none).
        in_memory: "auto" gathers every window once when they take at most
            `IN_MEMORY_BYTES`, else batch by batch; True / False force it. The
            batches are the same either way; the shuffled order differs.

    Returns:
        A dataset of `x` (batch, lookback, n_features) float32 and
        `y` (batch, horizon, n_targets) float32.

    Example:
    >>> series = np.arange(10, dtype="float32")[:, None]
    >>> starts = window_starts(3, 1, first_target=0, stop=10)
    >>> x, y = next(iter(make_window_dataset(series, series, starts, 3, 1, batch_size=2)))
    >>> x.numpy()[:, :, 0].tolist(), y.numpy()[:, :, 0].tolist()
    ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]], [[3.0], [4.0]])
    """
    if batch_size < 1:
        raise ConfigError(f"`batch_size` must be positive. Received: batch_size={batch_size}")
    in_memory = check_bool(in_memory, "in_memory", allowed=("auto",))
    starts = np.asarray(starts, dtype="int64")
    input_series = tf.constant(np.asarray(inputs, dtype="float32"))
    target_series = None if targets is None else tf.constant(np.asarray(targets, dtype="float32"))
    input_offsets = tf.range(lookback, dtype=tf.int64)[tf.newaxis, :]
    target_offsets = tf.range(lookback, lookback + horizon, dtype=tf.int64)[tf.newaxis, :]
    future_series = None if future is None else tf.constant(np.asarray(future, dtype="float32"))
    context_series = [tf.constant(np.asarray(part)) for part in (context or [])]

    def gather(batch_starts):
        x = tf.gather(input_series, batch_starts[:, tf.newaxis] + input_offsets)
        extra = [tf.gather(part, batch_starts) for part in context_series]
        if future_series is not None:
            extra.insert(0, tf.gather(future_series, batch_starts[:, tf.newaxis] + target_offsets))
        if extra:
            x = (x, *extra)
        if target_series is None:
            return x
        return x, tf.gather(target_series, batch_starts[:, tf.newaxis] + target_offsets)

    if in_memory == "auto":
        in_memory = len(starts) * _window_bytes(inputs, targets, future, context, lookback, horizon) <= IN_MEMORY_BYTES
    if in_memory:
        return _in_memory(gather(tf.constant(starts)), len(starts), batch_size, shuffle, seed)
    if shuffle and shuffle is not True:
        # A finite buffer: shuffle start rows one by one, then batch them.
        batches = (
            tf.data.Dataset.from_tensor_slices(starts)
            .shuffle(max(int(shuffle), 1), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size)
        )
    else:
        # Slicing batches out of the (permuted) start rows is twice as fast as
        # batching them one element at a time.
        all_starts = tf.constant(starts)
        n_batches = -(-len(starts) // batch_size)

        def batches_of(order):
            return tf.data.Dataset.range(n_batches).map(lambda i: order[i * batch_size : (i + 1) * batch_size])

        if shuffle:
            # One random permutation per epoch: a new seed each time the dataset is iterated.
            seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
            batches = seeds.flat_map(
                lambda key: batches_of(
                    tf.random.experimental.stateless_shuffle(all_starts, seed=tf.stack([key, 0]))
                )
            ).apply(tf.data.experimental.assert_cardinality(n_batches))  # flat_map hides the length
        else:
            batches = batches_of(all_starts)
    dataset = batches.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if cache:
        dataset = dataset.cache()
    if prefetch:
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
    return dataset


def _in_memory(windows, n_windows, batch_size, shuffle, seed):
    """Batches of the gathered `windows` (one structure of tensors, `n_windows` long), shuffled as asked.

    Not prefetched: batching tensors in memory takes microseconds, and starting a prefetch thread each epoch
    took 5 ms.
    """
    dataset = tf.data.Dataset.from_tensor_slices(windows)
    if shuffle:
        buffer = n_windows if shuffle is True else int(shuffle)
        dataset = dataset.shuffle(max(buffer, 1), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size)


def _window_bytes(inputs, targets, future, context, lookback, horizon):
    """Bytes one gathered window takes: its input rows, target rows, future rows and context values."""
    def row_bytes(array):
        array = np.asarray(array)
        return int(np.prod(array.shape[1:], dtype="int64")) * max(array.dtype.itemsize, 4)

    size = lookback * row_bytes(inputs)
    size += 0 if targets is None else horizon * row_bytes(targets)
    size += 0 if future is None else horizon * row_bytes(future)
    return size + sum(row_bytes(part) for part in (context or []))


def input_windows(inputs, ends, lookback):
    """Returns the input windows ending at rows `ends` (inclusive) as one numpy array.

    This materialises `len(ends)` windows: use it for forecasts from a bounded
    number of origins (chunk long backtests), and `make_window_dataset` for training.

    Example:
    >>> series = np.arange(6, dtype="float32")[:, None]
    >>> input_windows(series, [2, 5], lookback=3)[:, :, 0].tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    """
    inputs = np.asarray(inputs, dtype="float32")
    ends = np.asarray(ends, dtype="int64")
    view = np.lib.stride_tricks.sliding_window_view(inputs, lookback, axis=0)
    # view[s] has shape (n_features, lookback): the window starting at row s.
    return np.ascontiguousarray(view[ends - lookback + 1].transpose(0, 2, 1))


def frame_windows(sequences, lookback, horizon=1, batch_size=32, shuffle=False, seed=None):
    """A lazy `tf.data` pipeline of frame windows from sequences of frames (for ConvLSTM models).

    Each window holds `lookback` consecutive frames of one sequence and its
    target the `horizon` frames after them; windows never span two sequences.
    Frames are gathered batch by batch (as `make_window_dataset`), so memory
    grows with the frames, not with frames x lookback.

    Args:
        sequences: array `(n_sequences, time, height, width, channels)`, or one
            sequence `(time, height, width, channels)`.
        lookback, horizon: input and target frames per window.
        batch_size, shuffle, seed: as for `make_window_dataset`.

    Returns:
        A dataset of `(x (batch, lookback, h, w, c), y (batch, horizon, h, w, c))`.

    Example:
    >>> frames = np.arange(2 * 6 * 2 * 2, dtype="float32").reshape(2, 6, 2, 2, 1)
    >>> x, y = next(iter(frame_windows(frames, lookback=3, horizon=1, batch_size=8)))
    >>> tuple(x.shape), tuple(y.shape)
    ((6, 3, 2, 2, 1), (6, 1, 2, 2, 1))
    """
    sequences = np.asarray(sequences, dtype="float32")
    if sequences.ndim == 4:
        sequences = sequences[None]
    if sequences.ndim != 5:
        raise DataError(
            "Frames must be an array (time, height, width, channels) or (sequences, time, height, width, "
            f"channels); received shape {sequences.shape}."
        )
    n_sequences, steps, *frame_shape = sequences.shape
    if steps < lookback + horizon:
        raise DataError(
            f"Each sequence has {steps} frames but a window needs lookback {lookback} + horizon {horizon}."
        )
    flat = sequences.reshape(n_sequences * steps, -1)
    starts = np.concatenate(
        [window_starts(lookback, horizon, s * steps + lookback, (s + 1) * steps) for s in range(n_sequences)]
    )
    dataset = make_window_dataset(flat, flat, starts, lookback, horizon, batch_size=batch_size, shuffle=shuffle,
                                  seed=seed)

    def unflatten(x, y):
        return (tf.reshape(x, (-1, lookback, *frame_shape)), tf.reshape(y, (-1, horizon, *frame_shape)))

    return dataset.map(unflatten)
