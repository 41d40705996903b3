"""Prediction intervals on MSFT daily close: coverage, width and CRPS next to the naive forecast's.

Issue 10's floor: Close, lookback 60, horizon 5, the last 20% as the backtest;
the 80% interval's empirical coverage within 0.72-0.88, the 95% interval's
within 0.90-0.98, and CRPS no worse than 1.10x that of the naive forecast with
intervals from its own in-sample residual quantiles (by horizon step).

`--recursive` adds a one-step Gaussian model whose 5-step paths are sampled ancestrally (each drawn
value fed back as the next input; quantiles from 200 seeded paths per origin).

Run: python benchmarks/probabilistic.py [--losses gaussian student_t quantile] [--recursive] [--seed 0]
"""

import argparse
import sys

import pandas as pd
from _common import Timer, machine

import lstm_toolkit


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--losses", nargs="+", default=["gaussian", "student_t", "quantile"])
    parser.add_argument("--recursive", action="store_true", help="also a recursive Gaussian model (ancestral sampling)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    df = lstm_toolkit.datasets.load("msft_daily_ohlcv")[["Close"]]
    cut = int(round(len(df) * 0.8))
    print(f"# Probabilistic forecasts, MSFT close, lookback 60, horizon 5 ({machine()}, seed {args.seed})")
    print(f"Training on {cut} days, backtesting every origin of the last {len(df) - cut}.\n")
    rows, baselines = [], None
    runs = [(loss, "direct") for loss in args.losses] + ([("gaussian", "recursive")] if args.recursive else [])
    for loss, strategy in runs:
        fc = lstm_toolkit.Forecaster(lookback=60, horizon=5, target="Close", loss=loss, strategy=strategy,
                                     verbose=0, seed=args.seed)
        with Timer() as timer:
            fc.fit(df.iloc[:cut])
        with Timer() as evaluate_timer:
            table = fc.evaluate(df)
        baselines = table
        name = f"Forecaster(loss={loss!r}" + (", strategy='recursive')" if strategy == "recursive" else ")")
        rows.append({"method": name, **table.loc["model"].to_dict(), "epochs": len(fc.history_["loss"]),
                     "fit s": round(timer.seconds), "evaluate s": round(evaluate_timer.seconds)})
        naive_crps = table.loc["naive", "CRPS"]
        c80, c95 = table.loc["model", "coverage_80"], table.loc["model", "coverage_95"]
        print(f"{loss}, {strategy}: coverage 80% {c80:.3f} ({'in' if 0.72 <= c80 <= 0.88 else 'OUT of'} 0.72-0.88), "
              f"95% {c95:.3f} ({'in' if 0.90 <= c95 <= 0.98 else 'OUT of'} 0.90-0.98), "
              f"CRPS / naive CRPS {table.loc['model', 'CRPS'] / naive_crps:.3f} (floor <= 1.10)", flush=True)
    for method in ("naive", "seasonal_naive"):
        rows.append({"method": f"{method} + residual quantiles", **baselines.loc[method].to_dict()})
    columns = ["method", "MAE", "CRPS", "coverage_80", "width_80", "coverage_95", "width_95", "epochs", "fit s", "evaluate s"]
    print("\n" + pd.DataFrame(rows)[columns].round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
