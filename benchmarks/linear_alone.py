"""A ridge regression on the windows alone, for every single-series case of `forecast_suite.py`: the linear peer.

Each window of `lookback` rows is expressed relative to its last value and divided by the spread of the training
part's one-step changes; the targets likewise; scikit-learn's `RidgeCV` (leave-one-out penalty) maps one to the
other, fit on the training part (the suite's first 80%, or its fit rows). Backtest from the suite's origins, MASE
scaled as the suite scales it (the training part's seasonal-naive MAE, with the season the Forecaster infers). It
fits in milliseconds. This is the evidence behind `Forecaster(linear_share=0.5)`: a linear model of the same windows
errs differently from the LSTM, so their mean does better than either (`README.md` here, "The Forecaster's defaults,
chosen on the forecast suite").

Run: python benchmarks/linear_alone.py [case ...]
"""

import sys
import warnings

import forecast_suite as suite
import numpy as np
from _common import machine
from sklearn.linear_model import RidgeCV

import lstm_toolkit
from lstm_toolkit import metrics

SINGLE = [name for name in suite.DEFAULT_CASES if not name.startswith("seattle_L")]


def ridge_mase(name):
    """`(MASE, penalty)` of the ridge regression on the windows of case `name`."""
    load, target, lookback, horizon, fit_rows, stride, keywords = suite.CASES[name]
    data = load()
    values = data[target].to_numpy(dtype="float64")
    first = max(suite.fit_rows_of(data, fit_rows), lookback)
    steps = np.arange(1, horizon + 1)
    origins = np.arange(first - 1, len(values) - horizon, stride)
    train = np.arange(lookback - 1, first - horizon)
    spread = np.std(np.diff(values[:first])) or 1.0

    def windows(ends):
        return np.stack([values[end - lookback + 1: end + 1] - values[end] for end in ends]) / spread

    targets = (values[train[:, None] + steps] - values[train][:, None]) / spread
    ridge = RidgeCV(alphas=np.logspace(-2, 4, 25)).fit(windows(train), targets)
    forecast = values[origins][:, None] + ridge.predict(windows(origins)).reshape(len(origins), horizon) * spread
    forecaster = lstm_toolkit.Forecaster(lookback=lookback, horizon=horizon, target=target, **keywords)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecaster.prepare(data.iloc[:first])  # only for the season the Forecaster infers, as the suite's MASE uses
    scale = metrics.seasonal_naive_scale(values[:first], forecaster.season_length_)
    return metrics.mase(values[origins[:, None] + steps], forecast, scale), float(ridge.alpha_)


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or SINGLE
    print(f"# A ridge regression on the windows alone ({machine()})\n\n| case | MASE | penalty |\n|---|---|---|")
    for name in names:
        score, penalty = ridge_mase(name)
        print(f"| {name} | {score:.3f} | {penalty:.3g} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
