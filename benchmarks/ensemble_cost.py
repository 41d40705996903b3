"""What an ensemble costs: k members in one Keras model (`Forecaster(ensemble=k)`) against k separate fits.

Seattle hourly temperature (first 4,000 rows), a fixed number of epochs (no early stopping, no refit, so both
sides train exactly as many steps), fit seconds on this machine, for the default stacked LSTM at lookback 72 and
the segment model at lookback 336. The accuracy of the combined forecast (backtest MASE over the next 1,000 rows)
is printed next to the members' own.

Run: python benchmarks/ensemble_cost.py [--members 3] [--epochs 3]
"""

import argparse
import sys
import warnings

from _common import Timer, machine

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig

ROWS, FIT = 5000, 4000


def fit_seconds(data, lookback, horizon, model, members, epochs, seed):
    forecaster = Forecaster(lookback=lookback, horizon=horizon, target="temp", model=model, ensemble=members,
                            epochs=epochs, patience=epochs, refit=False, verbose=0, seed=seed)
    with Timer() as timer, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecaster.fit(data.iloc[:FIT])
    return timer.seconds, forecaster.evaluate(data).loc["model", "MASE"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    data = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:ROWS]
    k = args.members
    print(f"# Ensemble cost ({machine()}): {k} members, {args.epochs} epochs each, Seattle hourly first {ROWS} rows\n")
    print(f"| model | one model of {k} members, s | {k} separate fits, s | ratio | MASE one model | MASE members (mean) |")
    print("|---|---|---|---|---|---|")
    for name, lookback, horizon, model in [("stacked LSTM 64-64, lookback 72", 72, 24, ModelConfig(units=(64, 64))),
                                           ("segment, lookback 336", 336, 48, ModelConfig(units=(64, 64), architecture="segment"))]:
        together, mase = fit_seconds(data, lookback, horizon, model, k, args.epochs, seed=0)
        separate = [fit_seconds(data, lookback, horizon, model, 1, args.epochs, seed=s) for s in range(k)]
        apart = sum(seconds for seconds, _ in separate)
        print(f"| {name} | {together:.1f} | {apart:.1f} | {apart / together:.2f}x | {mase:.3f} | "
              f"{sum(m for _, m in separate) / k:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
