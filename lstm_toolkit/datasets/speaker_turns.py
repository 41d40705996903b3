"""Speaker turns: a per-frame labelling task built from the Japanese vowels utterances.

The frames are real (12 LPC cepstrum coefficients per frame, 9 speakers); the
streams are assembled: utterances of different speakers are concatenated one
after another, as in a conversation, and every frame is labelled with its
speaker. A labeller must find who speaks and where each turn starts and ends.
"""

from __future__ import annotations

import numpy as np

from lstm_toolkit.errors import ConfigError, check_integer

CHANNELS = tuple(f"lpc{k}" for k in range(1, 13))


def speaker_turns(split="train", turns=(3, 8), repeats=1, seed=0):
    """Streams of consecutive utterances by different speakers, labelled per frame.

    Every utterance of the split is used `repeats` times (in different streams
    and neighbours: more training streams from the same utterances); each stream holds a
    random number of turns in `turns` (inclusive), and two neighbouring turns
    never have the same speaker, so every turn is its own labelled segment.

    Args:
        split: "train" or "test": the archive's own split (no utterance is in both).
        turns: the fewest and most utterances per stream.
        repeats: how many times each utterance is used.
        seed: the random seed; the same seed gives the same streams.

    Returns:
        `(X, Y)`: lists of `(frames, 12)` float arrays and of per-frame speaker ids (1-9).

    Example:
    >>> X, Y = speaker_turns("train", seed=0)
    >>> sum(len(x) for x in X) == sum(len(y) for y in Y), X[0].shape[1]
    (True, 12)
    """
    from lstm_toolkit.datasets import load

    if split not in ("train", "test"):
        raise ConfigError(f"`split` must be 'train' or 'test'. Received: split={split!r}")
    low, high = (int(t) for t in turns)
    if not 1 <= low <= high:
        raise ConfigError(f"`turns` must be (fewest, most) with 1 <= fewest <= most. Received: turns={turns!r}")
    frame = load("japanese_vowels")
    frame = frame[frame["split"] == split].sort_values(["case", "frame"])
    utterances = [(int(rows["speaker"].iloc[0]), rows[list(CHANNELS)].to_numpy("float64")) for _, rows in frame.groupby("case")]
    rng = np.random.default_rng(seed)
    repeats = check_integer(repeats, "repeats")
    remaining = [int(k) for _ in range(repeats) for k in rng.permutation(len(utterances))]
    X, Y = [], []
    while remaining:
        n_turns, chosen, previous = int(rng.integers(low, high + 1)), [], None
        while remaining and len(chosen) < n_turns:
            options = [k for k in remaining if utterances[k][0] != previous and k not in chosen]
            if not options:
                break
            pick = options[int(rng.integers(len(options)))]
            remaining.remove(pick)
            chosen.append(pick)
            previous = utterances[pick][0]
        X.append(np.concatenate([utterances[k][1] for k in chosen]))
        Y.append(np.concatenate([np.full(len(utterances[k][1]), utterances[k][0]) for k in chosen]))
    return X, Y
