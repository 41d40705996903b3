"""ConvLSTM next-frame forecasts on moving digits, next to persistence and linear extrapolation.

Data: `datasets.moving_digits` (scikit-learn's bundled 8x8 digits, synthetic
bouncing motion on a 32x32 canvas), seeded: training sequences from seed 0,
held-out sequences from seed 1. The model (`models.build_convlstm_model`) reads
`lookback` frames and predicts the next one; the baselines are persistence
(repeat the last frame) and linear extrapolation (2 f(t) - f(t-1), clipped to
[0, 1]). Scores: mean squared error per pixel over every held-out window.
Floor (issue 8): the ConvLSTM beats both. A PNG shows inputs, prediction and truth.

Run: python benchmarks/convlstm.py [--epochs 8] [--plot convlstm.png]
"""

import argparse
import sys

import numpy as np
from _common import Timer, machine

from lstm_toolkit.data import frame_windows
from lstm_toolkit.datasets import moving_digits
from lstm_toolkit.models import build_convlstm_model
from lstm_toolkit.plotting import plot_frames
from lstm_toolkit.training import TrainingConfig, compile_model, fit

LOOKBACK, SIZE = 6, 32


def held_out_windows(frames):
    x, y = [], []
    for sequence in frames:
        for end in range(LOOKBACK, len(sequence)):
            x.append(sequence[end - LOOKBACK : end])
            y.append(sequence[end])
    return np.stack(x), np.stack(y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--train", type=int, default=192, help="training sequences")
    parser.add_argument("--plot", default=None, help="write the frames figure here")
    args = parser.parse_args(argv)
    train = moving_digits(n_sequences=args.train, n_frames=16, size=SIZE, seed=0)
    test = moving_digits(n_sequences=48, n_frames=16, size=SIZE, seed=1)
    model = build_convlstm_model(LOOKBACK, (SIZE, SIZE, 1), horizon=1, filters=(16,))
    # Cross-entropy, not MSE: with mostly blank pixels, MSE settles on predicting a blank frame.
    config = TrainingConfig(epochs=args.epochs, batch_size=32, learning_rate=3e-3, seed=0, verbose=2,
                            patience=args.epochs, loss="binary_crossentropy")
    with Timer() as timer:
        fit(compile_model(model, config, n_samples=args.train * (16 - LOOKBACK)),
            frame_windows(train, LOOKBACK, batch_size=32, shuffle=True, seed=0), config=config)
    x, y = held_out_windows(test)
    predicted = np.asarray(model.predict(x, batch_size=64, verbose=0))[:, 0]
    persistence = x[:, -1]
    linear = np.clip(2 * x[:, -1] - x[:, -2], 0.0, 1.0)
    print(f"# ConvLSTM on moving digits ({machine()}); {len(x)} held-out windows, lookback {LOOKBACK}, "
          f"training {timer.seconds:.0f} s\n")
    print("| forecast | MSE per pixel |\n|---|---|")
    scores = {name: float(np.mean((values - y) ** 2)) for name, values in
              (("ConvLSTM (16 filters)", predicted), ("persistence (last frame)", persistence),
               ("linear extrapolation", linear))}
    for name, score in scores.items():
        print(f"| {name} | {score:.5f} |")
    best_baseline = min(scores["persistence (last frame)"], scores["linear extrapolation"])
    verdict = "met" if scores["ConvLSTM (16 filters)"] < best_baseline else "NOT met"
    print(f"\nFloor (beat both baselines): {verdict}")
    if args.plot:
        figure = plot_frames(x[0], predicted[:1], y[None, 0],
                             title="Moving digits (synthetic motion): inputs, ConvLSTM forecast, truth")
        figure.savefig(args.plot, dpi=100)
        print(f"Wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
