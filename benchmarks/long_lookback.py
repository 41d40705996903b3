"""Issue 21's long-window case: a week of hourly history (lookback 336) forecasting two days (horizon 48).

The first 7,000 rows of Seattle hourly temperature (the shipped CSV); the Forecaster fits on the first 5,600 and
is backtested from every origin after them (MASE against the in-sample seasonal-naive MAE), as a new user would
run it: `Forecaster(lookback=336, horizon=48, target="temp", seed=...)` and nothing else (its `architecture="auto"`
reads windows this long in segments, SegRNN), next to the point-wise stacked LSTM that was the default before
issue 21 (`model=ModelConfig(units=(64, 64), architecture="stacked")`) and the seasonal naive baseline.
Fit seconds on this machine are printed next to the accuracy.

Floor (issue 21): the default fits in under 60 s with a backtest MASE no worse than the point-wise default's.

Run: python benchmarks/long_lookback.py [--seeds 0] [--skip-pointwise]
"""

import argparse
import sys
import warnings

from _common import Timer, machine

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig

ROWS, CUT, LOOKBACK, HORIZON = 7000, 5600, 336, 48


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--skip-pointwise", action="store_true", help="only the default (the point-wise LSTM takes ~3-10 min)")
    args = parser.parse_args()
    data = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:ROWS]
    print(f"# Seattle hourly, first {ROWS} rows, fit on {CUT}, lookback {LOOKBACK}, horizon {HORIZON} ({machine()})\n")
    cases = [("default (architecture='auto' -> segment)", None)]
    if not args.skip_pointwise:
        cases.append(("point-wise LSTM 64-64 (the default before)", ModelConfig(units=(64, 64), architecture="stacked")))
    print("| model | seed | fit s | epochs | MASE | seasonal naive MASE |\n|---|---|---|---|---|---|")
    for name, config in cases:
        for seed in args.seeds:
            fc = Forecaster(lookback=LOOKBACK, horizon=HORIZON, target="temp", seed=seed, verbose=0,
                            **({} if config is None else {"model": config}))
            with Timer() as timer, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc.fit(data.iloc[:CUT])
            table = fc.evaluate(data)
            built = f"{name} [{fc.model_config_.architecture}]"
            print(f"| {built} | {seed} | {timer.seconds:.0f} | {len(fc.history_['loss'])} | "
                  f"{table.loc['model', 'MASE']:.3f} | {table.loc['seasonal_naive', 'MASE']:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
