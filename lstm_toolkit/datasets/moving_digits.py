"""Moving digits: a seeded, synthetic spatiotemporal dataset for ConvLSTM forecasting.

The digit images are real (scikit-learn's bundled 8x8 handwritten digits,
`sklearn.datasets.load_digits`, no download); their motion is synthetic: each
digit moves on a blank canvas at a constant velocity and bounces off the edges,
like the Moving MNIST benchmark.
"""

from __future__ import annotations

import numpy as np

from lstm_toolkit.errors import check_integer


def moving_digits(n_sequences=64, n_frames=20, size=32, n_digits=1, max_speed=2, seed=0):
    """Sequences of frames of 8x8 digits bouncing on a `size` x `size` canvas.

    Args:
        n_sequences: how many independent sequences.
        n_frames: frames per sequence.
        size: canvas height and width (at least 9).
        n_digits: digits per sequence (overlaps take the brighter pixel).
        max_speed: the largest speed per axis, in pixels per frame (speeds are
            drawn from 1..max_speed, with random signs).
        seed: the random seed; the same seed gives the same array.

    Returns:
        float32 array `(n_sequences, n_frames, size, size, 1)` with values in [0, 1].

    Example:
    >>> frames = moving_digits(n_sequences=2, n_frames=5, seed=0)
    >>> frames.shape, float(frames.min()), float(frames.max())
    ((2, 5, 32, 32, 1), 0.0, 1.0)
    """
    from sklearn.datasets import load_digits

    for name, value, low in (("n_sequences", n_sequences, 1), ("n_frames", n_frames, 1), ("size", size, 9),
                             ("n_digits", n_digits, 1), ("max_speed", max_speed, 1)):
        check_integer(value, name, low)
    images = load_digits().images.astype("float32") / 16.0  # (1797, 8, 8) in [0, 1]
    rng = np.random.default_rng(seed)
    span = size - 8
    frames = np.zeros((n_sequences, n_frames, size, size), dtype="float32")
    for sequence in range(n_sequences):
        for _ in range(n_digits):
            image = images[rng.integers(len(images))]
            position = rng.integers(0, span + 1, size=2)
            velocity = rng.integers(1, max_speed + 1, size=2) * rng.choice([-1, 1], size=2)
            for frame in range(n_frames):
                row, col = position
                patch = frames[sequence, frame, row : row + 8, col : col + 8]
                np.maximum(patch, image, out=patch)
                position, velocity = _bounce(position + velocity, velocity, span)
    return frames[..., None]


def _bounce(position, velocity, span):
    """Reflects a position that left [0, span] back inside, reversing that axis's velocity."""
    position, velocity = position.copy(), velocity.copy()
    for axis in range(2):
        if position[axis] < 0:
            position[axis], velocity[axis] = -position[axis], -velocity[axis]
        elif position[axis] > span:
            position[axis], velocity[axis] = 2 * span - position[axis], -velocity[axis]
    return position, velocity
