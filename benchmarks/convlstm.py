"""ConvLSTM next-frame forecasts on moving digits, next to persistence and linear extrapolation.

Data: `datasets.moving_digits` (scikit-learn's bundled 8x8 digits, synthetic
bouncing motion on a 32x32 canvas), seeded: training sequences from seed 0,
held-out sequences from seed 1. The model (`frames.FrameForecaster`, a
ConvLSTM from `models.build_convlstm_model`) reads `lookback` frames and predicts the next one; the baselines are persistence
(repeat the last frame) and linear extrapolation (2 f(t) - f(t-1), clipped to
[0, 1]). Scores: mean squared error per pixel over every held-out window.
Floor (issue 8): the ConvLSTM beats both. A PNG shows inputs, prediction and truth.

Run: python benchmarks/convlstm.py [--epochs 8] [--plot convlstm.png]
"""

import argparse
import sys

from _common import Timer, machine

from lstm_toolkit.datasets import moving_digits
from lstm_toolkit.frames import FrameForecaster
from lstm_toolkit.plotting import plot_frames

LOOKBACK, SIZE = 6, 32


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--train", type=int, default=192, help="training sequences")
    parser.add_argument("--plot", default=None, help="write the frames figure here")
    args = parser.parse_args(argv)
    train = moving_digits(n_sequences=args.train, n_frames=16, size=SIZE, seed=0)
    test = moving_digits(n_sequences=48, n_frames=16, size=SIZE, seed=1)
    # Intensities in [0, 1]: the estimator trains with cross-entropy (with mostly blank pixels, MSE
    # settles on predicting a blank frame). All epochs run: validation=0, nothing to stop on.
    forecaster = FrameForecaster(lookback=LOOKBACK, filters=(16,), epochs=args.epochs, batch_size=32,
                                 learning_rate=3e-3, validation=0, patience=args.epochs, seed=0, verbose=2)
    with Timer() as timer:
        forecaster.fit(train)
    table = forecaster.evaluate(test)
    n_windows = len(test) * (test.shape[1] - LOOKBACK)
    print(f"# ConvLSTM on moving digits ({machine()}); {n_windows} held-out windows, lookback {LOOKBACK}, "
          f"training {timer.seconds:.0f} s\n")
    print("| forecast | MSE per pixel |\n|---|---|")
    names = {"model": "ConvLSTM (16 filters)", "persistence": "persistence (last frame)",
             "linear_extrapolation": "linear extrapolation"}
    for key, name in names.items():
        print(f"| {name} | {table.loc[key, 'mse']:.5f} |")
    verdict = "met" if table.loc["model", "mse"] < table.drop("model")["mse"].min() else "NOT met"
    print(f"\nFloor (beat both baselines): {verdict}")
    if args.plot:
        inputs = test[0, :LOOKBACK]
        figure = plot_frames(inputs, forecaster.predict(inputs), test[0, LOOKBACK : LOOKBACK + 1],
                             title="Moving digits (synthetic motion): inputs, ConvLSTM forecast, truth")
        figure.savefig(args.plot, dpi=100)
        print(f"Wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
